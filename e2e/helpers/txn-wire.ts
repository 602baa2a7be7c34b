// Wire helpers for the log side of transactions, over the project's protocol client: WriteTxnMarkers for one
// partition (a test playing the transaction coordinator), Fetch and ListOffsets with an isolation level, and a
// read_committed consumer that drops aborted records exactly as Kafka clients do (aborted transactions from
// the fetch response, matched by producer id and first offset, ended by the producer's ABORT marker).
import { ApiKey } from '../../broker/src/protocol/apis';
import type { KafkaClient } from '../../broker/src/protocol/client';
import { controlTypeOf, ControlRecordType } from '../../broker/src/log/control-batch';
import { decodeRecords, LOG_OVERHEAD, readBatchHeader, RECORD_BATCH_HEADER_SIZE, type BatchHeader } from '../../broker/src/protocol/records';
import type { FetchResponse, InitProducerIdResponse, ListOffsetsResponse, WriteTxnMarkersResponse } from '../../broker/src/protocol/schema/types';
import { ErrorCode } from '../../broker/src/protocol/errors';
import { waitFor } from './util';

/**
 * InitProducerId for a transactional id, as a client does it: FindCoordinator first (the first one creates
 * __transaction_state), then InitProducerId, asked again while the coordinator is loading or not yet elected.
 * Resolves with the final answer, whatever its error code (callers assert on it).
 */
export async function initTransactional(c: KafkaClient, transactionalId: string, transactionTimeoutMs = 60_000): Promise<InitProducerIdResponse> {
  await c.request(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: [transactionalId] });
  const retriable = [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE];
  let last: InitProducerIdResponse | undefined;
  await waitFor(
    async () => {
      last = await c.request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs, producerId: -1, producerEpoch: -1 });
      return !retriable.includes(last.errorCode);
    },
    { timeoutMs: 15_000, what: `the transaction coordinator of ${transactionalId}` },
  ).catch(() => undefined); // the last answer is returned: the caller's assertion names its error
  return last!;
}

export const READ_UNCOMMITTED = 0;
export const READ_COMMITTED = 1;

export interface MarkerSpec {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch?: number;
}

/** WriteTxnMarkers (v1) for one partition; returns the partition's error code. */
export async function writeTxnMarker(c: KafkaClient, topic: string, partition: number, m: MarkerSpec): Promise<number> {
  const res = await c.request<WriteTxnMarkersResponse>(ApiKey.WriteTxnMarkers, 1, {
    markers: [
      {
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        transactionResult: m.commit,
        topics: [{ name: topic, partitionIndexes: [partition] }],
        coordinatorEpoch: m.coordinatorEpoch ?? 0,
      },
    ],
  });
  const p = res.markers[0]?.topics[0]?.partitions[0];
  if (!p) throw new Error(`WriteTxnMarkers response without the partition: ${JSON.stringify(res)}`);
  return p.errorCode;
}

export interface FetchedBatch {
  header: BatchHeader;
  /** ABORT / COMMIT for control batches, else null. */
  control: number | null;
  records: Array<{ offset: number; value: string | null }>;
}

export interface FetchResult {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  aborted: Array<{ producerId: number; firstOffset: number }> | null;
  batches: FetchedBatch[];
}

/** One Fetch (v12) of one partition from `offset`. */
export async function fetchOnce(
  c: KafkaClient,
  topic: string,
  partition: number,
  offset: number,
  isolationLevel: number,
  opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number } = {},
): Promise<FetchResult> {
  const res = await c.request<FetchResponse>(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 0,
    maxBytes: opts.maxBytes ?? 16 << 20,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: opts.maxBytes ?? 8 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const pr = res.responses[0].partitions[0];
  const buf = (pr.records as Buffer | null) ?? Buffer.alloc(0);
  const batches: FetchedBatch[] = [];
  for (let pos = 0; pos + RECORD_BATCH_HEADER_SIZE <= buf.length; ) {
    const header = readBatchHeader(buf, pos);
    const size = header.batchLength + LOG_OVERHEAD;
    if (pos + size > buf.length) break;
    const data = buf.subarray(pos, pos + size);
    const records = (await decodeRecords(data)).map((r) => ({ offset: r.offset, value: r.value === null ? null : r.value.toString('utf8') }));
    batches.push({ header, control: header.isControl ? controlTypeOf(data, 0) : null, records });
    pos += size;
  }
  return {
    errorCode: pr.errorCode,
    highWatermark: pr.highWatermark,
    lastStableOffset: pr.lastStableOffset,
    aborted: pr.abortedTransactions ? pr.abortedTransactions.map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset })) : null,
    batches,
  };
}

/** ListOffsets (v4) of one partition at `timestamp` (-1 latest, -2 earliest, -4 earliest local) under `isolationLevel`. */
export async function listOffset(c: KafkaClient, topic: string, partition: number, timestamp: number, isolationLevel: number): Promise<number> {
  const res = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, Math.min(8, c.pickVersion(ApiKey.ListOffsets)), {
    replicaId: -1,
    isolationLevel,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
  });
  const p = res.topics[0].partitions[0];
  if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}[${partition}] error ${p.errorCode}`);
  return p.offset;
}

/**
 * The values a read_committed consumer sees from `from` up to the LSO, filtering as the Java client's
 * Fetcher does: a transactional batch is dropped when an aborted transaction of its producer began at or
 * before it; that producer's ABORT marker ends the skipping. Also returns the aborted lists the broker sent.
 */
export async function consumeCommitted(c: KafkaClient, topic: string, partition: number, from = 0, maxBytes?: number): Promise<{ values: string[]; aborted: Array<{ producerId: number; firstOffset: number }> }> {
  const values: string[] = [];
  const abortedSeen: Array<{ producerId: number; firstOffset: number }> = [];
  const abortedQueue: Array<{ producerId: number; firstOffset: number }> = [];
  const skipping = new Set<number>();
  let offset = from;
  for (let rounds = 0; rounds < 10_000; rounds++) {
    const r = await fetchOnce(c, topic, partition, offset, READ_COMMITTED, { maxBytes });
    if (r.errorCode !== 0) throw new Error(`read_committed fetch at ${offset}: error ${r.errorCode}`);
    if (r.batches.length === 0) return { values, aborted: abortedSeen };
    for (const t of r.aborted ?? []) {
      abortedSeen.push(t);
      abortedQueue.push(t);
    }
    abortedQueue.sort((a, b) => a.firstOffset - b.firstOffset);
    for (const b of r.batches) {
      const h = b.header;
      const last = h.baseOffset + h.lastOffsetDelta;
      if (last < offset) continue;
      if (h.isTransactional && !h.isControl) {
        while (abortedQueue.length > 0 && abortedQueue[0].firstOffset <= h.baseOffset) skipping.add(abortedQueue.shift()!.producerId);
      }
      if (h.isControl) {
        if (b.control === ControlRecordType.ABORT) skipping.delete(h.producerId);
      } else if (!(h.isTransactional && skipping.has(h.producerId))) {
        for (const rec of b.records) if (rec.offset >= offset) values.push(rec.value ?? '<null>');
      }
      offset = last + 1;
    }
  }
  throw new Error('read_committed consumer made no end');
}
