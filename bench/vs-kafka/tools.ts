// The load tools the benchmark drives both brokers with, and parsers for what they print:
// Kafka's own ProducerPerformance / ConsumerPerformance (kafka-tools 4.1.1, the classes behind
// kafka-producer-perf-test.sh and kafka-consumer-perf-test.sh) and kcat (librdkafka). Plus two admin calls
// through Strata's protocol client (create topics, count stored records, wait for brokers and full ISRs), which
// speak plain Kafka protocol and are used the same way against both brokers.
import * as fs from 'node:fs';
import { KafkaClient } from '../../broker/src/protocol/client';
import { ApiKey } from '../../broker/src/protocol/apis';
import { ZERO_UUID } from '../../broker/src/protocol/codec';
import type { CreateTopicsResponse, ListOffsetsResponse, MetadataResponse } from '../../broker/src/protocol/schema/types';
import { javaClasspath, KAFKA_JVM_PERF_OPTS } from './kafka-broker';
import { runProcess, tail } from './procs';

/** Heap of the load-tool JVMs (kafka-run-class.sh gives tools 256 MiB; a little more so the client never starves). */
const TOOL_HEAP = ['-Xmx512m'];

function javaTool(mainClass: string, args: string[], timeoutMs: number) {
  return runProcess('java', [...TOOL_HEAP, ...KAFKA_JVM_PERF_OPTS, '-cp', javaClasspath(), mainClass, ...args], { timeoutMs });
}

export class ToolError extends Error {
  constructor(
    message: string,
    /** Short text for the table instead of a number ("n/a (...)"). */
    readonly label: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// ProducerPerformance

export interface ProducerPerfResult {
  records: number;
  recordsPerSec: number;
  /** MiB/s as the tool prints it ("MB/sec", 1 MB = 1024 × 1024 bytes). */
  mibPerSec: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

const PRODUCER_SUMMARY =
  /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/;

export interface ProducerPerfOptions {
  bootstrap: string;
  topic: string;
  records: number;
  recordSize: number;
  /** records/s; -1 = unthrottled */
  throughput: number;
  producerProps: Record<string, string | number>;
  timeoutMs: number;
}

export async function producerPerf(o: ProducerPerfOptions): Promise<ProducerPerfResult> {
  const props = Object.entries({ 'bootstrap.servers': o.bootstrap, ...o.producerProps }).map(([k, v]) => `${k}=${v}`);
  const args = ['--topic', o.topic, '--num-records', String(o.records), '--record-size', String(o.recordSize), '--throughput', String(o.throughput), '--producer-props', ...props];
  const r = await javaTool('org.apache.kafka.tools.ProducerPerformance', args, o.timeoutMs);
  const m = PRODUCER_SUMMARY.exec(r.stdout);
  if (r.timedOut) throw new ToolError(`ProducerPerformance timed out after ${o.timeoutMs} ms\n${tail(r.stdout + r.stderr)}`, 'n/a (timed out)');
  if (r.code !== 0 || !m) throw new ToolError(`ProducerPerformance exited ${r.code}\n${tail(r.stdout + r.stderr)}`, 'n/a (error)');
  const n = (i: number) => Number(m[i]);
  return { records: n(1), recordsPerSec: n(2), mibPerSec: n(3), avgMs: n(4), maxMs: n(5), p50Ms: n(6), p95Ms: n(7), p99Ms: n(8), p999Ms: n(9) };
}

// ---------------------------------------------------------------------------------------------
// ConsumerPerformance

export interface ConsumerPerfResult {
  records: number;
  mib: number;
  /** Whole run incl. joining the group (MB.sec). */
  mibPerSec: number;
  rebalanceMs: number;
  fetchMs: number;
  /** Excluding the group join (fetch.MB.sec, fetch.nMsg.sec): the broker's read path. */
  fetchMibPerSec: number;
  fetchRecordsPerSec: number;
}

export const NEEDS_GROUPS = 'n/a (needs consumer groups)';

export async function consumerPerf(o: { bootstrap: string; topic: string; records: number; timeoutMs: number }): Promise<ConsumerPerfResult> {
  // ConsumerPerformance always subscribe()s with a group id (there is no assign mode), so it needs
  // FindCoordinator / JoinGroup / SyncGroup / Heartbeat / OffsetCommit on the broker.
  const args = ['--bootstrap-server', o.bootstrap, '--topic', o.topic, '--messages', String(o.records), '--timeout', '15000', '--hide-header'];
  const r = await javaTool('org.apache.kafka.tools.ConsumerPerformance', args, o.timeoutMs);
  const out = r.stdout + '\n' + r.stderr;
  if (/does not support (FIND_COORDINATOR|JOIN_GROUP|SYNC_GROUP|HEARTBEAT|OFFSET_COMMIT|OFFSET_FETCH)|COORDINATOR_NOT_AVAILABLE|CoordinatorNotAvailable/i.test(out)) {
    throw new ToolError(`ConsumerPerformance: the broker has no group coordination\n${tail(out, 5)}`, NEEDS_GROUPS);
  }
  if (r.timedOut) throw new ToolError(`ConsumerPerformance timed out after ${o.timeoutMs} ms\n${tail(out)}`, 'n/a (timed out)');
  // one data line: start.time, end.time, MB, MB.sec, nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = r.stdout
    .split('\n')
    .map((l) => l.split(',').map((f) => f.trim()))
    .find((f) => f.length === 10 && /^\d{4}-/.test(f[0]));
  if (r.code !== 0 || !line) throw new ToolError(`ConsumerPerformance exited ${r.code}\n${tail(out)}`, 'n/a (error)');
  const f = line.map(Number);
  const res = { mib: f[2], mibPerSec: f[3], records: f[4], rebalanceMs: f[6], fetchMs: f[7], fetchMibPerSec: f[8], fetchRecordsPerSec: f[9] };
  if (res.records < o.records) {
    throw new ToolError(`ConsumerPerformance read ${res.records} of ${o.records} records\n${tail(out)}`, `n/a (read ${res.records} of ${o.records})`);
  }
  return res;
}

// ---------------------------------------------------------------------------------------------
// kcat (librdkafka)

export interface KcatResult {
  records: number;
  seconds: number;
  recordsPerSec: number;
  mibPerSec: number;
}

/** Writes `records` lines of `size` bytes (one random A–Z payload repeated, as ProducerPerformance does) + '\n'. */
export function writeKcatInput(file: string, records: number, size: number): void {
  const payload = Buffer.alloc(size + 1);
  for (let i = 0; i < size; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  payload[size] = 10;
  const perChunk = Math.max(1, Math.floor((1 << 20) / payload.length));
  const chunk = Buffer.concat(Array.from({ length: perChunk }, () => payload));
  const fd = fs.openSync(file, 'w');
  try {
    let left = records;
    while (left > 0) {
      const n = Math.min(left, perChunk);
      fs.writeSync(fd, chunk, 0, n * payload.length);
      left -= n;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** kcat -P: one message per line of `file`; the time is kcat's whole run (it exits once every message is acked). */
export async function kcatProduce(o: {
  bootstrap: string;
  topic: string;
  file: string;
  records: number;
  recordSize: number;
  props: Record<string, string | number>;
  timeoutMs: number;
}): Promise<KcatResult> {
  const x = Object.entries(o.props).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
  const r = await runProcess('kcat', ['-P', '-b', o.bootstrap, '-t', o.topic, ...x, '-l', o.file], { timeoutMs: o.timeoutMs });
  if (r.timedOut) throw new ToolError(`kcat -P timed out after ${o.timeoutMs} ms\n${tail(r.stderr)}`, 'n/a (timed out)');
  if (r.code !== 0) throw new ToolError(`kcat -P exited ${r.code}\n${tail(r.stderr)}`, 'n/a (error)');
  return rate(o.records, r.wallSeconds, o.recordSize);
}

/** kcat -C from the beginning to the end of every partition (no group: partitions are assigned); counts messages. */
export async function kcatConsume(o: { bootstrap: string; topic: string; expected: number; recordSize: number; timeoutMs: number }): Promise<KcatResult> {
  // '%o\n' prints only the offset, so kcat still fetches and parses every record but writes little.
  const r = await runProcess('kcat', ['-C', '-b', o.bootstrap, '-t', o.topic, '-o', 'beginning', '-e', '-q', '-f', '%o\n'], {
    timeoutMs: o.timeoutMs,
    keepStdout: 0,
  });
  if (r.timedOut) throw new ToolError(`kcat -C timed out after ${o.timeoutMs} ms\n${tail(r.stderr)}`, 'n/a (timed out)');
  if (r.code !== 0) throw new ToolError(`kcat -C exited ${r.code}\n${tail(r.stderr)}`, 'n/a (error)');
  if (r.stdoutLines < o.expected) {
    throw new ToolError(`kcat -C read ${r.stdoutLines} of ${o.expected} records\n${tail(r.stderr)}`, `n/a (read ${r.stdoutLines} of ${o.expected})`);
  }
  return rate(r.stdoutLines, r.wallSeconds, o.recordSize);
}

function rate(records: number, seconds: number, size: number): KcatResult {
  return { records, seconds, recordsPerSec: records / seconds, mibPerSec: (records * size) / seconds / (1 << 20) };
}

export async function kcatVersion(): Promise<string> {
  const r = await runProcess('kcat', ['-V'], { timeoutMs: 10_000 });
  const m = /Version (\S+).*?(librdkafka \S+)/s.exec(r.stdout + r.stderr);
  return m ? `kcat ${m[1]} (${m[2]})` : tail(r.stdout + r.stderr, 2);
}

// ---------------------------------------------------------------------------------------------
// Admin over the plain Kafka protocol (same client for both brokers)

/** One admin request on a fresh connection to host:port. */
async function withAdmin<T>(host: string, port: number, body: (c: KafkaClient) => Promise<T>): Promise<T> {
  const c = await KafkaClient.connect({ host, port, clientId: 'vs-kafka-admin' });
  try {
    await c.apiVersions();
    return await body(c);
  } finally {
    await c.close();
  }
}

/** Metadata of the given topics (all topics when null) as host:port sees it. */
export function metadata(host: string, port: number, topics: string[] | null): Promise<MetadataResponse> {
  return withAdmin(host, port, (c) =>
    c.request<MetadataResponse>(ApiKey.Metadata, c.pickVersion(ApiKey.Metadata, 12), {
      topics: topics?.map((name) => ({ topicId: ZERO_UUID, name })) ?? null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }),
  );
}

/** Polls `check` (a reason to keep waiting, or null when done) every 250 ms until it is done or the deadline passes. */
async function waitUntil(what: string, timeoutMs: number, check: () => Promise<string | null>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not checked yet';
  for (;;) {
    try {
      const why = await check();
      if (why === null) return;
      last = why;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until host:port lists at least `count` brokers in Metadata (all registered and unfenced). */
export function waitForBrokers(host: string, port: number, count: number, timeoutMs: number): Promise<void> {
  return waitUntil(`${count} brokers in the Metadata of ${host}:${port}`, timeoutMs, async () => {
    const md = await metadata(host, port, []);
    return md.brokers.length >= count ? null : `${md.brokers.length} brokers: ${md.brokers.map((b) => b.nodeId).join(',')}`;
  });
}

/**
 * Waits until every partition of `topics` has a leader and `replicas` replicas, all of them in the ISR: proof the
 * brokers really replicate each partition before anything is measured.
 */
export function waitForFullIsr(host: string, port: number, topics: string[], replicas: number, timeoutMs: number): Promise<void> {
  return waitUntil(`a full ISR (${replicas}) on every partition of ${topics.join(', ')}`, timeoutMs, async () => {
    const md = await metadata(host, port, topics);
    for (const t of md.topics) {
      if (t.errorCode !== 0) return `${t.name}: error ${t.errorCode}`;
      for (const p of t.partitions) {
        if (p.errorCode !== 0 || p.leaderId < 0) return `${t.name}-${p.partitionIndex}: error ${p.errorCode}, leader ${p.leaderId}`;
        if (p.replicaNodes.length !== replicas || p.isrNodes.length !== replicas) {
          return `${t.name}-${p.partitionIndex}: replicas [${p.replicaNodes.join(',')}], isr [${p.isrNodes.join(',')}]`;
        }
      }
    }
    return md.topics.length === topics.length ? null : `${md.topics.length} of ${topics.length} topics known`;
  });
}

export interface TopicSpec {
  partitions: number;
  replicationFactor: number;
  /** Topic configs, e.g. min.insync.replicas. */
  configs?: Record<string, string>;
}

export async function createTopics(host: string, port: number, names: string[], spec: TopicSpec): Promise<void> {
  const deadline = Date.now() + 60_000;
  const configs = Object.entries(spec.configs ?? {}).map(([name, value]) => ({ name, value }));
  let pending = [...names];
  for (;;) {
    let last = '';
    try {
      const res = await withAdmin(host, port, (c) =>
        c.request<CreateTopicsResponse>(ApiKey.CreateTopics, c.pickVersion(ApiKey.CreateTopics, 7), {
          topics: pending.map((name) => ({ name, numPartitions: spec.partitions, replicationFactor: spec.replicationFactor, assignments: [], configs })),
          timeoutMs: 30_000,
          validateOnly: false,
        }),
      );
      // 36 = TOPIC_ALREADY_EXISTS (a retry after a timeout)
      const failed = res.topics.filter((t) => t.errorCode !== 0 && t.errorCode !== 36);
      if (failed.length === 0) return;
      last = failed.map((t) => `${t.name}: error ${t.errorCode} ${t.errorMessage ?? ''}`).join('; ');
      pending = failed.map((t) => t.name);
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`could not create topics: ${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Sum over partitions of the log end offset: the records a fresh topic holds. Each partition is asked of its leader. */
export async function storedRecords(host: string, port: number, topic: string): Promise<number> {
  const md = await metadata(host, port, [topic]);
  const t = md.topics[0];
  if (!t || t.errorCode !== 0) throw new Error(`Metadata ${topic}: error ${t?.errorCode}`);
  const byLeader = new Map<number, number[]>();
  for (const p of t.partitions) byLeader.set(p.leaderId, [...(byLeader.get(p.leaderId) ?? []), p.partitionIndex]);
  let sum = 0;
  for (const [leader, partitions] of byLeader) {
    const b = md.brokers.find((x) => x.nodeId === leader);
    if (!b) throw new Error(`${topic}: partitions ${partitions.join(',')} have no live leader (${leader})`);
    const res = await withAdmin(b.host, b.port, (c) =>
      c.request<ListOffsetsResponse>(ApiKey.ListOffsets, c.pickVersion(ApiKey.ListOffsets, 7), {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: partitions.map((i) => ({ partitionIndex: i, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 })) }],
        timeoutMs: 30_000,
      }),
    );
    for (const p of res.topics[0].partitions) {
      if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${p.partitionIndex}: error ${p.errorCode}`);
      sum += Number(p.offset);
    }
  }
  return sum;
}
