// Heartbeat (key 12), v0–4. Keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
// Needs READ on the group (else GROUP_AUTHORIZATION_FAILED).
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/apis';
import type { HeartbeatRequest, HeartbeatResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';

export default defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx) {
    if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    return { throttleTimeMs: 0, errorCode: ctx.services.groups.heartbeat(req.groupId, req.memberId, req.groupInstanceId, req.generationId) };
  },
});
