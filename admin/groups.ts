// Consumer groups over the Kafka protocol, as kafka-consumer-groups.sh sees them: list (ListGroups on every
// broker), describe with members, assignments and lag (DescribeGroups and OffsetFetch at the coordinator, latest
// offsets from the partition leaders), reset committed offsets (OffsetCommit as an admin: generation -1, no
// member, only while the group is inactive) and delete (DeleteGroups). Versions are negotiated per broker, so this
// works against Apache Kafka 4.1.1 as well as Strata.
import { ApiKey } from '../broker/src/protocol/apis';
import type { KafkaClient } from '../broker/src/protocol/client';
import { assignedPartitions } from '../broker/src/coordinator/consumer-protocol';
import { ErrorCode } from '../broker/src/protocol/errors';
import type {
  ConsumerGroupDescribeResponse,
  DeleteGroupsResponse,
  DescribeGroupsResponse,
  DescribeGroupsResponseDescribedGroup,
  ListGroupsResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
} from '../broker/src/protocol/schema/types';
import { type BrokerNode, type ClusterClient, coordinatorMoved } from './cluster-client';
import { AdminError, check } from './errors';
import { listOffsets, offsetFor, OffsetSpec, partitionKey } from './offsets';

export interface GroupSummary {
  groupId: string;
  /** Empty, Stable, PreparingRebalance…; "Unknown" when the brokers predate ListGroups v4. */
  state: string;
  /** "consumer" for consumer groups, "" for groups that only commit offsets. */
  protocolType: string;
}

export interface GroupOffset {
  topic: string;
  partition: number;
  /** -1 when the partition is assigned but nothing is committed. */
  committedOffset: number;
  /** High watermark; -1 when the partition's leader did not answer. */
  latestOffset: number;
  /** latest − committed; null without a commit or a latest offset. */
  lag: number | null;
  metadata: string | null;
  /** The member the partition is assigned to, if any. */
  memberId: string | null;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  host: string;
  assignment: Array<{ topic: string; partitions: number[] }>;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  /** The assignor of a consumer group (range, cooperative-sticky…). */
  protocol: string;
  coordinator: number;
  members: GroupMember[];
  offsets: GroupOffset[];
  /** Sum of the known lags. */
  totalLag: number;
}

export type ResetTarget = 'earliest' | 'latest' | { offset: number } | { timestamp: number } | { shiftBy: number };

export interface ResetPlanEntry {
  topic: string;
  partition: number;
  previousOffset: number | null;
  newOffset: number;
}

/**
 * Every group on every broker, merged and sorted by id. `brokers`: the cluster's brokers when the caller has just
 * looked them up (Metadata), else they are asked for.
 */
export async function listGroups(cc: ClusterClient, brokers?: readonly BrokerNode[]): Promise<GroupSummary[]> {
  brokers ??= await cc.brokers();
  const lists = await Promise.all(
    brokers.map(async (b) => {
      const c = await cc.broker(b.nodeId);
      const v = c.pickVersion(ApiKey.ListGroups, 5);
      const res = await c.request<ListGroupsResponse>(ApiKey.ListGroups, v, { statesFilter: [], typesFilter: [] });
      check(`listing groups on broker ${b.nodeId}`, res.errorCode);
      return res.groups.map((g) => ({ groupId: g.groupId, state: v >= 4 ? g.groupState : 'Unknown', protocolType: g.protocolType }));
    }),
  );
  const byId = new Map(lists.flat().map((g) => [g.groupId, g]));
  return [...byId.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
}

/** A group's members, committed offsets and lag; AdminError not-found when the group does not exist. */
export async function describeGroup(cc: ClusterClient, groupId: string): Promise<GroupDescription> {
  const { coordinator, group, committed } = await cc.atCoordinator(groupId, async (c, coordinator) => {
    const [group, committed] = await Promise.all([describeState(c, groupId), fetchCommitted(c, groupId)]);
    return { coordinator, group, committed };
  });
  if (group.state === 'Dead' && committed.length === 0) throw new AdminError(`group ${groupId} does not exist`, 'not-found');
  const members = group.members;
  const assigned = members.flatMap((m) => m.assignment.flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition, memberId: m.memberId }))));
  const owner = new Map(assigned.map((a) => [partitionKey(a.topic, a.partition), a.memberId]));

  // Committed partitions and assigned ones without a commit (shown with no lag, as kafka-consumer-groups.sh does).
  const rows = new Map(committed.map((o) => [partitionKey(o.topic, o.partition), o]));
  for (const a of assigned) {
    const key = partitionKey(a.topic, a.partition);
    if (!rows.has(key)) rows.set(key, { topic: a.topic, partition: a.partition, committedOffset: -1, metadata: null });
  }
  const latest = await listOffsets(cc, [...rows.values()].map((r) => ({ topic: r.topic, partition: r.partition, spec: OffsetSpec.LATEST })), { readUncommitted: true });
  const offsets: GroupOffset[] = [...rows.entries()]
    .map(([key, r]) => {
      const l = latest.get(key);
      const latestOffset = l && l.errorCode === ErrorCode.NONE ? l.offset : -1;
      return {
        topic: r.topic,
        partition: r.partition,
        committedOffset: r.committedOffset,
        latestOffset,
        lag: r.committedOffset >= 0 && latestOffset >= 0 ? latestOffset - r.committedOffset : null,
        metadata: r.metadata,
        memberId: owner.get(key) ?? null,
      };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);

  return {
    groupId,
    state: group.state,
    protocolType: group.protocolType,
    protocol: group.protocol,
    coordinator,
    members,
    offsets,
    totalLag: offsets.reduce((sum, o) => sum + (o.lag ?? 0), 0),
  };
}

/**
 * Moves the group's committed offsets on one topic (all its partitions, or the given ones) to the target, each
 * clamped to [earliest, latest] of its partition. Refused (invalid) while the group has members, as
 * kafka-consumer-groups.sh refuses: a live consumer would overwrite the reset with its next commit.
 */
export async function resetOffsets(
  cc: ClusterClient,
  groupId: string,
  req: { topic: string; partitions?: number[]; to: ResetTarget; dryRun?: boolean },
): Promise<ResetPlanEntry[]> {
  const group = await cc.atCoordinator(groupId, (c) => describeState(c, groupId));
  if (group.state !== 'Empty' && group.state !== 'Dead') {
    throw new AdminError(
      `group ${groupId} is ${group.state} with ${group.members.length} member(s): offsets can only be reset while the group is inactive (Empty); stop its consumers first`,
      'invalid',
    );
  }
  const partitions = await partitionsToReset(cc, req.topic, req.partitions);
  const committed = new Map((await cc.atCoordinator(groupId, (c) => fetchCommitted(c, groupId, [{ topic: req.topic, partitions }]))).map((o) => [o.partition, o.committedOffset]));
  const queries = (spec: number) => partitions.map((partition) => ({ topic: req.topic, partition, spec }));
  const [earliest, latest, byTime] = await Promise.all([
    listOffsets(cc, queries(OffsetSpec.EARLIEST), { readUncommitted: true }),
    listOffsets(cc, queries(OffsetSpec.LATEST), { readUncommitted: true }),
    // A time before 1970 is the beginning (negative timestamps are ListOffsets' special specs).
    typeof req.to === 'object' && 'timestamp' in req.to ? listOffsets(cc, queries(Math.max(0, req.to.timestamp)), { readUncommitted: true }) : undefined,
  ]);

  const plan = partitions.map((partition) => {
    const low = offsetFor(earliest, req.topic, partition, 'earliest');
    const high = offsetFor(latest, req.topic, partition, 'latest');
    const previous = committed.get(partition);
    const previousOffset = previous === undefined || previous < 0 ? null : previous;
    let target: number;
    if (req.to === 'earliest') target = low;
    else if (req.to === 'latest') target = high;
    else if ('offset' in req.to) target = req.to.offset;
    else if ('timestamp' in req.to) {
      // No record at or after the time: the end of the partition (kafka-consumer-groups.sh does the same).
      const at = offsetFor(byTime!, req.topic, partition, 'timestamp');
      target = at < 0 ? high : at;
    } else {
      if (previousOffset === null) throw new AdminError(`cannot shift ${req.topic}/${partition}: the group has no committed offset there`, 'invalid');
      target = previousOffset + req.to.shiftBy;
    }
    return { topic: req.topic, partition, previousOffset, newOffset: Math.min(Math.max(target, low), high) };
  });
  if (!req.dryRun) await cc.atCoordinator(groupId, (c) => commit(c, groupId, plan));
  return plan;
}

/** Deletes an inactive group and its committed offsets. */
export async function deleteGroup(cc: ClusterClient, groupId: string): Promise<void> {
  const res = await cc.atCoordinator(groupId, async (c) => {
    const res = await c.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, c.pickVersion(ApiKey.DeleteGroups, 2), { groupsNames: [groupId] });
    const r = res.results.find((x) => x.groupId === groupId);
    // A coordinator that moved answers per group: thrown, so atCoordinator asks again.
    if (r && coordinatorMoved(r.errorCode)) check(`deleting group ${groupId}`, r.errorCode);
    return res;
  });
  const r = res.results.find((x) => x.groupId === groupId);
  if (!r) throw new AdminError(`DeleteGroups did not answer for group ${groupId}`, 'failed');
  if (r.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) throw new AdminError(`group ${groupId} does not exist`, 'not-found', r.errorCode);
  if (r.errorCode === ErrorCode.NON_EMPTY_GROUP) throw new AdminError(`group ${groupId} still has members: stop its consumers before deleting it`, 'invalid', r.errorCode);
  check(`deleting group ${groupId}`, r.errorCode);
}

interface GroupState {
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMember[];
}

/**
 * The group as its coordinator sees it; a group it does not know reads as Dead. Classic groups answer
 * DescribeGroups; groups of the KIP-848 consumer protocol (Kafka 4's group.protocol=consumer) do not, so when
 * DescribeGroups knows no such group and the coordinator has ConsumerGroupDescribe, that is asked too.
 */
async function describeState(c: KafkaClient, groupId: string): Promise<GroupState> {
  const res = await c.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, c.pickVersion(ApiKey.DescribeGroups, 5), { groups: [groupId], includeAuthorizedOperations: false });
  const g = res.groups.find((x) => x.groupId === groupId);
  if (!g) throw new AdminError(`DescribeGroups did not answer for group ${groupId}`, 'failed');
  if (g.errorCode !== ErrorCode.GROUP_ID_NOT_FOUND) check(`describing group ${groupId}`, g.errorCode);
  if (g.errorCode === ErrorCode.NONE && g.groupState !== 'Dead') return classicState(g);
  if ((await c.apiVersions()).has(ApiKey.ConsumerGroupDescribe)) {
    const cg = await describeConsumerGroup(c, groupId);
    if (cg) return cg;
  }
  return { state: 'Dead', protocolType: '', protocol: '', members: [] };
}

function classicState(g: DescribeGroupsResponseDescribedGroup): GroupState {
  return {
    state: g.groupState,
    protocolType: g.protocolType,
    protocol: g.protocolData,
    members: g.members
      .map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        host: m.clientHost,
        // Only the "consumer" embedded protocol has a known assignment format (Connect workers, e.g., have another).
        assignment: g.protocolType === 'consumer' ? sortedAssignment(assignedPartitions(m.memberAssignment) ?? []) : [],
      }))
      .sort((a, b) => a.memberId.localeCompare(b.memberId)),
  };
}

/** A KIP-848 consumer group, or undefined when there is none of that name. States are Kafka's lower-case ones. */
async function describeConsumerGroup(c: KafkaClient, groupId: string): Promise<GroupState | undefined> {
  const res = await c.request<ConsumerGroupDescribeResponse>(ApiKey.ConsumerGroupDescribe, c.pickVersion(ApiKey.ConsumerGroupDescribe, 1), { groupIds: [groupId], includeAuthorizedOperations: false });
  const g = res.groups.find((x) => x.groupId === groupId);
  if (!g || g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return undefined;
  check(`describing consumer group ${groupId}`, g.errorCode, g.errorMessage);
  if (g.groupState === 'dead') return undefined;
  return {
    // Same spelling as classic groups (Empty, Stable…), so callers compare one set of names.
    state: g.groupState.charAt(0).toUpperCase() + g.groupState.slice(1),
    protocolType: 'consumer',
    protocol: g.assignorName,
    members: g.members
      .map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId,
        clientId: m.clientId,
        host: m.clientHost,
        assignment: sortedAssignment(m.assignment.topicPartitions.map((t) => ({ topic: t.topicName, partitions: t.partitions }))),
      }))
      .sort((a, b) => a.memberId.localeCompare(b.memberId)),
  };
}

interface Committed {
  topic: string;
  partition: number;
  committedOffset: number;
  metadata: string | null;
}

/** The group's committed offsets (all of them, or of the given partitions); partitions without a commit are left out. */
async function fetchCommitted(c: KafkaClient, groupId: string, only?: Array<{ topic: string; partitions: number[] }>): Promise<Committed[]> {
  const v = c.pickVersion(ApiKey.OffsetFetch, 9);
  const topics = only?.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) ?? null;
  const res = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, v, {
    groupId,
    topics,
    groups: [{ groupId, memberId: null, memberEpoch: -1, topics }],
    requireStable: false,
  });
  let answered = res.topics;
  if (v >= 8) {
    const g = res.groups.find((x) => x.groupId === groupId);
    if (!g) throw new AdminError(`OffsetFetch did not answer for group ${groupId}`, 'failed');
    check(`fetching the committed offsets of group ${groupId}`, g.errorCode);
    answered = g.topics;
  } else if (v >= 2) {
    check(`fetching the committed offsets of group ${groupId}`, res.errorCode);
  }
  return answered.flatMap((t) =>
    t.partitions
      .filter((p) => {
        check(`committed offset of group ${groupId} on ${t.name}/${p.partitionIndex}`, p.errorCode);
        return p.committedOffset >= 0;
      })
      .map((p) => ({ topic: t.name, partition: p.partitionIndex, committedOffset: p.committedOffset, metadata: p.metadata })),
  );
}

async function partitionsToReset(cc: ClusterClient, topic: string, wanted: number[] | undefined): Promise<number[]> {
  const existing = (await cc.topic(topic)).partitions.map((p) => p.partition);
  if (!wanted || wanted.length === 0) return existing;
  const missing = wanted.filter((p) => !existing.includes(p));
  if (missing.length > 0) throw new AdminError(`topic ${topic} has no partition ${missing.join(', ')} (it has ${existing.length})`, 'not-found');
  return [...new Set(wanted)].sort((a, b) => a - b);
}

/** OffsetCommit as an admin: generation -1 and no member id, accepted by the coordinator only for an inactive group. */
async function commit(c: KafkaClient, groupId: string, plan: ResetPlanEntry[]): Promise<void> {
  if (plan.length === 0) return;
  const topic = plan[0]!.topic;
  const res = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, c.pickVersion(ApiKey.OffsetCommit, 9), {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: topic, partitions: plan.map((p) => ({ partitionIndex: p.partition, committedOffset: p.newOffset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' })) }],
  });
  for (const t of res.topics) {
    for (const p of t.partitions) {
      // A consumer joined between the state check and the commit.
      if (p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || p.errorCode === ErrorCode.ILLEGAL_GENERATION || p.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) {
        throw new AdminError(`group ${groupId} became active while its offsets were being reset; stop its consumers first`, 'invalid', p.errorCode);
      }
      check(`committing the offset of group ${groupId} on ${t.name}/${p.partitionIndex}`, p.errorCode);
    }
  }
}

/** Topics by name, partitions ascending: assignors hand them out in any order. */
function sortedAssignment(a: Array<{ topic: string; partitions: number[] }>): Array<{ topic: string; partitions: number[] }> {
  return a.map((t) => ({ topic: t.topic, partitions: [...t.partitions].sort((x, y) => x - y) })).sort((x, y) => x.topic.localeCompare(y.topic));
}
