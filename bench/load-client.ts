// The load generator for `npm run bench`, run as its own process so the broker is measured alone.
// Usage: node load-client.js '<json options>'; prints one JSON result line on stdout.
// Batches are built once up front (1 KiB records) and re-sent: the cost measured is the broker's.
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import '../broker/src/protocol/compression';
import { Compression, CompressionType, buildRecordBatchAsync, wholeBatches } from '../broker/src/protocol/records';
import type { FetchResponse, ListOffsetsResponse, ProduceResponse } from '../broker/src/protocol/schema/types';

interface Options {
  host: string;
  port: number;
  topic: string;
  partitions: number;
  mode: 'produce' | 'latency' | 'fetch';
  seconds: number;
  recordBytes: number;
  recordsPerBatch: number;
  connections: number;
  /** Requests in flight per connection (produce mode). */
  depth: number;
  /** Target MB/s (latency mode). */
  rateMBps: number;
  acks: number;
  /** Codec of the produced batches (default none). */
  compression?: CompressionType;
}

const opts = JSON.parse(process.argv[2]) as Options;
const PRODUCE_VERSION = 9;
const FETCH_VERSION = 12;

const WORDS = ['order', 'customer', 'id', 'amount', 'status', 'shipped', 'pending', 'region', 'eu-west', 'us-east', 'item', 'price'];

/** Text-like values (seeded words and numbers) that compress about as log or JSON lines do (3-5x). */
function textValue(seed: number): Buffer {
  let x = (seed * 2654435761) >>> 0 || 1;
  const parts: string[] = [];
  let length = 0;
  while (length < opts.recordBytes) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const part = `${WORDS[x % WORDS.length]}=${x % 100000} `;
    parts.push(part);
    length += part.length;
  }
  return Buffer.from(parts.join('').slice(0, opts.recordBytes));
}

function makeBatch(seed: number): Promise<Buffer> {
  const compression = opts.compression ?? Compression.NONE;
  // Uncompressed batches keep the one-byte values of earlier runs, so their figures stay comparable.
  const value = (i: number): Buffer => (compression === Compression.NONE ? Buffer.alloc(opts.recordBytes, seed % 251) : textValue(seed * 1000 + i));
  return buildRecordBatchAsync({
    compression,
    records: Array.from({ length: opts.recordsPerBatch }, (_, i) => ({ key: Buffer.from(`key-${seed}-${i}`), value: value(i) })),
  });
}

function produceBody(partitions: number[], batches: Buffer[]) {
  return {
    transactionalId: null,
    acks: opts.acks,
    timeoutMs: 30000,
    topicData: [{ name: opts.topic, partitionData: partitions.map((index, i) => ({ index, records: batches[i] })) }],
  };
}

function checkProduce(res: ProduceResponse): void {
  for (const t of res.responses) for (const p of t.partitionResponses) if (p.errorCode !== 0) throw new Error(`produce error ${p.errorCode} on partition ${p.index}`);
}

function percentile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Unthrottled: every connection keeps `depth` requests of one batch per partition in flight. */
async function produceMax(): Promise<object> {
  const all = Array.from({ length: opts.partitions }, (_, p) => p);
  const batches = await Promise.all(all.map((p) => makeBatch(p)));
  const requestBytes = batches.reduce((n, b) => n + b.length, 0);
  const clients = await Promise.all(Array.from({ length: opts.connections }, () => KafkaClient.connect({ host: opts.host, port: opts.port, clientId: 'bench' })));
  const deadline = Date.now() + opts.seconds * 1000;
  let requests = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    clients.flatMap((c) =>
      Array.from({ length: opts.depth }, async () => {
        while (Date.now() < deadline) {
          checkProduce(await c.request<ProduceResponse>(ApiKey.Produce, PRODUCE_VERSION, produceBody(all, batches)));
          requests++;
        }
      }),
    ),
  );
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  await Promise.all(clients.map((c) => c.close()));
  const records = requests * opts.partitions * opts.recordsPerBatch;
  const recordMBPerSec = (records * opts.recordBytes) / secs / 1e6; // record values before compression
  return { mode: 'produce', seconds: secs, requests, records, bytes: requests * requestBytes, mbPerSec: (requests * requestBytes) / secs / 1e6, recordMBPerSec, recordsPerSec: records / secs };
}

/** Fixed rate: one batch per request, sent on schedule; latency counted from the scheduled send time. */
async function produceAtRate(): Promise<object> {
  const batches = await Promise.all(Array.from({ length: opts.partitions }, (_, p) => makeBatch(p + 100)));
  const batchBytes = batches[0].length;
  const perSecond = (opts.rateMBps * 1e6) / batchBytes;
  const clients = await Promise.all(Array.from({ length: opts.connections }, () => KafkaClient.connect({ host: opts.host, port: opts.port, clientId: 'bench-latency' })));
  const latencies: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  const total = Math.floor(perSecond * opts.seconds);
  const tickMs = 2;
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * perSecond));
    for (; sent < due; sent++) {
      const scheduled = start + (sent / perSecond) * 1000;
      const p = sent % opts.partitions;
      const c = clients[sent % clients.length];
      inflight.push(
        c.request<ProduceResponse>(ApiKey.Produce, PRODUCE_VERSION, produceBody([p], [batches[p]])).then((res) => {
          checkProduce(res);
          latencies.push(performance.now() - scheduled);
        }),
      );
    }
    await new Promise((r) => setTimeout(r, tickMs));
  }
  await Promise.all(inflight);
  const secs = (performance.now() - start) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  latencies.sort((a, b) => a - b);
  return {
    mode: 'latency',
    targetMBps: opts.rateMBps,
    achievedMBps: (sent * batchBytes) / secs / 1e6,
    requests: sent,
    p50ms: percentile(latencies, 0.5),
    p99ms: percentile(latencies, 0.99),
    p999ms: percentile(latencies, 0.999),
    maxms: latencies[latencies.length - 1],
  };
}

/** Reads every partition from offset 0 to its end (data written just before: page cache warm). */
async function fetchAll(): Promise<object> {
  const c = await KafkaClient.connect({ host: opts.host, port: opts.port, clientId: 'bench-fetch', maxFrameBytes: 512 * 1024 * 1024 });
  const lo = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 4, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: opts.topic, partitions: Array.from({ length: opts.partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1 })) }],
  });
  const end = lo.topics[0].partitions.map((p) => p.offset);
  const next = end.map(() => 0);
  let bytes = 0;
  const started = process.hrtime.bigint();
  while (next.some((o, p) => o < end[p])) {
    const res = await c.request<FetchResponse>(ApiKey.Fetch, FETCH_VERSION, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 64 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: opts.topic, partitions: next.map((fetchOffset, partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 8 * 1024 * 1024 })) }],
      forgottenTopicsData: [],
      rackId: '',
    });
    for (const p of res.responses[0].partitions) {
      if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode} on partition ${p.partitionIndex}`);
      const records = p.records as Buffer;
      bytes += records.length;
      const last = lastOffsetIn(records);
      if (last >= 0) next[p.partitionIndex] = last + 1;
    }
  }
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  await c.close();
  return { mode: 'fetch', seconds: secs, bytes, mbPerSec: bytes / secs / 1e6 };
}

/** The last offset of the last whole batch in a fetched buffer (-1 when there is none). */
function lastOffsetIn(records: Buffer): number {
  return wholeBatches(records, 0).nextOffset - 1;
}

const run = opts.mode === 'produce' ? produceMax : opts.mode === 'latency' ? produceAtRate : fetchAll;
run().then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + '\n');
    process.exit(0);
  },
  (err) => {
    process.stderr.write(`load client failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
