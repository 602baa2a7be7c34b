// Reading and writing records over the Kafka protocol, for stratactl topic consume/produce and the console's
// message browser. Reading fetches from each partition's leader in bounded steps (never a whole topic in
// memory) and stops, unless following, at the end offset seen when it started (like kcat -e); read_committed
// by default, dropping aborted transactions as Kafka's consumers do. Writing groups records per partition
// leader, placing keyed records with Kafka's default partitioner so they land where Java clients put them, and
// (with acks=all) as an idempotent producer, so a request whose answer was lost is resent without duplicates.
import { sleep, systemClock } from '../broker/src/clock';
import { ApiKey } from '../broker/src/protocol/apis';
import '../broker/src/protocol/compression'; // registers the codecs: compressed batches decode and encode
import { ErrorCode, errorName } from '../broker/src/protocol/errors';
import { buildRecordBatchAsync, Compression, decodeBatches, wholeBatches, type CompressionType, type DecodedBatch, type RecordTimestampType } from '../broker/src/protocol/records';
import type { FetchResponse, FetchResponsePartitionData, ProduceResponse } from '../broker/src/protocol/schema/types';
import type { KafkaClient } from '../broker/src/protocol/client';
import type { ClusterClient, TopicMetadata } from './cluster-client';
import { AdminError, check, kindOfCode } from './errors';
import { listOffsets, offsetFor, OffsetSpec } from './offsets';
import { IdempotentProducer, type ProducerIdentity } from './idempotent-producer';
import { partitionForKey } from './partitioner';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  timestampType: RecordTimestampType;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
  leaderEpoch: number;
}

/** Where reading starts in every partition read. */
export type StartAt = { offset: number } | { timestamp: number } | 'beginning' | 'end' | { fromEnd: number /* last N */ };

export type Isolation = 'read_committed' | 'read_uncommitted';

export interface ReadOptions {
  topic: string;
  /** Partitions to read (default: all). */
  partitions?: number[];
  start: StartAt;
  /** Stop after this many records in total. */
  limit?: number;
  /** Longest a fetch waits for new records (default 500 ms, Kafka's fetch.max.wait.ms). */
  maxWaitMs?: number;
  /** Keep reading new records as they arrive instead of stopping at the end offset seen at the start. */
  follow?: boolean;
  isolation?: Isolation;
  /** Ends the iteration (after the fetch in flight). */
  signal?: AbortSignal;
  /**
   * Following all partitions: how often metadata is read again to pick up partitions added meanwhile, which are
   * read from their beginning (default 5 s; Kafka's consumers use metadata.max.age.ms, 5 min, but a person
   * watching a topic wants to see a new partition's records soon).
   */
  metadataRefreshMs?: number;
}

// Per fetch: at most this much per partition and per response (Kafka still returns a larger first batch whole,
// so progress is made), which bounds what one read holds in memory.
const PARTITION_MAX_BYTES = 1 << 20;
const FETCH_MAX_BYTES = 1 << 20;
// Fetch v12: the last version addressing topics by name (v13+ need topic ids); Kafka 4.x accepts 4-17.
const FETCH_VERSION = 12;
// Produce v11 is our schemas' highest; Kafka 4.x accepts 3-12.
const PRODUCE_VERSION = 11;
/**
 * Retriable failures tolerated in a row for one partition before giving up: 120 × 250 ms, about 30 s, covers a
 * leader's death, its fencing after the session timeout and the election (Kafka clients wait up to
 * delivery.timeout.ms, 2 min).
 */
const MAX_RETRIES = 120;
const RETRY_BACKOFF_MS = 250;
/** Empty answers in a row for a partition below its end offset before it is treated as read (not following). */
const MAX_EMPTY_FETCHES = 10;
const METADATA_REFRESH_MS = 5_000;

/** Errors after which the partition's leader is looked up again and the fetch or produce retried. */
const RETRIABLE = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NOT_ENOUGH_REPLICAS,
]);

/** The read state of one partition. */
interface Cursor {
  partition: number;
  next: number;
  /** Stop before this offset; Infinity when following. */
  stop: number;
  leader: number;
  retries: number;
  empties: number;
  /** read_committed: aborted transactions not reached yet, by first offset; producers whose records are skipped. */
  aborted: Array<{ producerId: number; firstOffset: number }>;
  skipping: Set<number>;
}

/**
 * Reads records of one topic, partition by partition in offset order (partitions interleaved), until `limit`
 * records, or (without `follow`) every partition reached the end offset it had when reading started: the high
 * watermark, or for read_committed the last stable offset. Throws AdminError (not-found for a missing topic or
 * partition).
 */
export async function* readRecords(cc: ClusterClient, opts: ReadOptions): AsyncIterable<ConsumedRecord> {
  const isolation = opts.isolation ?? 'read_committed';
  const readUncommitted = isolation === 'read_uncommitted';
  const md = await cc.topic(opts.topic);
  const partitions = selectPartitions(md, opts.partitions);
  const cursors = await startCursors(cc, md, partitions, opts.start, readUncommitted, opts.follow ?? false);
  let remaining = opts.limit ?? Infinity;
  let round = 0;
  // Only a follow of the whole topic grows with it; an explicit partition list stays what was asked for.
  const discover = (opts.follow ?? false) && !opts.partitions?.length;
  let refreshedAt = systemClock.now();
  while (remaining > 0 && !opts.signal?.aborted) {
    if (discover && systemClock.now() - refreshedAt >= (opts.metadataRefreshMs ?? METADATA_REFRESH_MS)) {
      refreshedAt = systemClock.now();
      await addNewPartitions(cc, opts.topic, cursors);
    }
    const active = cursors.filter((c) => c.next < c.stop);
    if (active.length === 0) return;
    // Rotate the order so that no partition is always last in a response that the size limit cuts.
    const rotated = active.map((_, i) => active[(i + round) % active.length]!);
    round++;
    const byLeader = new Map<number, Cursor[]>();
    for (const c of rotated) byLeader.set(c.leader, [...(byLeader.get(c.leader) ?? []), c]);
    const answers = await Promise.all([...byLeader].map(([leader, cs]) => fetchFrom(cc, opts.topic, leader, cs, isolation, opts.maxWaitMs ?? 500)));
    let refresh = false;
    for (const answer of answers) {
      for (const { cursor, data } of answer) {
        if (data.errorCode !== ErrorCode.NONE) {
          refresh = (await recover(cc, opts.topic, cursor, data.errorCode, readUncommitted)) || refresh;
          continue;
        }
        cursor.retries = 0;
        for (const r of await takeRecords(opts.topic, cursor, data)) {
          if (remaining <= 0 || opts.signal?.aborted) return;
          remaining--;
          yield r;
        }
      }
    }
    if (refresh) await refreshLeaders(cc, opts.topic, cursors);
  }
}

function selectPartitions(md: TopicMetadata, wanted: number[] | undefined): TopicMetadata['partitions'] {
  if (wanted === undefined || wanted.length === 0) return md.partitions;
  return [...new Set(wanted)].map((p) => {
    const found = md.partitions.find((x) => x.partition === p);
    if (!found) throw new AdminError(`topic ${md.name} has no partition ${p} (it has ${md.partitions.length})`, 'not-found');
    return found;
  });
}

/** Start and stop offsets of every partition, from at most three ListOffsets rounds. */
async function startCursors(
  cc: ClusterClient,
  md: TopicMetadata,
  partitions: TopicMetadata['partitions'],
  start: StartAt,
  readUncommitted: boolean,
  follow: boolean,
): Promise<Cursor[]> {
  const query = async (spec: number, what: string) => {
    const res = await listOffsets(cc, partitions.map((p) => ({ topic: md.name, partition: p.partition, spec })), { readUncommitted });
    return (partition: number): number => offsetFor(res, md.name, partition, what);
  };
  const latest = await query(OffsetSpec.LATEST, 'latest');
  const earliest = start === 'beginning' || typeof start === 'object' ? await query(OffsetSpec.EARLIEST, 'earliest') : undefined;
  const byTime = typeof start === 'object' && 'timestamp' in start ? await query(start.timestamp, 'timestamp') : undefined;
  return partitions.map((p) => {
    const end = latest(p.partition);
    let next: number;
    if (start === 'beginning') next = earliest!(p.partition);
    else if (start === 'end') next = end;
    else if ('offset' in start) next = Math.min(Math.max(start.offset, earliest!(p.partition)), end);
    else if ('fromEnd' in start) next = Math.max(earliest!(p.partition), end - start.fromEnd);
    else {
      const found = byTime!(p.partition);
      next = found < 0 ? end : found; // no record at or after the timestamp: start at the end
    }
    return newCursor(p.partition, p.leader, next, follow ? Infinity : end);
  });
}

async function fetchFrom(
  cc: ClusterClient,
  topic: string,
  leader: number,
  cursors: Cursor[],
  isolation: Isolation,
  maxWaitMs: number,
): Promise<Array<{ cursor: Cursor; data: FetchResponsePartitionData }>> {
  const failAll = (errorCode: number) => cursors.map((cursor) => ({ cursor, data: { errorCode } as FetchResponsePartitionData }));
  if (leader < 0) return failAll(ErrorCode.LEADER_NOT_AVAILABLE);
  let res: FetchResponse;
  try {
    const c = await cc.broker(leader);
    res = await c.request<FetchResponse>(ApiKey.Fetch, c.pickVersion(ApiKey.Fetch, FETCH_VERSION), {
      replicaId: -1,
      maxWaitMs,
      minBytes: 1,
      maxBytes: FETCH_MAX_BYTES,
      isolationLevel: isolation === 'read_committed' ? 1 : 0,
      sessionId: 0,
      sessionEpoch: -1, // no fetch session: every request names its partitions
      topics: [{ topic, partitions: cursors.map((cur) => ({ partition: cur.partition, currentLeaderEpoch: -1, fetchOffset: cur.next, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: PARTITION_MAX_BYTES })) }],
      forgottenTopicsData: [],
      rackId: '',
    });
  } catch (err) {
    const e = AdminError.from(err);
    if (e.kind !== 'unavailable') throw e;
    return failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER); // the broker went away: look the leader up again
  }
  check(`fetching from ${topic}`, res.errorCode);
  const byPartition = new Map(res.responses.filter((t) => t.topic === topic).flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p] as const)));
  return cursors.map((cursor) => ({ cursor, data: byPartition.get(cursor.partition) ?? ({ errorCode: ErrorCode.NONE, records: null } as FetchResponsePartitionData) }));
}

/** Decodes one partition's answer, advances its cursor and returns the records to show. */
async function takeRecords(topic: string, cursor: Cursor, data: FetchResponsePartitionData): Promise<ConsumedRecord[]> {
  const raw = Array.isArray(data.records) ? Buffer.concat(data.records) : (data.records ?? Buffer.alloc(0));
  const { records: whole } = wholeBatches(raw, cursor.next);
  if (whole.length === 0) {
    // Nothing readable yet; when not following, a partition that keeps answering nothing below its end offset
    // (e.g. only aborted or deleted records left) counts as read.
    if (cursor.stop !== Infinity && ++cursor.empties >= MAX_EMPTY_FETCHES) cursor.next = cursor.stop;
    return [];
  }
  cursor.empties = 0;
  for (const t of data.abortedTransactions ?? []) cursor.aborted.push({ producerId: t.producerId, firstOffset: t.firstOffset });
  cursor.aborted.sort((a, b) => a.firstOffset - b.firstOffset);
  const out: ConsumedRecord[] = [];
  for (const batch of await decodeBatches(whole)) {
    const h = batch.header;
    const last = h.baseOffset + h.lastOffsetDelta;
    if (last < cursor.next) continue; // a batch before the fetch offset (Kafka returns whole batches)
    if (!dropped(cursor, batch)) {
      for (const r of batch.records) {
        if (r.offset < cursor.next || r.offset >= cursor.stop) continue;
        out.push({ topic, partition: cursor.partition, offset: r.offset, timestamp: r.timestamp, timestampType: h.timestampType, key: r.key, value: r.value, headers: r.headers, leaderEpoch: h.partitionLeaderEpoch });
      }
    }
    cursor.next = last + 1;
  }
  return out;
}

/**
 * Whether a batch is not shown: control batches (transaction markers) never are; under read_committed a
 * transactional batch is dropped when its producer has an aborted transaction that began at or before it,
 * until that producer's ABORT marker (what Kafka's Java consumer does with the fetch's abortedTransactions).
 */
function dropped(cursor: Cursor, batch: DecodedBatch): boolean {
  const h = batch.header;
  if (h.isTransactional && !h.isControl) {
    while (cursor.aborted.length > 0 && cursor.aborted[0]!.firstOffset <= h.baseOffset) cursor.skipping.add(cursor.aborted.shift()!.producerId);
  }
  if (h.isControl) {
    const key = batch.records[0]?.key;
    if (key && key.length >= 4 && key.readInt16BE(2) === CONTROL_ABORT) cursor.skipping.delete(h.producerId);
    return true;
  }
  return h.isTransactional && cursor.skipping.has(h.producerId);
}

/** ControlRecordType ABORT: the key of an abort marker is {version int16, type int16 = 0}. */
const CONTROL_ABORT = 0;

/** Handles a partition's fetch error; returns whether leaders must be looked up again. Throws when it cannot go on. */
async function recover(cc: ClusterClient, topic: string, cursor: Cursor, errorCode: number, readUncommitted: boolean): Promise<boolean> {
  if (errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
    // Records were deleted under us (retention) or the offset is past the end: go on from the nearest valid offset.
    const offsetOf = async (spec: number, what: string): Promise<number> =>
      offsetFor(await listOffsets(cc, [{ topic, partition: cursor.partition, spec }], { readUncommitted }), topic, cursor.partition, what);
    const earliest = await offsetOf(OffsetSpec.EARLIEST, 'earliest');
    cursor.next = cursor.next < earliest ? earliest : await offsetOf(OffsetSpec.LATEST, 'latest');
    return false;
  }
  if (RETRIABLE.has(errorCode) && cursor.retries++ < MAX_RETRIES) {
    await sleep(systemClock, RETRY_BACKOFF_MS);
    return true;
  }
  if (errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || errorCode === ErrorCode.UNKNOWN_TOPIC_ID) {
    throw new AdminError(`topic ${topic} partition ${cursor.partition} no longer exists`, 'not-found', errorCode);
  }
  check(`fetching ${topic}[${cursor.partition}] at offset ${cursor.next}`, errorCode);
  return false;
}

/** A cursor from `next` on, never stopping (following) or stopping before `stop`. */
function newCursor(partition: number, leader: number, next: number, stop: number): Cursor {
  return { partition, next, stop, leader, retries: 0, empties: 0, aborted: [], skipping: new Set() };
}

/**
 * Adds a following cursor, from offset 0, for every partition the topic gained (and refreshes the leaders of
 * the others). A new partition's log starts at 0; if its start moved on already, the fetch's
 * OFFSET_OUT_OF_RANGE moves the cursor to the earliest offset. Unreachable metadata is tried at the next refresh.
 */
async function addNewPartitions(cc: ClusterClient, topic: string, cursors: Cursor[]): Promise<void> {
  let md: TopicMetadata;
  try {
    md = await cc.topic(topic);
  } catch (err) {
    if (AdminError.from(err).kind === 'unavailable') return;
    throw err;
  }
  const known = new Map(cursors.map((c) => [c.partition, c]));
  for (const p of md.partitions) {
    const c = known.get(p.partition);
    if (c) c.leader = p.leader;
    else cursors.push(newCursor(p.partition, p.leader, 0, Infinity));
  }
}

async function refreshLeaders(cc: ClusterClient, topic: string, cursors: Cursor[]): Promise<void> {
  const md = await cc.topic(topic);
  for (const c of cursors) c.leader = md.partitions.find((p) => p.partition === c.partition)?.leader ?? -1;
}


// ---- Producing.

export interface ProduceRecord {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Array<{ key: string; value: Buffer | null }>;
  /** Explicit partition; otherwise keyed records go where Kafka's default partitioner puts them. */
  partition?: number;
  /** CreateTime in ms (default now). */
  timestamp?: number;
}

export type Acks = -1 | 0 | 1;
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const COMPRESSION_NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const CODEC: Record<CompressionName, CompressionType> = { none: Compression.NONE, gzip: Compression.GZIP, snappy: Compression.SNAPPY, lz4: Compression.LZ4, zstd: Compression.ZSTD };

export interface ProduceOptions {
  acks?: Acks;
  compression?: CompressionName;
  /**
   * Idempotence (Kafka's enable.idempotence, on by default with acks=-1 only, as Kafka requires acks=all): the
   * producer state to use, kept across calls by a caller that produces several times (stratactl keeps one per
   * run); a call without one gets its own. `false` turns it off. With it, a request whose answer was lost
   * (connection dropped, timeout) is sent again unchanged and the broker drops the copy; without it such a
   * request is not retried, as a copy could be written twice.
   */
  idempotence?: IdempotentProducer | false;
}

export interface ProducedRecord {
  partition: number;
  /** -1 with acks=0 (the broker does not answer), or for a resent batch the broker only reported as a duplicate. */
  offset: number;
}

/** Uncompressed record bytes per batch: well below Kafka's default max.message.bytes (1 MiB). */
const BATCH_TARGET_BYTES = 512 * 1024;

/** One batch of a partition, as sent (resent unchanged while its outcome is unknown). */
interface PendingBatch {
  partition: number;
  indexes: number[];
  batch: Buffer;
  /** An earlier attempt's answer was lost: the broker may hold it already (only its duplicate check can tell). */
  maybeWritten: boolean;
}

/**
 * Produces records to one topic and returns where each landed, in input order. Keyed records without a
 * partition are placed by Kafka's default partitioner (murmur2); keyless ones all go to one partition chosen
 * per call (sticky). Records of a partition keep their order; they are sent as batches of ≤ 512 KiB
 * (one batch per partition per request, one request per partition in flight). Throws AdminError on any
 * partition's failure.
 */
export async function produceRecords(cc: ClusterClient, topic: string, records: ProduceRecord[], opts: ProduceOptions = {}): Promise<ProducedRecord[]> {
  const acks = opts.acks ?? -1;
  const compression = CODEC[opts.compression ?? 'none'];
  if (compression === undefined) throw new AdminError(`unknown compression "${opts.compression}" (one of ${COMPRESSION_NAMES.join(', ')})`, 'usage');
  if (opts.idempotence && acks !== -1) throw new AdminError('idempotent produce needs acks=all (-1)', 'usage');
  const producer = acks === -1 && opts.idempotence !== false ? (opts.idempotence ?? new IdempotentProducer()) : undefined;
  if (records.length === 0) return [];
  let md = await cc.topic(topic);
  const count = md.partitions.length;
  const sticky = Math.floor(Math.random() * count);
  const placed = records.map((r) => {
    if (r.partition !== undefined) {
      if (!md.partitions.some((p) => p.partition === r.partition)) throw new AdminError(`topic ${topic} has no partition ${r.partition} (it has ${count})`, 'not-found');
      return r.partition;
    }
    return r.key != null ? partitionForKey(r.key, count) : sticky;
  });
  // Per partition: the indexes of its records, cut into batches of about BATCH_TARGET_BYTES.
  const batches = new Map<number, { list: number[][]; bytes: number }>();
  placed.forEach((p, i) => {
    const size = recordSize(records[i]!);
    let b = batches.get(p);
    if (!b) batches.set(p, (b = { list: [[]], bytes: 0 }));
    if (b.bytes > 0 && b.bytes + size > BATCH_TARGET_BYTES) {
      b.list.push([]);
      b.bytes = 0;
    }
    b.list[b.list.length - 1]!.push(i);
    b.bytes += size;
  });
  // Sequence numbers are claimed here, once per batch: a resent batch keeps its own.
  const encode = async (partition: number, indexes: number[]): Promise<PendingBatch> => {
    const rs = indexes.map((i) => records[i]!);
    const id = producer && { ...(await producer.identity(cc)), baseSequence: producer.claim(topic, partition, rs.length) };
    return { partition, indexes, batch: await encodeBatch(rs, compression, id), maybeWritten: false };
  };
  const results: ProducedRecord[] = new Array(records.length);
  for (let round = 0; ; round++) {
    // Request round `round` carries batch number `round` of every partition that has one.
    const due = [...batches].filter(([, b]) => b.list.length > round).map(([partition, b]) => ({ partition, indexes: b.list[round]! }));
    if (due.length === 0) break;
    let pending = await Promise.all(due.map((b) => encode(b.partition, b.indexes)));
    for (let attempt = 0; pending.length > 0; attempt++) {
      const failed: PendingBatch[] = [];
      let unknownProducer = false;
      const byLeader = new Map<number, PendingBatch[]>();
      for (const b of pending) {
        const leader = md.partitions.find((p) => p.partition === b.partition)?.leader ?? -1;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), b]);
      }
      await Promise.all(
        [...byLeader].map(async ([leader, bs]) => {
          const answers = await produceTo(cc, topic, leader, bs, acks, producer !== undefined);
          bs.forEach((b, k) => {
            const a = answers[k]!;
            const fail = () => new AdminError(`producing to ${topic}[${b.partition}]: ${errorName(a.errorCode)}${a.message ? `: ${a.message}` : ''}`, kindOfCode(a.errorCode), a.errorCode);
            // A duplicate is the broker saying an earlier copy of this very batch was written (its answer was lost).
            if (a.errorCode === ErrorCode.NONE || (producer && a.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER)) {
              b.indexes.forEach((idx, n) => (results[idx] = { partition: b.partition, offset: a.baseOffset < 0 ? -1 : a.baseOffset + n }));
            } else if ((RETRIABLE.has(a.errorCode) || a.errorCode === ErrorCode.NETWORK_EXCEPTION) && attempt < MAX_RETRIES) {
              b.maybeWritten ||= a.errorCode === ErrorCode.NETWORK_EXCEPTION;
              failed.push(b);
            } else if (a.errorCode === ErrorCode.UNKNOWN_PRODUCER_ID && attempt < MAX_RETRIES) {
              if (b.maybeWritten) throw new AdminError(`${fail().message} (after a lost answer: its first copy may have been written; not resent under a new producer id, which could write it twice)`, 'failed', a.errorCode);
              unknownProducer = true; // refused, not written: resent under a new producer id below
              failed.push(b);
            } else if (a.errorCode === ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER) {
              throw new AdminError(`${fail().message} (the broker lost this producer's earlier records or state; records before this batch may be missing)`, 'failed', a.errorCode);
            } else throw fail();
          });
        }),
      );
      pending = failed;
      if (unknownProducer) {
        // The broker forgot this producer (its state expired or was lost). Nothing is in flight now; start again
        // as a new producer unless a batch's earlier copy may already be in the log (a new identity would
        // write it a second time).
        if (pending.some((b) => b.maybeWritten)) {
          throw new AdminError(`producing to ${topic}: UNKNOWN_PRODUCER_ID while another batch's lost first copy may have been written; not resent under a new producer id, which could write it twice`, 'failed', ErrorCode.UNKNOWN_PRODUCER_ID);
        }
        producer!.reset();
        pending = await Promise.all(pending.map((b) => encode(b.partition, b.indexes)));
      }
      if (pending.length > 0) {
        // Refused (or, idempotent, unanswered): sent again once the leader is known, the same batch bytes.
        await sleep(systemClock, RETRY_BACKOFF_MS);
        md = await cc.topic(topic);
      }
    }
  }
  return results;
}

function recordSize(r: ProduceRecord): number {
  return 32 + (r.key?.length ?? 0) + (r.value?.length ?? 0) + (r.headers ?? []).reduce((n, h) => n + h.key.length + (h.value?.length ?? 0) + 8, 0);
}

function encodeBatch(records: ProduceRecord[], compression: CompressionType, id: (ProducerIdentity & { baseSequence: number }) | undefined): Promise<Buffer> {
  const now = Date.now();
  const base = records[0]!.timestamp ?? now;
  return buildRecordBatchAsync({
    timestamp: base,
    compression,
    ...id,
    records: records.map((r) => ({ key: r.key ?? null, value: r.value, headers: r.headers ?? [], timestampDelta: (r.timestamp ?? now) - base })),
  });
}

async function produceTo(
  cc: ClusterClient,
  topic: string,
  leader: number,
  batches: PendingBatch[],
  acks: Acks,
  idempotent: boolean,
): Promise<Array<{ errorCode: number; baseOffset: number; message: string | null }>> {
  const failAll = (errorCode: number) => batches.map(() => ({ errorCode, baseOffset: -1, message: null }));
  if (leader < 0) return failAll(ErrorCode.LEADER_NOT_AVAILABLE);
  let c: KafkaClient;
  try {
    c = await cc.broker(leader);
  } catch (err) {
    // Nothing was sent: the leader is gone (killed, restarting), so look it up again and retry.
    if (AdminError.from(err).kind === 'unavailable') return failAll(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    throw err;
  }
  const version = c.pickVersion(ApiKey.Produce, PRODUCE_VERSION);
  const body = { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: batches.map((b) => ({ index: b.partition, records: b.batch })) }] };
  if (acks === 0) {
    await c.requestNoResponse(ApiKey.Produce, version, body);
    return batches.map(() => ({ errorCode: ErrorCode.NONE, baseOffset: -1, message: null }));
  }
  let res: ProduceResponse;
  try {
    res = await c.request<ProduceResponse>(ApiKey.Produce, version, body);
  } catch (err) {
    const e = AdminError.from(err);
    // The request may have been written. Idempotent: send it again, the broker drops a copy it already has.
    // Otherwise not retried (it could duplicate records).
    if (idempotent && e.kind === 'unavailable') return failAll(ErrorCode.NETWORK_EXCEPTION);
    throw e;
  }
  const byPartition = new Map(res.responses.filter((t) => t.name === topic).flatMap((t) => t.partitionResponses.map((p) => [p.index, p] as const)));
  return batches.map((b) => {
    const p = byPartition.get(b.partition);
    if (!p) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: -1, message: 'no answer for the partition' };
    const detail = [p.errorMessage, ...(p.recordErrors ?? []).map((e) => e.batchIndexErrorMessage)].filter(Boolean).join('; ');
    return { errorCode: p.errorCode, baseOffset: p.baseOffset, message: detail || null };
  });
}
