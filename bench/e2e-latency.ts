// `npm run bench` (end-to-end part): one broker process; a consumer group of 2 members (Java kafka-clients
// 4.1.1, each its own JVM, classic protocol, auto commit) reading a topic of 8 partitions while a Java producer
// (its own JVM, acks=all, idempotent by default) writes 1 KiB records at 50 MB/s. The consumers measure the
// end-to-end latency of every record (consume time minus the record's CreateTime, same machine clock) after
// a warm-up; this prints latency p50/p99/p999/max, the consumers' throughput and the producer's achieved rate.
// Figures only: nothing here passes or fails. BENCH_E2E_SECONDS (default 15) and BENCH_E2E_MBPS (default 50)
// change the measured time and the rate.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { createTopic } from './common';
import { BrokerProcess } from '../e2e/helpers/broker-process';
import { startJava } from '../e2e/helpers/client-process';
import { requireJavaClient } from '../e2e/helpers/java';
import { stopAll, type JsonLine, type JsonLinesProcess } from '../e2e/helpers/json-process';

const SECONDS = Number(process.env.BENCH_E2E_SECONDS ?? 15);
const WARMUP_SECONDS = 5;
const MBPS = Number(process.env.BENCH_E2E_MBPS ?? 50);
const TOPIC = 'e2e-latency';
const GROUP = 'e2e-latency-group';
const PARTITIONS = 8;
const RECORD_BYTES = 1024;
const JVM = ['-Xms256m', '-Xmx768m'];

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

/** Peak resident memory (VmHWM) and CPU seconds of a process, from /proc. */
function processStats(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { peakRssMiB: hwm / 1024, cpuSeconds: (Number(stat[11]) + Number(stat[12])) / 100 };
}

/** The q-quantile (0..1) of a latency histogram {ms: count}. */
function quantile(hist: Map<number, number>, total: number, q: number): number {
  const rank = Math.min(total, Math.max(1, Math.ceil(q * total)));
  let seen = 0;
  for (const ms of [...hist.keys()].sort((a, b) => a - b)) {
    seen += hist.get(ms)!;
    if (seen >= rank) return ms;
  }
  return NaN;
}

function latestAssignment(j: JsonLinesProcess): number[] | null {
  for (let i = j.lines.length - 1; i >= 0; i--) if (j.lines[i].event === 'assigned') return j.lines[i].assignment as number[];
  return null;
}

/** Count, mean and the p50/p99 bucket bounds of strata_request_duration_seconds for the given APIs. */
function summarizeRequestDurations(text: string, apis: string[]): string {
  return apis
    .map((api) => {
      const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
      const esc = api.replace(/[^A-Za-z]/g, '');
      const count = num(new RegExp(`^strata_request_duration_seconds_count\\{api="${esc}"\\} (\\S+)$`, 'm'));
      const sum = num(new RegExp(`^strata_request_duration_seconds_sum\\{api="${esc}"\\} (\\S+)$`, 'm'));
      const buckets = [...text.matchAll(new RegExp(`^strata_request_duration_seconds_bucket\\{le="([^"]+)",api="${esc}"\\} (\\S+)$`, 'gm'))].map((m) => [m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2])] as const);
      const bound = (q: number) => {
        const b = buckets.find(([, c]) => c >= q * count);
        return b ? (Number.isFinite(b[0]) ? `≤${fmt(b[0] * 1000, 0)}` : '>max') : '?';
      };
      return `${api} ${count} requests, mean ${fmt((sum / count) * 1000, 2)} ms, p50 ${bound(0.5)} ms, p99 ${bound(0.99)} ms`;
    })
    .join('; ');
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string, procs: JsonLinesProcess[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    for (const p of procs) if (!p.isAlive()) throw new Error(`${p.opts.name} exited while waiting for ${what}\n${p.describe()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${procs.map((p) => p.describe(4, 1500)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  requireJavaClient();
  const broker = await BrokerProcess.start({
    name: 'bench-e2e',
    logLevel: 'warn',
    extraArgs: ['--log-segment-bytes', String(256 * 1024 * 1024), '--group-initial-rebalance-delay-ms', '0', '--offsets-topic-num-partitions', '5'],
  });
  const procs: JsonLinesProcess[] = [];
  try {
    await createTopic(broker.host, broker.port, TOPIC, PARTITIONS);

    // Two group members; nothing is measured until the producer has warmed up ("from" is sent later).
    const consumers = [1, 2].map((i) => startJava('bench-consume', [broker.bootstrap, TOPIC, GROUP, Number.MAX_SAFE_INTEGER], { name: `consumer ${i}`, jvmFlags: JVM }));
    procs.push(...consumers);
    await waitUntil(
      () => {
        const a = consumers.map(latestAssignment);
        if (a.some((x) => x === null || x.length === 0)) return false;
        const all = a.flatMap((x) => x!).sort((x, y) => x - y);
        return JSON.stringify(all) === JSON.stringify(Array.from({ length: PARTITIONS }, (_, p) => p));
      },
      60_000,
      'the 2 consumers to share the 8 partitions',
      consumers,
    );

    const producer = startJava('bench-produce', [broker.bootstrap, TOPIC, PARTITIONS, MBPS, SECONDS + WARMUP_SECONDS, RECORD_BYTES], { name: 'producer', jvmFlags: JVM });
    procs.push(producer);
    await waitUntil(() => producer.lines.some((l) => l.event === 'started'), 60_000, 'the producer to start', [producer]);
    await new Promise((r) => setTimeout(r, WARMUP_SECONDS * 1000));
    const measureFrom = Date.now();
    for (const c of consumers) c.send(`from ${measureFrom}`);
    await waitUntil(() => producer.lines.some((l) => l.cmd === 'bench-produce'), (SECONDS + 120) * 1000, 'the producer to finish', [producer, ...consumers]);
    // Let the consumers catch up with everything produced (their progress lines count all records read).
    const produced = (producer.lines.find((l) => l.cmd === 'bench-produce') as JsonLine).records as number;
    const readSoFar = () => consumers.reduce((n, c) => n + ((c.lines.filter((l) => l.event === 'progress').pop()?.allRecords as number | undefined) ?? 0), 0);
    await waitUntil(() => readSoFar() >= produced, 120_000, `the consumers to read all ${produced} records`, consumers).catch((err: Error) => {
      console.error(`warning: ${err.message.split('\n')[0]} (read ${readSoFar()})`);
    });
    const brokerStats = processStats(broker.pid!);
    const requestTimes = summarizeRequestDurations(await broker.metricsText(), ['Produce', 'Fetch']);
    for (const c of consumers) await c.stop(30_000);
    await producer.stop(10_000);

    const p = producer.lines.find((l) => l.cmd === 'bench-produce') as JsonLine;
    const sums = consumers.map((c) => c.lines.find((l) => l.cmd === 'bench-consume') as JsonLine | undefined);
    if (sums.some((s) => !s)) throw new Error(`a consumer printed no summary\n${consumers.map((c) => c.describe()).join('\n')}`);
    const hist = new Map<number, number>();
    let records = 0;
    let bytes = 0;
    let first = Infinity;
    let last = -Infinity;
    for (const s of sums as JsonLine[]) {
      for (const [ms, n] of Object.entries(s.hist as Record<string, number>)) hist.set(Number(ms), (hist.get(Number(ms)) ?? 0) + n);
      records += s.records as number;
      bytes += s.bytes as number;
      if ((s.firstMs as number) > 0) first = Math.min(first, s.firstMs as number);
      last = Math.max(last, s.lastMs as number);
    }
    // Throughput over the measured interval: records created from measureFrom on, consumed by `last`.
    const clientCpu = [['producer', p] as const, ...sums.map((x, i) => [`consumer ${i + 1}`, x!] as const)].map(([n, x]) => `${n} ${fmt(x.cpuSeconds as number)} s`).join(', ');
    const consumeSecs = (last - measureFrom) / 1000;
    if (process.env.BENCH_E2E_DUMP) fs.writeFileSync(process.env.BENCH_E2E_DUMP, JSON.stringify({ hist: [...hist].sort((a, b) => a[0] - b[0]), sums, first, last, measureFrom }));
    const maxMs = Math.max(...hist.keys());
    const ackHist = new Map(Object.entries(p.ackHist as Record<string, number>).map(([ms, n]) => [Number(ms), n]));
    const acked = [...ackHist.values()].reduce((a, b) => a + b, 0);

    console.log(`Strata end-to-end benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}`);
    console.log(
      `workload: 1 topic × ${PARTITIONS} partitions, ${RECORD_BYTES} B records; Java producer (acks=all) at ${MBPS} MB/s; consumer group of 2 Java consumers (separate JVMs); ${SECONDS} s measured after ${WARMUP_SECONDS} s warm-up`,
    );
    console.log(`producer: ${fmt(p.mbPerSec as number)} MB/s achieved over ${fmt(p.seconds as number)} s (${p.records} records, ${p.errors} errors)`);
    console.log(`  send → ack latency (whole run, incl. warm-up): p50 ${quantile(ackHist, acked, 0.5)} ms   p99 ${quantile(ackHist, acked, 0.99)} ms   max ${Math.max(...ackHist.keys())} ms`);
    console.log(
      `consumers: ${fmt(bytes / consumeSecs / 1e6)} MB/s, ${fmt(records / consumeSecs, 0)} records/s over ${fmt(consumeSecs)} s (${records} records measured, ${sums.map((s) => s!.records).join(' + ')})`,
    );
    console.log(`end-to-end latency (consume time − CreateTime): p50 ${quantile(hist, records, 0.5)} ms   p99 ${quantile(hist, records, 0.99)} ms   p999 ${quantile(hist, records, 0.999)} ms   max ${maxMs} ms`);
    console.log(`broker request time: ${requestTimes}`);
    console.log(`broker: peak RSS ${fmt(brokerStats.peakRssMiB, 0)} MiB, CPU ${fmt(brokerStats.cpuSeconds)} s over the run; client CPU: ${clientCpu}`);
  } finally {
    await stopAll(procs, 10_000);
    await broker.stop().catch(() => undefined);
    await broker.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
