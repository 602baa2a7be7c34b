// `npm run bench:tier`: tiered storage on a real S3-compatible server (moto, installed by e2e/tier/install.sh)
// with the fault proxy in pass-through mode between the broker and moto, counting requests and bytes.
// Prints figures only:
//   - upload throughput while producing at 50 MB/s (bench/load-client.js, acks=1), and how long the bucket
//     takes to catch up once producing stops;
//   - cold reads from the bucket (local segments deleted, chunk cache empty), warm reads (cache full), and
//     local reads of the same amount of data on a topic that is not tiered; MB/s and GET requests per GB read.
// BENCH_TIER_SECONDS (default 10) sets the producing time per topic; BENCH_TIER_RATE_MBPS (default 50) the rate.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import { wholeBatches } from '../broker/src/protocol/records';
import type { FetchResponse, ListOffsetsResponse } from '../broker/src/protocol/schema/types';
import { BrokerProcess } from '../e2e/helpers/broker-process';
import { FaultProxy } from '../e2e/helpers/fault-proxy';
import { createKafka } from '../e2e/helpers/kafkajs';
import { MotoServer } from '../e2e/helpers/moto';
import { sleep } from '../e2e/helpers/util';
import { s3BrokerArgs } from '../e2e/tier/harness';

const SECONDS = Number(process.env.BENCH_TIER_SECONDS ?? 10);
const RATE_MBPS = Number(process.env.BENCH_TIER_RATE_MBPS ?? 50);
const PARTITIONS = 4;
const SEGMENT_BYTES = 16 * 1024 * 1024;
const BUCKET = 'strata-bench';
const TIERED = 'bench-tiered';
const LOCAL = 'bench-local';

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

function runLoad(broker: BrokerProcess, opts: object): Promise<Record<string, number | string>> {
  const args = JSON.stringify({
    host: broker.host, port: broker.port, topic: TIERED, partitions: PARTITIONS, recordBytes: 1024, recordsPerBatch: 64,
    seconds: SECONDS, connections: 4, depth: 2, rateMBps: RATE_MBPS, acks: 1, ...opts,
  });
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(__dirname, 'load-client.js'), args], { maxBuffer: 1 << 20, timeout: (SECONDS + 300) * 1000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`load client failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!));
    });
  });
}

/** Reads every partition of a topic from its earliest offset to its end; bytes are record-batch bytes. */
async function readAll(broker: BrokerProcess, topic: string): Promise<{ bytes: number; seconds: number }> {
  const c = await KafkaClient.connect({ host: broker.host, port: broker.port, clientId: 'bench-tier-fetch', maxFrameBytes: 512 * 1024 * 1024 });
  try {
    const offsets = async (timestamp: number) => {
      const lo = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 4, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp })) }],
      });
      return lo.topics[0].partitions.map((p) => Number(p.offset));
    };
    const end = await offsets(-1);
    const next = await offsets(-2);
    let bytes = 0;
    const started = process.hrtime.bigint();
    while (next.some((o, p) => o < end[p])) {
      const res = await c.request<FetchResponse>(ApiKey.Fetch, 12, {
        replicaId: -1,
        maxWaitMs: 500,
        minBytes: 1,
        maxBytes: 64 * 1024 * 1024,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: next.map((fetchOffset, partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 8 * 1024 * 1024 })) }],
        forgottenTopicsData: [],
        rackId: '',
      });
      for (const p of res.responses[0].partitions) {
        if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode} on ${topic}-${p.partitionIndex}`);
        const records = p.records as Buffer | null;
        if (!records) continue;
        bytes += records.length;
        const last = lastOffsetIn(records);
        if (last >= 0) next[p.partitionIndex] = last + 1;
      }
    }
    return { bytes, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await c.close();
  }
}

/** The last offset of the last whole batch in a fetched buffer (-1 when there is none). */
function lastOffsetIn(records: Buffer): number {
  return wholeBatches(records, 0).nextOffset - 1;
}

/** Bytes of local .log files of a topic's partitions. */
function localLogBytes(broker: BrokerProcess, topic: string): { bytes: number; segments: number } {
  let bytes = 0;
  let segments = 0;
  for (let p = 0; p < PARTITIONS; p++) {
    const dir = path.join(broker.dataDir, `${topic}-${p}`);
    for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      if (!name.endsWith('.log')) continue;
      bytes += fs.statSync(path.join(dir, name)).size;
      segments++;
    }
  }
  return { bytes, segments };
}

async function bucketLogBytes(moto: MotoServer): Promise<number> {
  return (await moto.listObjects(BUCKET)).filter((o) => o.key.endsWith('.log')).reduce((n, o) => n + o.size, 0);
}

async function main(): Promise<void> {
  const moto = await MotoServer.start({ buckets: [BUCKET] });
  const proxy = await FaultProxy.start(moto.port);
  let broker: BrokerProcess | undefined;
  try {
    broker = await BrokerProcess.start({
      name: 'bench-tier',
      logLevel: 'warn',
      autoCreateTopics: false,
      extraArgs: [
        ...s3BrokerArgs(proxy.endpoint, BUCKET, 30_000),
        '--log-retention-check-interval-ms', '1000',
        '--remote-cache-disk-bytes', String(4 * 1024 ** 3),
      ],
    });
    const kafka = createKafka(broker.bootstrap, 'bench-tier-admin');
    const admin = kafka.admin();
    await admin.connect();
    const tieredConfigs = [
      { name: 'segment.bytes', value: String(SEGMENT_BYTES) },
      { name: 'remote.storage.enable', value: 'true' },
    ];
    await admin.createTopics({
      topics: [
        { topic: TIERED, numPartitions: PARTITIONS, configEntries: tieredConfigs },
        { topic: LOCAL, numPartitions: PARTITIONS, configEntries: [{ name: 'segment.bytes', value: String(SEGMENT_BYTES) }] },
      ],
    });

    console.log(`Strata tiered-storage benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model}), Node ${process.version}, moto (server mode) on loopback`);
    console.log(`workload: ${PARTITIONS} partitions, 1 KiB records, ${SEGMENT_BYTES / 2 ** 20} MiB segments, ${SECONDS} s at ${RATE_MBPS} MB/s\n`);

    // 1. Upload throughput while producing.
    proxy.resetCounts();
    const t0 = Date.now();
    const samples: Array<{ t: number; up: number }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        samples.push({ t: Date.now() - t0, up: proxy.bytesIn.PUT ?? 0 });
        await sleep(250);
      }
    })();
    const load = await runLoad(broker, { mode: 'latency' });
    const produceEnd = Date.now() - t0;
    const uploadedDuring = proxy.bytesIn.PUT ?? 0;
    // Catch-up: every closed segment uploaded (the active segments stay local).
    const closedTarget = () => {
      const local = localLogBytes(broker!, TIERED);
      return local.bytes - Math.min(local.bytes, PARTITIONS * SEGMENT_BYTES);
    };
    const target = closedTarget();
    const deadline = Date.now() + 300_000;
    while ((await bucketLogBytes(moto)) < target && Date.now() < deadline) await sleep(250);
    const caughtUp = Date.now() - t0;
    sampling = false;
    await sampler;
    const uploaded = proxy.bytesIn.PUT ?? 0;
    console.log(`upload while producing at ${RATE_MBPS} MB/s (achieved ${fmt(Number(load.achievedMBps))} MB/s, produce p99 ${fmt(Number(load.p99ms), 2)} ms)`);
    console.log(`  during produce: ${fmt(uploadedDuring / 1e6)} MB uploaded in ${fmt(produceEnd / 1000)} s = ${fmt(uploadedDuring / 1e6 / (produceEnd / 1000))} MB/s`);
    console.log(`  all closed segments (${fmt(target / 1e6)} MB of .log) in the bucket ${fmt((caughtUp - produceEnd) / 1000, 2)} s after producing stopped; ` +
      `overall ${fmt(uploaded / 1e6 / (caughtUp / 1000))} MB/s, ${proxy.counts.PUT ?? 0} PUTs`);

    // 2. Local segments go; cold reads come from the bucket.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: TIERED, configEntries: [...tieredConfigs, { name: 'local.retention.ms', value: '1000' }, { name: 'local.retention.bytes', value: '1' }] }],
    });
    const localDeadline = Date.now() + 120_000;
    while (localLogBytes(broker, TIERED).segments > PARTITIONS && Date.now() < localDeadline) await sleep(250);
    const left = localLogBytes(broker, TIERED);
    await admin.disconnect();

    proxy.resetCounts();
    const cold = await readAll(broker, TIERED);
    const coldGets = proxy.counts.GET ?? 0;
    const coldGetBytes = proxy.bytesOut.GET ?? 0;
    proxy.resetCounts();
    const warm = await readAll(broker, TIERED);
    const warmGets = proxy.counts.GET ?? 0;

    // 3. Local reads of the same amount of data.
    await runLoad(broker, { mode: 'latency', topic: LOCAL });
    const local = await readAll(broker, LOCAL);

    const gb = (b: number) => b / 1e9;
    console.log(`reads from offset 0, 1 connection, all partitions (local segments left on the tiered topic: ${left.segments}, ${fmt(left.bytes / 1e6)} MB)`);
    console.log(`  cold (bucket, cache empty): ${fmt(cold.bytes / 1e6 / cold.seconds)} MB/s  (${fmt(cold.bytes / 1e6, 0)} MB in ${fmt(cold.seconds, 2)} s; ` +
      `${coldGets} GETs = ${fmt(coldGets / gb(cold.bytes), 0)} GETs/GB read, ${fmt(coldGetBytes / 1e6, 0)} MB fetched from the bucket)`);
    console.log(`  warm (cache full):          ${fmt(warm.bytes / 1e6 / warm.seconds)} MB/s  (${fmt(warm.bytes / 1e6, 0)} MB in ${fmt(warm.seconds, 2)} s; ${warmGets} GETs = ${fmt(warmGets / gb(warm.bytes), 1)} GETs/GB)`);
    console.log(`  local (not tiered):         ${fmt(local.bytes / 1e6 / local.seconds)} MB/s  (${fmt(local.bytes / 1e6, 0)} MB in ${fmt(local.seconds, 2)} s)`);
  } finally {
    if (broker) {
      await broker.stop().catch(() => undefined);
      await broker.cleanup();
    }
    await proxy.stop();
    await moto.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
