import { strict as assert } from 'assert';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OffsetIndex } from '../../src/log/offset-index';
import { TimeIndex } from '../../src/log/time-index';
import { LeaderEpochCache } from '../../src/log/leader-epoch-cache';
import { countDeletableSegments, RetentionLimits } from '../../src/log/retention';

describe('log: index math', () => {
  let root = '';
  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-index-'));
  });
  afterEach(async () => {
    await fsp.rm(root, { recursive: true, force: true });
  });

  it('offset index finds the floor entry and round-trips through its file', async () => {
    const file = path.join(root, 'x.index');
    const idx = new OffsetIndex(file, 1000, 1024);
    assert.deepEqual(idx.lookup(1005), { offset: 1000, position: 0 });
    for (let i = 1; i <= 100; i++) idx.append(1000 + i * 10, i * 4096);
    assert.deepEqual(idx.lookup(1000), { offset: 1000, position: 0 });
    assert.deepEqual(idx.lookup(1015), { offset: 1010, position: 4096 });
    assert.deepEqual(idx.lookup(1500), { offset: 1500, position: 50 * 4096 });
    assert.deepEqual(idx.lookup(99999), { offset: 2000, position: 100 * 4096 });
    await idx.persist();
    assert.equal((await fsp.stat(file)).size, 800);
    const loaded = new OffsetIndex(file, 1000, 1024);
    assert.ok(await loaded.load());
    assert.ok(loaded.isConsistent(101 * 4096));
    assert.ok(!loaded.isConsistent(100 * 4096), 'an entry beyond the log is inconsistent');
    assert.deepEqual(loaded.lookup(1555), { offset: 1550, position: 55 * 4096 });
    assert.equal(loaded.isFull, false);
    assert.equal(new OffsetIndex(file, 1000, 800).isFull, false);
  });

  it('offset index reports full at segment.index.bytes', () => {
    const idx = new OffsetIndex(path.join(root, 'y.index'), 0, 16);
    idx.append(1, 10);
    assert.equal(idx.isFull, false);
    idx.append(2, 20);
    assert.equal(idx.isFull, true);
  });

  it('time index keeps strictly increasing timestamps', async () => {
    const file = path.join(root, 'x.timeindex');
    const idx = new TimeIndex(file, 0, 1200);
    idx.maybeAppend(2 ** 41, 5);
    idx.maybeAppend(2 ** 41, 9); // not newer: ignored
    idx.maybeAppend(2 ** 41 + 10, 12);
    assert.equal(idx.entries, 2);
    assert.deepEqual(idx.lookup(2 ** 41 + 5), { timestamp: 2 ** 41, offset: 5 });
    assert.deepEqual(idx.lookup(1), { timestamp: -1, offset: 0 });
    await idx.persist();
    const loaded = new TimeIndex(file, 0, 1200);
    assert.ok(await loaded.load());
    assert.deepEqual(loaded.last(), { timestamp: 2 ** 41 + 10, offset: 12 });
    assert.ok(loaded.isConsistent(13));
    assert.ok(!loaded.isConsistent(12));
  });

  it('a missing or ragged index file does not load', async () => {
    assert.equal(await new OffsetIndex(path.join(root, 'none.index'), 0, 64).load(), false);
    const ragged = path.join(root, 'ragged.index');
    await fsp.writeFile(ragged, Buffer.alloc(12));
    assert.equal(await new OffsetIndex(ragged, 0, 64).load(), false);
  });
});

describe('log: leader epoch cache', () => {
  it('only records newer epochs at later offsets', () => {
    const c = new LeaderEpochCache();
    assert.ok(c.assign(1, 0));
    assert.ok(!c.assign(1, 5));
    assert.ok(!c.assign(0, 5));
    assert.ok(!c.assign(-1, 5));
    assert.ok(c.assign(3, 5));
    assert.deepEqual(c.toJSON(), [
      [1, 0],
      [3, 5],
    ]);
    assert.equal(c.epochForOffset(4), 1);
    assert.equal(c.epochForOffset(5), 3);
  });

  it('truncates from the start and the end', () => {
    const c = new LeaderEpochCache([
      [1, 0],
      [2, 10],
      [4, 20],
    ]);
    c.truncateFromStart(15);
    assert.deepEqual(c.toJSON(), [
      [2, 15],
      [4, 20],
    ]);
    c.truncateFromEnd(20);
    assert.deepEqual(c.toJSON(), [[2, 15]]);
    assert.deepEqual(c.endOffsetFor(2, 33), { leaderEpoch: 2, endOffset: 33 });
  });
});

describe('log: retention selection', () => {
  const limits = (over: Partial<RetentionLimits>): RetentionLimits => ({
    now: 10_000,
    retentionMs: -1,
    retentionBytes: -1,
    deleteEnabled: true,
    logStartOffset: 0,
    highWatermark: 100,
    ...over,
  });
  const segs = [
    { size: 100, largestTimestamp: 1000, upperBoundOffset: 10 },
    { size: 100, largestTimestamp: 2000, upperBoundOffset: 20 },
    { size: 100, largestTimestamp: 9000, upperBoundOffset: 30 },
  ];

  it('deletes a prefix by time, size or log start', () => {
    assert.equal(countDeletableSegments(segs, limits({ retentionMs: 5000 })), 2);
    assert.equal(countDeletableSegments(segs, limits({ retentionMs: 100 })), 3);
    assert.equal(countDeletableSegments(segs, limits({ retentionBytes: 150 })), 1, 'the log never drops below retention.bytes');
    assert.equal(countDeletableSegments(segs, limits({ retentionBytes: 100 })), 2);
    assert.equal(countDeletableSegments(segs, limits({ retentionBytes: 300 })), 0);
    assert.equal(countDeletableSegments(segs, limits({ logStartOffset: 25 })), 2);
    assert.equal(countDeletableSegments(segs, limits({ logStartOffset: 30 })), 2, 'the last segment is kept by log start');
  });

  it('never deletes at or above the high watermark, nor an empty active segment', () => {
    assert.equal(countDeletableSegments(segs, limits({ retentionMs: 100, highWatermark: 19 })), 1);
    assert.equal(countDeletableSegments([...segs.slice(0, 2), { size: 0, largestTimestamp: -1, upperBoundOffset: 20 }], limits({ retentionMs: 100 })), 2);
  });

  it('applies only log start under compaction', () => {
    assert.equal(countDeletableSegments(segs, limits({ retentionMs: 100, deleteEnabled: false })), 0);
    assert.equal(countDeletableSegments(segs, limits({ retentionMs: 100, deleteEnabled: false, logStartOffset: 10 })), 1);
  });
});
