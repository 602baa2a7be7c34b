// ListGroups (key 16), v0–5. States filter (v4+, KIP-518) and types filter (v5+, KIP-848; every group here is "classic").
// Lists the groups this broker coordinates (of the __consumer_offsets partitions it leads), as each Kafka broker does;
// COORDINATOR_LOAD_IN_PROGRESS while one of those partitions is loading.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { ListGroupsRequest, ListGroupsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';

const GROUP_TYPE = 'classic';

export default defineHandler<ListGroupsRequest, ListGroupsResponse>({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const { groups } = ctx.services;
    if (groups.isLoading) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(req.typesFilter.map((t) => t.toLowerCase()));
    // As Kafka: DESCRIBE on the cluster lists every group, else only the groups the principal may describe.
    const all = ctx.authorize(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME, false);
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      groups: groups
        .list()
        .filter((g) => (states.size === 0 || states.has(g.state.toLowerCase())) && (types.size === 0 || types.has(GROUP_TYPE)))
        .filter((g) => all || ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, g.groupId, false))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: GROUP_TYPE })),
    };
  },
});
