// Which part of a compacted log a cleaning covers, as Kafka's cleaner manager decides it. The first dirty offset
// (where the previous cleaning stopped) splits the log into a clean head and a dirty tail. The dirty part ends
// before the first segment that may not be cleaned yet: the caller passes only closed segments below the high
// watermark, and this stops at records younger than min.compaction.lag.ms. A cleaning runs when the dirty
// share of the bytes reaches min.cleanable.dirty.ratio, or when a dirty segment is older than
// max.compaction.lag.ms, or when tombstones kept by an earlier cleaning have outlived delete.retention.ms. It
// rewrites every segment up to the end of the dirty part, merged into groups.

export interface PlanSegment {
  baseOffset: number;
  /** Offset after the segment: the next segment's base offset. */
  upperBoundOffset: number;
  size: number;
  /** Newest record time (the file time when the segment has no timestamps). */
  time: number;
}

export interface CompactionLimits {
  now: number;
  firstDirtyOffset: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  minCleanableDirtyRatio: number;
  /** When the oldest tombstone left by the last cleaning may go (Infinity: none). */
  tombstonesDueMs: number;
  /** Clean whatever the dirty ratio. */
  force?: boolean;
}

export interface CompactionPlan {
  /** Index of the first dirty segment (segments.length when all are clean). */
  firstDirty: number;
  /** Index after the last segment to clean. */
  end: number;
  dirtyRatio: number;
}

/** The cleaning to do now over `segments` (cleanable segments, in order), or null. */
export function planCompaction(segments: PlanSegment[], limits: CompactionLimits): CompactionPlan | null {
  const found = segments.findIndex((s) => s.upperBoundOffset > limits.firstDirtyOffset);
  const firstDirty = found < 0 ? segments.length : found;
  const youngest = limits.minCompactionLagMs > 0 ? limits.now - limits.minCompactionLagMs : Infinity;
  let end = firstDirty;
  while (end < segments.length && segments[end].time <= youngest) end++;
  const dirty = segments.slice(firstDirty, end);
  const dirtyBytes = sum(dirty);
  const totalBytes = dirtyBytes + sum(segments.slice(0, firstDirty));
  const dirtyRatio = totalBytes > 0 ? dirtyBytes / totalBytes : 0;
  const ratioReached = dirtyBytes > 0 && dirtyRatio >= limits.minCleanableDirtyRatio;
  const overdue = dirty.some((s) => limits.now - s.time > limits.maxCompactionLagMs);
  const tombstonesDue = firstDirty > 0 && limits.now >= limits.tombstonesDueMs;
  if (end === 0 || !(limits.force || ratioReached || overdue || tombstonesDue)) return null;
  return { firstDirty, end, dirtyRatio };
}

/**
 * Splits segments [0, end) into runs that are rewritten as one segment each: consecutive segments while their
 * total size stays within `maxBytes` and their offsets within a segment's int32 relative range.
 */
export function groupSegments(segments: PlanSegment[], end: number, maxBytes: number): number[][] {
  const groups: number[][] = [];
  let i = 0;
  while (i < end) {
    const group = [i];
    let bytes = segments[i].size;
    i++;
    while (
      i < end &&
      bytes + segments[i].size <= maxBytes &&
      segments[i].upperBoundOffset - 1 - segments[group[0]].baseOffset <= MAX_RELATIVE_OFFSET
    ) {
      bytes += segments[i].size;
      group.push(i++);
    }
    groups.push(group);
  }
  return groups;
}

const MAX_RELATIVE_OFFSET = 0x7fffffff;

function sum(segments: PlanSegment[]): number {
  return segments.reduce((total, s) => total + s.size, 0);
}
