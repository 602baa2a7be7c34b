// LeaveGroup (key 13), v0–5. v0–2 name one member; v3+ a batch of members by member id or instance id
// (KIP-345), with an error per member. Needs READ on the group (else GROUP_AUTHORIZATION_FAILED).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { boundUtf8 } from '../protocol/bounded-string';

export default defineHandler<LeaveGroupRequest, LeaveGroupResponse>({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const batch = ctx.apiVersion >= 3;
    if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    }
    const notHere = ctx.services.groups.errorFor(req.groupId);
    if (notHere !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: notHere, members: [] };
    const identities = batch ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId, groupInstanceId: null }];
    const results = ctx.services.groups.leave(req.groupId, identities);
    return {
      throttleTimeMs: 0,
      errorCode: batch ? 0 : results[0].errorCode,
      members: batch ? results.map((r) => ({ memberId: boundUtf8(r.memberId), groupInstanceId: r.groupInstanceId === null ? null : boundUtf8(r.groupInstanceId), errorCode: r.errorCode })) : [],
    };
  },
});
