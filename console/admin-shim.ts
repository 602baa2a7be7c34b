// TEMPORARY stand-in for admin/groups.ts
// (STRATACTL.md's contract), written by other helpers at the same time. Only console/data.ts imports this file;
// the lead deletes it at merge and points data.ts at the real modules. Minimal on purpose: no retries, no
// version fallbacks beyond what a Strata broker needs.
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode } from '../broker/src/protocol/errors';
import type {
  DescribeGroupsResponse,
  ListGroupsResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
} from '../broker/src/protocol/schema/types';
import type { ClusterClient } from '../admin/cluster-client';
import { AdminError, check } from '../admin/errors';
import { listOffsets, OffsetSpec, partitionKey } from '../admin/offsets';

export interface GroupSummary { groupId: string; state: string; protocolType: string }
export interface GroupOffset { topic: string; partition: number; committedOffset: number; latestOffset: number; lag: number | null; metadata: string | null; memberId: string | null }
export interface GroupDescription {
  groupId: string; state: string; protocolType: string; protocol: string; coordinator: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; host: string; assignment: Array<{ topic: string; partitions: number[] }> }>;
  offsets: GroupOffset[]; totalLag: number;
}
export type ResetTarget = 'earliest' | 'latest' | { offset: number } | { timestamp: number } | { shiftBy: number };

export async function listGroups(cc: ClusterClient): Promise<GroupSummary[]> {
  const out = new Map<string, GroupSummary>();
  for (const b of await cc.brokers()) {
    const c = await cc.broker(b.nodeId);
    const res = await c.request<ListGroupsResponse>(ApiKey.ListGroups, c.pickVersion(ApiKey.ListGroups, 4), { statesFilter: [], typesFilter: [] });
    check('listing groups', res.errorCode);
    for (const g of res.groups) out.set(g.groupId, { groupId: g.groupId, state: g.groupState, protocolType: g.protocolType });
  }
  return [...out.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
}

async function committed(cc: ClusterClient, groupId: string): Promise<Array<{ topic: string; partition: number; offset: number; metadata: string | null }>> {
  const c = await cc.coordinator(groupId);
  const res = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, Math.min(7, c.pickVersion(ApiKey.OffsetFetch, 7)), { groupId, topics: null, groups: [], requireStable: false });
  check(`fetching offsets of ${groupId}`, res.errorCode);
  return res.topics.flatMap((t) => t.partitions.filter((p) => p.committedOffset >= 0).map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata })));
}

export async function describeGroup(cc: ClusterClient, groupId: string): Promise<GroupDescription> {
  const c = await cc.coordinator(groupId);
  const res = await c.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, c.pickVersion(ApiKey.DescribeGroups, 5), { groups: [groupId], includeAuthorizedOperations: false });
  const g = res.groups[0]!;
  check(`describing group ${groupId}`, g.errorCode);
  const offs = await committed(cc, groupId);
  if (g.groupState === 'Dead' && offs.length === 0) throw new AdminError(`group ${groupId} does not exist`, 'not-found');
  const latest = await listOffsets(cc, offs.map((o) => ({ topic: o.topic, partition: o.partition, spec: OffsetSpec.LATEST })));
  const offsets = offs.map((o) => {
    const l = latest.get(partitionKey(o.topic, o.partition));
    const latestOffset = l && l.errorCode === ErrorCode.NONE ? l.offset : -1;
    return { topic: o.topic, partition: o.partition, committedOffset: o.offset, latestOffset, lag: latestOffset >= 0 ? Math.max(0, latestOffset - o.offset) : null, metadata: o.metadata, memberId: null };
  });
  return {
    groupId, state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData, coordinator: -1,
    members: g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, host: m.clientHost, assignment: [] })),
    offsets, totalLag: offsets.reduce((s, o) => s + (o.lag ?? 0), 0),
  };
}

export async function resetOffsets(cc: ClusterClient, groupId: string, o: { topic: string; partitions?: number[]; to: ResetTarget; dryRun?: boolean }): Promise<Array<{ topic: string; partition: number; previousOffset: number | null; newOffset: number }>> {
  const g = await describeGroup(cc, groupId).catch((e) => { if (e instanceof AdminError && e.kind === 'not-found') return null; throw e; });
  if (g && g.state !== 'Empty' && g.state !== 'Dead') throw new AdminError(`group ${groupId} is ${g.state}: stop its consumers first`, 'invalid');
  const t = await cc.topic(o.topic);
  const parts = o.partitions ?? t.partitions.map((p) => p.partition);
  const prev = new Map((g?.offsets ?? []).filter((x) => x.topic === o.topic).map((x) => [x.partition, x.committedOffset]));
  const to = o.to;
  let target: Map<number, number>;
  if (typeof to === 'object' && 'offset' in to) target = new Map(parts.map((p) => [p, to.offset]));
  else if (typeof to === 'object' && 'shiftBy' in to) target = new Map(parts.map((p) => [p, Math.max(0, (prev.get(p) ?? 0) + to.shiftBy)]));
  else {
    const spec = to === 'earliest' ? OffsetSpec.EARLIEST : to === 'latest' ? OffsetSpec.LATEST : to.timestamp;
    const r = await listOffsets(cc, parts.map((partition) => ({ topic: o.topic, partition, spec })));
    target = new Map(parts.map((p) => [p, r.get(partitionKey(o.topic, p))?.offset ?? 0]));
  }
  const result = parts.map((p) => ({ topic: o.topic, partition: p, previousOffset: prev.get(p) ?? null, newOffset: target.get(p)! }));
  if (o.dryRun) return result;
  const c = await cc.coordinator(groupId);
  const res = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, c.pickVersion(ApiKey.OffsetCommit, 8), {
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: o.topic, partitions: result.map((r) => ({ partitionIndex: r.partition, committedOffset: r.newOffset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' })) }],
  });
  for (const tp of res.topics) for (const p of tp.partitions) check(`committing ${tp.name}-${p.partitionIndex}`, p.errorCode);
  return result;
}
