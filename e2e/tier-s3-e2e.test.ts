// Tiered storage end to end against a real S3-compatible server process (moto over HTTP on loopback), with
// the fault proxy between the broker and moto. One broker process runs `--object-store-type s3`; each test has
// its own topic with small segments and `remote.storage.enable=true`:
//   1. closed segments are uploaded (objects checked with the AWS SDK, byte for byte against the local files),
//      local copies are deleted once local.retention.ms allows, and offset 0 onwards reads back byte for byte
//      with KafkaJS and kcat; ListOffsets earliest is the remote log start;
//   2. empty disk: the broker restarts without its data directory and serves every tiered record;
//   3. faults (500, 503 SlowDown, stalls past the timeout, connections dropped mid-upload and mid-GET): nothing
//      acknowledged is lost, no local segment is deleted before its remote copy is in the manifest, no partial
//      object is ever referenced or served, and uploads catch up when the faults stop;
//   4. kill -9 during an upload and during a remote-retention delete: after a restart manifests and bucket
//      agree and no orphan objects remain once the garbage collector has run.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigResourceTypes } from 'kafkajs';
import { brokerMainPath } from './helpers/broker-process';
import type { FaultProxy } from './helpers/fault-proxy';
import { createKafka } from './helpers/kafkajs';
import { kcatConsume, kcatStartOffset, requireKcat } from './helpers/kcat';
import { sleep, uniqueName, waitFor } from './helpers/util';
import {
  assertManifestConsistent,
  localSegments,
  makeRecords,
  orphanKeys,
  partitionTier,
  produceAll,
  startTierStack,
  stopTierStack,
  tieredEnd,
  topicIdOf,
  verifyWithKafkaJS,
  verifyWithKcat,
  waitTiered,
  type PartitionTier,
  type Rec,
  type TierStack,
} from './tier/harness';

const SEGMENT_BYTES = 64 * 1024;
/** Faults only hit tiered data (keys <cluster>/topics/...), not the cluster metadata log in the same bucket. */
const TIER_PATH = /\/topics\//;

/** Broker flags that shorten the garbage collector's grace period and interval, if the broker has such flags. */
function gcArgs(): string[] {
  let help = '';
  try {
    help = execFileSync(process.execPath, [brokerMainPath(), '--help'], { encoding: 'utf8' });
  } catch (err) {
    help = String((err as { stdout?: string }).stdout ?? '');
  }
  const flags = [...help.matchAll(/^\s*(--[a-z0-9-]+)/gm)].map((m) => m[1]);
  const gcFlags = flags.filter((f) => /gc|garbage|collector/.test(f));
  const grace = gcFlags.find((f) => /grace|age/.test(f));
  if (!grace) return []; // the collector would wait its default grace period (10 min): the kill -9 tests say so
  const out = [grace, '2000'];
  const interval = gcFlags.find((f) => /interval|period/.test(f));
  if (interval) out.push(interval, '1000');
  return out;
}

/** True once every rule with `times` is used up; otherwise throws with what was injected so far (for waitFor). */
function allFaultsInjected(proxy: FaultProxy): true {
  if (proxy.faultsLeft === 0) return true;
  throw new Error(`injected so far: ${JSON.stringify(proxy.injected)}, ${proxy.faultsLeft} to go`);
}

describe('tiered storage on S3 (moto server + fault proxy + broker process)', function () {
  this.timeout(180_000);
  const bucket = 'strata-tier-e2e';
  let stack: TierStack | undefined;
  let gc: string[] = [];
  const s = () => {
    if (!stack) throw new Error('tier stack not started (see the before hook)');
    return stack;
  };
  const kafka = () => createKafka(s().broker.bootstrap, 'tier-e2e');

  before(async function () {
    this.timeout(120_000);
    requireKcat();
    gc = gcArgs();
    stack = await startTierStack(bucket, { name: 'tier-s3', requestTimeoutMs: 1500, extraArgs: gc });
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && stack) {
      console.log(`--- broker log tail (${stack.broker.logPath}) ---\n${stack.broker.logTail(60)}\n--- end of broker log ---`);
      console.log(`--- fault proxy: requests ${JSON.stringify(stack.proxy.counts)}, faults ${JSON.stringify(stack.proxy.injected)} ---`);
    }
    stack?.proxy.clearFaults();
  });

  after(async function () {
    this.timeout(60_000);
    await stopTierStack(stack);
  });

  async function createTopic(topic: string, partitions: number, configs: Record<string, string>): Promise<void> {
    const admin = kafka().admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: partitions, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      });
      assert.equal(created, true);
    } finally {
      await admin.disconnect();
    }
  }

  async function alterTopic(topic: string, configs: Record<string, string>): Promise<void> {
    const admin = kafka().admin();
    await admin.connect();
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
      });
    } finally {
      await admin.disconnect();
    }
  }

  /** Waits until every closed segment is in the manifest: tiered end == base offset of the active segment. */
  async function waitAllClosedTiered(topic: string, topicId: string, partition: number, timeoutMs: number): Promise<PartitionTier> {
    return waitFor(
      async () => {
        const local = localSegments(s().broker, topic, partition);
        const t = await partitionTier(s().moto, bucket, topicId, partition);
        const active = local[local.length - 1];
        return active !== undefined && active > 0 && tieredEnd(t) === active ? t : undefined;
      },
      { timeoutMs, intervalMs: 250, what: `every closed segment of ${topic}-${partition} in the manifest` },
    );
  }

  const tieredTopic = uniqueName('tier-main');
  let tieredTopicId = '';
  const mainRecords = new Map<number, Rec[]>();
  const mainTiered = new Map<number, number>();

  it('uploads closed segments, deletes them locally after confirmation, and reads offset 0 back byte for byte (KafkaJS, kcat)', async () => {
    const base = { 'segment.bytes': String(SEGMENT_BYTES), 'remote.storage.enable': 'true' };
    await createTopic(tieredTopic, 2, base);
    for (const p of [0, 1]) mainRecords.set(p, makeRecords(tieredTopic, p, 0, 900));
    await produceAll(kafka(), tieredTopic, [...mainRecords.values()].flat(), new Map([[0, 0], [1, 0]]));
    tieredTopicId = topicIdOf(s().broker, tieredTopic);

    for (const p of [0, 1]) {
      const t = await waitAllClosedTiered(tieredTopic, tieredTopicId, p, 60_000);
      assertManifestConsistent(t, `partition ${p}`);
      assert.ok(t.manifest!.segments.length >= 5, `expected several segments, got ${t.manifest!.segments.length}`);
      assert.equal(t.manifest!.segments[0].baseOffset, 0);
      // The uploaded .log objects are the local segment files, byte for byte (local copies still there: local
      // retention is the topic's retention, 7 days, until it is lowered below).
      for (const seg of t.manifest!.segments) {
        const local = fs.readFileSync(path.join(s().broker.dataDir, `${tieredTopic}-${p}`, `${String(seg.baseOffset).padStart(20, '0')}.log`));
        const remote = await s().moto.getObject(bucket, `strata-e2e/${seg.key}.log`);
        assert.ok(local.equals(remote), `segment ${seg.baseOffset} of partition ${p}: the object differs from the local file`);
      }
    }

    // Lowered live: the tiered segments leave the disk, only the active segment stays.
    await alterTopic(tieredTopic, { ...base, 'local.retention.ms': '500', 'local.retention.bytes': '1' });
    for (const p of [0, 1]) {
      const t = await partitionTier(s().moto, bucket, tieredTopicId, p);
      mainTiered.set(p, tieredEnd(t));
      await waitFor(() => localSegments(s().broker, tieredTopic, p).every((b) => b >= tieredEnd(t)), {
        timeoutMs: 20_000,
        what: `local segments of ${tieredTopic}-${p} below ${tieredEnd(t)} deleted (have ${localSegments(s().broker, tieredTopic, p).join(',')})`,
      });
      assert.equal(localSegments(s().broker, tieredTopic, p).length, 1, 'only the active segment is left locally');
      assert.equal(await kcatStartOffset(s().broker.bootstrap, tieredTopic, p), 0n, 'ListOffsets earliest is the remote log start');
    }

    await verifyWithKafkaJS(kafka(), tieredTopic, mainRecords);
    for (const p of [0, 1]) await verifyWithKcat(s().broker.bootstrap, tieredTopic, p, mainRecords.get(p)!);
  });

  it('serves every tiered record after a restart with an empty data directory', async () => {
    assert.ok(tieredTopicId, 'needs the first test');
    await s().broker.stop();
    fs.rmSync(s().broker.dataDir, { recursive: true, force: true });
    fs.mkdirSync(s().broker.dataDir);
    await s().broker.restart();
    const expected = new Map<number, Rec[]>();
    for (const p of [0, 1]) {
      const end = mainTiered.get(p)!;
      assert.ok(end > 600, `most records were tiered (${end})`);
      expected.set(p, mainRecords.get(p)!.slice(0, end));
    }
    await verifyWithKafkaJS(kafka(), tieredTopic, expected);
    for (const p of [0, 1]) {
      await verifyWithKcat(s().broker.bootstrap, tieredTopic, p, expected.get(p)!);
      assert.equal(await kcatStartOffset(s().broker.bootstrap, tieredTopic, p), 0n);
    }
  });

  it('under 500s, SlowDown, stalls and dropped connections loses nothing, deletes nothing early, serves no partial segment, and catches up', async () => {
    const topic = uniqueName('tier-faults');
    await createTopic(topic, 1, {
      'segment.bytes': String(SEGMENT_BYTES),
      'remote.storage.enable': 'true',
      'local.retention.ms': '200',
      'local.retention.bytes': '1',
    });
    const proxy = s().proxy;
    proxy.resetCounts();
    // Count-based, interleaved with successful requests: every fault makes the uploader retry, and ~8 segments
    // of 4 PUTs each give far more requests than the ~20 these rules need to be used up.
    const uploadFaults = { stall: 2, 'drop-request': 2, status: 3, slowdown: 3 };
    proxy.setFaults(
      { kind: 'stall', methods: ['PUT'], path: TIER_PATH, times: uploadFaults.stall },
      { kind: 'drop-request', methods: ['PUT'], path: TIER_PATH, afterBytes: 8 * 1024, every: 3, times: uploadFaults['drop-request'] },
      { kind: 'status', status: 500, methods: ['PUT', 'GET', 'HEAD'], path: TIER_PATH, every: 2, times: uploadFaults.status },
      { kind: 'slowdown', methods: ['PUT', 'GET', 'HEAD'], path: TIER_PATH, every: 2, times: uploadFaults.slowdown },
    );

    // Sample the invariant while uploads fail and succeed: what the disk no longer has, the manifest has.
    // (Local first, then the manifest: the manifest read is at least as new as the local listing.)
    const violations: string[] = [];
    let samples = 0;
    let sampling = true;
    let topicId = '';
    const sampler = (async () => {
      while (sampling) {
        await sleep(150);
        if (!topicId) continue;
        const local = localSegments(s().broker, topic, 0);
        const t = await partitionTier(s().moto, bucket, topicId, 0).catch(() => null);
        if (!t || local.length === 0) continue;
        samples++;
        const end = tieredEnd(t);
        if (local[0] > end) violations.push(`local log starts at ${local[0]} but the manifest ends at ${end}`);
        if (t.manifest && t.manifest.segments.length > 0 && t.manifest.segments[0].baseOffset !== 0) violations.push('manifest does not start at 0');
      }
    })();

    const recs = makeRecords(topic, 0, 0, 700);
    topicId = topicIdOf(s().broker, topic);
    try {
      await produceAll(kafka(), topic, recs, new Map([[0, 0]]));
      await waitFor(() => allFaultsInjected(proxy), { timeoutMs: 90_000, what: 'every upload fault injected' });
      assert.deepEqual(proxy.injected, uploadFaults);
      proxy.clearFaults();
      const t = await waitAllClosedTiered(topic, topicId, 0, 90_000);
      assertManifestConsistent(t, 'after faults');
      await waitFor(() => localSegments(s().broker, topic, 0).length === 1, { timeoutMs: 20_000, what: 'tiered local segments deleted' });
      await waitFor(() => samples > 5, { timeoutMs: 20_000, what: 'the invariant sampled more than 5 times' });
    } finally {
      sampling = false;
      await sampler;
    }
    assert.ok(samples > 5, `sampled the invariant ${samples} times`);
    assert.deepEqual(violations, [], 'a local segment was deleted before its remote copy was in the manifest');

    // Remote reads through failing GETs: retried, and a body cut short is never served as data.
    proxy.resetCounts();
    proxy.setFaults(
      { kind: 'drop-response', methods: ['GET'], path: /\.log(\?|$)/, afterBytes: 4096, times: 2 },
      { kind: 'slowdown', methods: ['GET'], path: TIER_PATH, times: 1 },
      { kind: 'status', status: 500, methods: ['GET'], path: TIER_PATH, times: 1 },
    );
    await verifyWithKafkaJS(kafka(), topic, new Map([[0, recs]]), 90_000);
    // Reading ~8 remote segments takes more than the 4 GETs these rules fail.
    assert.deepEqual(proxy.injected, { 'drop-response': 2, slowdown: 1, status: 1 });
    proxy.clearFaults();
    await verifyWithKcat(s().broker.bootstrap, topic, 0, recs);
  });

  it('after kill -9 during an upload: the upload resumes, manifest and bucket agree, and the collector removes the orphans', async function () {
    if (gc.length === 0) assert.fail('the broker has no flag to shorten the garbage collector grace period (looked for --*gc*grace* in --help)');
    const topic = uniqueName('tier-kill-up');
    await createTopic(topic, 1, { 'segment.bytes': String(SEGMENT_BYTES), 'remote.storage.enable': 'true' });
    const proxy = s().proxy;
    proxy.resetCounts();
    // The .log object is put last: stalling it leaves the .index/.timeindex of the upload in the bucket, unreferenced.
    proxy.setFaults({ kind: 'stall', methods: ['PUT'], path: /\.log(\?|$)/ });
    const recs = makeRecords(topic, 0, 0, 300);
    await produceAll(kafka(), topic, recs, new Map([[0, 0]]));
    const topicId = topicIdOf(s().broker, topic);
    await waitFor(() => (proxy.injected.stall ?? 0) >= 1, { timeoutMs: 20_000, what: 'an upload stalled on its .log PUT' });
    await waitFor(async () => orphanKeys(await partitionTier(s().moto, bucket, topicId, 0)).length > 0, { timeoutMs: 10_000, what: 'objects of the interrupted upload in the bucket' });
    await s().broker.kill9();
    proxy.clearFaults();
    await s().broker.restart();

    const t = await waitFor(
      async () => {
        const local = localSegments(s().broker, topic, 0);
        const cur = await partitionTier(s().moto, bucket, topicId, 0);
        return tieredEnd(cur) === local[local.length - 1] && orphanKeys(cur).length === 0 ? cur : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'uploads resumed and orphans collected' },
    );
    assertManifestConsistent(t, 'after kill -9 during upload');
    await verifyWithKafkaJS(kafka(), topic, new Map([[0, recs]]));
  });

  it('after kill -9 during a remote-retention delete: manifest and bucket agree and no orphans remain', async function () {
    if (gc.length === 0) assert.fail('the broker has no flag to shorten the garbage collector grace period (looked for --*gc*grace* in --help)');
    const topic = uniqueName('tier-kill-del');
    const configs = { 'segment.bytes': String(SEGMENT_BYTES), 'remote.storage.enable': 'true', 'local.retention.ms': '200', 'local.retention.bytes': '1' };
    await createTopic(topic, 1, configs);
    const recs = makeRecords(topic, 0, 0, 600);
    await produceAll(kafka(), topic, recs, new Map([[0, 0]]));
    const topicId = topicIdOf(s().broker, topic);
    await waitAllClosedTiered(topic, topicId, 0, 60_000);

    const proxy = s().proxy;
    proxy.resetCounts();
    // DeleteObjects is POST /<bucket>?delete: stall it, so the manifest no longer lists segments whose objects remain.
    proxy.setFaults({ kind: 'stall', methods: ['POST'], path: /[?&]delete/ });
    await alterTopic(topic, { ...configs, 'retention.bytes': String(3 * SEGMENT_BYTES) });
    await waitFor(() => (proxy.injected.stall ?? 0) >= 1, { timeoutMs: 30_000, what: 'a remote delete stalled' });
    const before = await partitionTier(s().moto, bucket, topicId, 0);
    assert.ok(orphanKeys(before).length > 0, 'the manifest dropped segments whose objects are still in the bucket');
    await s().broker.kill9();
    proxy.clearFaults();
    await s().broker.restart();

    const t = await waitFor(
      async () => {
        const cur = await partitionTier(s().moto, bucket, topicId, 0);
        return orphanKeys(cur).length === 0 && (cur.manifest?.logStartOffset ?? 0) > 0 ? cur : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'orphans of the interrupted delete collected' },
    );
    assertManifestConsistent(t, 'after kill -9 during delete');
    const start = t.manifest!.logStartOffset;
    assert.equal(t.manifest!.segments[0].baseOffset <= start, true);
    assert.equal(await kcatStartOffset(s().broker.bootstrap, topic, 0), BigInt(start), 'ListOffsets earliest is the remote log start');
    const lines = await kcatConsume(s().broker.bootstrap, topic, { partition: 0, offset: 'beginning', count: recs.length - start, format: '%o|%k|%s\n', timeoutMs: 60_000 });
    assert.equal(lines.length, recs.length - start);
    lines.forEach((l, i) => assert.equal(l, `${start + i}|${recs[start + i].key}|${recs[start + i].value}`));
  });
});
