// SyncGroup (key 14), v0–5. The leader brings the assignment; every member waits for its own part.
import { ApiKey } from '../protocol/apis';
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';

export default defineHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const r = await ctx.services.groups.sync({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocolName: req.protocolName,
      assignments: req.assignments,
    });
    return { throttleTimeMs: 0, errorCode: r.errorCode, protocolType: r.protocolType, protocolName: r.protocolName, assignment: r.assignment };
  },
});
