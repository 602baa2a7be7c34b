// SyncGroup (key 14), v0–5. The leader brings the assignment; every member waits for its own part.
// Needs READ on the group (else GROUP_AUTHORIZATION_FAILED).
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/apis';
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';

export default defineHandler<SyncGroupRequest, SyncGroupResponse>({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, req.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
    }
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
