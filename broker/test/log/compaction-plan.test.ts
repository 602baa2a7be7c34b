import { strict as assert } from 'assert';
import { CompactionLimits, PlanSegment, groupSegments, planCompaction } from '../../src/log/compaction-plan';

/** Segments of `sizes` bytes, 10 offsets each, the i-th with time 1000 * (i + 1). */
function segs(...sizes: number[]): PlanSegment[] {
  return sizes.map((size, i) => ({ baseOffset: 10 * i, upperBoundOffset: 10 * (i + 1), size, time: 1000 * (i + 1) }));
}

const limits = (over: Partial<CompactionLimits> = {}): CompactionLimits => ({
  now: 100_000,
  firstDirtyOffset: 0,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
  tombstonesDueMs: Infinity,
  ...over,
});

describe('log: compaction planning', () => {
  it('cleans everything dirty once the dirty share reaches min.cleanable.dirty.ratio', () => {
    assert.deepEqual(planCompaction(segs(100, 100, 100), limits()), { firstDirty: 0, end: 3, dirtyRatio: 1 });
    assert.deepEqual(planCompaction(segs(100, 100, 100, 100), limits({ firstDirtyOffset: 20 })), { firstDirty: 2, end: 4, dirtyRatio: 0.5 });
    assert.equal(planCompaction(segs(100, 100, 100, 100), limits({ firstDirtyOffset: 30 })), null);
    assert.equal(planCompaction(segs(100, 100), limits({ firstDirtyOffset: 20 })), null, 'nothing dirty');
    assert.equal(planCompaction([], limits()), null);
  });

  it('stops the dirty part at records younger than min.compaction.lag.ms', () => {
    const plan = planCompaction(segs(100, 100, 100, 100), limits({ now: 10_000, minCompactionLagMs: 7500 }));
    assert.deepEqual(plan, { firstDirty: 0, end: 2, dirtyRatio: 1 });
    assert.equal(planCompaction(segs(100, 100), limits({ now: 1500, minCompactionLagMs: 1000 })), null);
  });

  it('cleans below the ratio when a dirty segment passed max.compaction.lag.ms, tombstones are due, or forced', () => {
    const s = segs(1000, 1000, 1000, 10);
    const l = limits({ firstDirtyOffset: 30, now: 5000 });
    assert.equal(planCompaction(s, l), null);
    assert.equal(planCompaction(s, { ...l, maxCompactionLagMs: 500 })?.end, 4);
    assert.equal(planCompaction(s, { ...l, tombstonesDueMs: 5000 })?.end, 4);
    assert.equal(planCompaction(s, { ...l, force: true })?.end, 4);
    // Due tombstones alone (nothing dirty) clean the clean part.
    assert.deepEqual(planCompaction(segs(10, 10), limits({ firstDirtyOffset: 20, tombstonesDueMs: 0 })), { firstDirty: 2, end: 2, dirtyRatio: 0 });
  });

  it('groups consecutive segments within segment.bytes and the int32 offset range', () => {
    assert.deepEqual(groupSegments(segs(100, 200, 300, 50, 50, 400), 6, 400), [[0, 1], [2, 3, 4], [5]]);
    assert.deepEqual(groupSegments(segs(100, 200, 300), 2, 1000), [[0, 1]]);
    const wide: PlanSegment[] = [
      { baseOffset: 0, upperBoundOffset: 2 ** 31 - 10, size: 1, time: 0 },
      { baseOffset: 2 ** 31 - 10, upperBoundOffset: 2 ** 31 + 10, size: 1, time: 0 },
    ];
    assert.deepEqual(groupSegments(wide, 2, 1000), [[0], [1]]);
  });
});
