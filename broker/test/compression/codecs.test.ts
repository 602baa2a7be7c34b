import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import * as snappy from 'snappy';
import { XERIAL_MAGIC, gzipCodec, isXerialFramed, lz4Codec, snappyCodec, zstdCodec } from '../../src/protocol/compression';
import { Compression, CompressionCodec, DEFAULT_DECOMPRESSION_LIMIT, checkCompressedRecords, buildRecordBatchAsync, decodeRecords, readBatchHeader, validateBatches } from '../../src/protocol/records';

// KafkaJS's own record batch encoder (with its built-in gzip codec): no typings, so typed here as used.
type KafkaJsEncoder = { buffer: Buffer };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (opts: Record<string, unknown>) => Promise<KafkaJsEncoder> };
const KafkaJsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (opts: Record<string, unknown>) => KafkaJsEncoder;
const Long = require('kafkajs/src/utils/long') as { fromInt(n: number): unknown; fromValue(n: number): unknown };

/** Output limit for the round trips (the default limit of records.ts). */
const LIMIT = DEFAULT_DECOMPRESSION_LIMIT;

const CODECS: Array<[string, CompressionCodec]> = [
  ['gzip', gzipCodec],
  ['snappy', snappyCodec],
  ['lz4', lz4Codec],
  ['zstd', zstdCodec],
];

// Batches written by Apache Kafka's Java client (kafka-clients 4.1.1, MemoryRecords.builder, CreateTime):
// five records k0..k4 → value-0..value-4 at timestamps 1000..1004, one per codec.
const JAVA_BATCHES: Record<string, string> = {
  gzip:
    '00000000000000000000007cffffffff02a241d19800010000000400000000000003e800000000000003ecffffffffffffffffffffffffffff000000051f8b08000000000000ff9363606060c936e02b4bcc294dd535609063606262c93684f20d817c1616966c2328df08c8676363c93686f28d817c0e0e966c1328df840100f86b73b950000000',
  snappy:
    '00000000000000000000008bffffffff0246d35aa200020000000400000000000003e800000000000003ecffffffffffffffffffffffffffff0000000582534e415050590000000001000000010000004650581e000000046b300e76616c75652d30001e000202046b310d102031001e000404046b320d102032001e000606046b330d104433001e000808046b340e76616c75652d3400',
  lz4:
    '000000000000000000000087ffffffff02a8cfac5b00030000000400000000000003e800000000000003ecffffffffffffffffffffffffffff0000000504224d1860408247000000f3081e000000046b300e76616c75652d30001e000202046b3110009331001e000404046b3210009332001e000606046b331000f00333001e000808046b340e76616c75652d340000000000',
  zstd:
    '00000000000000000000007cffffffff024568487500040000000400000000000003e800000000000003ecffffffffffffffffffffffffffff0000000528b52ffd0058fc010044031e000000046b300e76616c75652d30001e000202046b3131001e000404046b3232001e000606046b3333001e000808046b343400040404e08003ce994d010000',
};

function xerialHeader(): Buffer {
  const header = Buffer.alloc(16);
  XERIAL_MAGIC.copy(header);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  return header;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

describe('compression codecs', () => {
  const small = Buffer.from('hello kafka '.repeat(10));
  // Incompressible and larger than every codec's block size, so the multi-block paths run.
  const large = Buffer.concat([crypto.randomBytes(300_000), Buffer.alloc(300_000, 0x61)]);

  for (const [name, codec] of CODECS) {
    it(`${name}: round-trips small, one-byte and multi-block inputs`, async () => {
      for (const input of [small, Buffer.from([7]), large]) {
        const compressed = await codec.compress(input);
        assert.ok((await codec.decompress(compressed, LIMIT)).equals(input));
      }
      assert.ok((await codec.compress(large)).length < large.length);
    });

    it(`${name}: decodes a batch written by the Java client, which passes the produce record check`, async () => {
      const batch = Buffer.from(JAVA_BATCHES[name], 'hex');
      const { batches } = validateBatches(batch, Infinity, { requireKeys: true });
      await checkCompressedRecords(batch, batches, { requireKeys: true, maxDecompressedBytes: LIMIT });
      const records = await decodeRecords(batch);
      assert.deepEqual(
        records.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString()]),
        [0, 1, 2, 3, 4].map((i) => [i, 1000 + i, `k${i}`, `value-${i}`]),
      );
    });
  }

  it('gzip: builds the same bytes as KafkaJS and decodes its batches', async () => {
    const timestamp = 1_700_000_000_000;
    const inputs = Array.from({ length: 20 }, (_, i) => ({
      key: Buffer.from(`key-${i}`),
      value: Buffer.from(`value-${i} `.repeat(5)),
      headers: { h: `x${i}` },
      timestampDelta: i * 3,
    }));
    const kafkajs = await RecordBatch({
      compression: Compression.GZIP,
      firstOffset: Long.fromInt(0),
      firstTimestamp: timestamp,
      maxTimestamp: timestamp + 57,
      lastOffsetDelta: inputs.length - 1,
      records: inputs.map((r, i) => KafkaJsRecord({ offsetDelta: i, timestampDelta: r.timestampDelta, key: r.key, value: r.value, headers: r.headers })),
    });
    const theirs = kafkajs.buffer;
    assert.equal(readBatchHeader(theirs, 0).compression, Compression.GZIP);
    const { batches } = validateBatches(theirs, Infinity, { requireKeys: true });
    await checkCompressedRecords(theirs, batches, { requireKeys: true, maxDecompressedBytes: LIMIT });

    const decoded = await decodeRecords(theirs);
    assert.deepEqual(
      decoded.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString(), r.headers.map((h) => [h.key, h.value?.toString()])]),
      inputs.map((r, i) => [i, timestamp + r.timestampDelta, r.key.toString(), r.value.toString(), [['h', `x${i}`]]]),
    );

    // KafkaJS defaults: leader epoch 0, producer epoch 0, sequence 0; both gzip with zlib's defaults.
    const ours = await buildRecordBatchAsync({
      compression: Compression.GZIP,
      timestamp,
      partitionLeaderEpoch: 0,
      producerEpoch: 0,
      baseSequence: 0,
      records: inputs.map((r) => ({ key: r.key, value: r.value, headers: [{ key: 'h', value: Buffer.from(r.headers.h) }], timestampDelta: r.timestampDelta })),
    });
    assert.equal(ours.toString('hex'), theirs.toString('hex'));
  });

  it('snappy: reads hand-built xerial framing with several blocks', async () => {
    const parts = [Buffer.from('first block '.repeat(100)), crypto.randomBytes(1000), Buffer.from('third')];
    const framed = [xerialHeader()];
    for (const p of parts) {
      const block = await snappy.compress(p);
      framed.push(int32(block.length), block);
    }
    const stream = Buffer.concat(framed);
    assert.ok(isXerialFramed(stream));
    assert.ok((await snappyCodec.decompress(stream, LIMIT)).equals(Buffer.concat(parts)));
    // Header only: an empty stream.
    assert.equal((await snappyCodec.decompress(xerialHeader(), LIMIT)).length, 0);
  });

  it('snappy: reads raw (unframed) snappy as librdkafka writes it, and writes xerial', async () => {
    const raw = await snappy.compress(small);
    assert.ok(!isXerialFramed(raw));
    assert.ok((await snappyCodec.decompress(raw, LIMIT)).equals(small));
    const ours = await snappyCodec.compress(large);
    assert.ok(isXerialFramed(ours));
    assert.equal(ours.readInt32BE(8), 1);
    assert.equal(ours.readInt32BE(12), 1);
  });

  it('snappy: rejects a xerial block that overruns the stream', async () => {
    const stream = Buffer.concat([xerialHeader(), int32(100), Buffer.alloc(10)]);
    await assert.rejects(snappyCodec.decompress(stream, LIMIT), /overruns/);
  });

  it('lz4: writes a frame with independent blocks and the frame magic', async () => {
    const frame = await lz4Codec.compress(large);
    assert.equal(frame.readUInt32LE(0), 0x184d2204);
    assert.equal(frame[4] & 0xc0, 0x40, 'frame version 01');
    assert.equal(frame[4] & 0x20, 0x20, 'independent blocks');
  });

  it('zstd: decodes a frame without a content size (as streaming writers produce)', async () => {
    // The Java batch above comes from zstd-jni's streaming output; check the frame header says so.
    const body = Buffer.from(JAVA_BATCHES.zstd, 'hex').subarray(61);
    assert.equal(body.readUInt32LE(0), 0xfd2fb528);
    assert.equal(body[4] & 0xc0, 0, 'no frame content size field');
    assert.ok((await zstdCodec.decompress(body, LIMIT)).length > 0);
  });
});
