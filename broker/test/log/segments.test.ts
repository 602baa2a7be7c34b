import { strict as assert } from 'assert';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { LogError } from '../../src/log/log-error';
import { ErrorCode } from '../../src/protocol/errors';
import { buildRecordBatch } from '../../src/protocol/records';
import { batch, open, readAll, segmentFiles, sized, useTempDir } from './helpers';

const DAY = 24 * 3600 * 1000;

describe('log: segments, retention and timestamps', () => {
  const dir = useTempDir();

  it('rolls before an append would exceed segment.bytes', async () => {
    const d = dir();
    const b = sized(200);
    const log = await open(d, { segmentBytes: b.length * 3 });
    for (let i = 0; i < 7; i++) await log.append(sized(200), { leaderEpoch: 0 });
    await log.flush();
    assert.deepEqual(await segmentFiles(d), ['00000000000000000000.log', '00000000000000000003.log', '00000000000000000006.log']);
    const sizes = await Promise.all((await segmentFiles(d)).map(async (f) => (await fsp.stat(path.join(d, f))).size));
    assert.deepEqual(sizes, [3 * b.length, 3 * b.length, b.length]);
  });

  it('rolls on segment.ms measured in record time', async () => {
    const d = dir();
    const log = await open(d, { segmentMs: 1000 });
    await log.append(sized(10, 10_000), { leaderEpoch: 0 });
    await log.append(sized(10, 10_900), { leaderEpoch: 0 });
    assert.equal((await segmentFiles(d)).length, 1);
    await log.append(sized(10, 11_001), { leaderEpoch: 0 });
    assert.deepEqual(await segmentFiles(d), ['00000000000000000000.log', '00000000000000000002.log']);
  });

  it('rolls when the offset index is full', async () => {
    const d = dir();
    const log = await open(d, { indexIntervalBytes: 1, segmentIndexBytes: 8 * 3 });
    for (let i = 0; i < 10; i++) await log.append(batch(1), { leaderEpoch: 0 });
    assert.ok((await segmentFiles(d)).length >= 2);
    assert.equal((await readAll(log)).length, 10);
  });

  it('deletes segments past retention.ms, keeping the active one', async () => {
    const d = dir();
    const now = 100 * DAY;
    const log = await open(d, { segmentBytes: 300, retentionMs: DAY });
    for (let i = 0; i < 3; i++) await log.append(sized(200, now - 3 * DAY), { leaderEpoch: 0 });
    for (let i = 0; i < 2; i++) await log.append(sized(200, now - 1000), { leaderEpoch: 0 });
    const before = log.sizeBytes;
    assert.deepEqual(await log.enforceRetention(now), { deletedSegments: 3 });
    assert.equal(log.logStartOffset, 3);
    assert.equal(log.sizeBytes, (before / 5) * 2);
    assert.deepEqual(await segmentFiles(d), ['00000000000000000003.log', '00000000000000000004.log']);
    await assert.rejects(log.read(2, 100), (e: unknown) => e instanceof LogError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal((await readAll(log)).length, 2);
  });

  it('rolls and deletes everything when all data is past retention.ms', async () => {
    const d = dir();
    const log = await open(d, { retentionMs: DAY });
    await log.append(sized(50, 1000), { leaderEpoch: 0 });
    await log.append(sized(50, 2000), { leaderEpoch: 0 });
    assert.deepEqual(await log.enforceRetention(10 * DAY), { deletedSegments: 1 });
    assert.equal(log.logStartOffset, 2);
    assert.equal(log.logEndOffset, 2);
    const r = await log.append(sized(50, 10 * DAY), { leaderEpoch: 0 });
    assert.equal(r.baseOffset, 2);
    assert.deepEqual(await log.enforceRetention(10 * DAY), { deletedSegments: 0 });
    assert.deepEqual(await segmentFiles(d), ['00000000000000000002.log']);
  });

  it('deletes the oldest segments beyond retention.bytes', async () => {
    const d = dir();
    const b = sized(200);
    const log = await open(d, { segmentBytes: b.length * 2, retentionBytes: b.length * 3 });
    for (let i = 0; i < 7; i++) await log.append(sized(200, Date.now()), { leaderEpoch: 0 });
    // segments of 2, 2, 2, 1 batches: dropping the first two leaves 3 batches
    assert.deepEqual(await log.enforceRetention(), { deletedSegments: 2 });
    assert.equal(log.logStartOffset, 4);
    assert.equal(log.sizeBytes, b.length * 3);
  });

  it('keeps everything under cleanup.policy=compact', async () => {
    const log = await open(dir(), { segmentBytes: 300, retentionMs: 1, retentionBytes: 1, cleanupPolicy: { delete: false, compact: true } });
    for (let i = 0; i < 4; i++) await log.append(sized(200, 0), { leaderEpoch: 0 });
    assert.deepEqual(await log.enforceRetention(DAY), { deletedSegments: 0 });
  });

  it('deleteRecordsBefore moves the log start and drops whole segments below it', async () => {
    const d = dir();
    const log = await open(d, { segmentBytes: 300 });
    for (let i = 0; i < 6; i++) await log.append(sized(200), { leaderEpoch: 0 });
    assert.equal(await log.deleteRecordsBefore(3), 3);
    assert.equal(log.logStartOffset, 3);
    assert.deepEqual(await segmentFiles(d), ['00000000000000000003.log', '00000000000000000004.log', '00000000000000000005.log']);
    assert.equal(await log.deleteRecordsBefore(1), 3, 'never moves backwards');
    await assert.rejects(log.deleteRecordsBefore(7), (e: unknown) => e instanceof LogError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
    await log.close();
    const reopened = await open(d, { segmentBytes: 300 });
    assert.equal(reopened.logStartOffset, 3);
    assert.equal(reopened.logEndOffset, 6);
  });

  it('deleteRecordsBefore inside a segment hides the offsets below it', async () => {
    const log = await open(dir());
    await log.append(batch(10), { leaderEpoch: 0 });
    assert.equal(await log.deleteRecordsBefore(4), 4);
    await assert.rejects(log.read(3, 100), (e: unknown) => e instanceof LogError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
    const r = await log.read(4, 1 << 20);
    assert.ok(r.records.length > 0);
  });

  it('finds offsets by timestamp through the time index', async () => {
    const log = await open(dir(), { segmentBytes: 2000, indexIntervalBytes: 100 });
    // 30 batches of 3 records; batch i has timestamps 1000*i, +1, +2
    for (let i = 0; i < 30; i++) {
      const records = [0, 1, 2].map((k) => ({ value: Buffer.from(`r${i}-${k}`), timestampDelta: k }));
      await log.append(buildRecordBatch({ timestamp: 1000 * (i + 1), records }), { leaderEpoch: 2 });
    }
    assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 1000, leaderEpoch: 2 });
    assert.deepEqual(await log.offsetForTimestamp(5001), { offset: 13, timestamp: 5001, leaderEpoch: 2 });
    assert.deepEqual(await log.offsetForTimestamp(5003), { offset: 15, timestamp: 6000, leaderEpoch: 2 });
    assert.deepEqual(await log.offsetForTimestamp(30_002), { offset: 89, timestamp: 30_002, leaderEpoch: 2 });
    assert.equal(await log.offsetForTimestamp(30_003), null);
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 89, timestamp: 30_002, leaderEpoch: 2 });
  });

  it('keeps timestamp lookups right after a reopen', async () => {
    const d = dir();
    const log = await open(d, { segmentBytes: 1000, indexIntervalBytes: 100 });
    for (let i = 0; i < 20; i++) await log.append(sized(100, 1000 * (i + 1)), { leaderEpoch: 0 });
    await log.close();
    const reopened = await open(d, { segmentBytes: 1000, indexIntervalBytes: 100 });
    assert.deepEqual(await reopened.offsetForTimestamp(7500), { offset: 7, timestamp: 8000, leaderEpoch: 0 });
    assert.deepEqual(await reopened.maxTimestampOffset(), { offset: 19, timestamp: 20_000, leaderEpoch: 0 });
  });

  it('tracks leader epochs for OffsetForLeaderEpoch', async () => {
    const d = dir();
    const log = await open(d);
    assert.deepEqual(log.endOffsetForLeaderEpoch(0), { leaderEpoch: -1, endOffset: -1 });
    await log.append(batch(3), { leaderEpoch: 1 });
    await log.append(batch(2), { leaderEpoch: 1 });
    await log.append(batch(4), { leaderEpoch: 3 });
    await log.append(batch(1), { leaderEpoch: 5 });
    assert.deepEqual(log.endOffsetForLeaderEpoch(5), { leaderEpoch: 5, endOffset: 10 });
    assert.deepEqual(log.endOffsetForLeaderEpoch(3), { leaderEpoch: 3, endOffset: 9 });
    assert.deepEqual(log.endOffsetForLeaderEpoch(4), { leaderEpoch: 3, endOffset: 9 });
    assert.deepEqual(log.endOffsetForLeaderEpoch(1), { leaderEpoch: 1, endOffset: 5 });
    assert.deepEqual(log.endOffsetForLeaderEpoch(0), { leaderEpoch: 0, endOffset: 0 });
    assert.deepEqual(log.endOffsetForLeaderEpoch(6), { leaderEpoch: -1, endOffset: -1 });
    await log.close();
    const reopened = await open(d);
    assert.deepEqual(reopened.endOffsetForLeaderEpoch(4), { leaderEpoch: 3, endOffset: 9 });
    assert.deepEqual(reopened.endOffsetForLeaderEpoch(5), { leaderEpoch: 5, endOffset: 10 });
  });
});
