// DeleteGroups (key 42), v0–2. Only empty groups can be deleted (NON_EMPTY_GROUP otherwise); their offsets
// and metadata are tombstoned in __consumer_offsets.
import { ApiKey } from '../protocol/apis';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { boundUtf8 } from '../protocol/bounded-string';

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const results = [];
    for (const groupId of req.groupsNames) results.push({ groupId: boundUtf8(groupId), errorCode: await ctx.services.groups.deleteGroup(groupId) });
    return { throttleTimeMs: 0, results };
  },
});
