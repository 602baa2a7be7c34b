// The metadata log with several writers (CLUSTER.md): brokers sharing one object store directory each append
// through their own MetadataLog and Controller; a lost position makes the operation catch up and run again, so
// images converge and validations see every other writer's entries. Snapshots are written by one broker only,
// delete what they cover, and a reader that fell behind them reloads in place.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetadataConflictError, MetadataLog, imageToRecords } from '../../src/cluster/metadata-log';
import type { MetadataImage } from '../../src/cluster/metadata-image';
import { metadataNode } from './metadata-node';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import { LocalObjectStore } from '../../src/tier/local-object-store';

const spec = (name: string) => ({ name, numPartitions: 1, replicationFactor: 1, configs: {} });

/** The image's content, comparable across brokers (snapshot records sorted, record count, broker epochs). */
function content(image: MetadataImage): string[] {
  const epochs = [...image.brokers.values()].map((b) => `broker ${b.nodeId} epoch ${b.epoch}`);
  return [...imageToRecords(image).map((r) => JSON.stringify(r)), ...epochs, `offset ${image.offset}`].sort();
}

describe('metadata log: several writers', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-metalog-'));
  });
  afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

  it('interleaved createTopic from two brokers: every topic once, both images converge', async () => {
    const a = await metadataNode(dir, 1);
    const b = await metadataNode(dir, 2);
    await a.controller.bootstrap('cluster', 'h', 1);
    await b.log.catchUp(b.image);
    await b.controller.bootstrap('cluster', 'h', 2);
    // Each name is asked of both brokers at once: exactly one creation wins, the other sees it exists.
    const names = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const outcomes = await Promise.all(
      names.flatMap((n) => [a, b].map((node) => node.controller.createTopic(spec(n), false).then(() => 'created', (err: unknown) => err))),
    );
    for (let i = 0; i < names.length; i++) {
      const pair = outcomes.slice(2 * i, 2 * i + 2);
      assert.equal(pair.filter((o) => o === 'created').length, 1, `${names[i]}: ${pair.map(String).join(', ')}`);
      const other = pair.find((o) => o !== 'created');
      assert.ok(other instanceof KafkaError && other.code === ErrorCode.TOPIC_ALREADY_EXISTS, String(other));
    }
    await a.log.catchUp(a.image);
    await b.log.catchUp(b.image);
    assert.equal(a.log.position, b.log.position);
    assert.deepEqual(content(a.image), content(b.image));
    assert.deepEqual([...a.image.topicsByName.keys()].sort(), [...names].sort());
    // The log itself has each topic record once, and each entry names its writer.
    const fresh = await metadataNode(dir, 3);
    assert.deepEqual(content(fresh.image), content(a.image));
    const store = new LocalObjectStore(dir);
    const entries = await Promise.all((await store.list('c/metadata/log/')).map(async (k) => JSON.parse((await store.get(k)).toString())));
    const topicRecords = entries.flatMap((e) => e.records.filter((r: { type: string }) => r.type === 'topic'));
    assert.equal(topicRecords.length, names.length);
    assert.deepEqual(new Set(entries.map((e) => e.nodeId)), new Set([1, 2]));
  });

  it('re-validates after a lost position: a stale broker cannot reserve the same producer ids', async () => {
    const a = await metadataNode(dir, 1);
    const b = await metadataNode(dir, 2);
    await a.controller.bootstrap('cluster', 'h', 1);
    const fromA = await a.controller.allocateProducerIds(1, 1000);
    // b has not caught up: it validates against an older image, loses the position, catches up, runs again.
    const fromB = await b.controller.allocateProducerIds(2, 1000);
    assert.deepEqual(fromA, { firstId: 0, size: 1000 });
    assert.deepEqual(fromB, { firstId: 1000, size: 1000 });
  });

  it('refuses an append whose image moved since the operation validated', async () => {
    const a = await metadataNode(dir, 1);
    const b = await metadataNode(dir, 2);
    await a.controller.bootstrap('cluster', 'h', 1);
    const position = b.log.position;
    await b.log.catchUp(b.image);
    await assert.rejects(b.log.append([{ type: 'cluster', clusterId: 'x' }], b.image, { nodeId: 2, position }), MetadataConflictError);
  });

  it('records controller claims in order and refuses a stale epoch', async () => {
    const a = await metadataNode(dir, 1);
    const b = await metadataNode(dir, 2);
    await a.controller.claimController(1);
    await b.controller.claimController(2);
    await a.log.catchUp(a.image);
    assert.equal(a.image.controllerId, 2);
    assert.equal(a.image.controllerEpoch, 2);
    await assert.rejects(a.controller.claimController(2), /stale/);
    await a.controller.claimController(3);
    await b.log.catchUp(b.image);
    assert.deepEqual([b.image.controllerId, b.image.controllerEpoch], [1, 3]);
  });

  it('snapshots only on the writer, deletes entries below the second-newest snapshot, and a far-behind reader reloads in place', async () => {
    const a = await metadataNode(dir, 1, 5);
    const b = await metadataNode(dir, 2, 5);
    b.log.setSnapshotWriter(() => false);
    await a.controller.bootstrap('cluster', 'h', 1);
    // Records a snapshot folds into one: the image's record count and broker epochs must still agree after loading it.
    await a.controller.claimController(1);
    await a.controller.claimController(2);
    const behind = await metadataNode(dir, 3, 5); // loaded now, then not tailing
    const imageObject = behind.image;
    for (let i = 0; i < 8; i++) await b.controller.createTopic(spec(`b${i}`), false);
    const store = new LocalObjectStore(dir);
    assert.deepEqual(await store.list('c/metadata/snapshot/'), [], 'a non-writer never snapshots');
    for (let i = 0; i < 16; i++) await a.controller.createTopic(spec(`a${i}`), false);
    const snapshots = await store.list('c/metadata/snapshot/');
    assert.equal(snapshots.length, 2, snapshots.join(','));
    const secondNewest = Number(snapshots[0].slice(snapshots[0].lastIndexOf('/') + 1));
    const entries = await store.list('c/metadata/log/');
    assert.equal(Number(entries[0].slice(entries[0].lastIndexOf('/') + 1)), secondNewest, 'entries below the second-newest snapshot are gone');

    // A fresh load reads the newest snapshot and the tail.
    const fresh = await metadataNode(dir, 4, 5);
    assert.deepEqual(content(fresh.image), content(a.image));
    // The reader that stopped at position 1 finds its next entry deleted and reloads, keeping its image object.
    let applied = 0;
    for (let polls = 0; polls < 50 && applied === 0; polls++) applied = await behind.log.catchUp(behind.image);
    assert.ok(applied > 0, 'the far-behind reader caught up');
    assert.equal(behind.image, imageObject);
    assert.deepEqual(content(behind.image), content(a.image));
    assert.equal(behind.log.position, a.log.position);
  });

  it('a writer far behind the snapshots reloads instead of writing into the deleted prefix', async () => {
    const a = await metadataNode(dir, 1, 3);
    await a.controller.bootstrap('cluster', 'h', 1);
    const stale = await metadataNode(dir, 2, 3);
    stale.log.setSnapshotWriter(() => false);
    for (let i = 0; i < 10; i++) await a.controller.createTopic(spec(`t${i}`), false);
    // Position 1 was deleted; a write there would be lost. The operation reloads, re-validates and appends at the end.
    await assert.rejects(stale.controller.createTopic(spec('t3'), false), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.TOPIC_ALREADY_EXISTS);
    await stale.controller.createTopic(spec('late'), false);
    await a.log.catchUp(a.image);
    assert.ok(a.image.topicsByName.has('late'));
    assert.deepEqual(content(stale.image), content(a.image));
  });
});
