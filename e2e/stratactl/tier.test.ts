// stratactl tier status, run as a process:
//   - against a Strata broker process with tiering on small segments and local.retention.bytes=1: once every closed
//     segment is in the object store and its local copy deleted, the JSON numbers match what the test computes
//     itself: offsets produced, the remote start (0), the local start (the active segment's base), the upload lag,
//     local bytes = the partition's .log files in the data dir, remote bytes = the .log objects in the object-store
//     directory; a topic without tiering shows tiered false and no remote bytes; the table shows both ranges with
//     human units. Kafka's own LogDirsCommand (kafka-log-dirs.sh) reads the same sizes through DescribeLogDirs.
//   - against Apache Kafka 4.1.1 (no tiered storage): it runs, exits 0, and shows tiered false and remote null.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { javaClasspath } from '../../bench/vs-kafka/kafka-broker';
import type { TierPartitionStatus } from '../../admin/tier';
import { createKafka } from '../helpers/kafkajs';
import { stratactl } from '../helpers/stratactl';
import { useBroker } from '../helpers/suite';
import { seededBytes, uniqueName, waitFor, withTimeout } from '../helpers/util';
import { localSegments, topicIdOf } from '../tier/harness';
import { forEachTarget } from './targets';

const SEGMENT_BYTES = 16 * 1024;
const RECORDS = 300;
const RECORD_BYTES = 1024;
const BATCH = 5;
const PLAIN_RECORDS = 20;

async function createAndProduce(bootstrap: string, topic: string, configs: Record<string, string>, records: number): Promise<void> {
  const kafka = createKafka(bootstrap, 'stratactl-tier');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < records; i += BATCH) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: Math.min(BATCH, records - i) }, (_, j) => ({ value: seededBytes(i + j, RECORD_BYTES) })) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Sum of the sizes of the `.log` files directly in `dir`. */
function logFileBytes(dir: string): number {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0);
}

async function tierJson(bootstrap: string, topics: string[]): Promise<TierPartitionStatus[]> {
  const r = await stratactl(['--brokers', bootstrap, '-o', 'json', 'tier', 'status', ...topics.flatMap((t) => ['--topic', t])]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout) as TierPartitionStatus[];
}

/** Runs Kafka's kafka-log-dirs.sh (LogDirsCommand) and returns its JSON line. */
async function kafkaLogDirs(bootstrap: string, topic: string): Promise<{ brokers: Array<{ broker: number; logDirs: Array<{ logDir: string; error: string | null; partitions: Array<{ partition: string; size: number; offsetLag: number; isFuture: boolean }> }> }> }> {
  const child = spawn('java', ['-cp', javaClasspath(), 'org.apache.kafka.tools.LogDirsCommand', '--bootstrap-server', bootstrap, '--describe', '--topic-list', topic], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const code = await withTimeout(new Promise<number | null>((resolve, reject) => (child.once('error', reject), child.once('close', resolve))), 60_000, 'LogDirsCommand').catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
  assert.equal(code, 0, `LogDirsCommand exited ${code}: ${err}`);
  const line = out.split('\n').find((l) => l.startsWith('{'));
  assert.ok(line, `no JSON in LogDirsCommand output:\n${out}\n${err}`);
  return JSON.parse(line);
}

describe('stratactl tier status (Strata broker process, local object store, tiering on)', function () {
  this.timeout(180_000);
  const ref = useBroker({ name: 'stratactl-tier', autoCreateTopics: false, extraArgs: ['--log-retention-check-interval-ms', '200'] });
  const tiered = uniqueName('tiered');
  const plain = uniqueName('plain');
  let activeBase = -1;
  let remoteDir = '';

  before(async function () {
    this.timeout(120_000);
    const bootstrap = ref.broker.bootstrap;
    await createAndProduce(bootstrap, tiered, { 'segment.bytes': String(SEGMENT_BYTES), 'remote.storage.enable': 'true', 'local.retention.bytes': '1' }, RECORDS);
    await createAndProduce(bootstrap, plain, { 'segment.bytes': String(SEGMENT_BYTES) }, PLAIN_RECORDS);
    const topicId = topicIdOf(ref.broker, tiered);
    const clusters = fs.readdirSync(ref.broker.objectStoreDir).filter((n) => fs.existsSync(path.join(ref.broker.objectStoreDir, n, 'topics', topicId)));
    assert.equal(clusters.length, 1, `the tiered topic's objects under exactly one cluster id: ${clusters}`);
    remoteDir = path.join(ref.broker.objectStoreDir, clusters[0]!, 'topics', topicId, '0');
    // Quiescent: only the active segment is local, and the manifest ends right below it (every closed segment
    // uploaded, its local copy deleted). Nothing changes after that: no more records, no upload max lag.
    activeBase = await waitFor(
      () => {
        const local = localSegments(ref.broker, tiered, 0);
        const manifestFile = path.join(remoteDir, 'manifest.json');
        if (local.length !== 1 || local[0] === 0 || !fs.existsSync(manifestFile)) return false;
        const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { segments: Array<{ lastOffset: number }> };
        return m.segments.at(-1)?.lastOffset === local[0]! - 1 ? local[0] : false;
      },
      { timeoutMs: 60_000, what: `closed segments of ${tiered} uploaded and deleted locally` },
    );
  });

  it('reports offsets, upload lag and bytes that match the data dir and the object store', async () => {
    const rows = await tierJson(ref.broker.bootstrap, [tiered, plain]);
    assert.deepEqual(
      rows.map((r) => r.topic),
      [tiered, plain].sort(),
    );
    const t = rows.find((r) => r.topic === tiered)!;
    const remoteLogObjects = fs.readdirSync(remoteDir).filter((n) => n.endsWith('.log'));
    assert.ok(remoteLogObjects.length >= 2, `segments uploaded: ${remoteLogObjects}`);
    assert.deepEqual(t, {
      topic: tiered,
      partition: 0,
      leader: 1,
      logStartOffset: 0,
      localStartOffset: activeBase,
      highestTieredOffset: activeBase - 1,
      logEndOffset: RECORDS,
      localBytes: logFileBytes(path.join(ref.broker.dataDir, `${tiered}-0`)),
      remoteBytes: logFileBytes(remoteDir),
      uploadLagRecords: RECORDS - activeBase,
      tiered: true,
      error: null,
    });
    assert.ok(t.remoteBytes! > SEGMENT_BYTES && t.localBytes! > 0, JSON.stringify(t));

    const p = rows.find((r) => r.topic === plain)!;
    assert.deepEqual(p, {
      topic: plain,
      partition: 0,
      leader: 1,
      logStartOffset: 0,
      localStartOffset: 0,
      highestTieredOffset: -1,
      logEndOffset: PLAIN_RECORDS,
      localBytes: logFileBytes(path.join(ref.broker.dataDir, `${plain}-0`)),
      remoteBytes: null,
      uploadLagRecords: null,
      tiered: false,
      error: null,
    });
  });

  it('prints both ranges, the lag and human-readable sizes as a table', async () => {
    const r = await stratactl(['--brokers', ref.broker.bootstrap, 'tier', 'status', '--topic', tiered]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^TOPIC\s+PARTITION\s+LEADER\s+REMOTE RANGE\s+LOCAL RANGE\s+UPLOAD LAG\s+LOCAL BYTES\s+REMOTE BYTES$/);
    assert.equal(lines.length, 2);
    const cells = lines[1]!.split(/\s{2,}/);
    assert.deepEqual(cells.slice(0, 6), [tiered, '0', '1', `0–${activeBase - 1}`, `${activeBase}–${RECORDS - 1}`, String(RECORDS - activeBase)]);
    assert.match(cells[6]!, /^\d+(\.\d)? (B|KiB)$/);
    assert.match(cells[7]!, /^\d+(\.\d)? KiB$/);
  });

  it('lists every non-internal topic without --topic, and exits 3 for an unknown topic', async () => {
    const all = await tierJson(ref.broker.bootstrap, []);
    assert.deepEqual(all.map((r) => r.topic).sort(), [tiered, plain].sort());
    const missing = await stratactl(['--brokers', ref.broker.bootstrap, 'tier', 'status', '--topic', 'no-such-topic']);
    assert.equal(missing.code, 3);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^stratactl: topic no-such-topic does not exist/);
  });

  it("answers Kafka's LogDirsCommand (kafka-log-dirs.sh) with the data dir and the object store", async () => {
    const res = await kafkaLogDirs(ref.broker.bootstrap, tiered);
    assert.equal(res.brokers.length, 1);
    const dirs = res.brokers[0]!.logDirs;
    const sizeIn = (dir: string) => dirs.find((d) => d.logDir === dir)?.partitions.map((p) => [p.partition, p.size, p.offsetLag, p.isFuture]);
    assert.deepEqual(dirs.map((d) => [d.logDir, d.error]).sort(), [[path.resolve(ref.broker.dataDir), null], [pathToFileURL(path.resolve(ref.broker.objectStoreDir)).href, null]].sort());
    assert.deepEqual(sizeIn(path.resolve(ref.broker.dataDir)), [[`${tiered}-0`, logFileBytes(path.join(ref.broker.dataDir, `${tiered}-0`)), 0, false]]);
    assert.deepEqual(sizeIn(pathToFileURL(path.resolve(ref.broker.objectStoreDir)).href), [[`${tiered}-0`, logFileBytes(remoteDir), 0, false]]);
  });
});

forEachTarget(
  'stratactl tier status without tiered storage',
  (target) => {
    it('runs, exits 0 and shows the topic as not tiered with no remote bytes', async () => {
      const topic = uniqueName('untiered');
      await createAndProduce(target().bootstrap, topic, {}, PLAIN_RECORDS);
      const rows = await tierJson(target().bootstrap, [topic]);
      assert.equal(rows.length, 1);
      const r = rows[0]!;
      assert.deepEqual(
        { ...r, localBytes: typeof r.localBytes },
        { topic, partition: 0, leader: r.leader, logStartOffset: 0, localStartOffset: 0, highestTieredOffset: -1, logEndOffset: PLAIN_RECORDS, localBytes: 'number', remoteBytes: null, uploadLagRecords: null, tiered: false, error: null },
      );
      assert.ok(r.localBytes! > PLAIN_RECORDS * RECORD_BYTES, `local bytes ${r.localBytes}`);
      const table = await stratactl(['--brokers', target().bootstrap, 'tier', 'status', '--topic', topic]);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, new RegExp(`^${topic}\\s+0\\s+\\d+\\s+-\\s+0–${PLAIN_RECORDS - 1}\\s+-\\s+\\S+ KiB\\s+-$`, 'm'));
    });
  },
  { only: ['kafka'] },
);
