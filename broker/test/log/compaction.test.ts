import { strict as assert } from 'assert';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { ErrorCode } from '../../src/protocol/errors';
import { Compression, computeBatchCrc, decodeBatches, readBatchHeader } from '../../src/protocol/records';
import { LogError } from '../../src/log/log-error';
import type { PartitionLog } from '../../src/log/partition-log';
import { crashImage, open, segmentFiles, useTempDir } from './helpers';
import { COMPACTED, KV, T0, activeBase, compacted, kv, leftovers, put, readKV } from './compaction-helpers';

const SMALL = { ...COMPACTED, segmentBytes: 400 };

/** 30 batches of two records over seven keys, rolling every few batches; returns what was written. */
async function churn(log: PartitionLog, compression: (typeof Compression)[keyof typeof Compression] = Compression.NONE): Promise<KV[]> {
  const written: KV[] = [];
  for (let i = 0; i < 30; i++) {
    written.push(...(await put(log, [[`k${(2 * i) % 7}`, `v${i}a`], [`k${(2 * i + 1) % 7}`, `v${i}b`]], T0 + i, compression)));
  }
  return written;
}

describe('log: compaction', () => {
  const dir = useTempDir();

  it('keeps the latest record per key with offsets and order preserved; the active segment is untouched', async () => {
    const d = dir();
    const log = await open(d, SMALL);
    const written = await churn(log);
    const end = await activeBase(d);
    const { logStartOffset, logEndOffset } = log;

    const result = await log.compact(T0 + 1000);
    assert.equal(result.cleaned, true);
    assert.equal(result.firstDirtyOffset, end);
    const expected = compacted(written, end);
    assert.equal(result.recordsRemoved, written.length - expected.length);
    assert.deepEqual(await readKV(log), expected);
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [logStartOffset, logEndOffset]);
    assert.equal(log.sizeBytes, (await Promise.all((await segmentFiles(d)).map((f) => fsp.stat(path.join(d, f))))).reduce((s, st) => s + st.size, 0));
    assert.deepEqual(await leftovers(d), []);
  });

  it('reads from the next surviving batch at any offset, including removed ones', async () => {
    const log = await open(dir(), SMALL);
    const written = await churn(log);
    await log.compact(T0 + 1000);
    const survivors = await readKV(log);
    for (const { offset } of written) {
      const r = await log.read(offset, 1 << 20, { minOneMessage: true });
      const first = (await decodeBatches(r.records)).flatMap((b) => b.records).find((x) => x.offset >= offset);
      const expected = survivors.find((s) => s.offset >= offset);
      assert.equal(first?.offset, expected?.offset, `read at ${offset}`);
      assert.ok(r.nextOffset > offset || r.records.length === 0);
    }
  });

  it('cleans again only when something new is dirty, and compacts across rounds', async () => {
    const d = dir();
    const log = await open(d, SMALL);
    const written = await churn(log);
    await log.compact(T0 + 1000);
    assert.equal((await log.compact(T0 + 2000)).cleaned, false, 'nothing dirty');
    written.push(...(await churn(log)));
    const end = await activeBase(d);
    const segmentsBefore = (await segmentFiles(d)).length;
    const second = await log.compact(T0 + 3000);
    assert.equal(second.cleaned, true);
    assert.ok(second.segmentsAfter < second.segmentsCleaned, 'small cleaned segments are merged');
    assert.equal((await segmentFiles(d)).length, segmentsBefore - second.segmentsCleaned + second.segmentsAfter);
    assert.deepEqual(await readKV(log), compacted(written, end));
  });

  it('waits for min.cleanable.dirty.ratio, min.compaction.lag.ms and honours max.compaction.lag.ms', async () => {
    const d = dir();
    const log = await open(d, { ...SMALL, minCleanableDirtyRatio: 0.9 });
    await churn(log);
    await log.compact(T0 + 1000, { force: true });
    await put(log, [['k0', 'late']], T0 + 100);
    await put(log, [['k1', 'x'.repeat(300)]], T0 + 100); // rolls
    assert.equal((await log.compact(T0 + 1000)).cleaned, false, 'dirty share below 0.9');
    log.updateConfig({ ...log.config, minCleanableDirtyRatio: 0, minCompactionLagMs: 10_000 });
    assert.equal((await log.compact(T0 + 1000)).cleaned, false, 'dirty records younger than min.compaction.lag.ms');
    assert.equal((await log.compact(T0 + 20_000)).cleaned, true);
    await put(log, [['k2', 'y'.repeat(300)]], T0 + 200);
    await put(log, [['k3', 'z']], T0 + 200);
    log.updateConfig({ ...log.config, minCleanableDirtyRatio: 1, minCompactionLagMs: 0, maxCompactionLagMs: 5000 });
    assert.equal((await log.compact(T0 + 1000)).cleaned, false);
    assert.equal((await log.compact(T0 + 10_000)).cleaned, true, 'a dirty segment older than max.compaction.lag.ms');
  });

  it('removes tombstones only once a cleaning has passed them and delete.retention.ms is over', async () => {
    const d = dir();
    const log = await open(d, { ...SMALL, deleteRetentionMs: 10_000 });
    const written = [
      ...(await put(log, [['k1', 'a'], ['k2', 'b']], T0)),
      ...(await put(log, [['k1', null]], T0 + 5)),
      ...(await put(log, [['k3', 'x'.repeat(300)]], T0 + 6)),
      ...(await put(log, [['k4', 'rolls']], T0 + 7)),
    ];
    const end = await activeBase(d);
    const first = await log.compact(T0 + 100_000); // old enough, but no cleaning has passed it yet
    assert.equal(first.tombstonesDueMs, T0 + 5 + 10_000);
    assert.deepEqual(await readKV(log), compacted(written, end));
    assert.ok((await readKV(log)).some((r) => r.key === 'k1' && r.value === null));

    const reopened = await reopen(log, { ...SMALL, deleteRetentionMs: 10_000 });
    const second = await reopened.compact(T0 + 100_001); // nothing dirty, but the tombstone is due
    assert.equal(second.cleaned, true);
    assert.equal(second.tombstonesDueMs, null);
    assert.deepEqual(await readKV(reopened), compacted(written, end, true));
  });

  it('keeps a tombstone delete.retention.ms after its timestamp', async () => {
    const d = dir();
    const log = await open(d, { ...SMALL, deleteRetentionMs: 10_000 });
    await put(log, [['k1', 'a']], T0);
    await put(log, [['k1', null]], T0 + 1);
    await put(log, [['k2', 'x'.repeat(300)]], T0 + 2);
    await put(log, [['k3', 'rolls']], T0 + 3);
    await log.compact(T0 + 10);
    assert.equal((await log.compact(T0 + 5000)).cleaned, false, 'not due');
    await put(log, [['k4', 'y'.repeat(300)]], T0 + 4); // dirty data makes a cleaning run; the tombstone stays
    await put(log, [['k5', 'rolls']], T0 + 5);
    assert.equal((await log.compact(T0 + 6000)).cleaned, true);
    assert.ok((await readKV(log)).some((r) => r.key === 'k1' && r.value === null));
    await log.compact(T0 + 10_001);
    assert.ok(!(await readKV(log)).some((r) => r.key === 'k1'));
  });

  it('drops records without a key; refuses them from clients on a compacted topic, in call order', async () => {
    const d = dir();
    const log = await open(d, SMALL);
    const written = [...(await put(log, [[null, 'internal'], ['k', 'v']])), ...(await put(log, [['big', 'x'.repeat(300)]]))];
    written.push(...(await put(log, [['k', 'rolls']])));
    await log.compact(T0 + 1000);
    assert.deepEqual(await readKV(log), compacted(written, await activeBase(d)));
    assert.ok(!(await readKV(log)).some((r) => r.key === null));

    const isInvalid = (e: unknown): boolean => e instanceof LogError && e.code === ErrorCode.INVALID_RECORD;
    const end = log.logEndOffset;
    const results = await Promise.allSettled([
      log.append(await kv([['a', '1']], T0, Compression.ZSTD), { leaderEpoch: 0, fromClient: true }),
      log.append(await kv([['b', '2'], [null, 'no key']], T0, Compression.GZIP), { leaderEpoch: 0, fromClient: true }),
      log.append(await kv([['c', '3']]), { leaderEpoch: 0, fromClient: true }),
      log.append(await kv([[null, '4']]), { leaderEpoch: 0, fromClient: true }),
      log.append(await kv([['d', '5']], T0, Compression.LZ4), { leaderEpoch: 0, fromClient: true }),
      log.append(await kv([[null, '6']]), { leaderEpoch: 0, requireKeys: false }),
    ]);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value.baseOffset : isInvalid(r.reason) ? 'invalid' : r.reason)),
      [end, 'invalid', end + 1, 'invalid', end + 2, end + 3],
    );
    const tail = (await readKV(log)).filter((r) => r.offset >= end);
    assert.deepEqual(
      tail.map((r) => r.value),
      ['1', '3', '5', '6'],
    );
  });

  for (const [name, compression] of [
    ['gzip', Compression.GZIP],
    ['zstd', Compression.ZSTD],
  ] as const) {
    it(`compacts ${name} batches and re-compresses them with their codec`, async () => {
      const d = dir();
      const log = await open(d, SMALL);
      const written = await churn(log, compression);
      const end = await activeBase(d);
      await log.compact(T0 + 1000);
      assert.deepEqual(await readKV(log), compacted(written, end));
      // Every stored batch keeps the codec and a valid CRC; rewritten ones keep their offset range.
      const r = await log.read(log.logStartOffset, 1 << 20);
      let pos = 0;
      let rewritten = 0;
      while (pos < r.records.length) {
        const h = readBatchHeader(r.records, pos);
        const size = h.batchLength + 12;
        assert.equal(h.compression, compression);
        assert.equal(h.crc, computeBatchCrc(r.records, pos, size));
        if (h.recordCount < h.lastOffsetDelta + 1) rewritten++;
        pos += size;
      }
      assert.ok(rewritten > 0, 'some batches lost records but kept their offset range');
    });
  }

  it('compacts committed transactional records like others, and keeps the marker and the last batch of each producer', async () => {
    const d = dir();
    const log = await open(d, SMALL);
    const { buildRecordBatch } = await import('../../src/protocol/records');
    await log.append(buildRecordBatch({ timestamp: T0, isTransactional: true, producerId: 7, producerEpoch: 0, baseSequence: 0, records: [{ key: Buffer.from('t'), value: Buffer.from('old') }] }), { leaderEpoch: 0 });
    await log.append(buildRecordBatch({ timestamp: T0, isControl: true, isTransactional: true, producerId: 7, producerEpoch: 0, records: [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }] }), { leaderEpoch: 0 });
    await log.append(buildRecordBatch({ timestamp: T0, producerId: 9, producerEpoch: 0, baseSequence: 0, records: [{ key: Buffer.from('p'), value: Buffer.from('first') }] }), { leaderEpoch: 0 });
    await log.append(buildRecordBatch({ timestamp: T0, producerId: 9, producerEpoch: 0, baseSequence: 1, records: [{ key: Buffer.from('p'), value: Buffer.from('last') }, { key: Buffer.from('q'), value: Buffer.from('1') }] }), { leaderEpoch: 0 });
    await put(log, [['t', 'new'], ['q', '2'], ['pad', 'x'.repeat(300)]]);
    await put(log, [['z', 'rolls']]);
    await log.compact(T0 + 1000);
    const kept = (await readKV(log)).map((r) => `${r.offset}:${r.key?.length === 4 ? 'marker' : r.key}=${r.value?.length === 6 && r.key?.length === 4 ? 'commit' : r.value}`);
    // t=old (committed in producer 7's transaction) is superseded by t=new; the COMMIT marker is producer 7's last batch.
    assert.deepEqual(kept, ['1:marker=commit', '3:p=last', '4:q=1', '5:t=new', '6:q=2', '7:pad=' + 'x'.repeat(300), '8:z=rolls']);
  });

  it('survives a clean reopen and a crash, and goes on compacting', async () => {
    const d = dir();
    const log = await open(d, SMALL);
    const written = await churn(log);
    const end = await activeBase(d);
    await log.compact(T0 + 1000);
    const expected = compacted(written, end);
    const crashed = await open(await crashImage(log), SMALL);
    assert.deepEqual(await readKV(crashed), expected);
    const reopened = await reopen(log, SMALL);
    assert.deepEqual(await readKV(reopened), expected);
    assert.equal((await reopened.compact(T0 + 2000)).cleaned, false, 'the cleaner checkpoint survived');
    written.push(...(await churn(reopened)));
    await reopened.compact(T0 + 3000);
    assert.deepEqual(await readKV(reopened), compacted(written, await activeBase(d)));
  });

  it('lets appends and reads run during a cleaning', async () => {
    const d = dir();
    const log = await open(d, { ...SMALL, segmentBytes: 4096 });
    const written: KV[] = [];
    for (let i = 0; i < 400; i++) written.push(...(await put(log, [[`k${i % 13}`, `v${i}`]], T0 + i, i % 2 ? Compression.GZIP : Compression.NONE)));
    const end = await activeBase(d);
    const cleaning = log.compact(T0 + 10_000);
    const during: Array<Promise<unknown>> = [];
    for (let i = 0; i < 50; i++) {
      during.push(put(log, [[`k${i % 13}`, `w${i}`]], T0 + 500 + i).then((kvs) => written.push(...kvs)));
      during.push(log.read(i * 7, 4096, { minOneMessage: true }));
    }
    await Promise.all([cleaning, ...during]);
    written.sort((a, b) => a.offset - b.offset);
    assert.deepEqual(await readKV(log), compacted(written, end));
  });

  it('copies the unchanged head of a segment before its first changed batch', async () => {
    const d = dir();
    const log = await open(d, { ...COMPACTED, segmentBytes: 700 });
    const written: KV[] = [];
    for (const key of ['a', 'b', 'c', 'd', 'e']) written.push(...(await put(log, [[key, `${key}1`]])));
    written.push(...(await put(log, [['pad', 'x'.repeat(600)]]))); // each pad fills a segment of its own
    written.push(...(await put(log, [['d', 'd2']]))); // supersedes d1, in the middle of segment 0
    written.push(...(await put(log, [['pad', 'y'.repeat(600)]])));
    const end = await activeBase(d);
    assert.ok(end > 0);
    const result = await log.compact(T0 + 1000);
    assert.deepEqual([result.segmentsCleaned, result.recordsRemoved], [1, 1], 'only segment 0 changes: it loses d1');
    assert.deepEqual(await readKV(log), compacted(written, end));
    const reopened = await open((await crashImage(log)), { ...COMPACTED, segmentBytes: 700 });
    assert.deepEqual(await readKV(reopened), compacted(written, end));
  });

  it('gives up quietly when DeleteRecords removes segments under a cleaning', async () => {
    const d = dir();
    const log = await open(d, SMALL);
    const written = await churn(log);
    const cut = written[written.length / 2].offset;
    const [result] = await Promise.all([log.compact(T0 + 1000), log.deleteRecordsBefore(cut)]);
    assert.equal(typeof result.cleaned, 'boolean');
    const after = await readKV(log);
    assert.ok(after.every((r) => r.offset >= cut));
    await log.compact(T0 + 2000, { force: true });
    assert.deepEqual(await readKV(log), compacted(written, await activeBase(d)).filter((r) => r.offset >= log.logStartOffset));
    assert.deepEqual(await leftovers(d), []);
  });

  it('does nothing for a topic that is not compacted', async () => {
    const log = await open(dir(), { segmentBytes: 400 });
    await churn(log);
    assert.equal((await log.compact(T0 + 1000)).cleaned, false);
  });
});

async function reopen(log: PartitionLog, cfg: Parameters<typeof open>[1]): Promise<PartitionLog> {
  await log.close();
  return open(log.dir, cfg);
}
