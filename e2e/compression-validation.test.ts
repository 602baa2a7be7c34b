// Compressed produce batches are checked as Kafka checks them, against a broker process over TCP: a batch
// marked zstd or snappy whose payload is garbage gets CORRUPT_MESSAGE and stores nothing, so consumers (kcat)
// keep reading the good data around it; compression bombs sent to a compacted topic are refused without the
// broker inflating them (its peak RSS stays put) and the broker is the same process afterwards. Batches are
// built by hand with the independent wire encoder (e2e/helpers/wire.ts); good data comes from kcat (librdkafka).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { crc32c } from '@node-rs/crc32';
import { createKafka } from './helpers/kafkajs';
import { kcatConsume, kcatEndOffset, kcatProduce, requireKcat } from './helpers/kcat';
import { useBroker } from './helpers/suite';
import { seededBytes, uniqueName } from './helpers/util';
import { BATCH, ErrorCode, fetchRawBatches, parseProduceV3, produceV3Frame, RawConnection, recordBatch } from './helpers/wire';
import { gzipBomb, lz4Bomb, zstdBomb, zstdClaiming } from '../broker/test/compression/bombs';

const Codec = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
const MiB = 1024 * 1024;

/**
 * A batch of `recordCount` records whose records section is `body`, marked with `codec`: the header of a hand-
 * built batch with its attributes, counts, length and CRC made to match, so only the records section is wrong.
 */
function compressedBatch(codec: number, body: Buffer, recordCount: number): Buffer {
  const records = Array.from({ length: recordCount }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }));
  const header = recordBatch(records).subarray(0, BATCH.headerSize);
  const batch = Buffer.concat([header, body]);
  batch.writeInt32BE(batch.length - 12, 8); // batchLength
  batch.writeInt16BE(codec, BATCH.attributesOffset);
  batch.writeInt32BE(recordCount - 1, 23); // lastOffsetDelta
  batch.writeInt32BE(recordCount, BATCH.recordCountOffset);
  batch.writeUInt32BE(crc32c(batch.subarray(BATCH.attributesOffset)), BATCH.crcOffset);
  return batch;
}

/** Peak resident memory of a process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

describe('compressed produce batches are validated (broker process)', function () {
  this.timeout(90_000);
  const ref = useBroker({ name: 'compression-validation', autoCreateTopics: false });
  const dataTopic = uniqueName('cv-data');
  const compactTopic = uniqueName('cv-compact');
  let correlationId = 100;

  before(async function () {
    requireKcat();
    const admin = createKafka(ref.broker.bootstrap, 'cv-admin').admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [
          { topic: dataTopic, numPartitions: 1 },
          { topic: compactTopic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        ],
      });
    } finally {
      await admin.disconnect();
    }
  });

  /** Produces one hand-built batch on a fresh connection; the partition's error code. */
  async function produceRaw(topic: string, batch: Buffer): Promise<number> {
    const c = await RawConnection.open(ref.broker.host, ref.broker.port);
    try {
      const id = ++correlationId;
      const res = parseProduceV3(await c.request(produceV3Frame(id, topic, 0, batch), 30_000));
      assert.equal(res.correlationId, id);
      assert.equal(res.results.length, 1);
      return res.results[0].errorCode;
    } finally {
      c.destroy();
    }
  }

  it('garbage zstd and snappy batches get CORRUPT_MESSAGE, store nothing, and kcat still reads the good data', async () => {
    const bs = ref.broker.bootstrap;
    // Values long and repetitive enough that librdkafka keeps them compressed (it sends a batch uncompressed
    // when compression does not shrink it).
    const good = (codec: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${codec}-${i}-${'abc'.repeat(100)}`);
    await kcatProduce(bs, dataTopic, good('zstd', 5), ['-p', '0', '-z', 'zstd']);
    await kcatProduce(bs, dataTopic, good('snappy', 5), ['-p', '0', '-z', 'snappy']);
    assert.equal(await kcatEndOffset(bs, dataTopic, 0), 10n);

    // zstd frame magic then noise, and plain noise for snappy: both with correct batch CRCs.
    const garbageZstd = compressedBatch(Codec.zstd, Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), seededBytes(1, 300)]), 3);
    const garbageSnappy = compressedBatch(Codec.snappy, seededBytes(2, 300), 3);
    assert.equal(await produceRaw(dataTopic, garbageZstd), ErrorCode.CORRUPT_MESSAGE, 'garbage zstd');
    assert.equal(await produceRaw(dataTopic, garbageSnappy), ErrorCode.CORRUPT_MESSAGE, 'garbage snappy');
    assert.equal(await kcatEndOffset(bs, dataTopic, 0), 10n, 'nothing stored for refused batches');

    await kcatProduce(bs, dataTopic, good('lz4', 5), ['-p', '0', '-z', 'lz4']);
    const stored = await kcatConsume(bs, dataTopic, { partition: 0, offset: 'beginning', format: '%o|%s\n' });
    assert.deepEqual(stored, [...good('zstd', 5), ...good('snappy', 5), ...good('lz4', 5)].map((v, i) => `${i}|${v}`));
    // The good batches are stored as kcat compressed them (never recompressed).
    const { batches } = await fetchRawBatches(ref.broker.host, ref.broker.port, dataTopic, 0);
    const codecs = new Set(batches.map((b) => b.compression));
    for (const codec of [Codec.zstd, Codec.snappy, Codec.lz4]) assert.ok(codecs.has(codec), `a batch of codec ${codec} among ${[...codecs]}`);
    assert.ok(batches.every((b) => b.crcValid));
  });

  it('compression bombs to a compacted topic are refused without inflating them; the broker stays the same process', async () => {
    const bs = ref.broker.bootstrap;
    const pid = ref.broker.pid;
    assert.ok(pid !== undefined);
    const peakBefore = peakRss(pid);
    const bombs: Array<[string, Buffer]> = [
      ['a 1 KiB zstd batch declaring 1 GiB', compressedBatch(Codec.zstd, zstdClaiming(1024 * MiB), 1)],
      ['a 32 KiB zstd batch inflating to 1 GiB', compressedBatch(Codec.zstd, zstdBomb(1024), 1)],
      ['a 1 MB gzip batch inflating to 960 MiB', compressedBatch(Codec.gzip, gzipBomb(960), 1)],
      ['an 0.9 MB lz4 batch inflating to 200 MiB', compressedBatch(Codec.lz4, await lz4Bomb(200), 1)],
    ];
    for (const [what, batch] of bombs) {
      assert.ok(batch.length < 1048588, `${what}: ${batch.length} bytes fit max.message.bytes`);
      assert.equal(await produceRaw(compactTopic, batch), ErrorCode.CORRUPT_MESSAGE, what);
    }
    const growth = peakRss(pid) - peakBefore;
    if (process.env.STRATA_TEST_VERBOSE) console.log(`      broker peak RSS ${(peakBefore / MiB).toFixed(0)} → ${((peakBefore + growth) / MiB).toFixed(0)} MiB`);
    // gzip is decoded up to the 64 MiB limit before it stops; nothing else is inflated.
    assert.ok(growth < 160 * MiB, `broker peak RSS grew by ${(growth / MiB).toFixed(0)} MiB`);
    assert.ok(ref.broker.isAlive());
    assert.equal(ref.broker.pid, pid, 'broker process was replaced');

    assert.equal(await kcatEndOffset(bs, compactTopic, 0), 0n, 'no bomb was stored');
    await kcatProduce(bs, compactTopic, ['a:1', 'b:2'], ['-p', '0', '-z', 'zstd', '-K:']);
    const stored = await kcatConsume(bs, compactTopic, { partition: 0, offset: 'beginning', format: '%o|%k|%s\n' });
    assert.deepEqual(stored, ['0|a|1', '1|b|2']);
  });
});
