// The record checks of client batches (records.ts validateBatches + checkCompressedRecords), per codec: valid
// batches pass, garbage and miscounted records are refused with Kafka's codes, and compression bombs are
// refused without inflating them. Also through PartitionLog.append, the path a Produce takes.
import { strict as assert } from 'assert';
import * as crypto from 'crypto';
import '../../src/protocol/compression';
import { ErrorCode } from '../../src/protocol/errors';
import {
  Compression,
  CompressionType,
  DEFAULT_DECOMPRESSION_LIMIT,
  DecompressionLimitError,
  RECORD_BATCH_HEADER_SIZE,
  RecordInput,
  buildRecordBatchAsync,
  checkCompressedRecords,
  codecFor,
  decompressionLimit,
  validateBatches,
} from '../../src/protocol/records';
import { LogError } from '../../src/log/log-error';
import { checkRecords, compressedChecksInFlight } from '../../src/log/record-check';
import { gzipBomb, gzipClaiming, lz4Bomb, snappyClaiming, withBody, zstdBomb, zstdClaiming } from './bombs';
import { open, useTempDir } from '../log/helpers';

const MiB = 1024 * 1024;
const CODECS: Array<[string, CompressionType]> = [
  ['none', Compression.NONE],
  ['gzip', Compression.GZIP],
  ['snappy', Compression.SNAPPY],
  ['lz4', Compression.LZ4],
  ['zstd', Compression.ZSTD],
];

function records(count: number, opts: { bigValue?: number; nullKeyAt?: number } = {}): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    key: i === opts.nullKeyAt ? null : Buffer.from(`key-${i}`),
    value: Buffer.from(i === 0 && opts.bigValue ? 'a'.repeat(opts.bigValue) : `value-${i}`),
    headers: [{ key: 'h', value: Buffer.from(`x${i}`) }],
    timestampDelta: i,
  }));
}

/** Runs both halves of the produce check, as PartitionLog.append does for a client. */
async function check(batch: Buffer, opts: { requireKeys?: boolean; maxDecompressedBytes?: number } = {}): Promise<void> {
  const requireKeys = opts.requireKeys ?? false;
  const { batches } = validateBatches(batch, Infinity, { requireKeys });
  await checkCompressedRecords(batch, batches, { requireKeys, maxDecompressedBytes: opts.maxDecompressedBytes ?? DEFAULT_DECOMPRESSION_LIMIT });
}

/** The uncompressed records section of a batch of `inputs`. */
async function plainBody(inputs: RecordInput[]): Promise<Buffer> {
  return (await buildRecordBatchAsync({ records: inputs, timestamp: 1_000 })).subarray(RECORD_BATCH_HEADER_SIZE);
}

async function compress(type: CompressionType, body: Buffer): Promise<Buffer> {
  return type === Compression.NONE ? body : codecFor(type).compress(body);
}

const isCode =
  (code: ErrorCode, message?: RegExp) =>
  (err: unknown): boolean => {
    assert.ok(err instanceof Error && 'code' in err, `expected a Kafka error, got ${String(err)}`);
    assert.equal((err as { code: ErrorCode }).code, code, (err as Error).message);
    if (message) assert.match((err as Error).message, message);
    return true;
  };

/** Resident memory growth while `fn` runs, sampled every few milliseconds (the peak, not the end state). */
async function peakRssGrowth(fn: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  try {
    await fn();
  } finally {
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  return peak - before;
}

describe('record checks of client batches', () => {
  for (const [name, type] of CODECS) {
    describe(name, () => {
      it('passes valid batches, one with a 3 MiB compressible value', async () => {
        await check(await buildRecordBatchAsync({ compression: type, records: records(50) }));
        await check(await buildRecordBatchAsync({ compression: type, records: records(3, { bigValue: 3 * MiB }) }));
      });

      it('refuses a garbage records section with CORRUPT_MESSAGE', async () => {
        const template = await buildRecordBatchAsync({ compression: type, records: records(3) });
        const garbage = crypto.createHash('sha512').update(name).digest(); // fixed bytes per codec
        await assert.rejects(check(withBody(template, Buffer.concat([garbage, garbage]), 3)), isCode(ErrorCode.CORRUPT_MESSAGE));
      });

      it('refuses a record count that does not match the records with CORRUPT_MESSAGE', async () => {
        const template = await buildRecordBatchAsync({ compression: type, records: records(3) });
        const body = await compress(type, await plainBody(records(3)));
        await check(withBody(template, body, 3));
        await assert.rejects(check(withBody(template, body, 4)), isCode(ErrorCode.CORRUPT_MESSAGE, /runs past the end|left/));
        await assert.rejects(check(withBody(template, body, 2)), isCode(ErrorCode.CORRUPT_MESSAGE, /bytes follow the 2 records/));
      });

      it('refuses a record whose length disagrees with its fields, and offset deltas that do not count up', async () => {
        const template = await buildRecordBatchAsync({ compression: type, records: records(3) });
        const plain = await plainBody(records(3));
        // Record 0: [length][attributes][timestamp delta][offset delta]..., each one byte here.
        const longer = Buffer.from(plain);
        longer[0] += 2; // zigzag: one more byte
        await assert.rejects(check(withBody(template, await compress(type, longer), 3)), isCode(ErrorCode.CORRUPT_MESSAGE));
        const skipped = Buffer.from(plain);
        skipped[3] = 2 * 5; // offset delta 5
        await assert.rejects(check(withBody(template, await compress(type, skipped), 3)), isCode(ErrorCode.INVALID_RECORD, /offset delta 5/));
      });

      it('refuses records without a key when keys are required (compacted topics) with INVALID_RECORD', async () => {
        const keyless = await buildRecordBatchAsync({ compression: type, records: records(4, { nullKeyAt: 2 }) });
        await check(keyless);
        await assert.rejects(check(keyless, { requireKeys: true }), isCode(ErrorCode.INVALID_RECORD, /without key/));
      });
    });
  }

  describe('compression bombs', () => {
    const limit = decompressionLimit(1048588); // Kafka's default max.message.bytes
    const bombs: Array<[string, CompressionType, () => Promise<Buffer> | Buffer]> = [
      ['a 13-byte zstd frame declaring 1 GiB', Compression.ZSTD, () => zstdClaiming(1024 * MiB)],
      ['a 32 KiB zstd frame of RLE blocks inflating to 1 GiB', Compression.ZSTD, () => zstdBomb(1024)],
      ['a 1 MiB gzip stream inflating to 1 GiB', Compression.GZIP, () => gzipBomb(1024)],
      ['a 1 KiB gzip stream whose trailer says 1 GiB', Compression.GZIP, () => gzipClaiming(1024 * MiB)],
      ['a 1.1 MB lz4 frame inflating to 256 MiB', Compression.LZ4, () => lz4Bomb(256)],
      ['a 10-byte snappy block declaring 4 GiB', Compression.SNAPPY, () => snappyClaiming(2 ** 32 - 1)],
    ];
    for (const [what, type, make] of bombs) {
      it(`refuses ${what} without inflating it`, async function () {
        this.timeout(30_000);
        const template = await buildRecordBatchAsync({ compression: type, records: records(1) });
        const batch = withBody(template, await make(), 1);
        global.gc?.();
        const growth = await peakRssGrowth(() =>
          assert.rejects(check(batch, { maxDecompressedBytes: limit }), (err) => err instanceof DecompressionLimitError && isCode(ErrorCode.CORRUPT_MESSAGE)(err)),
        );
        // gzip alone decodes up to the limit before stopping; the others refuse from the headers.
        const allowed = type === Compression.GZIP ? limit + 64 * MiB : 32 * MiB;
        if (process.env.STRATA_TEST_VERBOSE) console.log(`      peak RSS growth ${(growth / MiB).toFixed(1)} MiB`);
        assert.ok(growth < allowed, `resident memory grew by ${(growth / MiB).toFixed(1)} MiB (allowed ${allowed / MiB})`);
      });
    }

    it('each codec stops a real batch above a (low) limit and passes it with room to spare', async () => {
      const inputs = records(2, { bigValue: 2 * MiB });
      const size = (await plainBody(inputs)).length;
      for (const [, type] of CODECS.slice(1)) {
        const batch = await buildRecordBatchAsync({ compression: type, records: inputs });
        // Bounds from block headers may overshoot by up to a block (lz4: 64 KiB here; zstd: 128 KiB).
        await check(batch, { maxDecompressedBytes: size + 128 * 1024 });
        await assert.rejects(check(batch, { maxDecompressedBytes: size - 1 }), DecompressionLimitError, `type ${type}`);
      }
    });

    it('the limit follows max.message.bytes: 64 MiB at Kafka default, 16 times it when raised', () => {
      assert.equal(decompressionLimit(1048588), 64 * MiB);
      assert.equal(decompressionLimit(10 * MiB), 160 * MiB);
    });
  });

  describe('broker-wide bound', () => {
    it('checks at most 4 compressed payloads at once, whatever the number of appends waiting', async () => {
      const batch = await buildRecordBatchAsync({ compression: Compression.ZSTD, records: records(2000) });
      const { batches } = validateBatches(batch, Infinity, { requireKeys: false });
      let peak = 0;
      let running = true;
      const sample = (): void => {
        peak = Math.max(peak, compressedChecksInFlight());
        if (running) setImmediate(sample);
      };
      sample();
      await Promise.all(Array.from({ length: 16 }, () => checkRecords(batch, batches, { requireKeys: false, maxDecompressedBytes: DEFAULT_DECOMPRESSION_LIMIT })));
      running = false;
      assert.equal(peak, 4);
      assert.equal(compressedChecksInFlight(), 0);
    });
  });

  describe('through PartitionLog.append', () => {
    const dir = useTempDir();
    const CLIENT = { leaderEpoch: 0, fromClient: true };

    it('a client batch of garbage zstd is refused with CORRUPT_MESSAGE and nothing is written; good data still appends', async () => {
      const log = await open(dir());
      await log.append(await buildRecordBatchAsync({ compression: Compression.ZSTD, records: records(2) }), CLIENT);
      const template = await buildRecordBatchAsync({ compression: Compression.ZSTD, records: records(2) });
      const garbage = withBody(template, Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), crypto.createHash('sha256').update('x').digest()]), 2);
      await assert.rejects(log.append(garbage, CLIENT), (err) => err instanceof LogError && err.code === ErrorCode.CORRUPT_MESSAGE);
      assert.equal(log.logEndOffset, 2);
      const bomb = withBody(template, zstdClaiming(1024 * MiB), 1);
      await assert.rejects(log.append(bomb, CLIENT), (err) => err instanceof LogError && err.code === ErrorCode.CORRUPT_MESSAGE);
      const next = await log.append(await buildRecordBatchAsync({ compression: Compression.LZ4, records: records(3) }), CLIENT);
      assert.deepEqual([next.baseOffset, log.logEndOffset], [2, 5]);
    });
  });
});
