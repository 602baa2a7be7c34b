// A compressed batch whose records would inflate beyond the decompression limit (stored before produce checked
// records, or through an internal append) does not stop compaction: the cleaner keeps it whole and cleans the rest.
import { strict as assert } from 'assert';
import { Compression, DecompressionLimitError, buildRecordBatchAsync, decodeRecords, readBatchHeader, readBatchOffsets } from '../../src/protocol/records';
import { open, useTempDir } from './helpers';
import { COMPACTED, T0, put } from './compaction-helpers';
import { withBody, zstdClaiming } from '../compression/bombs';

describe('log: compaction of a compression bomb', () => {
  const dir = useTempDir();

  it('keeps the bomb batch whole, never inflating it, and compacts the records around it', async () => {
    const log = await open(dir(), { ...COMPACTED, segmentBytes: 300 });
    await put(log, [['a', 'a1'], ['b', 'b1']]);
    const template = await buildRecordBatchAsync({ compression: Compression.ZSTD, timestamp: T0, records: [{ key: Buffer.from('z'), value: null }] });
    const bomb = withBody(template, zstdClaiming(1024 * 1024 * 1024), 1);
    await assert.rejects(decodeRecords(bomb), DecompressionLimitError);
    const { baseOffset: bombOffset } = await log.append(bomb, { leaderEpoch: 0 }); // internal append: not checked
    for (let i = 2; i <= 8; i++) await put(log, [['a', `a${i}`]], T0 + i);

    const result = await log.compact(T0 + 1000, { force: true });
    assert.equal(result.cleaned, true);
    assert.ok(result.recordsRemoved > 0);
    assert.ok(result.firstDirtyOffset > bombOffset, 'the cleaning passed the bomb');

    const r = await log.read(log.logStartOffset, 1 << 20, { minOneMessage: true });
    const kept: string[] = [];
    for (let pos = 0; pos < r.records.length; ) {
      const { size } = readBatchOffsets(r.records, pos);
      const batch = r.records.subarray(pos, pos + size);
      const h = readBatchHeader(batch, 0);
      if (h.baseOffset === bombOffset) kept.push('bomb');
      else for (const rec of await decodeRecords(batch)) kept.push(`${rec.key}=${rec.value}`);
      pos += size;
    }
    assert.ok(kept.includes('bomb'), `the bomb batch is kept: ${kept.join(' ')}`);
    assert.ok(!kept.includes('a=a1') && kept.includes('b=b1'), `a1 is compacted away, b1 kept: ${kept.join(' ')}`);
  });
});
