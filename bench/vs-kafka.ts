// `npm run bench:vs-kafka`: Apache Kafka 4.1.1 (KRaft combined mode, one node) and Strata side by side on this
// machine, driven by the same standard load tools, one broker at a time, in rounds A B A B (Kafka, Strata, Kafka,
// Strata, …) so a drift of the machine hits both. Each broker run starts fresh (empty dirs) and is stopped before
// the other starts. Prints the versions, settings and machine, then one table (medians over the rounds) and writes
// it as JSON under bench/results/. A benchmark, not a test: nothing passes or fails; a workload a broker cannot
// serve shows "n/a (why)".
//
// `npm run bench:vs-kafka -- --brokers 3`: the same with a 3-node cluster of each (Kafka: 3 KRaft combined nodes,
// one static controller quorum, -Xmx512m each; Strata: 3 broker processes sharing one local object store), topics
// with replication factor 3 and min.insync.replicas=2 (every partition's ISR is checked to hold all 3 replicas
// before anything is measured, and every broker's disk to hold a full copy of each topic produced), and by default only the cluster workloads: acksall, latency (acks=all, at half of
// Kafka's acks=all peak), cjava and ckcat (reading the acksall topic); RSS and CPU are summed over the 3 processes.
//
// Workloads per broker run (1 topic per workload, 8 partitions, 1 KiB records):
//   warm-up    ProducerPerformance, 200k records, acks=1 (not reported; JIT warm-up for both brokers)
//   acks1      ProducerPerformance (kafka-producer-perf-test), acks=1, linger.ms=5, batch.size=131072, unthrottled
//   acksall    the same with acks=all (the Java producer's default idempotence is then on)
//   latency    ProducerPerformance at --throughput ≈ half of Kafka's acks=1 peak (measured in Kafka's first run)
//   cjava      ConsumerPerformance (kafka-consumer-perf-test) reading the acks1 topic (page cache warm; median of
//              VSK_CONSUME_PASSES passes, each with a new group id); it always subscribes with a
//              group, so a broker without group coordination shows "n/a (needs consumer groups)"
//   ckcat      kcat -C (librdkafka) reading the acks1 topic, partitions assigned (no group)
//   pkcat      kcat -P (librdkafka) producing the same records, acks=1, linger.ms=5, batch.size=131072
//   txn        bench/java/src/TxnBench.java: a transactional producer committing every 100 ms, unthrottled
//              (throughput), then at VSK_TXN_RATE records/s (default 5000) with a read_committed consumer
//              measuring end-to-end latency (which includes the wait for the commit); VSK_TXN_SECONDS each (15)
// Then the broker's peak RSS (VmHWM) and CPU seconds (utime+stime, after the warm-up) per GB of payload moved.
//
// Knobs (environment): VSK_RECORDS (records per produce run, default 1000000; 300000 with --brokers N, as every
// record is written N times on the one disk), VSK_ROUNDS (default 3),
// VSK_CONSUME_PASSES (reads of the acks1 topic per consume workload and run, default 2),
// VSK_LATENCY_SECONDS (default 15), VSK_LATENCY_RPS (fixed rate instead of half of Kafka's peak),
// VSK_ONLY=kafka|strata, VSK_WORKLOADS=acks1,acksall,… (subset), VSK_STRATA_NODE_FLAGS (node flags for the
// Strata broker only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"), VSK_NO_RESULTS=1 (do not write the JSON).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../e2e/helpers/util';
import { startBrokers, type BrokerKind } from './vs-kafka/brokers';
import { javaLibDir, KAFKA_HEAP } from './vs-kafka/kafka-broker';
import { KAFKA_CLUSTER_HEAP } from './vs-kafka/kafka-cluster';
import { totalProcStats, type ProcStats } from './vs-kafka/procs';
import { waitForReplicaBytes } from './vs-kafka/replica-bytes';
import { runTxnLoad } from './txn-load';
import {
  consumerPerf,
  createTopics,
  kcatConsume,
  kcatProduce,
  kcatVersion,
  producerPerf,
  storedRecords,
  ToolError,
  waitForFullIsr,
  writeKcatInput,
} from './vs-kafka/tools';

const env = process.env;

/** `--brokers N` (default 1): brokers per system; 1 = one node each, else an N-node cluster of each. */
function brokerCount(argv: string[]): number {
  let n = 1;
  for (let i = 0; i < argv.length; i++) {
    const m = /^--brokers(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]} (usage: vs-kafka [--brokers N])`);
    n = Number(m[1] ?? argv[++i]);
  }
  // replication factor 3 needs 3 brokers
  if (!Number.isInteger(n) || (n !== 1 && n < 3)) throw new Error(`--brokers must be 1 or an integer of at least 3`);
  return n;
}
const BROKER_COUNT = brokerCount(process.argv.slice(2));
const CLUSTER = BROKER_COUNT > 1;
const REPLICATION_FACTOR = CLUSTER ? 3 : 1;
const TOPIC_CONFIGS: Record<string, string> = CLUSTER ? { 'min.insync.replicas': '2' } : {};
/** The produce workload whose topic the consume workloads read and whose Kafka peak sets the latency workload's rate. */
const BASE_WORKLOAD = CLUSTER ? 'acksall' : 'acks1';
/** acks of the latency workload: a cluster is measured with what replication costs. */
const LATENCY_ACKS = CLUSTER ? 'all' : 1;
const RECORDS = Number(env.VSK_RECORDS ?? (CLUSTER ? 300_000 : 1_000_000));
const ROUNDS = Number(env.VSK_ROUNDS ?? 3);
/** Each consume workload reads the BASE_WORKLOAD topic this many times per broker run (figure: the median pass). */
const CONSUME_PASSES = Number(env.VSK_CONSUME_PASSES ?? 2);
const LATENCY_SECONDS = Number(env.VSK_LATENCY_SECONDS ?? 15);
const WARMUP_RECORDS = Math.min(200_000, RECORDS);
const RECORD_SIZE = 1024;
const PARTITIONS = 8;
const SEGMENT_BYTES = 1 << 30; // Kafka's default log.segment.bytes, set explicitly on both
const PRODUCER_PROPS = { 'linger.ms': 5, 'batch.size': 131072 };
/** Stop starting new rounds once another would end past this (the whole run must stay under 15 minutes). */
const BUDGET_MS = 13 * 60_000;
/** No tool runs past this point: later workloads show "n/a (time budget)", tool timeouts are cut to fit. */
const HARD_LIMIT_MS = 14 * 60_000;
const BROKERS = (env.VSK_ONLY ? [env.VSK_ONLY] : ['kafka', 'strata']) as BrokerKind[];
const ALL_WORKLOADS = ['acks1', 'acksall', 'latency', 'cjava', 'ckcat', 'pkcat', 'txn'] as const;
const CLUSTER_WORKLOADS = ['acksall', 'latency', 'cjava', 'ckcat'] as const;
const TXN_SECONDS = Number(env.VSK_TXN_SECONDS ?? 15);
const TXN_RATE = Number(env.VSK_TXN_RATE ?? 5000);
type Workload = (typeof ALL_WORKLOADS)[number];
const WORKLOADS = new Set<Workload>(env.VSK_WORKLOADS ? (env.VSK_WORKLOADS.split(',') as Workload[]) : CLUSTER ? CLUSTER_WORKLOADS : ALL_WORKLOADS);

interface Row {
  key: string;
  workload: string;
  metric: string;
  better: 'higher' | 'lower';
  digits: number;
  /** false: context only, not a figure Strata is judged on (e.g. the rate a throttled run achieved). */
  rank?: boolean;
}

/** The table, in print order. `key`s index the per-run figures. */
function rows(latencyRps: number): Row[] {
  const lat = `produce latency @ ${latencyRps.toLocaleString('en-US')} rec/s, acks=${LATENCY_ACKS} (ProducerPerformance)`;
  const procs = CLUSTER ? `, sum of ${BROKER_COUNT} processes` : '';
  const all: Row[] = [
    { key: 'acks1.rps', workload: 'produce acks=1 (ProducerPerformance)', metric: 'records/s', better: 'higher', digits: 0 },
    { key: 'acks1.mibps', workload: 'produce acks=1 (ProducerPerformance)', metric: 'MiB/s', better: 'higher', digits: 1 },
    { key: 'acksall.rps', workload: 'produce acks=all (ProducerPerformance)', metric: 'records/s', better: 'higher', digits: 0 },
    { key: 'acksall.mibps', workload: 'produce acks=all (ProducerPerformance)', metric: 'MiB/s', better: 'higher', digits: 1 },
    // a cluster's acks=all latency at its peak (queueing included) beside the fixed-rate figures below
    ...(CLUSTER ? [{ key: 'acksall.p99', workload: 'produce acks=all (ProducerPerformance)', metric: 'p99 ms at peak', better: 'lower', digits: 0 } as const] : []),
    { key: 'latency.p50', workload: lat, metric: 'p50 ms', better: 'lower', digits: 1 },
    { key: 'latency.p99', workload: lat, metric: 'p99 ms', better: 'lower', digits: 1 },
    { key: 'latency.p999', workload: lat, metric: 'p99.9 ms', better: 'lower', digits: 1 },
    { key: 'latency.rps', workload: lat, metric: 'achieved records/s', better: 'higher', digits: 0, rank: false },
    { key: 'cjava.mibps', workload: 'consume (ConsumerPerformance, fetch.*)', metric: 'MiB/s', better: 'higher', digits: 1 },
    { key: 'cjava.rps', workload: 'consume (ConsumerPerformance, fetch.*)', metric: 'records/s', better: 'higher', digits: 0 },
    { key: 'ckcat.mibps', workload: 'consume (kcat -C, librdkafka, no group)', metric: 'MiB/s', better: 'higher', digits: 1 },
    { key: 'ckcat.rps', workload: 'consume (kcat -C, librdkafka, no group)', metric: 'records/s', better: 'higher', digits: 0 },
    { key: 'pkcat.rps', workload: 'produce acks=1 (kcat -P, librdkafka)', metric: 'records/s', better: 'higher', digits: 0 },
    { key: 'pkcat.mibps', workload: 'produce acks=1 (kcat -P, librdkafka)', metric: 'MiB/s', better: 'higher', digits: 1 },
    { key: 'txn.rps', workload: 'transactional produce, commit every 100 ms (TxnBench)', metric: 'records/s', better: 'higher', digits: 0 },
    { key: 'txn.mibps', workload: 'transactional produce, commit every 100 ms (TxnBench)', metric: 'MiB/s', better: 'higher', digits: 1 },
    { key: 'txn.commitP50', workload: 'transactional produce, commit every 100 ms (TxnBench)', metric: 'commit p50 ms', better: 'lower', digits: 1 },
    { key: 'txn.e2eP50', workload: `read_committed end-to-end @ ${TXN_RATE.toLocaleString('en-US')} rec/s (TxnBench)`, metric: 'p50 ms', better: 'lower', digits: 0 },
    { key: 'txn.e2eP99', workload: `read_committed end-to-end @ ${TXN_RATE.toLocaleString('en-US')} rec/s (TxnBench)`, metric: 'p99 ms', better: 'lower', digits: 0 },
    { key: 'broker.rssMiB', workload: `broker peak RSS (VmHWM${procs})`, metric: 'MiB', better: 'lower', digits: 0 },
    { key: 'broker.cpuPerGB', workload: `broker CPU per GB moved (utime+stime${procs})`, metric: 'CPU s/GB', better: 'lower', digits: 2 },
  ];
  // a cluster run shows only the workloads it ran
  return CLUSTER ? all.filter((row) => row.key.startsWith('broker.') || WORKLOADS.has(row.key.split('.')[0] as Workload)) : all;
}

interface RunResult {
  broker: BrokerKind;
  round: number;
  figures: Record<string, number>;
  /** Why a figure is missing ("n/a (…)"), by row key prefix (workload). */
  missing: Record<string, string>;
  checks: string[];
  /** Checks that failed (records missing, a replica short), repeated under the table: the figures may not compare. */
  warnings?: string[];
  cpuSeconds: number;
  gbMoved: number;
  seconds: number;
}

const t0 = Date.now();
/** A tool timeout cut so that the tool cannot run past the hard limit. */
const within = (ms: number) => Math.max(5000, Math.min(ms, t0 + HARD_LIMIT_MS - Date.now()));
/** Temp dirs of running brokers: removed on exit even when the run is interrupted (the processes themselves are
 * SIGKILLed by e2e/helpers/children). */
const liveDirs = new Set<string>();
process.on('exit', () => {
  for (const d of liveDirs) fs.rmSync(d, { recursive: true, force: true });
});
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s`;
const log = (msg: string) => console.log(`[${elapsed()}] ${msg}`);
const fmtNum = (n: number, digits: number) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The fixed rate of the latency workload: VSK_LATENCY_RPS, else half of Kafka's first BASE_WORKLOAD figure. */
const latency = { rps: env.VSK_LATENCY_RPS ? Number(env.VSK_LATENCY_RPS) : NaN, fallback: 40_000 };
const latencyRps = () => (Number.isFinite(latency.rps) ? latency.rps : latency.fallback);

async function runBroker(kind: BrokerKind, round: number, kcatInput: string): Promise<RunResult> {
  const started = Date.now();
  const res: RunResult = { broker: kind, round, figures: {}, missing: {}, checks: [], cpuSeconds: NaN, gbMoved: 0, seconds: 0 };
  const tag = `${kind} r${round}`;
  log(`${tag}: starting broker`);
  const broker = await startBrokers(kind, BROKER_COUNT, { numPartitions: PARTITIONS, segmentBytes: SEGMENT_BYTES, strataNodeFlags: env.VSK_STRATA_NODE_FLAGS });
  for (const d of broker.baseDirs) liveDirs.add(d);
  let bytesMoved = 0;
  try {
    const topic = (w: string) => `perf-${w}`;
    const topicsOf: Record<Workload, string[]> = { acks1: ['acks1'], acksall: ['acksall'], latency: ['latency'], cjava: [], ckcat: [], pkcat: ['pkcat'], txn: ['txn-peak', 'txn-rate'] };
    const topics = ['warmup', ...ALL_WORKLOADS.filter((w) => WORKLOADS.has(w)).flatMap((w) => topicsOf[w])].map(topic);
    await createTopics(broker.host, broker.port, topics, { partitions: PARTITIONS, replicationFactor: REPLICATION_FACTOR, configs: TOPIC_CONFIGS });
    if (CLUSTER) {
      await waitForFullIsr(broker.host, broker.port, topics, REPLICATION_FACTOR, 60_000);
      log(`${tag}: ${BROKER_COUNT} brokers up, ${topics.length} topics × ${PARTITIONS} partitions with all ${REPLICATION_FACTOR} replicas in the ISR`);
    }
    const props1 = { ...PRODUCER_PROPS, acks: 1 };
    const produceTimeout = Math.max(180_000, (RECORDS / 5000) * 1000);
    try {
      await producerPerf({ bootstrap: broker.bootstrap, topic: topic('warmup'), records: WARMUP_RECORDS, recordSize: RECORD_SIZE, throughput: -1, producerProps: props1, timeoutMs: within(produceTimeout) });
    } catch (err) {
      log(`${tag}: warm-up failed: ${(err as Error).message}`);
    }
    const stats = () => totalProcStats(broker.pids());
    const before: ProcStats = stats();

    const f = res.figures;
    const check = async (t: string, expected: number) => {
      const stored = await storedRecords(broker.host, broker.port, t);
      const line = `${t}: ${stored} records stored, ${expected} expected`;
      res.checks.push(line);
      const warn = (w: string) => {
        (res.warnings ??= []).push(w);
        log(`${tag}: WARNING ${w}`);
      };
      if (stored !== expected) warn(line);
      if (CLUSTER) {
        // every broker must hold a full copy: its segment files at least the payload
        const disk = await waitForReplicaBytes(broker.logDirs, t, expected * RECORD_SIZE, 30_000);
        const mib = disk.bytes.map((b) => (b / (1 << 20)).toFixed(1)).join(', ');
        const copies = `${t}: MiB on each broker's disk ${mib} (payload ${((expected * RECORD_SIZE) / (1 << 20)).toFixed(1)})`;
        res.checks.push(copies);
        if (disk.complete) log(`${tag}: ${copies}`);
        else warn(`not fully replicated: ${copies}`);
      }
    };
    const step = async (w: Workload, body: () => Promise<void>) => {
      if (!WORKLOADS.has(w)) {
        res.missing[w] = 'skipped';
        return;
      }
      if (!broker.isAlive()) {
        res.missing[w] = 'n/a (broker died)';
        return;
      }
      if (Date.now() - t0 > HARD_LIMIT_MS) {
        res.missing[w] = 'n/a (time budget)';
        return;
      }
      const cpu0 = stats().cpuSeconds;
      try {
        await body();
        // the broker's CPU time during this workload (all passes), kept in the JSON
        if (broker.isAlive()) f[`${w}.brokerCpuSeconds`] = Number((stats().cpuSeconds - cpu0).toFixed(2));
      } catch (err) {
        const label = err instanceof ToolError ? err.label : 'n/a (error)';
        res.missing[w] = label;
        log(`${tag}: ${w}: ${label}: ${(err as Error).message.split('\n').slice(0, 6).join(' | ')}`);
      }
    };

    await step('acks1', async () => {
      const r = await producerPerf({ bootstrap: broker.bootstrap, topic: topic('acks1'), records: RECORDS, recordSize: RECORD_SIZE, throughput: -1, producerProps: props1, timeoutMs: within(produceTimeout) });
      f['acks1.rps'] = r.recordsPerSec;
      f['acks1.mibps'] = r.mibPerSec;
      bytesMoved += r.records * RECORD_SIZE;
      log(`${tag}: produce acks=1: ${fmtNum(r.recordsPerSec, 0)} records/s, ${r.mibPerSec} MiB/s (p99 ${r.p99Ms} ms)`);
      if (BASE_WORKLOAD === 'acks1') fixLatencyRate(kind, r.recordsPerSec);
      await check(topic('acks1'), RECORDS);
    });
    await step('acksall', async () => {
      const r = await producerPerf({ bootstrap: broker.bootstrap, topic: topic('acksall'), records: RECORDS, recordSize: RECORD_SIZE, throughput: -1, producerProps: { ...PRODUCER_PROPS, acks: 'all' }, timeoutMs: within(produceTimeout) });
      f['acksall.rps'] = r.recordsPerSec;
      f['acksall.mibps'] = r.mibPerSec;
      if (CLUSTER) f['acksall.p99'] = r.p99Ms;
      bytesMoved += r.records * RECORD_SIZE;
      log(`${tag}: produce acks=all: ${fmtNum(r.recordsPerSec, 0)} records/s, ${r.mibPerSec} MiB/s (p99 ${r.p99Ms} ms)`);
      if (BASE_WORKLOAD === 'acksall') fixLatencyRate(kind, r.recordsPerSec);
      await check(topic('acksall'), RECORDS);
    });
    await step('latency', async () => {
      const rps = latencyRps();
      const n = Math.round(rps * LATENCY_SECONDS);
      const props = { ...PRODUCER_PROPS, acks: LATENCY_ACKS };
      const r = await producerPerf({ bootstrap: broker.bootstrap, topic: topic('latency'), records: n, recordSize: RECORD_SIZE, throughput: rps, producerProps: props, timeoutMs: within(LATENCY_SECONDS * 4000 + 60_000) });
      f['latency.p50'] = r.p50Ms;
      f['latency.p99'] = r.p99Ms;
      f['latency.p999'] = r.p999Ms;
      f['latency.rps'] = r.recordsPerSec;
      bytesMoved += r.records * RECORD_SIZE;
      log(`${tag}: latency @ ${rps} rec/s: p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, p99.9 ${r.p999Ms} ms (achieved ${fmtNum(r.recordsPerSec, 0)} rec/s)`);
      await check(topic('latency'), n);
    });
    const written = WORKLOADS.has(BASE_WORKLOAD) && f[`${BASE_WORKLOAD}.rps`] !== undefined ? RECORDS : 0;
    await step('cjava', async () => {
      if (written === 0) throw new ToolError(`nothing written by ${BASE_WORKLOAD}`, 'n/a (no data)');
      const mib: number[] = [];
      const rps: number[] = [];
      for (let pass = 1; pass <= CONSUME_PASSES; pass++) {
        const r = await consumerPerf({ bootstrap: broker.bootstrap, topic: topic(BASE_WORKLOAD), records: written, timeoutMs: within(180_000) });
        mib.push(r.fetchMibPerSec);
        rps.push(r.fetchRecordsPerSec);
        bytesMoved += r.records * RECORD_SIZE;
        log(`${tag}: consume (ConsumerPerformance) pass ${pass}: fetch ${r.fetchMibPerSec} MiB/s, ${fmtNum(r.fetchRecordsPerSec, 0)} records/s (group join ${r.rebalanceMs} ms not counted)`);
      }
      f['cjava.mibps'] = median(mib);
      f['cjava.rps'] = median(rps);
    });
    await step('ckcat', async () => {
      if (written === 0) throw new ToolError(`nothing written by ${BASE_WORKLOAD}`, 'n/a (no data)');
      const mib: number[] = [];
      const rps: number[] = [];
      for (let pass = 1; pass <= CONSUME_PASSES; pass++) {
        const r = await kcatConsume({ bootstrap: broker.bootstrap, topic: topic(BASE_WORKLOAD), expected: written, recordSize: RECORD_SIZE, timeoutMs: within(180_000) });
        mib.push(r.mibPerSec);
        rps.push(r.recordsPerSec);
        bytesMoved += r.records * RECORD_SIZE;
        log(`${tag}: consume (kcat) pass ${pass}: ${r.mibPerSec.toFixed(1)} MiB/s, ${fmtNum(r.recordsPerSec, 0)} records/s`);
      }
      f['ckcat.mibps'] = median(mib);
      f['ckcat.rps'] = median(rps);
    });
    await step('pkcat', async () => {
      const r = await kcatProduce({ bootstrap: broker.bootstrap, topic: topic('pkcat'), file: kcatInput, records: RECORDS, recordSize: RECORD_SIZE, props: { ...PRODUCER_PROPS, acks: 1 }, timeoutMs: within(produceTimeout) });
      f['pkcat.rps'] = r.recordsPerSec;
      f['pkcat.mibps'] = r.mibPerSec;
      bytesMoved += r.records * RECORD_SIZE;
      log(`${tag}: produce (kcat): ${fmtNum(r.recordsPerSec, 0)} records/s, ${r.mibPerSec.toFixed(1)} MiB/s`);
      await check(topic('pkcat'), RECORDS);
    });
    await step('txn', async () => {
      const load = { bootstrap: broker.bootstrap, seconds: TXN_SECONDS, commitMs: 100, recordSize: RECORD_SIZE, timeoutMs: within(TXN_SECONDS * 1000 + 120_000) };
      const peak = await runTxnLoad({ ...load, topic: topic('txn-peak'), rate: 0 });
      f['txn.rps'] = peak.recordsPerSec;
      f['txn.mibps'] = (peak.records * RECORD_SIZE) / peak.seconds / (1 << 20);
      f['txn.commitP50'] = peak.commitP50Ms;
      bytesMoved += peak.records * RECORD_SIZE * 2; // written, and read by the read_committed consumer
      const paced = await runTxnLoad({ ...load, topic: topic('txn-rate'), rate: TXN_RATE });
      f['txn.e2eP50'] = paced.e2eP50Ms;
      f['txn.e2eP99'] = paced.e2eP99Ms;
      bytesMoved += paced.records * RECORD_SIZE * 2;
      log(`${tag}: transactional: ${fmtNum(peak.recordsPerSec, 0)} records/s, commit p50 ${peak.commitP50Ms} ms; read_committed e2e @ ${TXN_RATE} rec/s p50 ${paced.e2eP50Ms} ms, p99 ${paced.e2eP99Ms} ms`);
    });

    if (broker.isAlive()) {
      const after = stats();
      res.cpuSeconds = after.cpuSeconds - before.cpuSeconds;
      res.gbMoved = bytesMoved / 1e9;
      f['broker.rssMiB'] = after.peakRssMiB;
      if (bytesMoved > 0) f['broker.cpuPerGB'] = res.cpuSeconds / res.gbMoved;
      log(`${tag}: peak RSS ${after.peakRssMiB.toFixed(0)} MiB, ${res.cpuSeconds.toFixed(1)} CPU s for ${res.gbMoved.toFixed(2)} GB`);
    } else {
      res.missing.broker = 'n/a (broker died)';
      log(`${tag}: broker died:\n${broker.logTail(30)}`);
    }
  } finally {
    // a stop that needed SIGKILL (e.g. a cluster's last brokers waiting on each other's controlled shutdown) does not
    // void what was measured before it
    await broker.stop().catch((err: Error) => {
      res.checks.push(`stop: ${err.message.split('\n')[0]}`);
      log(`${tag}: stopping: ${err.message.split('\n')[0]}`);
    });
    for (const d of broker.baseDirs) liveDirs.delete(d);
    res.seconds = (Date.now() - started) / 1000;
    log(`${tag}: broker stopped (${res.seconds.toFixed(0)} s)`);
  }
  return res;
}

/** The latency workload's rate, from Kafka's first peak unless VSK_LATENCY_RPS set it: half of it, in thousands. */
function fixLatencyRate(kind: BrokerKind, peakRecordsPerSec: number): void {
  if (kind !== 'kafka' || Number.isFinite(latency.rps)) return;
  latency.rps = Math.max(1000, Math.round(peakRecordsPerSec / 2 / 1000) * 1000);
  log(`latency workload rate fixed at ${latency.rps} records/s for all runs (half of Kafka's ${BASE_WORKLOAD === 'acks1' ? 'acks=1' : 'acks=all'} peak)`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** stdout of a short command, or its stderr when stdout is empty (java -version prints there). */
function cmdOut(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  if (r.error) return r.error.message;
  return (r.stdout.trim() || r.stderr.trim());
}

async function main(): Promise<void> {
  const root = repoRoot();
  const lib = javaLibDir();
  const jars = fs.existsSync(lib) ? fs.readdirSync(lib) : [];
  const kafkaJar = jars.find((f) => /^kafka_2\.13-[\d.]+\.jar$/.test(f));
  const toolsJar = jars.find((f) => /^kafka-tools-[\d.]+\.jar$/.test(f));
  if (!kafkaJar || !toolsJar) throw new Error(`Kafka jars missing in ${lib}: run bash bench/java/install.sh`);
  const version = (j: string) => /-(\d[\w.]*)\.jar$/.exec(j)?.[1] ?? j;
  const strataVersion = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const gitRev = cmdOut('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  const dirty = spawnSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' });
  const gitDirty = dirty.status === 0 && dirty.stdout.trim() !== '';
  const javaVersion = cmdOut('java', ['-version']).split('\n')[0];
  const kcat = await kcatVersion();
  const cpus = os.cpus();
  const machine = {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
    kernel: `${os.type()} ${os.release()}`,
    loadAvgAtStart: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
  const versions = {
    kafka: `Apache Kafka ${version(kafkaJar)} (${kafkaJar}, KRaft combined mode${CLUSTER ? `, ${BROKER_COUNT} nodes, static ${BROKER_COUNT}-voter quorum` : ''})`,
    kafkaTools: `kafka-tools ${version(toolsJar)} (ProducerPerformance, ConsumerPerformance)`,
    java: javaVersion,
    strata: `Strata ${strataVersion} @ ${gitRev}${gitDirty ? ' (+ uncommitted changes)' : ''}`,
    node: `Node ${process.version}`,
    librdkafka: kcat,
  };
  const settings = {
    topic: CLUSTER
      ? `1 topic per workload × ${PARTITIONS} partitions, replication factor ${REPLICATION_FACTOR}, min.insync.replicas=2, ${BROKER_COUNT} brokers (full ISR checked before measuring, a full copy on each broker's disk after each produce)`
      : `1 topic per workload × ${PARTITIONS} partitions, replication factor 1, one node`,
    records: `${RECORD_SIZE} B records (one random A-Z payload, no compression); ${RECORDS.toLocaleString('en-US')} records per produce run; warm-up ${WARMUP_RECORDS.toLocaleString('en-US')}`,
    producer: 'linger.ms=5, batch.size=131072, acks=1 or all, unthrottled (--throughput -1)',
    segmentBytes: `log.segment.bytes=${SEGMENT_BYTES} on Kafka, --log-segment-bytes ${SEGMENT_BYTES} on Strata`,
    flush: 'no fsync by message count or time on either broker (both defaults: OS page cache)',
    kafkaJvm: `${(CLUSTER ? KAFKA_CLUSTER_HEAP : KAFKA_HEAP).join(' ')}${CLUSTER ? ' per node' : ''} + kafka-run-class.sh G1 flags; tools -Xmx512m`,
    consume: `the ${BASE_WORKLOAD} topic read ${CONSUME_PASSES}× per run by each tool (median pass); ConsumerPerformance fetch.* figures (exclude the group join); kcat -C assigns partitions, no group`,
    rounds: `${ROUNDS} rounds, order ${Array.from({ length: ROUNDS }, () => BROKERS.map((b) => (b === 'kafka' ? 'Kafka' : 'Strata')).join(' ')).join(' ')}; each broker run starts empty and is stopped before the next`,
  };

  console.log(
    CLUSTER
      ? `Strata vs Apache Kafka — same machine, same load tools, one ${BROKER_COUNT}-broker cluster at a time`
      : 'Strata vs Apache Kafka — same machine, same load tools, one broker at a time',
  );
  for (const [k, v] of Object.entries(versions)) console.log(`  ${k.padEnd(11)} ${v}`);
  console.log(`  machine     ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB RAM, ${machine.kernel}, load ${machine.loadAvgAtStart.join(' ')}`);
  for (const [k, v] of Object.entries(settings)) console.log(`  ${k.padEnd(11)} ${v}`);
  console.log('');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-vs-kafka-'));
  process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
  const kcatInput = path.join(tmp, 'kcat-input.txt');
  if (WORKLOADS.has('pkcat')) writeKcatInput(kcatInput, RECORDS, RECORD_SIZE);

  const results: RunResult[] = [];
  let roundsDone = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const spent = Date.now() - t0;
    const perRound = roundsDone > 0 ? spent / roundsDone : 0;
    if (round > 1 && spent + perRound > BUDGET_MS) {
      log(`skipping rounds ${round}..${ROUNDS}: another round would pass the ${BUDGET_MS / 60_000} min budget`);
      break;
    }
    for (const kind of BROKERS) {
      const r = await runBroker(kind, round, kcatInput).catch((err: Error): RunResult => {
        log(`${kind} r${round}: run failed: ${err.message}`);
        return { broker: kind, round, figures: {}, missing: { all: `n/a (${err.message.split('\n')[0].slice(0, 60)})` }, checks: [], cpuSeconds: NaN, gbMoved: 0, seconds: 0 };
      });
      results.push(r);
    }
    roundsDone++;
  }

  // The table: medians over the rounds.
  const table = rows(latencyRps()).map((row) => {
    const cell = (kind: BrokerKind): { value: number | null; label: string; rounds: Array<number | string> } => {
      const runs = results.filter((r) => r.broker === kind);
      const prefix = row.key.split('.')[0];
      const per = runs.map((r) => r.figures[row.key] ?? r.missing[prefix] ?? r.missing.all ?? 'n/a');
      const nums = per.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (nums.length === 0) {
        const why = per.find((v) => typeof v === 'string') as string | undefined;
        return { value: null, label: runs.length === 0 ? 'not run' : (why ?? 'n/a'), rounds: per };
      }
      const m = median(nums);
      return { value: m, label: fmtNum(m, row.digits), rounds: per };
    };
    const kafka = cell('kafka');
    const strata = cell('strata');
    const ratio = kafka.value !== null && strata.value !== null && kafka.value !== 0 ? strata.value / kafka.value : null;
    // how Strata stands, > 1 = better than Kafka, whichever direction the metric goes
    const standing = ratio === null || ratio === 0 ? null : row.better === 'higher' ? ratio : 1 / ratio;
    return { ...row, kafka, strata, ratio, standing };
  });

  const header = ['workload', 'metric', 'Kafka', 'Strata', 'Strata/Kafka'];
  const lines = table.map((r) => [r.workload, `${r.metric} (${r.better} is better)`, r.kafka.label, r.strata.label, r.ratio === null ? '—' : r.ratio.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmtLine = (l: string[]) => l.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  console.log('');
  console.log(`Medians over ${roundsDone} round(s) per broker:`);
  console.log(fmtLine(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  let prevWorkload = '';
  for (let i = 0; i < lines.length; i++) {
    const l = [...lines[i]];
    if (l[0] === prevWorkload) l[0] = '';
    else prevWorkload = l[0];
    console.log(fmtLine(l));
  }
  const ranked = table.filter((r) => r.standing !== null && r.rank !== false).sort((a, b) => a.standing! - b.standing!);
  if (ranked.length > 0) {
    const w = ranked[0];
    console.log(`\nStrata's weakest figure: ${w.workload}, ${w.metric}: ratio ${w.ratio!.toFixed(2)} (${w.better} is better)`);
  }
  const warnings = results.flatMap((r) => (r.warnings ?? []).map((w) => `  ${r.broker} r${r.round}: ${w}`));
  if (warnings.length > 0) console.log(`\nWARNINGS (the figures of these runs may not compare):\n${warnings.join('\n')}`);
  const totalSeconds = (Date.now() - t0) / 1000;
  console.log(`total time ${totalSeconds.toFixed(0)} s`);

  if (!env.VSK_NO_RESULTS) {
    const now = new Date();
    const stamp = now.toISOString().slice(0, 16).replace(/:/g, '').replace('T', '-');
    const dir = path.join(root, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `vs-kafka-${CLUSTER ? `${BROKER_COUNT}brokers-` : ''}${stamp}.json`);
    const json = {
      benchmark: 'vs-kafka',
      date: now.toISOString(),
      brokers: BROKER_COUNT,
      versions,
      machine,
      settings,
      latencyRecordsPerSec: latencyRps(),
      roundsPerBroker: roundsDone,
      totalSeconds: Number(totalSeconds.toFixed(0)),
      table: table.map((r) => ({
        workload: r.workload,
        metric: r.metric,
        better: r.better,
        kafka: r.kafka.value ?? r.kafka.label,
        strata: r.strata.value ?? r.strata.label,
        ratio: r.ratio === null ? null : Number(r.ratio.toFixed(3)),
        kafkaRounds: r.kafka.rounds,
        strataRounds: r.strata.rounds,
      })),
      runs: results,
    };
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(json, null, 2) + '\n');
    fs.renameSync(`${file}.tmp`, file);
    console.log(`results written to ${path.relative(root, file)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
