import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import { LogError } from '../../src/log/log-error';
import { ErrorCode } from '../../src/protocol/errors';
import { parseManifest } from '../../src/tier/remote-manifest';
import { manifestKey, partitionPrefix } from '../../src/tier/remote-keys';
import { CLUSTER, TOPIC_ID, appendMany, bucketKeys, localSegments, readBytes, record, slowDown, useTierEnv } from './tier-helpers';

const MANIFEST = manifestKey(partitionPrefix(CLUSTER, TOPIC_ID, 0));

/** Polls `cond` every 5 ms until it holds; fails after 10 s. */
async function waitUntil(cond: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !cond(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
  }
}

describe('tiered storage: partition log', () => {
  const env = useTierEnv();

  async function storedManifest() {
    return parseManifest(await env().store.inner.get(MANIFEST));
  }

  it('uploads closed segments only, in order, with their indexes, and records them in the manifest', async () => {
    const log = await env().open();
    await appendMany(log, 10); // segments of 3 batches: 0-2, 3-5, 6-8 closed; 9 active
    await log.waitForUploads();
    const m = await storedManifest();
    assert.deepEqual(
      m.segments.map((s) => [s.baseOffset, s.lastOffset]),
      [
        [0, 2],
        [3, 5],
        [6, 8],
      ],
    );
    assert.equal(log.highestTieredOffset, 8);
    assert.equal((await bucketKeys(env(), '.log')).length, 3);
    assert.equal((await bucketKeys(env(), '.index')).length, 3);
    assert.equal((await bucketKeys(env(), '.timeindex')).length, 3);
    for (const s of m.segments) {
      assert.match(s.key, /\/0\/\d{20}-0-[0-9a-f-]{36}$/);
      const body = await env().store.inner.get(s.key + '.log');
      assert.equal(body.length, s.sizeBytes);
      const local = await fsp.readFile(`${log.dir}/${String(s.baseOffset).padStart(20, '0')}.log`);
      assert.ok(body.equals(local), 'uploaded bytes are the local segment');
      assert.deepEqual(s.leaderEpochs, [[0, s.baseOffset]]);
    }
    const stats = log.tieringStats()!;
    assert.equal(stats.remoteSegments, 3);
    assert.equal(stats.uploadLagSegments, 0);
    assert.ok(stats.bytesUploaded > 0);
  });

  it('does not upload when remote.storage.enable is off, and starts when it is turned on', async () => {
    const log = await env().open({ remoteStorageEnable: false });
    await appendMany(log, 7);
    await log.waitForUploads();
    assert.deepEqual(await bucketKeys(env()), []);
    log.updateConfig({ ...log.config, remoteStorageEnable: true });
    await log.waitForUploads();
    assert.equal((await storedManifest()).segments.length, 2);
  });

  it('makes a segment visible only once its manifest entry is written', async () => {
    const log = await env().open({ localRetentionBytes: 0 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    env().store.gate = (op, key) => (key === MANIFEST && op !== 'head' && op !== 'get' ? held : null);
    await appendMany(log, 4); // one closed segment
    const uploading = log.waitForUploads();
    try {
    // Wait for the segment objects to be in the bucket while the manifest write is held.
    for (let i = 0; i < 200 && (await bucketKeys(env(), '.log')).length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal((await bucketKeys(env(), '.log')).length, 1);
    assert.equal(log.highestTieredOffset, -1);
    assert.equal(log.remoteLog!.segments.length, 0);
    await log.enforceRetention();
    assert.equal((await localSegments(log)).length, 2, 'nothing deleted locally before the manifest says so');
    } finally {
      release();
    }
    await uploading;
    assert.equal(log.highestTieredOffset, 2);
    await log.enforceRetention();
    assert.deepEqual(await localSegments(log), ['00000000000000000003.log']);
    assert.equal(log.localLogStartOffset, 3);
    assert.equal(log.logStartOffset, 0);
  });

  it('never deletes local segments whose upload fails, and catches up when the store recovers', async () => {
    const log = await env().open({ localRetentionBytes: 0 });
    let failing = true;
    env().store.fault = (op) => (failing && op === 'put' ? slowDown() : null);
    const appended = await appendMany(log, 10);
    const waiting = log.waitForUploads();
    await new Promise((r) => setTimeout(r, 100));
    await log.enforceRetention();
    assert.equal((await localSegments(log)).length, 4);
    assert.equal(log.logStartOffset, 0);
    assert.ok(log.tieringStats()!.uploadErrors.throttled > 0);
    assert.equal(log.tieringStats()!.uploadLagSegments, 3);
    failing = false;
    await waiting;
    await log.enforceRetention();
    assert.deepEqual(await localSegments(log), ['00000000000000000009.log']);
    assert.ok((await readBytes(log)).equals(Buffer.concat(appended)));
  });

  it('reads from offset 0 across remote and local segments, byte for byte, through the chunk cache', async () => {
    const log = await env().open({ localRetentionBytes: 0 });
    const appended = await appendMany(log, 20);
    await log.waitForUploads();
    await log.enforceRetention();
    assert.equal(log.localLogStartOffset, 18);
    assert.equal(log.logStartOffset, 0);
    const all = Buffer.concat(appended);
    assert.ok((await readBytes(log)).equals(all), 'cold read');
    assert.ok((await readBytes(log, 0, 100_000)).equals(all), 'large reads');
    const before = env().storage.stats().cache;
    assert.ok((await readBytes(log)).equals(all), 'warm read');
    const after = env().storage.stats().cache;
    assert.ok(after.hits > before.hits);
    // A read in the middle of a remote segment starts at the batch holding the offset.
    const mid = await log.read(4, 1 << 20);
    assert.ok(mid.records.equals(appended[4].length ? Buffer.concat(appended.slice(4, 6)) : Buffer.alloc(0)));
    assert.equal(mid.nextOffset, 6);
    // maxBytes below one batch without minOneMessage: nothing, as for local reads.
    const none = await log.read(4, 10);
    assert.equal(none.records.length, 0);
    assert.equal(none.nextOffset, 4);
    assert.ok(log.tieringStats()!.bytesDownloaded > 0);
  });

  it('prefetches the next chunk of a remote segment for sequential reads', async () => {
    const storage = env().restartStorage({ fetchChunkBytes: 256 });
    const log = await env().open({ localRetentionBytes: 0 }, { storage });
    const appended = await appendMany(log, 4);
    await log.waitForUploads();
    await log.enforceRetention();
    const key = log.remoteLog!.segments[0].key + '.log';
    const first = await log.read(0, 300, { minOneMessage: true }); // bytes 0..~300: chunks 0 and 1
    assert.ok(first.records.equals(appended[0]));
    for (let i = 0; i < 100 && !storage.cache.has(key, 2); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(storage.cache.has(key, 2), 'chunk 2 prefetched');
    const misses = storage.stats().cache.misses;
    const second = await log.read(first.nextOffset, 700, { minOneMessage: true });
    assert.ok(second.records.equals(Buffer.concat(appended.slice(1, 3))));
    assert.ok(storage.stats().cache.misses - misses <= 1);
  });

  it('bounds remote GETs in flight broker-wide (remoteFetchMaxConcurrency), then serves every read', async () => {
    const storage = env().restartStorage({ maxConcurrentFetches: 2, prefetch: false });
    const log = await env().open({ localRetentionBytes: 0 }, { storage });
    const appended = await appendMany(log, 20); // 6 remote segments
    await log.waitForUploads();
    await log.enforceRetention();
    // Hold every GET until released, counting how many the store sees at once.
    let held = 0;
    let maxHeld = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    env().store.gate = (op) => {
      if (op !== 'get') return null;
      maxHeld = Math.max(maxHeld, ++held);
      return gate.finally(() => held--);
    };
    const reads = [0, 3, 6, 9, 12, 15].map((offset) => log.read(offset, 300, { minOneMessage: true }));
    await waitUntil(() => held === 2 && storage.stats().fetchesInFlight === 2, 'two GETs held');
    await new Promise((r) => setImmediate(r)); // give any unbounded GET a chance to show up
    assert.equal(held, 2, 'no third GET while two are in flight');
    release();
    const results = await Promise.all(reads);
    results.forEach((r, i) => assert.ok(r.records.equals(appended[i * 3]), `read ${i}`));
    assert.equal(maxHeld, 2);
    assert.equal(storage.stats().fetchesInFlight, 0);
  });

  it('answers timestamp lookups from remote segments', async () => {
    const log = await env().open({ localRetentionBytes: 0 });
    await appendMany(log, 12, 5_000);
    await log.waitForUploads();
    await log.enforceRetention();
    assert.equal(log.localLogStartOffset, 9);
    assert.deepEqual(await log.offsetForTimestamp(5_004), { offset: 4, timestamp: 5_004, leaderEpoch: 0 });
    assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 5_000, leaderEpoch: 0 });
    assert.equal((await log.offsetForTimestamp(5_010))!.offset, 10);
    assert.equal(await log.offsetForTimestamp(99_999), null);
    assert.equal((await log.maxTimestampOffset())!.offset, 11);
    // A remote segment holding the newest timestamp answers MAX_TIMESTAMP.
    const log2 = await env().open({ localRetentionBytes: 0 }, { partition: 1 });
    await log2.append(record(230, 9_000), { leaderEpoch: 0 });
    await appendMany(log2, 5, 1_000);
    await log2.waitForUploads();
    await log2.enforceRetention();
    assert.ok(log2.localLogStartOffset > 0);
    assert.deepEqual(await log2.maxTimestampOffset(), { offset: 0, timestamp: 9_000, leaderEpoch: 0 });
  });

  it('serves every tiered offset after the data dir is wiped, and continues offsets after them', async () => {
    let log = await env().open({ localRetentionBytes: 0 });
    const appended = await appendMany(log, 11, 1_000_000, 3);
    await log.waitForUploads();
    const tieredEnd = log.highestTieredOffset + 1;
    assert.equal(tieredEnd, 9);
    await log.close();
    await fsp.rm(env().dataDir, { recursive: true, force: true });

    const storage = env().restartStorage();
    log = await env().open({ localRetentionBytes: 0 }, { storage, leaderEpoch: 4 });
    assert.equal(log.logStartOffset, 0);
    assert.equal(log.localLogStartOffset, tieredEnd);
    assert.equal(log.logEndOffset, tieredEnd);
    assert.ok((await readBytes(log)).equals(Buffer.concat(appended.slice(0, tieredEnd))));
    const r = await log.append(record(10, 2_000_000), { leaderEpoch: 4 });
    assert.equal(r.baseOffset, tieredEnd);
    assert.equal(r.logStartOffset, 0);
    // Leader epochs of the tiered data are known again.
    assert.deepEqual(log.endOffsetForLeaderEpoch(3), { leaderEpoch: 3, endOffset: tieredEnd });
  });

  it('keeps serving after a plain restart and resumes uploads where the manifest says', async () => {
    let log = await env().open({ localRetentionBytes: 0 });
    const appended = await appendMany(log, 7);
    await log.waitForUploads();
    await log.close();
    log = await env().open({ localRetentionBytes: 0 }, { storage: env().restartStorage() });
    appended.push(...(await appendMany(log, 6)));
    await log.waitForUploads();
    const m = await storedManifest();
    assert.deepEqual(
      m.segments.map((s) => s.baseOffset),
      [0, 3, 6, 9],
    );
    await log.enforceRetention();
    assert.ok((await readBytes(log)).equals(Buffer.concat(appended)));
  });

  it('deletes remote segments past retention.bytes and retention.ms (manifest first, then objects)', async () => {
    const log = await env().open({ localRetentionBytes: 0 });
    await appendMany(log, 13, 1_000);
    await log.waitForUploads();
    await log.enforceRetention(); // local: only the active segment is left
    assert.equal((await storedManifest()).segments.length, 4);
    const segBytes = (await storedManifest()).segments[0].sizeBytes;
    // 4 remote segments + the active one: a limit of two segments' bytes lets exactly two go.
    log.updateConfig({ ...log.config, retentionBytes: segBytes * 2 });
    const r = await log.enforceRetention();
    assert.equal(r.deletedRemoteSegments, 2);
    const m = await storedManifest();
    assert.deepEqual(
      m.segments.map((s) => s.baseOffset),
      [6, 9],
    );
    assert.equal(m.logStartOffset, 6);
    assert.equal(log.logStartOffset, 6);
    assert.equal((await bucketKeys(env(), '.log')).length, 2);
    await assert.rejects(log.read(2, 1000), (e: unknown) => e instanceof LogError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
    // retention.ms: records are from t≈1000, so everything tiered has expired.
    log.updateConfig({ ...log.config, retentionBytes: -1, retentionMs: 60_000 });
    const r2 = await log.enforceRetention(100_000);
    assert.equal(r2.deletedRemoteSegments, 2);
    assert.equal((await storedManifest()).segments.length, 0);
    assert.equal((await bucketKeys(env(), '.log')).length, 0);
    assert.equal(log.logStartOffset, 12);
  });

  it('DeleteRecords moves the remote log start and deletes remote segments wholly below it', async () => {
    const log = await env().open({ localRetentionBytes: 0 });
    const appended = await appendMany(log, 13);
    await log.waitForUploads();
    await log.enforceRetention();
    assert.equal(await log.deleteRecordsBefore(4), 4);
    let m = await storedManifest();
    assert.equal(m.logStartOffset, 4);
    assert.deepEqual(
      m.segments.map((s) => s.baseOffset),
      [3, 6, 9],
    );
    assert.equal(log.logStartOffset, 4);
    assert.equal((await bucketKeys(env(), '.log')).length, 3);
    const r = await log.read(4, 1 << 20);
    assert.ok(r.records.equals(Buffer.concat(appended.slice(4, 6))));
    await assert.rejects(log.read(3, 1000), (e: unknown) => e instanceof LogError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
    // Past the bucket: the remote log empties and the local start moves too.
    assert.equal(await log.deleteRecordsBefore(12), 12);
    m = await storedManifest();
    assert.equal(m.segments.length, 0);
    assert.equal(m.logStartOffset, 12);
    assert.equal(log.logStartOffset, 12);
    assert.equal(log.localLogStartOffset, 12);
    assert.equal((await bucketKeys(env(), '.log')).length, 0);
  });

  it('retries uploads with backoff after injected failures and counts errors by cause', async () => {
    const log = await env().open();
    let failures = 0;
    env().store.fault = (op) => {
      if ((op === 'put' || op === 'putIfAbsent' || op === 'putIfMatch') && failures < 6) {
        failures++;
        return failures % 2 === 0 ? slowDown() : Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      }
      return null;
    };
    await appendMany(log, 7);
    await log.waitForUploads();
    assert.equal(failures, 6);
    assert.equal((await storedManifest()).segments.length, 2);
    const errors = log.tieringStats()!.uploadErrors;
    assert.equal(errors.throttled + errors.connection, 6);
    assert.ok(errors.connection > 0 && errors.throttled > 0);
  });

  it('rolls the active segment after remote.upload.max.lag.ms so it gets tiered', async () => {
    const log = await env().open({ remoteUploadMaxLagMs: 50, segmentBytes: 1 << 20 });
    await appendMany(log, 2);
    for (let i = 0; i < 100 && log.highestTieredOffset < 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
      await log.waitForUploads();
    }
    assert.equal(log.highestTieredOffset, 1);
    assert.deepEqual(
      (await storedManifest()).segments.map((s) => [s.baseOffset, s.lastOffset]),
      [[0, 1]],
    );
    assert.equal((await log.append(record(10, 1), { leaderEpoch: 0 })).baseOffset, 2);
  });

  it('a writer with an older leader epoch cannot change the manifest', async () => {
    const log = await env().open({}, { leaderEpoch: 1 });
    await appendMany(log, 4, 1_000, 1);
    await log.waitForUploads();
    // Another broker takes over with epoch 2 and writes the manifest.
    const other = await env().restartStorage().openPartition(TOPIC_ID, 0, 2);
    await other.deleteRecordsBefore(1);
    await other.close();
    await appendMany(log, 3, 2_000, 1);
    await log.waitForUploads();
    const m = await storedManifest();
    assert.equal(m.leaderEpoch, 2);
    assert.deepEqual(
      m.segments.map((s) => s.baseOffset),
      [0],
    );
  });
});
