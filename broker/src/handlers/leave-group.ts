// LeaveGroup (key 13), v0–5. v0–2 name one member; v3+ a batch of members by member id or instance id
// (KIP-345), with an error per member.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { boundUtf8 } from '../protocol/bounded-string';

export default defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const batch = ctx.apiVersion >= 3;
    if (!ctx.services.groups.isLoaded) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, members: [] };
    const identities = batch ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId, groupInstanceId: null }];
    const results = ctx.services.groups.leave(req.groupId, identities);
    return {
      throttleTimeMs: 0,
      errorCode: batch ? 0 : results[0].errorCode,
      members: batch ? results.map((r) => ({ memberId: boundUtf8(r.memberId), groupInstanceId: r.groupInstanceId === null ? null : boundUtf8(r.groupInstanceId), errorCode: r.errorCode })) : [],
    };
  },
});
