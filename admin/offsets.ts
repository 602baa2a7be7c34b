// ListOffsets for many partitions at once: grouped by leader (one request per broker), retried once after a
// metadata refresh when a leader moved. Used by topic describe, group lag, consume-from-timestamp and tier status.
// A caller that has just looked the topics up passes that metadata, so the first attempt sends no Metadata request.
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode } from '../broker/src/protocol/errors';
import type { ListOffsetsResponse } from '../broker/src/protocol/schema/types';
import type { ClusterClient, TopicMetadata } from './cluster-client';
import { AdminError, check } from './errors';

/** Special ListOffsets timestamps (any other value ≥ 0 is a timestamp in ms). */
export const OffsetSpec = {
  LATEST: -1,
  EARLIEST: -2,
  /** Offset of the record with the largest timestamp (v7+). */
  MAX_TIMESTAMP: -3,
  /** First offset still on the leader's local disk (KIP-405, v8+). */
  EARLIEST_LOCAL: -4,
  /** Highest offset copied to remote storage, -1 when none (KIP-1005, v9+). */
  LATEST_TIERED: -5,
} as const;

const MIN_VERSION_FOR_SPEC = new Map<number, number>([
  [OffsetSpec.MAX_TIMESTAMP, 7],
  [OffsetSpec.EARLIEST_LOCAL, 8],
  [OffsetSpec.LATEST_TIERED, 9],
]);

export interface OffsetQuery {
  topic: string;
  partition: number;
  /** An OffsetSpec value or a timestamp in ms. */
  spec: number;
}

export interface PartitionOffset extends OffsetQuery {
  /** NONE, or why there is no answer (e.g. LEADER_NOT_AVAILABLE, UNSUPPORTED_VERSION). */
  errorCode: number;
  /** -1 when no record matches (a timestamp after the last record). */
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/**
 * The offset listOffsets answered for one partition; throws an AdminError naming `what` when there is no answer
 * or the answer is an error (classified by its code: a leader that cannot answer is 'unavailable').
 */
export function offsetFor(results: ReadonlyMap<string, PartitionOffset>, topic: string, partition: number, what: string): number {
  const r = results.get(partitionKey(topic, partition));
  if (!r) throw new AdminError(`no ${what} offset for ${partitionKey(topic, partition)}`, 'unavailable');
  check(`${what} offset of ${partitionKey(topic, partition)}`, r.errorCode);
  return r.offset;
}

export interface ListOffsetsOptions {
  readUncommitted?: boolean;
  /**
   * Metadata of every queried topic that the caller has just fetched: the first attempt finds the leaders there
   * instead of asking Metadata again (the retry after a moved leader still refreshes it).
   */
  metadata?: readonly TopicMetadata[];
}

/**
 * Answers every query, keyed by partitionKey(topic, partition) (so one spec per partition per call).
 * READ_COMMITTED by default: LATEST is then the last stable offset, what a consumer can read.
 */
export async function listOffsets(cc: ClusterClient, queries: OffsetQuery[], opts: ListOffsetsOptions = {}): Promise<Map<string, PartitionOffset>> {
  const results = new Map<string, PartitionOffset>();
  let pending = queries;
  for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
    const retry: OffsetQuery[] = [];
    const topics = attempt === 0 && opts.metadata ? opts.metadata : (await cc.metadata([...new Set(pending.map((q) => q.topic))])).topics;
    const leaderOf = new Map(topics.flatMap((t) => t.partitions.map((p) => [partitionKey(t.name, p.partition), p.leader] as const)));
    const byLeader = new Map<number, OffsetQuery[]>();
    for (const q of pending) {
      const leader = leaderOf.get(partitionKey(q.topic, q.partition));
      if (leader === undefined) results.set(partitionKey(q.topic, q.partition), failed(q, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
      else if (leader < 0) results.set(partitionKey(q.topic, q.partition), failed(q, ErrorCode.LEADER_NOT_AVAILABLE));
      else byLeader.set(leader, [...(byLeader.get(leader) ?? []), q]);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, qs]) => {
        for (const r of await askLeader(cc, leader, qs, opts.readUncommitted ?? false).catch((err) => unreachable(err, qs))) {
          if (attempt === 0 && (r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || r.errorCode === ErrorCode.LEADER_NOT_AVAILABLE)) retry.push(r);
          else results.set(partitionKey(r.topic, r.partition), r);
        }
      }),
    );
    pending = retry.map(({ topic, partition, spec }) => ({ topic, partition, spec }));
  }
  return results;
}

/** Each partition's log start and end as a reader without a transaction sees them. */
export interface LogBounds {
  /** EARLIEST: the log start offset. */
  earliest: Map<string, PartitionOffset>;
  /** LATEST read_uncommitted: the log end (high watermark). */
  latest: Map<string, PartitionOffset>;
}

/**
 * The log start and end of every partition of `topics` (metadata the caller has just fetched, so no Metadata
 * request is sent): the one lookup topic describe and tier status share.
 */
export async function logBounds(cc: ClusterClient, topics: readonly TopicMetadata[]): Promise<LogBounds> {
  const at = (spec: number) =>
    listOffsets(
      cc,
      topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition, spec }))),
      { readUncommitted: true, metadata: topics },
    );
  const [earliest, latest] = await Promise.all([at(OffsetSpec.EARLIEST), at(OffsetSpec.LATEST)]);
  return { earliest, latest };
}

async function askLeader(cc: ClusterClient, leader: number, qs: OffsetQuery[], readUncommitted: boolean): Promise<PartitionOffset[]> {
  const c = await cc.broker(leader);
  const version = c.pickVersion(ApiKey.ListOffsets, 10);
  const unsupported = qs.filter((q) => (MIN_VERSION_FOR_SPEC.get(q.spec) ?? 0) > version).map((q) => failed(q, ErrorCode.UNSUPPORTED_VERSION));
  const asked = qs.filter((q) => (MIN_VERSION_FOR_SPEC.get(q.spec) ?? 0) <= version);
  if (asked.length === 0) return unsupported;
  const topics = new Map<string, OffsetQuery[]>();
  for (const q of asked) topics.set(q.topic, [...(topics.get(q.topic) ?? []), q]);
  const res = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, version, {
    replicaId: -1,
    isolationLevel: readUncommitted ? 0 : 1,
    timeoutMs: 30_000,
    topics: [...topics].map(([name, ps]) => ({ name, partitions: ps.map((q) => ({ partitionIndex: q.partition, currentLeaderEpoch: -1, timestamp: q.spec, maxNumOffsets: 1 })) })),
  });
  const specOf = new Map(asked.map((q) => [partitionKey(q.topic, q.partition), q.spec]));
  const answered = res.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.name,
      partition: p.partitionIndex,
      spec: specOf.get(partitionKey(t.name, p.partitionIndex)) ?? OffsetSpec.LATEST,
      errorCode: p.errorCode,
      offset: version === 0 ? (p.oldStyleOffsets[0] ?? -1) : p.offset,
      timestamp: p.timestamp,
      leaderEpoch: p.leaderEpoch,
    })),
  );
  return [...unsupported, ...answered];
}

/** A leader that cannot be reached answers for none of its partitions: like a moved leader, asked again once. */
function unreachable(err: unknown, qs: OffsetQuery[]): PartitionOffset[] {
  if (AdminError.from(err).kind !== 'unavailable') throw err;
  return qs.map((q) => failed(q, ErrorCode.NOT_LEADER_OR_FOLLOWER));
}

function failed(q: OffsetQuery, errorCode: number): PartitionOffset {
  return { ...q, errorCode, offset: -1, timestamp: -1, leaderEpoch: -1 };
}
