import { strict as assert } from 'assert';
import { promises as fsp } from 'fs';
import { LogError } from '../../src/log/log-error';
import { ErrorCode } from '../../src/protocol/errors';
import { Compression, decodeRecords, readBatchHeader, validateBatches } from '../../src/protocol/records';
import { batch, open, opaqueCompressed, readAll, segmentFiles, sized, useTempDir } from './helpers';

function isLogError(code: number) {
  return (err: unknown) => err instanceof LogError && err.code === code;
}

describe('log: append and read', () => {
  const dir = useTempDir();

  it('assigns offsets and reads records back', async () => {
    const log = await open(dir());
    const r1 = await log.append(batch(3, 'a'), { leaderEpoch: 0 });
    const r2 = await log.append(batch(2, 'b'), { leaderEpoch: 0 });
    assert.deepEqual([r1.baseOffset, r1.lastOffset, r1.recordCount, r1.logAppendTime], [0, 2, 3, -1]);
    assert.deepEqual([r2.baseOffset, r2.lastOffset], [3, 4]);
    assert.equal(log.logEndOffset, 5);
    assert.equal(log.highWatermark, 5);
    const recs = await readAll(log);
    assert.deepEqual(
      recs.map((r) => `${r.offset}:${r.value?.toString()}`),
      ['0:a-0', '1:a-1', '2:a-2', '3:b-0', '4:b-1'],
    );
    assert.equal(log.sizeBytes, r1.bytes + r2.bytes);
    await log.close();
  });

  it('rewrites offsets and epochs in place across the batches of one payload', async () => {
    const log = await open(dir());
    await log.append(batch(2), { leaderEpoch: 4 });
    const payload = Buffer.concat([batch(3, 'x'), batch(1, 'y'), batch(2, 'z')]);
    const result = await log.append(payload, { leaderEpoch: 4 });
    assert.deepEqual([result.baseOffset, result.lastOffset, result.recordCount], [2, 7, 6]);
    const v = validateBatches(payload); // the caller's buffer now carries the assigned offsets, CRCs intact
    assert.deepEqual(
      v.batches.map((b) => [b.header.baseOffset, b.header.partitionLeaderEpoch]),
      [
        [2, 4],
        [5, 4],
        [6, 4],
      ],
    );
    const read = await log.read(2, 1 << 20);
    assert.ok(read.records.equals(payload));
  });

  it('rejects a corrupt batch and writes nothing', async () => {
    const log = await open(dir());
    await log.append(batch(1), { leaderEpoch: 0 });
    const good = batch(2);
    const bad = batch(2);
    bad[bad.length - 1] ^= 1;
    await assert.rejects(log.append(Buffer.concat([good, bad]), { leaderEpoch: 0 }), isLogError(ErrorCode.CORRUPT_MESSAGE));
    assert.equal(log.logEndOffset, 1);
    assert.equal(readBatchHeader(good, 0).baseOffset, 0, 'payload untouched');
    const r = await log.append(batch(1), { leaderEpoch: 0 });
    assert.equal(r.baseOffset, 1);
    assert.equal((await readAll(log)).length, 2);
  });

  it('rejects empty, oversized and old-format payloads', async () => {
    const log = await open(dir(), { maxMessageBytes: 500, segmentBytes: 2000 });
    await assert.rejects(log.append(Buffer.alloc(0), { leaderEpoch: 0 }), isLogError(ErrorCode.INVALID_RECORD));
    await assert.rejects(log.append(sized(600), { leaderEpoch: 0 }), isLogError(ErrorCode.MESSAGE_TOO_LARGE));
    const payload = Buffer.concat(Array.from({ length: 6 }, () => sized(400)));
    await assert.rejects(log.append(payload, { leaderEpoch: 0 }), isLogError(ErrorCode.RECORD_LIST_TOO_LARGE));
    const v1 = batch(1);
    v1.writeInt8(1, 16);
    await assert.rejects(log.append(v1, { leaderEpoch: 0 }), isLogError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT));
    assert.equal(log.logEndOffset, 0);
  });

  it('passes compressed batches through byte for byte', async () => {
    const log = await open(dir());
    const zstd = opaqueCompressed(5, Compression.ZSTD);
    const lz4 = opaqueCompressed(2, Compression.LZ4);
    const original = Buffer.concat([zstd, lz4]);
    const payload = Buffer.from(original);
    await log.append(payload, { leaderEpoch: 0 });
    const read = await log.read(0, 1 << 20);
    assert.equal(read.records.length, original.length);
    // Only baseOffset (bytes 0-7) and partitionLeaderEpoch (12-15) may differ: first batch has offset 0 and epoch 0.
    assert.ok(read.records.subarray(16, zstd.length).equals(original.subarray(16, zstd.length)));
    assert.ok(read.records.subarray(zstd.length + 16).equals(original.subarray(zstd.length + 16)));
    assert.equal(readBatchHeader(read.records, zstd.length).baseOffset, 5);
    validateBatches(read.records);
  });

  it('stamps LogAppendTime when configured', async () => {
    const log = await open(dir(), { messageTimestampType: 'LogAppendTime' });
    const r = await log.append(batch(2), { leaderEpoch: 0, now: 123_456 });
    assert.equal(r.logAppendTime, 123_456);
    const read = await log.read(0, 1 << 20);
    const h = readBatchHeader(read.records, 0);
    assert.equal(h.timestampType, 'LogAppendTime');
    assert.equal(h.maxTimestamp, 123_456);
    validateBatches(read.records);
    // Every record carries the append time, so the first one is the record with the max timestamp (KAFKA-16310).
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 0, timestamp: 123_456, leaderEpoch: 0 });
  });

  it('returns whole batches within maxBytes, or the first batch with minOneMessage', async () => {
    const log = await open(dir());
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const b = sized(100);
      sizes.push(b.length);
      await log.append(b, { leaderEpoch: 0 });
    }
    const two = await log.read(0, sizes[0] + sizes[1] + 10);
    assert.equal(two.records.length, sizes[0] + sizes[1]);
    assert.equal(two.nextOffset, 2);
    const none = await log.read(1, 50);
    assert.equal(none.records.length, 0);
    const one = await log.read(1, 50, { minOneMessage: true });
    assert.equal(one.records.length, sizes[1]);
    assert.equal((await decodeRecords(one.records))[0].offset, 1);
  });

  it('reads from the batch that contains the offset', async () => {
    const log = await open(dir(), { indexIntervalBytes: 1 });
    for (let i = 0; i < 10; i++) await log.append(batch(10, `b${i}`), { leaderEpoch: 0 });
    const r = await log.read(57, 1 << 20);
    const recs = await decodeRecords(r.records);
    assert.equal(recs[0].offset, 50);
    assert.equal(recs[recs.length - 1].offset, 99);
  });

  it('respects isolationMaxOffset and the log end', async () => {
    const log = await open(dir());
    for (let i = 0; i < 3; i++) await log.append(batch(2), { leaderEpoch: 0 });
    const r = await log.read(0, 1 << 20, { isolationMaxOffset: 4 });
    assert.deepEqual(
      (await decodeRecords(r.records)).map((x) => x.offset),
      [0, 1, 2, 3],
    );
    const atEnd = await log.read(6, 1 << 20);
    assert.equal(atEnd.records.length, 0);
    assert.equal(atEnd.nextOffset, 6);
    await assert.rejects(log.read(7, 100), isLogError(ErrorCode.OFFSET_OUT_OF_RANGE));
    await assert.rejects(log.read(-1, 100), isLogError(ErrorCode.OFFSET_OUT_OF_RANGE));
  });

  it('reads by offset across segment boundaries', async () => {
    const d = dir();
    const log = await open(d, { segmentBytes: 1024 });
    for (let i = 0; i < 40; i++) await log.append(batch(3, `s${i}`), { leaderEpoch: 0 });
    assert.ok((await segmentFiles(d)).length > 2);
    const recs = await readAll(log, 300);
    assert.equal(recs.length, 120);
    recs.forEach((r, i) => assert.equal(r.offset, i));
    for (const offset of [0, 1, 37, 59, 60, 119]) {
      const r = await log.read(offset, 1 << 20);
      const first = (await decodeRecords(r.records)).find((x) => x.offset === offset);
      assert.ok(first, `offset ${offset} found`);
      assert.equal(first.value?.toString(), `s${Math.floor(offset / 3)}-${offset % 3}`);
    }
    await log.close();
  });

  it('keeps offsets contiguous and data in order with many appends in flight', async () => {
    const log = await open(dir(), { segmentBytes: 64 * 1024 });
    const writes: ReturnType<typeof log.append>[] = [];
    for (let i = 0; i < 500; i++) writes.push(log.append(batch(1 + (i % 4), `w${i}`), { leaderEpoch: 0 }));
    const results = await Promise.all(writes);
    let expected = 0;
    for (const r of results) {
      assert.equal(r.baseOffset, expected);
      expected = r.lastOffset + 1;
    }
    assert.equal(log.logEndOffset, expected);
    const recs = await readAll(log);
    assert.equal(recs.length, expected);
    let i = 0;
    for (let w = 0; w < 500; w++) {
      for (let k = 0; k < 1 + (w % 4); k++) {
        assert.equal(recs[i].offset, i);
        assert.equal(recs[i].value?.toString(), `w${w}-${k}`);
        i++;
      }
    }
  });

  it("emits 'append' after the bytes are readable", async () => {
    const log = await open(dir());
    const seen: number[] = [];
    log.on('append', (end) => {
      seen.push(end);
      assert.equal(log.logEndOffset, end);
    });
    await log.append(batch(2), { leaderEpoch: 0 });
    await log.append(batch(1), { leaderEpoch: 0 });
    assert.deepEqual(seen, [2, 3]);
  });

  it('fsyncs by flush.messages and survives flush()', async () => {
    const log = await open(dir(), { flushMessages: 1 });
    await log.append(batch(2), { leaderEpoch: 0 });
    await log.flush();
    assert.equal((await readAll(log)).length, 2);
  });

  it('goes offline after an I/O error and fails the appends in flight', async () => {
    const d = dir();
    const log = await open(d, { segmentBytes: 200 });
    await log.append(sized(100), { leaderEpoch: 0 });
    await log.flush(); // let background writes (state file, indexes) land before the directory goes
    // The next segment's file cannot be created. Retries cover a background temp file appearing mid-removal.
    await fsp.rm(d, { recursive: true, maxRetries: 10, retryDelay: 20 });
    const inFlight = [log.append(sized(100), { leaderEpoch: 0 }), log.append(sized(100), { leaderEpoch: 0 })];
    for (const r of await Promise.allSettled(inFlight)) {
      assert.ok(r.status === 'rejected' && isLogError(ErrorCode.KAFKA_STORAGE_ERROR)(r.reason));
    }
    assert.equal(log.isOffline, true);
    assert.equal(log.logEndOffset, 1);
    await assert.rejects(log.append(sized(10), { leaderEpoch: 0 }), isLogError(ErrorCode.KAFKA_STORAGE_ERROR));
  });

  it('refuses appends after close', async () => {
    const log = await open(dir());
    await log.close();
    await assert.rejects(log.append(batch(1), { leaderEpoch: 0 }), isLogError(ErrorCode.KAFKA_STORAGE_ERROR));
  });
});
