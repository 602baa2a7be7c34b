import { strict as assert } from 'node:assert';
import { GarbageCollector } from '../../src/tier/garbage-collector';
import { parseManifest } from '../../src/tier/remote-manifest';
import { manifestKey, partitionPrefix } from '../../src/tier/remote-keys';
import { CLUSTER, TOPIC_ID, appendMany, bucketKeys, readBytes, useTierEnv } from './tier-helpers';

describe('tiered storage: garbage collector', () => {
  const env = useTierEnv();
  const MANIFEST = manifestKey(partitionPrefix(CLUSTER, TOPIC_ID, 0));

  function gc(graceMs: number, exists: (id: string) => boolean = (id) => id === TOPIC_ID) {
    return new GarbageCollector({ store: env().store.inner, clusterId: CLUSTER, graceMs, topicExists: exists });
  }

  it('removes the objects of an upload cut short before its manifest write, and keeps referenced ones', async () => {
    let log = await env().open();
    const appended = await appendMany(log, 4); // segment 0-2 closed
    await log.waitForUploads();
    // "Crash" between object upload and manifest write: the next manifest write fails until the log is gone.
    let crashed = true;
    env().store.fault = (op, key) => (crashed && key === MANIFEST && (op === 'putIfMatch' || op === 'putIfAbsent') ? new Error('killed') : null);
    appended.push(...(await appendMany(log, 3)));
    for (let i = 0; i < 200 && (await bucketKeys(env(), '.log')).length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    await log.close();
    crashed = false;
    assert.equal((await bucketKeys(env(), '.log')).length, 2);
    assert.equal(parseManifest(await env().store.inner.get(MANIFEST)).segments.length, 1);

    // Young orphans are left alone (an upload in progress elsewhere looks the same).
    assert.deepEqual((await gc(60_000).run()).deleted, []);
    const result = await gc(0).run();
    assert.equal(result.deleted.length, 3);
    assert.ok(result.deleted.every((k) => k.includes('/00000000000000000003-')));
    const m = parseManifest(await env().store.inner.get(MANIFEST));
    const referenced = m.segments.flatMap((s) => ['.index', '.log', '.timeindex'].map((x) => s.key + x)).sort();
    assert.deepEqual((await bucketKeys(env())).filter((k) => k !== MANIFEST).sort(), referenced);

    // After restart the segment is uploaded again under a new key, and everything reads back.
    log = await env().open({}, { storage: env().restartStorage() });
    await log.waitForUploads();
    assert.equal(parseManifest(await env().store.inner.get(MANIFEST)).segments.length, 2);
    assert.ok((await readBytes(log)).equals(Buffer.concat(appended)));
    assert.deepEqual((await gc(0).run()).deleted, []);
  });

  it('removes objects left by a remote delete cut short after its manifest write', async () => {
    const log = await env().open({ localRetentionBytes: 0 });
    await appendMany(log, 7);
    await log.waitForUploads();
    env().store.fault = (op) => (op === 'delete' ? new Error('killed') : null);
    await log.deleteRecordsBefore(4); // manifest drops segment 0-2; its objects stay behind
    env().store.fault = null;
    assert.equal((await bucketKeys(env(), '.log')).length, 2);
    const result = await gc(0).run();
    assert.equal(result.deleted.length, 3);
    assert.equal((await bucketKeys(env(), '.log')).length, 1);
  });

  it('cleans the prefixes of topics that no longer exist, manifest last', async () => {
    const log = await env().open();
    await appendMany(log, 7);
    await log.waitForUploads();
    await log.close();
    assert.ok((await bucketKeys(env())).length > 0);
    assert.deepEqual((await gc(60_000, () => false).run()).deleted, []);
    const result = await gc(0, () => false).run();
    assert.equal(result.deleted.length, 7);
    assert.deepEqual(await bucketKeys(env()), []);
  });

  it('leaves alone uploads in progress in this process', async () => {
    const storage = env().storage;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    env().store.gate = (op, key) => (op === 'put' && key.endsWith('.log') ? held : null);
    const log = await env().open();
    await appendMany(log, 4);
    const uploading = log.waitForUploads();
    try {
      for (let i = 0; i < 200 && (await bucketKeys(env(), '.index')).length < 1; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(storage.stats().uploadsInFlight, 1);
      const collector = storage.garbageCollector(() => true, 0);
      assert.deepEqual((await collector.run()).deleted, []);
    } finally {
      release();
    }
    await uploading;
    assert.equal(log.highestTieredOffset, 2);
  });
});
