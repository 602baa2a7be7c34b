import { strict as assert } from 'assert';
import { Compression, CompressionType, buildRecordBatchAsync } from '../../src/protocol/records';
import { crashImage, open, sized, useTempDir } from './helpers';

/** One batch of `count` records at `base + i`, except record `maxAt`, which carries `maxTimestamp`. */
function spiky(count: number, base: number, maxAt: number, maxTimestamp: number, compression: CompressionType): Promise<Buffer> {
  return buildRecordBatchAsync({
    timestamp: base,
    compression,
    records: Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`r${i}`), timestampDelta: i === maxAt ? maxTimestamp - base : i })),
  });
}

describe('log: exact timestamp lookups', () => {
  const dir = useTempDir();

  for (const [name, compression] of [
    ['uncompressed', Compression.NONE],
    ['gzip', Compression.GZIP],
    ['snappy', Compression.SNAPPY],
    ['lz4', Compression.LZ4],
    ['zstd', Compression.ZSTD],
  ] as const) {
    it(`MAX_TIMESTAMP names the record, not the batch (${name})`, async () => {
      const log = await open(dir());
      // As the Java e2e test: one producer batch of 50 records whose record 20 has the largest timestamp.
      await log.append(await spiky(50, 1_000_000, 20, 2_000_000, compression), { leaderEpoch: 3 });
      assert.deepEqual(await log.maxTimestampOffset(), { offset: 20, timestamp: 2_000_000, leaderEpoch: 3 });
    });
  }

  it('decompresses stored batches within the limit of the topic (max.message.bytes above 4 MiB raises it)', async function () {
    this.timeout(30_000);
    // A gzip batch of one 70 MiB record (about 70 KB on disk): past the default 64 MiB limit, within the 128 MiB
    // that max.message.bytes = 8 MiB allows, so the lookups that open the batch must use the topic's limit.
    const log = await open(dir(), { maxMessageBytes: 8 * 1024 * 1024, segmentBytes: 64 * 1024 * 1024 });
    const big = await buildRecordBatchAsync({
      timestamp: 1_000_000,
      compression: Compression.GZIP,
      records: [
        { value: Buffer.from('a'), timestampDelta: 0 },
        { value: Buffer.alloc(70 * 1024 * 1024), timestampDelta: 7 },
        { value: Buffer.from('b'), timestampDelta: 3 },
      ],
    });
    await log.append(big, { leaderEpoch: 0, fromClient: true });
    assert.deepEqual(await log.offsetForTimestamp(1_000_005), { offset: 1, timestamp: 1_000_007, leaderEpoch: 0 });
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 1, timestamp: 1_000_007, leaderEpoch: 0 });
  });

  it('picks the first of several records sharing the max, in the first batch that has it', async () => {
    const log = await open(dir());
    await log.append(await spiky(10, 1000, 4, 5000, Compression.NONE), { leaderEpoch: 0 });
    const tied = await buildRecordBatchAsync({
      timestamp: 1000,
      compression: Compression.ZSTD,
      records: [0, 4000, 4000, 1].map((d) => ({ value: null, timestampDelta: d })),
    });
    await log.append(tied, { leaderEpoch: 1 }); // offsets 10..13, max 5000 at 11 and 12: the earlier batch wins
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 4, timestamp: 5000, leaderEpoch: 0 });
    await log.append(await spiky(3, 1000, 1, 9000, Compression.GZIP), { leaderEpoch: 2 });
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 15, timestamp: 9000, leaderEpoch: 2 });
  });

  it('answers the first record of the batch under LogAppendTime, compressed or not', async () => {
    const log = await open(dir(), { messageTimestampType: 'LogAppendTime' });
    await log.append(await spiky(5, 1000, 2, 9000, Compression.NONE), { leaderEpoch: 0, now: 50_000 });
    await log.append(await spiky(5, 1000, 2, 9000, Compression.LZ4), { leaderEpoch: 0, now: 60_000 });
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 5, timestamp: 60_000, leaderEpoch: 0 });
  });

  it('keeps the exact answer across segments and a reopen, clean or after a crash', async () => {
    const d = dir();
    const cfg = { segmentBytes: 600, indexIntervalBytes: 100 };
    const log = await open(d, cfg);
    for (let i = 0; i < 12; i++) await log.append(await spiky(8, 10_000 * (i + 1), i % 8, i === 7 ? 900_000 : 10_000 * (i + 1) + 50, Compression.GZIP), { leaderEpoch: 1 });
    await log.append(sized(100, 20_000), { leaderEpoch: 1 });
    const expected = { offset: 7 * 8 + 7, timestamp: 900_000, leaderEpoch: 1 };
    assert.deepEqual(await log.maxTimestampOffset(), expected);
    const crashed = await open(await crashImage(log), cfg);
    assert.deepEqual(await crashed.maxTimestampOffset(), expected);
    await log.close();
    const reopened = await open(d, cfg);
    assert.deepEqual(await reopened.maxTimestampOffset(), expected);
  });

  it('finds offsets by timestamp inside compressed batches exactly', async () => {
    const log = await open(dir(), { indexIntervalBytes: 1 });
    for (let b = 0; b < 4; b++) {
      const batch = await buildRecordBatchAsync({
        timestamp: 1000 * (b + 1),
        compression: Compression.ZSTD,
        records: Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`b${b}-${i}`), timestampDelta: i * 10 })),
      });
      await log.append(batch, { leaderEpoch: 0 });
    }
    assert.deepEqual(await log.offsetForTimestamp(2035), { offset: 14, timestamp: 2040, leaderEpoch: 0 });
    assert.deepEqual(await log.offsetForTimestamp(3000), { offset: 20, timestamp: 3000, leaderEpoch: 0 });
    assert.deepEqual(await log.offsetForTimestamp(4090), { offset: 39, timestamp: 4090, leaderEpoch: 0 });
    assert.equal(await log.offsetForTimestamp(4091), null);
  });

  it('answers null on an empty log', async () => {
    const log = await open(dir());
    assert.equal(await log.maxTimestampOffset(), null);
  });
});
