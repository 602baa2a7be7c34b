// One cleaning of a compacted partition log: plan it from the dirty ratio, map the dirty keys, rewrite the
// segments group by group, swap each rewritten group in as soon as it is staged, and record how far the log
// is clean. The log supplies its cleanable segments and the swap (which must run among its own housekeeping).
import type { Logger } from '../logger';
import type { LogConfig } from './log-config';
import type { Segment } from './segment';
import { groupSegments, planCompaction, type PlanSegment } from './compaction-plan';
import { DEFAULT_MAX_MAPPED_KEYS, StagedSegment, buildOffsetMap, cleanGroup, segmentTime } from './compactor';
import { discardStaged, readCleanerCheckpoint, writeCleanerCheckpoint } from './compaction-files';
import { decompressionLimit } from '../protocol/records';
import { AbortedRanges, TransactionCleaning } from './compaction-transactions';
import type { AbortedTxn } from './transaction-index';

export interface CompactOptions {
  /** Clean whatever the dirty ratio. */
  force?: boolean;
  /** Bound on the keys mapped in one cleaning (default DEFAULT_MAX_MAPPED_KEYS). */
  maxMappedKeys?: number;
}

export interface CompactionResult {
  /** Whether a cleaning ran (policy compact, something dirty, and the ratio or max.compaction.lag.ms called for it). */
  cleaned: boolean;
  /** Share of dirty bytes when the cleaning was planned (0 when nothing was dirty). */
  dirtyRatio: number;
  /** Segments rewritten, and the segments they became. */
  segmentsCleaned: number;
  segmentsAfter: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  /** Where the dirty part now starts. */
  firstDirtyOffset: number;
  /** When the oldest tombstone kept may be dropped by a later cleaning (null: none kept). */
  tombstonesDueMs: number | null;
}

export interface CompactionTarget {
  readonly dir: string;
  readonly config: LogConfig;
  readonly logger: Logger;
  readonly logStartOffset: number;
  /** The closed, flushed segments below the high watermark, in order, each with the offset after it. */
  cleanableSegments(): Promise<Array<{ segment: Segment; upperBoundOffset: number }>>;
  /** Puts a staged segment in place of its sources; false when they are no longer in the log as they were. */
  swapIn(staged: StagedSegment): Promise<boolean>;
  /** The log is closing: stop at the next batch. */
  isStopping(): boolean;
  /** The aborted transactions overlapping [from, upper), from the transaction indexes. */
  abortedTransactions(from: number, upper: number): Promise<AbortedTxn[]>;
}

export function notCleaned(firstDirtyOffset: number, tombstonesDueMs: number | null = null, dirtyRatio = 0): CompactionResult {
  return { cleaned: false, dirtyRatio, segmentsCleaned: 0, segmentsAfter: 0, bytesBefore: 0, bytesAfter: 0, recordsRemoved: 0, firstDirtyOffset, tombstonesDueMs };
}

export async function compactLog(target: CompactionTarget, now: number, opts: CompactOptions = {}): Promise<CompactionResult> {
  const cfg = target.config;
  const candidates = await target.cleanableSegments();
  const checkpoint = await readCleanerCheckpoint(target.dir);
  const firstDirtyOffset = Math.max(checkpoint.firstDirtyOffset, target.logStartOffset);
  const planned: PlanSegment[] = candidates.map((c) => ({
    baseOffset: c.segment.baseOffset,
    upperBoundOffset: c.upperBoundOffset,
    size: c.segment.size,
    time: segmentTime(c.segment),
  }));
  const tombstonesDueMs = checkpoint.tombstonesDueMs ?? Infinity;
  const plan = planCompaction(planned, { ...cfg, now, firstDirtyOffset, tombstonesDueMs, force: opts.force });
  if (!plan) return notCleaned(firstDirtyOffset, checkpoint.tombstonesDueMs);

  const segments = candidates.map((c) => c.segment);
  const stop = (): boolean => target.isStopping();
  const maxDecompressedBytes = decompressionLimit(cfg.maxMessageBytes);
  const abortedIn = async (seg: Segment) => new AbortedRanges(await target.abortedTransactions(seg.baseOffset, seg.nextOffset));
  const mapOptions = { maxKeys: opts.maxMappedKeys ?? DEFAULT_MAX_MAPPED_KEYS, maxDecompressedBytes, shouldStop: stop, abortedIn };
  const map = await unlessDeleted(segments, buildOffsetMap(segments, plan.firstDirty, plan.end, mapOptions));
  if (!map) return notCleaned(firstDirtyOffset, checkpoint.tombstonesDueMs);
  const result = { ...notCleaned(firstDirtyOffset, checkpoint.tombstonesDueMs, plan.dirtyRatio), cleaned: true };
  const ctx = {
    dir: target.dir,
    indexIntervalBytes: cfg.indexIntervalBytes,
    segmentIndexBytes: cfg.segmentIndexBytes,
    cleanBefore: firstDirtyOffset,
    tombstoneCutoffMs: now - cfg.deleteRetentionMs,
    now,
    maxDecompressedBytes,
    shouldStop: stop,
    abortedIn,
    txns: new TransactionCleaning(firstDirtyOffset, now - cfg.deleteRetentionMs),
  };
  let oldestTombstoneMs = Infinity;
  for (const group of groupSegments(planned, map.end, cfg.segmentBytes)) {
    if (stop()) return result;
    const sources = group.map((i) => segments[i]);
    const outcome = await unlessDeleted(sources, cleanGroup(sources, planned[group[group.length - 1]].upperBoundOffset, map, ctx));
    if (!outcome) return result;
    const { staged } = outcome;
    oldestTombstoneMs = Math.min(oldestTombstoneMs, outcome.oldestTombstoneMs);
    if (!staged) continue;
    if (!(await target.swapIn(staged))) {
      // Retention or DeleteRecords removed some of its sources meanwhile: the next cleaning starts afresh.
      await discardStaged(target.dir, staged.segment.baseOffset);
      return result;
    }
    result.segmentsCleaned += staged.sources.length;
    result.segmentsAfter++;
    result.bytesBefore += staged.bytesBefore;
    result.bytesAfter += staged.bytesAfter;
    result.recordsRemoved += staged.recordsRemoved;
  }
  if (stop() || map.end === 0) return result;
  result.firstDirtyOffset = planned[map.end - 1].upperBoundOffset;
  result.tombstonesDueMs = oldestTombstoneMs === Infinity ? null : oldestTombstoneMs + cfg.deleteRetentionMs;
  await writeCleanerCheckpoint(target.dir, { firstDirtyOffset: result.firstDirtyOffset, tombstonesDueMs: result.tombstonesDueMs });
  target.logger.info('compacted log', result);
  return result;
}

/** A step of the cleaning, or null when it failed because retention deleted one of its segments meanwhile. */
async function unlessDeleted<T>(segments: Segment[], step: Promise<T>): Promise<T | null> {
  try {
    return await step;
  } catch (err) {
    if (segments.some((s) => s.isDeleted)) return null; // the next cleaning starts afresh
    throw err;
  }
}
