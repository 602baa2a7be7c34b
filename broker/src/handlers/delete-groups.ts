// DeleteGroups (key 42), v0–2. Only empty groups can be deleted (NON_EMPTY_GROUP otherwise); their offsets
// and metadata are tombstoned in __consumer_offsets. Needs DELETE on each group (else GROUP_AUTHORIZATION_FAILED).
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/apis';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { boundUtf8 } from '../protocol/bounded-string';

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const results = [];
    for (const groupId of req.groupsNames) {
      const allowed = ctx.authorize(AclOperation.DELETE, ResourceType.GROUP, groupId);
      results.push({ groupId: boundUtf8(groupId), errorCode: allowed ? await ctx.services.groups.deleteGroup(groupId) : ErrorCode.GROUP_AUTHORIZATION_FAILED });
    }
    return { throttleTimeMs: 0, results };
  },
});
