// Tier status per partition, over the Kafka protocol only (so it also runs against Apache Kafka):
//   offsets  ListOffsets at the leader: EARLIEST (-2, the log start: the remote start when tiered), EARLIEST_LOCAL
//            (-4, KIP-405), LATEST_TIERED (-5, KIP-1005) and LATEST (-1, read_uncommitted: the log end);
//   tiered   the topic's remote.storage.enable (DescribeConfigs);
//   bytes    DescribeLogDirs at the leader: local bytes from its data dir(s), remote bytes from the "log dir" whose
//            path is a URL (s3://…, file://…), which is how a Strata broker reports its object store (the protocol
//            has no remote-size field). null when the broker reports none (Apache Kafka, or DescribeLogDirs refused).
// A broker too old for -4/-5 answers UNSUPPORTED_VERSION: the local start is then the log start and nothing counts
// as tiered. The log bounds (EARLIEST, LATEST) come from the lookup topic describe shares (offsets.ts logBounds);
// describeTopicWithTier builds both views from one lookup.
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode } from '../broker/src/protocol/errors';
import type { DescribeLogDirsResponse } from '../broker/src/protocol/schema/types';
import type { KafkaClient } from '../broker/src/protocol/client';
import type { ClusterClient, TopicMetadata } from './cluster-client';
import { topicConfigValue } from './configs';
import { AdminError, check } from './errors';
import { type LogBounds, logBounds, listOffsets, offsetFor, OffsetSpec, partitionKey, type PartitionOffset } from './offsets';
import { lookupTopic, topicDescription, type TopicDescription } from './topics';

export interface TierPartitionStatus {
  topic: string;
  partition: number;
  leader: number;
  logStartOffset: number;
  localStartOffset: number;
  /** -1: nothing tiered. */
  highestTieredOffset: number;
  logEndOffset: number;
  localBytes: number | null;
  remoteBytes: number | null;
  /** Records after the highest tiered offset (logEnd − (highestTiered + 1)); null when the topic is not tiered. */
  uploadLagRecords: number | null;
  tiered: boolean;
  /** Why the offsets are unknown (-1), e.g. the partition has no leader right now; null when they are known. */
  error: string | null;
}

/** Offsets on the leader's disk, "first–last", or null when there are none (or they are unknown). */
export function localRange(s: TierPartitionStatus): string | null {
  return s.error === null && s.localStartOffset >= 0 && s.logEndOffset > s.localStartOffset ? `${s.localStartOffset}–${s.logEndOffset - 1}` : null;
}

/** Offsets in the object store, [log start, highest tiered] as "first–last", or null when nothing is tiered. */
export function remoteRange(s: TierPartitionStatus): string | null {
  return s.error === null && s.highestTieredOffset >= 0 ? `${s.logStartOffset}–${s.highestTieredOffset}` : null;
}

const REMOTE_STORAGE_ENABLE = 'remote.storage.enable';
/** A log dir reported as a URL is an object store; a plain path is a local disk. */
const REMOTE_LOG_DIR = /^[a-z][a-z0-9+.-]*:\/\//i;

interface Sizes {
  local: number | null;
  remote: number | null;
}

/**
 * The tier status of every partition of `topics` (default: every non-internal topic), sorted by topic and
 * partition. A named topic that does not exist is an AdminError 'not-found'.
 */
export async function tierStatus(cc: ClusterClient, opts: { topics?: string[] } = {}): Promise<TierPartitionStatus[]> {
  const topics = await topicsOf(cc, opts.topics);
  if (topics.every((t) => t.partitions.length === 0)) return [];
  const [bounds, tiered] = await Promise.all([logBounds(cc, topics), tieredTopics(cc, topics.map((t) => t.name))]);
  return statusOf(cc, topics, bounds, tiered);
}

export interface TopicWithTier {
  topic: TopicDescription;
  /** null when the tier status could not be read: the topic's description is shown all the same. */
  tier: TierPartitionStatus[] | null;
}

/**
 * describeTopic and the topic's tier status from one lookup (the console's topic page): the tier status reuses
 * its Metadata, EARLIEST/LATEST offsets and configs, and adds only EARLIEST_LOCAL, LATEST_TIERED and DescribeLogDirs.
 */
export async function describeTopicWithTier(cc: ClusterClient, name: string): Promise<TopicWithTier> {
  const lookup = await lookupTopic(cc, name);
  const tiered = new Set(lookup.configs.some((c) => c.name === REMOTE_STORAGE_ENABLE && c.value === 'true') ? [name] : []);
  const tier = await statusOf(cc, [lookup.metadata], lookup.bounds, tiered).catch(() => null);
  return { topic: topicDescription(lookup), tier };
}

/** The tier status of `topics` given their (fresh) metadata, log bounds and which of them are tiered. */
async function statusOf(cc: ClusterClient, topics: TopicMetadata[], bounds: LogBounds, tiered: Set<string>): Promise<TierPartitionStatus[]> {
  const parts = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, leader: p.leader })));
  const at = (spec: number) => listOffsets(cc, parts.map(({ topic, partition }) => ({ topic, partition, spec })), { readUncommitted: true, metadata: topics });
  const [earliestLocal, latestTiered, sizes] = await Promise.all([at(OffsetSpec.EARLIEST_LOCAL), at(OffsetSpec.LATEST_TIERED), logDirSizes(cc, parts)]);
  return parts.map(({ topic, partition, leader }) => {
    const key = partitionKey(topic, partition);
    const isTiered = tiered.has(topic);
    const size = sizes.get(key);
    const known = { topic, partition, leader, tiered: isTiered, localBytes: size?.local ?? null, remoteBytes: size?.remote ?? null };
    let logStartOffset: number;
    let logEndOffset: number;
    try {
      logStartOffset = offsetFor(bounds.earliest, topic, partition, 'log start');
      logEndOffset = offsetFor(bounds.latest, topic, partition, 'log end');
    } catch (err) {
      // One partition without a leader (or otherwise unreadable) must not hide the others: it gets a row that says why.
      const e = AdminError.from(err);
      if (e.kind !== 'unavailable') throw e;
      return { ...known, logStartOffset: -1, localStartOffset: -1, highestTieredOffset: -1, logEndOffset: -1, uploadLagRecords: null, error: e.message };
    }
    const localStartOffset = optionalOffset(earliestLocal.get(key)) ?? logStartOffset;
    const highestTieredOffset = optionalOffset(latestTiered.get(key)) ?? -1;
    return {
      ...known,
      logStartOffset,
      localStartOffset,
      highestTieredOffset,
      logEndOffset,
      uploadLagRecords: isTiered ? logEndOffset - (highestTieredOffset + 1) : null,
      error: null,
    };
  });
}

async function topicsOf(cc: ClusterClient, names: string[] | undefined): Promise<TopicMetadata[]> {
  if (!names || names.length === 0) return (await cc.metadata()).topics.filter((t) => !t.isInternal);
  const md = await cc.metadata([...new Set(names)]);
  for (const t of md.topics) {
    if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new AdminError(`topic ${t.name} does not exist`, 'not-found', t.errorCode);
    check(`metadata of topic ${t.name}`, t.errorCode);
  }
  return md.topics;
}

/** A KIP-405 offset (-4, -5): null when the broker does not know the spec (older than Kafka 3.4 / 3.8). */
function optionalOffset(r: PartitionOffset | undefined): number | null {
  if (!r || r.errorCode === ErrorCode.UNSUPPORTED_VERSION) return null;
  check(`offset ${r.spec} of ${partitionKey(r.topic, r.partition)}`, r.errorCode);
  return r.offset;
}

/** Topics whose remote.storage.enable is true (a broker that does not know the key has none). */
async function tieredTopics(cc: ClusterClient, topics: string[]): Promise<Set<string>> {
  const values = await topicConfigValue(cc, topics, REMOTE_STORAGE_ENABLE);
  return new Set(topics.filter((t) => values.get(t) === 'true'));
}

/** Local and remote bytes of each partition as its leader reports them (DescribeLogDirs), keyed by partitionKey. */
async function logDirSizes(cc: ClusterClient, parts: Array<{ topic: string; partition: number; leader: number }>): Promise<Map<string, Sizes>> {
  const byLeader = new Map<number, Map<string, number[]>>();
  for (const p of parts) {
    if (p.leader < 0) continue;
    const topics = byLeader.get(p.leader) ?? new Map<string, number[]>();
    byLeader.set(p.leader, topics);
    topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  }
  const sizes = new Map<string, Sizes>();
  await Promise.all(
    [...byLeader].map(async ([leader, topics]) => {
      const res = await describeLogDirs(cc, leader, topics);
      for (const dir of res?.results ?? []) {
        if (dir.errorCode !== ErrorCode.NONE) continue; // an offline disk: its partitions are not reported
        const field: keyof Sizes = REMOTE_LOG_DIR.test(dir.logDir) ? 'remote' : 'local';
        for (const t of dir.topics) {
          for (const p of t.partitions) {
            // Only partitions this broker leads: a future (moving) replica is not the partition's size.
            if (p.isFutureKey || !topics.get(t.name)?.includes(p.partitionIndex)) continue;
            const key = partitionKey(t.name, p.partitionIndex);
            const s = sizes.get(key) ?? { local: null, remote: null };
            s[field] = (s[field] ?? 0) + p.partitionSize;
            sizes.set(key, s);
          }
        }
      }
    }),
  );
  return sizes;
}

/** null when the broker cannot or will not describe its log dirs (no API, or no DESCRIBE on the cluster). */
async function describeLogDirs(cc: ClusterClient, nodeId: number, topics: Map<string, number[]>): Promise<DescribeLogDirsResponse | null> {
  let c: KafkaClient;
  try {
    c = await cc.broker(nodeId);
  } catch (err) {
    if (AdminError.from(err).kind === 'unavailable') return null; // a broker that is down has no sizes to report
    throw err;
  }
  let version: number;
  try {
    version = c.pickVersion(ApiKey.DescribeLogDirs, 4);
  } catch {
    return null;
  }
  const res = await c.request<DescribeLogDirsResponse>(ApiKey.DescribeLogDirs, version, {
    topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
  });
  if (version >= 3 && res.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) return null;
  if (version >= 3) check(`log dirs of broker ${nodeId}`, res.errorCode);
  return res;
}
