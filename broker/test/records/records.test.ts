import { strict as assert } from 'assert';
import {
  Compression,
  RecordBatchError,
  buildRecordBatch,
  buildRecordBatchAsync,
  computeBatchCrc,
  countRecords,
  decodeRecords,
  readBatchHeader,
  retainRecords,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatches,
} from '../../src/protocol/records';
import { ErrorCode } from '../../src/protocol/errors';
import '../../src/protocol/compression';

const CRC_AT = 17;

function expectCode(fn: () => unknown, code: number): void {
  assert.throws(fn, (err: unknown) => err instanceof RecordBatchError && err.code === code);
}

/** Re-stamps the CRC after a test edits bytes under it. */
function fixCrc(buf: Buffer, pos = 0): void {
  buf.writeUInt32BE(computeBatchCrc(buf, pos, buf.readInt32BE(pos + 8) + 12), pos + CRC_AT);
}

describe('records: RecordBatch v2', () => {
  it('builds a batch whose header reads back', () => {
    const batch = buildRecordBatch({
      baseOffset: 42,
      producerId: 2 ** 40 + 7,
      producerEpoch: 3,
      baseSequence: 17,
      timestamp: 1_700_000_000_123,
      isTransactional: true,
      records: [{ value: Buffer.from('a') }, { value: Buffer.from('b'), timestampDelta: 50 }],
    });
    const h = readBatchHeader(batch, 0);
    assert.equal(h.baseOffset, 42);
    assert.equal(h.batchLength + 12, batch.length);
    assert.equal(h.magic, 2);
    assert.equal(h.partitionLeaderEpoch, -1);
    assert.equal(h.compression, Compression.NONE);
    assert.equal(h.timestampType, 'CreateTime');
    assert.equal(h.isTransactional, true);
    assert.equal(h.isControl, false);
    assert.equal(h.lastOffsetDelta, 1);
    assert.equal(h.baseTimestamp, 1_700_000_000_123);
    assert.equal(h.maxTimestamp, 1_700_000_000_173);
    assert.equal(h.producerId, 2 ** 40 + 7);
    assert.equal(h.producerEpoch, 3);
    assert.equal(h.baseSequence, 17);
    assert.equal(h.recordCount, 2);
    assert.equal(h.crc, computeBatchCrc(batch, 0, batch.length));
  });

  it('reads producerId -1 and negative epochs', () => {
    const h = readBatchHeader(buildRecordBatch({ records: [{ value: null }] }), 0);
    assert.equal(h.producerId, -1);
    assert.equal(h.producerEpoch, -1);
    assert.equal(h.baseSequence, -1);
  });

  it('round-trips keys, null values, headers and timestamp deltas', async () => {
    const batch = buildRecordBatch({
      baseOffset: 10,
      timestamp: 1000,
      records: [
        { key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('x') }, { key: 'n', value: null }] },
        { key: null, value: null, timestampDelta: 2 ** 33 },
        { value: Buffer.alloc(300, 1), timestampDelta: -5 },
      ],
    });
    const recs = await decodeRecords(batch);
    assert.equal(recs.length, 3);
    assert.deepEqual(
      recs.map((r) => [r.offset, r.timestamp]),
      [
        [10, 1000],
        [11, 1000 + 2 ** 33],
        [12, 995],
      ],
    );
    assert.equal(recs[0].key?.toString(), 'k1');
    assert.equal(recs[0].value?.toString(), 'v1');
    assert.deepEqual(recs[0].headers, [
      { key: 'h', value: Buffer.from('x') },
      { key: 'n', value: null },
    ]);
    assert.equal(recs[1].key, null);
    assert.equal(recs[1].value, null);
    assert.equal(recs[2].value?.length, 300);
    assert.equal(readBatchHeader(batch, 0).maxTimestamp, 1000 + 2 ** 33);
  });

  it('decodes every batch of a concatenation', async () => {
    const both = Buffer.concat([buildRecordBatch({ baseOffset: 0, records: [{ value: null }] }), buildRecordBatch({ baseOffset: 1, records: [{ value: null }, { value: null }] })]);
    assert.deepEqual(
      (await decodeRecords(both)).map((r) => r.offset),
      [0, 1, 2],
    );
  });

  it('validates several batches with positions and totals', () => {
    const a = buildRecordBatch({ timestamp: 5, records: [{ value: Buffer.from('x') }] });
    const b = buildRecordBatch({ timestamp: 9, records: [{ value: Buffer.from('y') }, { value: Buffer.from('z') }] });
    const v = validateBatches(Buffer.concat([a, b]));
    assert.deepEqual(
      v.batches.map((x) => [x.position, x.size]),
      [
        [0, a.length],
        [a.length, b.length],
      ],
    );
    assert.equal(v.recordCount, 3);
    assert.equal(v.bytes, a.length + b.length);
    assert.equal(v.maxTimestamp, 9);
    assert.equal(validateBatches(Buffer.alloc(0)).batches.length, 0);
  });

  it('rejects a flipped byte as CORRUPT_MESSAGE', () => {
    const batch = buildRecordBatch({ records: [{ value: Buffer.from('hello') }] });
    batch[batch.length - 2] ^= 0xff;
    expectCode(() => validateBatches(batch), ErrorCode.CORRUPT_MESSAGE);
  });

  it('rejects truncated and trailing bytes as CORRUPT_MESSAGE', () => {
    const batch = buildRecordBatch({ records: [{ value: Buffer.from('hello') }] });
    expectCode(() => validateBatches(batch.subarray(0, batch.length - 1)), ErrorCode.CORRUPT_MESSAGE);
    expectCode(() => validateBatches(Buffer.concat([batch, Buffer.alloc(5)])), ErrorCode.CORRUPT_MESSAGE);
    const short = Buffer.from(batch);
    short.writeInt32BE(20, 8);
    expectCode(() => validateBatches(short), ErrorCode.CORRUPT_MESSAGE);
  });

  it('rejects old magics as UNSUPPORTED_FOR_MESSAGE_FORMAT and unknown ones as corrupt', () => {
    const batch = buildRecordBatch({ records: [{ value: null }] });
    batch.writeInt8(1, 16);
    expectCode(() => validateBatches(batch), ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    batch.writeInt8(3, 16);
    expectCode(() => validateBatches(batch), ErrorCode.CORRUPT_MESSAGE);
  });

  it('rejects inconsistent record counts as INVALID_RECORD', () => {
    const batch = buildRecordBatch({ records: [{ value: null }, { value: null }] });
    batch.writeInt32BE(0, 57);
    fixCrc(batch);
    expectCode(() => validateBatches(batch), ErrorCode.INVALID_RECORD);
    batch.writeInt32BE(2, 57);
    batch.writeInt32BE(5, 23);
    fixCrc(batch);
    expectCode(() => validateBatches(batch), ErrorCode.INVALID_RECORD);
  });

  it('rejects batches above maxBatchBytes as MESSAGE_TOO_LARGE', () => {
    const batch = buildRecordBatch({ records: [{ value: Buffer.alloc(1000) }] });
    expectCode(() => validateBatches(batch, 500), ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal(validateBatches(batch, batch.length).batches.length, 1);
  });

  it('rewrites baseOffset and partitionLeaderEpoch without touching the CRC', () => {
    const batch = buildRecordBatch({ records: [{ value: null }] });
    const crc = readBatchHeader(batch, 0).crc;
    setBaseOffset(batch, 0, 2 ** 45 + 3);
    setPartitionLeaderEpoch(batch, 0, 7);
    const h = readBatchHeader(batch, 0);
    assert.equal(h.baseOffset, 2 ** 45 + 3);
    assert.equal(h.partitionLeaderEpoch, 7);
    assert.equal(h.crc, crc);
    validateBatches(batch);
  });

  it('stamps LogAppendTime with a fresh CRC', async () => {
    const batch = buildRecordBatch({ timestamp: 100, records: [{ value: null }, { value: null, timestampDelta: 3 }] });
    setLogAppendTime(batch, 0, 5000);
    const h = readBatchHeader(batch, 0);
    assert.equal(h.timestampType, 'LogAppendTime');
    assert.equal(h.maxTimestamp, 5000);
    assert.equal(h.baseTimestamp, 100);
    validateBatches(batch);
    assert.deepEqual(
      (await decodeRecords(batch)).map((r) => r.timestamp),
      [5000, 5000],
    );
  });

  it('uses the registered codec for compressed batches', async () => {
    const values = Array.from({ length: 50 }, (_, i) => ({ value: Buffer.from(`value-${i}`.repeat(20)) }));
    assert.throws(() => buildRecordBatch({ compression: Compression.GZIP, records: values }), RangeError);
    const batch = await buildRecordBatchAsync({ compression: Compression.GZIP, records: values });
    assert.equal(readBatchHeader(batch, 0).compression, Compression.GZIP);
    assert.ok(batch.length < 50 * 140);
    validateBatches(batch);
    assert.deepEqual(
      (await decodeRecords(batch)).map((r) => r.value?.toString()),
      values.map((v) => v.value.toString()),
    );
  });

  it('refuses to decode a compression type without a codec', async () => {
    const batch = buildRecordBatch({ records: [{ value: null }] });
    batch.writeInt16BE(5, 21); // no such codec
    fixCrc(batch);
    await assert.rejects(decodeRecords(batch), (err: unknown) => err instanceof RecordBatchError && err.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  });

  it('reports undecompressable bodies as CORRUPT_MESSAGE', async () => {
    const batch = buildRecordBatch({ records: [{ value: Buffer.from('not zstd') }] });
    batch.writeInt16BE(Compression.ZSTD, 21);
    fixCrc(batch);
    await assert.rejects(decodeRecords(batch), (err: unknown) => err instanceof RecordBatchError && err.code === ErrorCode.CORRUPT_MESSAGE);
  });

  it('retains a subset of records with offsets, header fields and codec preserved', async () => {
    const records = ['a', 'b', 'c', 'd'].map((k, i) => ({ key: Buffer.from(k), value: Buffer.from(`v${i}`), timestampDelta: 10 * i }));
    const opts = { baseOffset: 100, partitionLeaderEpoch: 4, producerId: 9, producerEpoch: 1, baseSequence: 5, timestamp: 1000, records };
    for (const compression of [Compression.NONE, Compression.GZIP, Compression.ZSTD]) {
      const batch = await buildRecordBatchAsync({ ...opts, compression });
      assert.equal(await retainRecords(batch, () => true), batch);
      assert.equal(await retainRecords(batch, () => false), null);
      const kept = await retainRecords(batch, (r) => r.offset === 101 || r.offset === 102);
      assert.ok(kept);
      const h = readBatchHeader(kept, 0);
      assert.equal(h.crc, computeBatchCrc(kept, 0, kept.length));
      assert.deepEqual(
        [h.baseOffset, h.lastOffsetDelta, h.recordCount, h.compression, h.partitionLeaderEpoch, h.producerId, h.baseSequence, h.baseTimestamp, h.maxTimestamp],
        [100, 3, 2, compression, 4, 9, 5, 1000, 1020],
      );
      assert.deepEqual(
        (await decodeRecords(kept)).map((r) => [r.offset, r.key?.toString(), r.value?.toString(), r.timestamp]),
        [
          [101, 'b', 'v1', 1010],
          [102, 'c', 'v2', 1020],
        ],
      );
    }
  });

  it('countRecords sums record counts from batch headers and ignores a torn tail', () => {
    const a = buildRecordBatch({ records: [{ value: Buffer.from('x') }, { value: Buffer.from('y') }] });
    const b = buildRecordBatch({ records: [{ value: Buffer.from('z') }] });
    const both = Buffer.concat([a, b]);
    assert.equal(countRecords(both), 3);
    assert.equal(countRecords(both.subarray(0, both.length - 1)), 2);
    assert.equal(countRecords(Buffer.alloc(0)), 0);
  });
});
