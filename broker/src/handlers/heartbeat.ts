// Heartbeat (key 12), v0–4. Keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
import { ApiKey } from '../protocol/apis';
import type { HeartbeatRequest, HeartbeatResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';

export default defineHandler<HeartbeatRequest, HeartbeatResponse>({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx) {
    return { throttleTimeMs: 0, errorCode: ctx.services.groups.heartbeat(req.groupId, req.memberId, req.groupInstanceId, req.generationId) };
  },
});
