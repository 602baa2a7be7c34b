// Topics: list and describe them from Metadata (plus ListOffsets for each partition's offset range and
// DescribeConfigs for its configs; lookupTopic is exported so the console's topic page can reuse the lookups), create, grow and delete them. CreateTopics, CreatePartitions and
// DeleteTopics may go to any broker (Kafka forwards them to the controller; Strata applies them itself).
import { ApiKey } from '../broker/src/protocol/apis';
import { ZERO_UUID } from '../broker/src/protocol/codec';
import { ErrorCode } from '../broker/src/protocol/errors';
import type { CreatePartitionsResponse, CreateTopicsResponse, DeleteTopicsResponse } from '../broker/src/protocol/schema/types';
import type { ClusterClient, ClusterMetadata, PartitionMetadata, TopicMetadata } from './cluster-client';
import { type ConfigEntry, describeConfigs } from './configs';
import { AdminError, check } from './errors';
import { type LogBounds, logBounds, partitionKey, type PartitionOffset } from './offsets';

export interface TopicSummary {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: number;
  replicationFactor: number;
  underReplicatedPartitions: number;
  offlinePartitions: number;
}

export interface PartitionDescription {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  /** -1 when the partition's leader could not answer (offline). */
  earliestOffset: number;
  /** The high watermark (read_uncommitted LATEST); -1 when the leader could not answer. */
  latestOffset: number;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionDescription[];
  configs: ConfigEntry[];
}

export interface NewTopic {
  name: string;
  /** Omitted: the cluster's num.partitions. */
  partitions?: number;
  /** Omitted: the cluster's default.replication.factor. */
  replicationFactor?: number;
  configs?: Record<string, string>;
  /** Only check that the cluster would create it. */
  validateOnly?: boolean;
}

/** Requests wait this long for the controller before answering REQUEST_TIMED_OUT. */
const OPERATION_TIMEOUT_MS = 30_000;
/** CreateTopics' "use the broker default" for partitions and replication factor (v4+, KIP-464). */
const BROKER_DEFAULT = -1;

/** Every topic (internal ones such as __consumer_offsets only when asked), sorted by name. */
export async function listTopics(cc: ClusterClient, opts: { includeInternal?: boolean } = {}): Promise<TopicSummary[]> {
  return topicSummaries(await cc.metadata(), opts);
}

/** listTopics from metadata the caller already has (of every topic), so a page needing both asks Metadata once. */
export function topicSummaries(md: ClusterMetadata, opts: { includeInternal?: boolean } = {}): TopicSummary[] {
  return md.topics.filter((t) => opts.includeInternal || !t.isInternal).map(summarize);
}

export function summarize(t: TopicMetadata): TopicSummary {
  return {
    name: t.name,
    topicId: t.topicId,
    isInternal: t.isInternal,
    partitions: t.partitions.length,
    replicationFactor: Math.max(0, ...t.partitions.map((p) => p.replicas.length)),
    underReplicatedPartitions: t.partitions.filter(isUnderReplicated).length,
    offlinePartitions: t.partitions.filter(isOffline).length,
  };
}

export function isUnderReplicated(p: PartitionMetadata): boolean {
  return p.isr.length < p.replicas.length;
}

export function isOffline(p: PartitionMetadata): boolean {
  return p.leader < 0;
}

/** What describing a topic looks up: its metadata, its partitions' log bounds and its configs. */
export interface TopicLookup {
  metadata: TopicMetadata;
  bounds: LogBounds;
  configs: ConfigEntry[];
}

/** A topic's partitions (leaders, replicas, offset ranges) and configs; not-found when it does not exist. */
export async function describeTopic(cc: ClusterClient, name: string): Promise<TopicDescription> {
  return topicDescription(await lookupTopic(cc, name));
}

/** One Metadata request, then EARLIEST and LATEST offsets and DescribeConfigs; not-found when the topic does not exist. */
export async function lookupTopic(cc: ClusterClient, name: string): Promise<TopicLookup> {
  const metadata = await cc.topic(name);
  const [bounds, configs] = await Promise.all([logBounds(cc, [metadata]), describeConfigs(cc, { type: 'topic', name })]);
  return { metadata, bounds, configs };
}

export function topicDescription({ metadata: t, bounds, configs }: TopicLookup): TopicDescription {
  const offset = (m: Map<string, PartitionOffset>, partition: number) => {
    const r = m.get(partitionKey(t.name, partition));
    return r && r.errorCode === ErrorCode.NONE ? r.offset : -1;
  };
  return {
    name: t.name,
    topicId: t.topicId,
    isInternal: t.isInternal,
    partitions: t.partitions.map((p) => ({
      partition: p.partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicas,
      isr: p.isr,
      offlineReplicas: p.offlineReplicas,
      earliestOffset: offset(bounds.earliest, p.partition),
      latestOffset: offset(bounds.latest, p.partition),
    })),
    configs,
  };
}

/** Creates a topic; exists when it already does, invalid when the cluster refuses its values. */
export async function createTopic(cc: ClusterClient, topic: NewTopic): Promise<void> {
  const c = await cc.any();
  const v = c.pickVersion(ApiKey.CreateTopics, 7);
  if (v < 4 && (topic.partitions === undefined || topic.replicationFactor === undefined)) {
    throw new AdminError(`the broker's CreateTopics v${v} needs the partition count and replication factor given`, 'usage');
  }
  const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, v, {
    topics: [
      {
        name: topic.name,
        numPartitions: topic.partitions ?? BROKER_DEFAULT,
        replicationFactor: topic.replicationFactor ?? BROKER_DEFAULT,
        assignments: [],
        configs: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
      },
    ],
    timeoutMs: OPERATION_TIMEOUT_MS,
    validateOnly: topic.validateOnly ?? false,
  });
  const r = res.topics.find((x) => x.name === topic.name) ?? res.topics[0];
  if (!r) throw new AdminError(`creating topic ${topic.name}: the broker returned no result`);
  check(`creating topic ${topic.name}`, r.errorCode, r.errorMessage);
}

/** Grows a topic to totalCount partitions; invalid when that is not more than it has. */
export async function addPartitions(cc: ClusterClient, name: string, totalCount: number): Promise<void> {
  const c = await cc.any();
  const res = await c.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, c.pickVersion(ApiKey.CreatePartitions, 3), {
    topics: [{ name, count: totalCount, assignments: null }],
    timeoutMs: OPERATION_TIMEOUT_MS,
    validateOnly: false,
  });
  const r = res.results[0];
  if (!r) throw new AdminError(`growing topic ${name}: the broker returned no result`);
  check(`growing topic ${name} to ${totalCount} partitions`, r.errorCode, r.errorMessage);
}

/** Deletes a topic by name; not-found when it does not exist. */
export async function deleteTopic(cc: ClusterClient, name: string): Promise<void> {
  const c = await cc.any();
  const v = c.pickVersion(ApiKey.DeleteTopics, 6);
  const res = await c.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, v, {
    topics: v >= 6 ? [{ name, topicId: ZERO_UUID }] : [],
    topicNames: v >= 6 ? [] : [name],
    timeoutMs: OPERATION_TIMEOUT_MS,
  });
  const r = res.responses[0];
  if (!r) throw new AdminError(`deleting topic ${name}: the broker returned no result`);
  check(`deleting topic ${name}`, r.errorCode, r.errorMessage);
}
