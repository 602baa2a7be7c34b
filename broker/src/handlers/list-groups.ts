// ListGroups (key 16), v0–5. States filter (v4+, KIP-518) and types filter (v5+, KIP-848; every group here is "classic").
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { ListGroupsRequest, ListGroupsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';

const GROUP_TYPE = 'classic';

export default defineHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const { groups } = ctx.services;
    if (!groups.isLoaded) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(req.typesFilter.map((t) => t.toLowerCase()));
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      groups: groups
        .list()
        .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has(GROUP_TYPE)))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: GROUP_TYPE })),
    };
  },
});
