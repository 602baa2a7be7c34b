import { strict as assert } from 'assert';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { crashImage, open, segmentFiles, useTempDir } from './helpers';
import { COMPACTED, KV, activeBase, leftovers, put, readKV, T0 } from './compaction-helpers';

const SMALL = { ...COMPACTED, segmentBytes: 400 };
const name = (base: number, suffix: string): string => String(base).padStart(20, '0') + suffix;

async function copyDir(from: string, to: string): Promise<void> {
  await fsp.mkdir(to, { recursive: true });
  for (const f of await fsp.readdir(from)) await fsp.copyFile(path.join(from, f), path.join(to, f));
}

/**
 * A log whose closed segments a cleaning merges into one: returns the directory as it was before the
 * cleaning (a crash image), the directory after it, the bases of the replaced segments, and both contents.
 */
async function beforeAndAfter(root: string): Promise<{ before: string; after: string; sources: number[]; original: KV[]; cleaned: KV[] }> {
  const after = path.join(root, 'after');
  let log = await open(after, SMALL);
  for (let i = 0; i < 30; i++) await put(log, [[`k${i % 3}`, `v${i}`], [`k${(i + 1) % 3}`, `w${i}`]], T0 + i);
  const original = await readKV(log);
  const before = await crashImage(log);
  const active = await activeBase(after);
  const sources = (await segmentFiles(after)).map((f) => Number(f.slice(0, 20))).filter((b) => b < active);
  await log.close();
  log = await open(after, { ...SMALL, segmentBytes: 1 << 20 }); // one group: everything merges into segment 0
  const result = await log.compact(T0 + 1000);
  assert.equal(result.segmentsAfter, 1);
  assert.equal(result.segmentsCleaned, sources.length);
  const cleaned = await readKV(log);
  await log.close();
  return { before, after, sources, original, cleaned };
}

describe('log: compaction crash safety', () => {
  const dir = useTempDir();

  async function scenario(stage: (img: { dir: string; after: string; sources: number[] }) => Promise<void>): Promise<{ dir: string; original: KV[]; cleaned: KV[] }> {
    const root = path.dirname(dir());
    const { before, after, sources, original, cleaned } = await beforeAndAfter(root);
    assert.ok(sources.length > 2);
    const crashed = path.join(root, 'crashed');
    await copyDir(before, crashed);
    await stage({ dir: crashed, after, sources });
    return { dir: crashed, original, cleaned };
  }

  const copy = (from: string, to: string): Promise<void> => fsp.copyFile(from, to);
  const rmSegment = (d: string, base: number): Promise<void[]> => Promise.all(['.log', '.index', '.timeindex'].map((s) => fsp.rm(path.join(d, name(base, s)), { force: true })));

  it('completes a swap committed before the old segments were removed', async () => {
    const s = await scenario(async ({ dir: d, after }) => {
      for (const suffix of ['.log', '.index', '.timeindex']) await copy(path.join(after, name(0, suffix)), path.join(d, name(0, suffix) + '.swap'));
    });
    const log = await open(s.dir, SMALL);
    assert.deepEqual(await readKV(log), s.cleaned);
    assert.deepEqual(await leftovers(s.dir), []);
    assert.equal((await segmentFiles(s.dir)).length, 2);
  });

  it('completes a swap cut short while removing the old segments', async () => {
    const s = await scenario(async ({ dir: d, after, sources }) => {
      for (const suffix of ['.log', '.index', '.timeindex']) await copy(path.join(after, name(0, suffix)), path.join(d, name(0, suffix) + '.swap'));
      await rmSegment(d, sources[0]);
      await rmSegment(d, sources[1]);
    });
    const log = await open(s.dir, SMALL);
    assert.deepEqual(await readKV(log), s.cleaned);
    assert.deepEqual(await leftovers(s.dir), []);
  });

  it('completes a swap cut short while renaming into place (index renamed, log not)', async () => {
    const s = await scenario(async ({ dir: d, after, sources }) => {
      for (const base of sources) await rmSegment(d, base);
      await copy(path.join(after, name(0, '.index')), path.join(d, name(0, '.index')));
      await copy(path.join(after, name(0, '.timeindex')), path.join(d, name(0, '.timeindex.swap')));
      await copy(path.join(after, name(0, '.log')), path.join(d, name(0, '.log.swap')));
    });
    const log = await open(s.dir, SMALL);
    assert.deepEqual(await readKV(log), s.cleaned);
    assert.deepEqual(await leftovers(s.dir), []);
  });

  it('discards a swap that never committed', async () => {
    const s = await scenario(async ({ dir: d, after }) => {
      await copy(path.join(after, name(0, '.index')), path.join(d, name(0, '.index.swap')));
      await copy(path.join(after, name(0, '.timeindex')), path.join(d, name(0, '.timeindex.cleaned')));
      await copy(path.join(after, name(0, '.log')), path.join(d, name(0, '.log.cleaned')));
    });
    const log = await open(s.dir, SMALL);
    assert.deepEqual(await readKV(log), s.original);
    assert.deepEqual(await leftovers(s.dir), []);
    // And compacting again from there gives the same result as the interrupted cleaning would have.
    await log.close();
    const again = await open(s.dir, { ...SMALL, segmentBytes: 1 << 20 });
    await again.compact(T0 + 1000);
    assert.deepEqual(await readKV(again), s.cleaned);
  });

  it('rebuilds the indexes of a swapped-in segment whose index files are missing', async () => {
    const s = await scenario(async ({ dir: d, after }) => {
      await copy(path.join(after, name(0, '.log')), path.join(d, name(0, '.log.swap')));
    });
    const log = await open(s.dir, SMALL);
    assert.deepEqual(await readKV(log), s.cleaned);
    assert.ok((await fsp.readdir(s.dir)).includes(name(0, '.index')));
  });
});
