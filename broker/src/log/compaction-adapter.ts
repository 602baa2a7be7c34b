// The partition log's side of compaction (compaction.ts does the cleaning): which segments may be cleaned,
// and swapping a cleaned segment in for its sources on the housekeeping queue. Replaced segments stay open
// for the reads in flight on them until file.delete.delay.ms has passed.
import { CompactOptions, CompactionResult, CompactionTarget, compactLog, notCleaned } from './compaction';
import type { StagedSegment } from './compactor';
import { commitSwap } from './compaction-files';
import type { LogState } from './log-state';
import type { Segment } from './segment';
import type { AbortedTxn } from './transaction-index';

export class CompactionAdapter {
  private running?: Promise<CompactionResult>;
  /** Segments replaced by compaction whose handles are still open for reads in flight. */
  readonly retired = new Set<Segment>();

  constructor(
    private readonly s: LogState,
    private readonly log: {
      lastWrite(): Promise<void>;
      abortedTransactions(fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]>;
    },
  ) {}

  /** The cleaning under way, if any (a truncation waits for it). */
  get current(): Promise<CompactionResult> | undefined {
    return this.running;
  }

  /**
   * Compacts the closed segments when cleanup.policy includes compact and the dirty ratio (or
   * max.compaction.lag.ms) calls for it; run it periodically beside enforceRetention. One cleaning at a time: a
   * call during a cleaning gets that cleaning's result.
   */
  compact(now: number, opts: CompactOptions): Promise<CompactionResult> {
    const s = this.s;
    try {
      s.ensureWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    if (!s.cfg.cleanupPolicy.compact) return Promise.resolve(notCleaned(s.startOffset));
    if (!this.running) {
      const running = compactLog(this.target(), now, opts).finally(() => (this.running = undefined));
      this.running = running;
      const settled = running.then(
        () => undefined,
        () => undefined,
      );
      s.background.add(settled); // close() waits for it; it stops at the next batch once closing
      void settled.finally(() => s.background.delete(settled));
    }
    return this.running;
  }

  private target(): CompactionTarget {
    const s = this.s;
    return {
      dir: s.dir,
      config: s.cfg,
      logger: s.logger,
      logStartOffset: s.startOffset,
      // After the writes and the finalizing of rolled segments queued so far.
      cleanableSegments: () => this.log.lastWrite().then(() => s.housekeeping.run(async () => this.cleanableSegments())),
      swapIn: (staged: StagedSegment) => s.housekeeping.run(() => this.swapIn(staged)),
      isStopping: () => s.closing || s.failure !== null,
      abortedTransactions: (from, upper) => this.log.abortedTransactions(from, upper),
    };
  }

  /** Closed segments whose bytes are all written and flushed, below the last stable offset (open transactions are not cleaned). */
  private cleanableSegments(): Array<{ segment: Segment; upperBoundOffset: number }> {
    const s = this.s;
    const out = [];
    for (let i = 0; i + 1 < s.segments.length; i++) {
      const segment = s.segments[i];
      const upperBoundOffset = s.segments[i + 1].baseOffset;
      if (upperBoundOffset > s.lastStableOffset || segment.size !== segment.assignedSize || segment.newFile || s.dirty.has(segment)) break;
      out.push({ segment, upperBoundOffset });
    }
    return out;
  }

  /** Replaces a staged segment's sources, if they are still closed segments of the log. Runs on the housekeeping queue. */
  private async swapIn(staged: StagedSegment): Promise<boolean> {
    const s = this.s;
    const first = s.segments.indexOf(staged.sources[0]);
    const count = staged.sources.length;
    const inPlace = first >= 0 && first + count < s.segments.length && staged.sources.every((src, k) => s.segments[first + k] === src);
    if (!inPlace || s.failure) return false;
    try {
      await commitSwap(s.dir, staged.segment.baseOffset, staged.sources.map((src) => src.baseOffset));
      await staged.segment.txnIndex.load();
    } catch (err) {
      s.goOffline(err); // the directory may be half swapped: the next open completes or discards it
      throw err;
    }
    s.segments = [...s.segments.slice(0, first), staged.segment, ...s.segments.slice(first + count)];
    s.totalSize += staged.bytesAfter - staged.bytesBefore;
    for (const src of staged.sources) {
      s.dirty.delete(src);
      this.retired.add(src);
      void src.retire(s.cfg.fileDeleteDelayMs).then(() => this.retired.delete(src));
    }
    return true;
  }
}
