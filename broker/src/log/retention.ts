// Which segments retention may delete: always a prefix of the log, as in Kafka. A segment goes when its newest
// record is older than retention.ms, when dropping it keeps the log within retention.bytes, or when the log start
// offset has moved past it; never one that still holds offsets at or above the high watermark, nor an empty
// active segment.

export interface RetainedSegment {
  size: number;
  /** Newest timestamp in the segment (file modification time when it has none). */
  largestTimestamp: number;
  /** Next segment's base offset, or the log end offset for the active segment. */
  upperBoundOffset: number;
}

export interface RetentionLimits {
  now: number;
  /** -1 = unlimited */
  retentionMs: number;
  /** -1 = unlimited */
  retentionBytes: number;
  /** cleanup.policy includes delete (time and size limits apply). */
  deleteEnabled: boolean;
  logStartOffset: number;
  highWatermark: number;
}

/** How many leading segments may be deleted. */
export function countDeletableSegments(segments: RetainedSegment[], limits: RetentionLimits): number {
  const totalSize = segments.reduce((sum, s) => sum + s.size, 0);
  let excess = limits.deleteEnabled && limits.retentionBytes >= 0 ? totalSize - limits.retentionBytes : 0;
  let count = 0;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    const isLast = i === segments.length - 1;
    if (s.upperBoundOffset > limits.highWatermark || (isLast && s.size === 0)) break;
    const expired = limits.deleteEnabled && limits.retentionMs >= 0 && limits.now - s.largestTimestamp > limits.retentionMs;
    const oversize = excess - s.size >= 0;
    const belowStart = !isLast && s.upperBoundOffset <= limits.logStartOffset;
    if (!expired && !oversize && !belowStart) break;
    excess -= s.size;
    count++;
  }
  return count;
}

/** local.retention.ms / local.retention.bytes: -2 means "as retention.ms / retention.bytes". */
export function localRetentionLimit(local: number, whole: number): number {
  return local === -2 ? whole : local;
}

/**
 * How many leading segments are confirmed in the remote tier: those whose every offset (up to the next
 * segment's base) is below `confirmedUpTo`. Local retention may delete only these.
 */
export function countTieredSegments(segments: Array<{ upperBoundOffset: number }>, confirmedUpTo: number): number {
  let n = 0;
  while (n < segments.length && segments[n].upperBoundOffset <= confirmedUpTo) n++;
  return n;
}
