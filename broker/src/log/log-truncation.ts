// Cutting a partition log back from its end, as a follower does when its log diverged from the leader's
// (truncateTo), or emptying it to start again elsewhere (truncateFullyAndStartAt). Both run exclusively: after
// the writes queued before them and any cleaning under way, on the housekeeping queue, with appends that come
// meanwhile waiting. What the cut segment and the producer state become is left to recovery's own code.
import { LogError } from './log-error';
import { Segment } from './segment';
import type { LogState } from './log-state';
import type { LogWriter } from './log-writer';
import { loadProducerState, recoverSegment } from './recovery';
import { ProducerStateManager } from './producer-state';
import { deleteSnapshot, listSnapshots } from './producer-snapshot';
import { mergeRemoteEpochs } from '../tier/remote-reconcile';

export class LogTruncation {
  constructor(
    private readonly s: LogState,
    private readonly writer: LogWriter,
    private readonly log: {
      /** The cleaning under way, if any. */
      compaction(): Promise<unknown> | undefined;
      /** The active segment is empty. */
      activeSegmentEmpty(): void;
    },
  ) {}

  /**
   * Drops every batch holding an offset at or above `offset` (a batch that straddles it goes whole, so the log
   * may end a little before `offset`); nothing happens when `offset` is at or past the log end. Segments,
   * their indexes and .txnindex, the leader epoch cache and the producer state are cut back with it, by
   * recovery's own code: the cut segment is re-validated as after a crash and the producer state replayed
   * from the newest snapshot below the cut. The high watermark drops to the new end if it was past it.
   * Truncating to the log start or below empties the log (truncateFullyAndStartAt).
   */
  truncateTo(offset: number): Promise<void> {
    const s = this.s;
    return this.runExclusive(async () => {
      if (offset >= s.endOffset) return;
      if (offset <= s.startOffset) return this.restartAt(offset);
      const segments = s.segments;
      let keep = segments.length;
      while (keep > 1 && segments[keep - 1].baseOffset >= offset) keep--;
      const last = segments[keep - 1];
      const cut = await last.batchAt(offset);
      // A batch holding the log start would leave the log ending below its start: nothing above it is kept.
      if (cut && cut.header.baseOffset <= s.startOffset) return this.restartAt(s.startOffset);
      // Should the process die half way, the next open re-validates everything from `last` on.
      s.recoveryPoint = Math.min(s.recoveryPoint, last.baseOffset);
      await s.saveState(false);
      const doomed = segments.slice(keep);
      s.segments = segments.slice(0, keep);
      for (const seg of doomed) {
        s.totalSize -= seg.size;
        s.dirty.delete(seg);
      }
      await Promise.all(doomed.map((seg) => seg.delete()));
      const txnIndexRebuilds = new Set<Segment>();
      if (cut) {
        s.totalSize -= last.size - cut.position;
        await last.truncate(cut.position);
        await last.txnIndex.reset();
        txnIndexRebuilds.add(last);
        await recoverSegment(last, cut.position, s.cfg.indexIntervalBytes, s.epochs, s.logger);
        await last.persistIndexes();
        s.epochs.truncateFromStart(s.logStartOffset); // re-derived from batches, some maybe below the start
      }
      const end = last.nextOffset;
      s.endOffset = s.nextOffset = end;
      s.hw = Math.min(s.hw, end);
      s.epochs.truncateFromEnd(end);
      if (last.size === 0) this.log.activeSegmentEmpty();
      s.dirty.add(last);
      await this.writer.syncDirty();
      const loaded = { segments: s.segments, logStartOffset: s.startOffset, logEndOffset: end, txnIndexRebuilds };
      s.producers = await loadProducerState(s.dir, loaded, s.producers.expirationMs, s.logger);
      await s.saveState(false);
      this.writer.dropDurableWaitersPast(end);
      s.logger.info('truncated log', { offset, logEndOffset: end, deletedSegments: doomed.length });
    });
  }

  /**
   * Empties the local log and starts it again at `offset`: log start, log end and high watermark (a follower
   * that is too far behind, or whose leader keeps only later offsets locally). Leader epochs of tiered
   * segments below `offset` stay known.
   */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.runExclusive(() => this.restartAt(offset));
  }

  /**
   * Runs `task` on the housekeeping queue once the writes queued before it are written and no compaction is
   * running; appends that come meanwhile wait for it. An I/O error in it takes the log offline.
   */
  runExclusive(task: () => Promise<void>): Promise<void> {
    const s = this.s;
    const run = (s.exclusive ?? Promise.resolve()).then(async () => {
      s.ensureWritable();
      await this.log.compaction()?.catch(() => undefined);
      await this.writer.lastWrite;
      await s.housekeeping.run(async () => {
        s.ensureWritable();
        try {
          await task();
        } catch (err) {
          if (!(err instanceof LogError)) s.goOffline(err);
          throw err;
        }
      });
    });
    const settled = run.catch(() => undefined);
    s.exclusive = settled;
    void settled.then(() => {
      if (s.exclusive === settled) s.exclusive = undefined;
    });
    return run;
  }

  /**
   * A log holding no batch whose leader's first batch starts below its end, at `offset` (the leader's log
   * start, where the follower started, is inside that batch): the empty segment is replaced by one at
   * `offset`, so the batch can be stored whole, as Kafka does. The log start stays; the batch's records
   * below it are never served.
   */
  rebaseEmptyLog(offset: number): Promise<void> {
    const s = this.s;
    return this.runExclusive(async () => {
      if (!isEmpty(s) || offset >= s.nextOffset) return;
      const old = s.activeSegment;
      await old.delete();
      s.segments = [new Segment(s.dir, offset, s.cfg.segmentIndexBytes, Date.now(), { newFile: true })];
      s.dirty.delete(old);
      s.nextOffset = offset;
      await s.saveState(false); // also fsyncs the directory
    });
  }

  /** Empties the log and starts it at `offset`. Runs exclusively. */
  private async restartAt(offset: number): Promise<void> {
    const s = this.s;
    const doomed = s.segments;
    await Promise.all(doomed.map((seg) => seg.delete()));
    s.segments = [new Segment(s.dir, offset, s.cfg.segmentIndexBytes, Date.now(), { newFile: true })];
    s.totalSize = 0;
    s.dirty.clear();
    s.startOffset = s.endOffset = s.nextOffset = s.hw = s.recoveryPoint = offset;
    s.epochs.replace([]);
    if (s.remote?.isActive) mergeRemoteEpochs(s.epochs, s.remote, offset);
    s.producers = new ProducerStateManager(s.producers.expirationMs);
    for (const snapshot of await listSnapshots(s.dir)) await deleteSnapshot(s.dir, snapshot);
    this.log.activeSegmentEmpty();
    await s.saveState(false); // also fsyncs the directory: the deletions are durable
    this.writer.dropDurableWaitersPast(offset);
    s.logger.info('log emptied and restarted', { offset, deletedSegments: doomed.length });
  }
}

/** The log holds no batch (nothing written, nothing queued). */
export function isEmpty(s: LogState): boolean {
  return s.segments.length === 1 && s.activeSegment.assignedSize === 0;
}
