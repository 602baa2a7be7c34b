// `npm run bench` (transactional part; alone: `npm run bench:txn`): one broker process, a topic of 8 partitions,
// 1 KiB records, a Java transactional producer committing every 100 ms. Two runs: unthrottled (throughput and
// commit latency) and at a fixed rate (read_committed end-to-end latency, which includes waiting for the commit).
// BENCH_TXN_SECONDS (default 15) and BENCH_TXN_RATE (default 5000 records/s) change them. Figures only.
import { BrokerProcess } from '../e2e/helpers/broker-process';
import { createTopic } from './common';
import { runTxnLoad, type TxnFigures } from './txn-load';

const SECONDS = Number(process.env.BENCH_TXN_SECONDS ?? 15);
const RATE = Number(process.env.BENCH_TXN_RATE ?? 5000);
const COMMIT_MS = 100;
const RECORD_SIZE = 1024;
const PARTITIONS = 8;

const show = (label: string, f: TxnFigures) =>
  console.log(
    `${label.padEnd(34)} ${f.recordsPerSec.toFixed(0).padStart(8)} rec/s ${f.mbPerSec.toFixed(1).padStart(6)} MB/s  ` +
      `${String(f.commits).padStart(4)} commits (p50 ${f.commitP50Ms.toFixed(1)} ms, p99 ${f.commitP99Ms.toFixed(1)} ms)  ` +
      `read_committed e2e p50 ${f.e2eP50Ms} ms, p99 ${f.e2eP99Ms} ms, max ${f.e2eMaxMs} ms`,
  );

async function main(): Promise<void> {
  const broker = await BrokerProcess.start({ name: 'bench-txn', logLevel: 'warn', numPartitions: PARTITIONS });
  try {
    for (const t of ['txn-peak', 'txn-rate']) await createTopic(broker.host, broker.port, t, PARTITIONS);
    console.log(`transactional producer, commit every ${COMMIT_MS} ms, ${RECORD_SIZE} B records, ${PARTITIONS} partitions, ${SECONDS} s per run`);
    const load = { bootstrap: broker.bootstrap, seconds: SECONDS, commitMs: COMMIT_MS, recordSize: RECORD_SIZE, timeoutMs: SECONDS * 1000 + 120_000 };
    show('unthrottled', await runTxnLoad({ ...load, topic: 'txn-peak', rate: 0 }));
    show(`at ${RATE} rec/s`, await runTxnLoad({ ...load, topic: 'txn-rate', rate: RATE }));
  } finally {
    await broker.stop();
    await broker.cleanup();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
