// `npm run bench`: one broker process, one load-generator process (bench/load-client.ts), 1 topic × 8
// partitions, 1 KiB records. Prints produce MB/s and records/s (acks=1, unthrottled), the same for lz4 and zstd
// batches of text-like records (the broker decompresses each to check its records: the CPU per record shows that
// cost), produce latency p50/p99/p999 at a fixed 50 MB/s, the same two figures with acks=all (fsynced before the
// answer), fetch MB/s from page cache, and the broker's peak RSS and CPU time.
// Figures only: nothing here passes or fails.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTopic } from './common';
import { Compression } from '../broker/src/protocol/records';
import { BrokerProcess } from '../e2e/helpers/broker-process';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TOPIC = 'bench';
const PARTITIONS = 8;
const base = { topic: TOPIC, partitions: PARTITIONS, recordBytes: 1024, recordsPerBatch: 64, seconds: SECONDS };

function runLoad(broker: BrokerProcess, opts: object): Promise<Record<string, number | string>> {
  const args = JSON.stringify({ host: broker.host, port: broker.port, ...base, connections: 4, depth: 2, rateMBps: 50, acks: 1, ...opts });
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'load-client.js'), args], { maxBuffer: 1 << 20, timeout: (SECONDS + 120) * 1000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`load client failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

/** Peak resident memory (VmHWM) and CPU seconds of a process, from /proc. */
function processStats(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]); // utime + stime
  return { peakRssMiB: hwm / 1024, cpuSeconds: ticks / 100 };
}

const fmt = (n: number | string, digits = 1) => (typeof n === 'number' ? n.toFixed(digits) : n);

/** Broker CPU time per record of a produce phase, in microseconds. */
const cpuPerRecord = (cpuSeconds: number, phase: Record<string, number | string>): number => (cpuSeconds * 1e6) / Number(phase.records);

async function main(): Promise<void> {
  const broker = await BrokerProcess.start({ name: 'bench', logLevel: 'warn', extraArgs: ['--log-segment-bytes', String(256 * 1024 * 1024)] });
  try {
    await createTopic(broker.host, broker.port, TOPIC, PARTITIONS);

    console.log(`Strata benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
    console.log(`workload: 1 topic × ${PARTITIONS} partitions, ${base.recordBytes} B records, ${base.recordsPerBatch} records/batch, ${SECONDS} s per phase\n`);

    const cpu = (): number => processStats(broker.pid!).cpuSeconds;
    const cpuBefore = cpu();
    const produce = await runLoad(broker, { mode: 'produce' });
    console.log(`produce (acks=1, 4 connections × 2 in flight, 1 batch per partition per request)`);
    console.log(`  ${fmt(produce.mbPerSec)} MB/s   ${fmt(produce.recordsPerSec, 0)} records/s   broker CPU ${fmt(cpuPerRecord(cpu() - cpuBefore, produce), 2)} µs/record`);

    for (const [codec, compression] of [['lz4', Compression.LZ4], ['zstd', Compression.ZSTD]] as const) {
      const topic = `${TOPIC}-${codec}`; // its own topic: the fetch phase reads the uncompressed one only
      await createTopic(broker.host, broker.port, topic, PARTITIONS);
      const before = cpu();
      const r = await runLoad(broker, { mode: 'produce', topic, compression });
      console.log(`produce ${codec} (as above; text-like records, ${fmt(Number(r.recordMBPerSec) / Number(r.mbPerSec))}x compression)`);
      console.log(`  ${fmt(r.recordMBPerSec)} MB/s of records (${fmt(r.mbPerSec)} MB/s on the wire)   ${fmt(r.recordsPerSec, 0)} records/s   broker CPU ${fmt(cpuPerRecord(cpu() - before, r), 2)} µs/record`);
    }

    const latency = await runLoad(broker, { mode: 'latency', connections: 4, recordsPerBatch: 16 });
    console.log(`produce latency at ${latency.targetMBps} MB/s (acks=1, 16 KiB batches; achieved ${fmt(latency.achievedMBps)} MB/s)`);
    console.log(`  p50 ${fmt(latency.p50ms, 2)} ms   p99 ${fmt(latency.p99ms, 2)} ms   p999 ${fmt(latency.p999ms, 2)} ms   max ${fmt(latency.maxms, 2)} ms`);

    // acks=all on a single-replica partition waits for the (group-committed) fsync.
    const durable = await runLoad(broker, { mode: 'produce', acks: -1 });
    console.log(`produce (acks=all, fsynced, same load)`);
    console.log(`  ${fmt(durable.mbPerSec)} MB/s   ${fmt(durable.recordsPerSec, 0)} records/s`);
    const durableLatency = await runLoad(broker, { mode: 'latency', connections: 4, recordsPerBatch: 16, acks: -1 });
    console.log(`produce latency at ${durableLatency.targetMBps} MB/s (acks=all, 16 KiB batches; achieved ${fmt(durableLatency.achievedMBps)} MB/s)`);
    console.log(`  p50 ${fmt(durableLatency.p50ms, 2)} ms   p99 ${fmt(durableLatency.p99ms, 2)} ms   p999 ${fmt(durableLatency.p999ms, 2)} ms   max ${fmt(durableLatency.maxms, 2)} ms`);

    const fetch = await runLoad(broker, { mode: 'fetch' });
    console.log(`fetch from page cache (1 connection, all partitions from offset 0)`);
    console.log(`  ${fmt(fetch.mbPerSec)} MB/s   (${fmt(Number(fetch.bytes) / 1e6, 0)} MB in ${fmt(fetch.seconds, 2)} s)`);

    const stats = processStats(broker.pid!);
    console.log(`broker: peak RSS ${fmt(stats.peakRssMiB, 0)} MiB, CPU ${fmt(stats.cpuSeconds)} s over the run`);
  } finally {
    await broker.stop();
    await broker.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
