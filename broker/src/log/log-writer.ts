// The writer of a partition log: gets assigned batches into the files. Appends queue their bytes; one drain
// per partition takes the queue, so appends that arrive while a write is in flight go to the file together in
// a single writev. logEndOffset moves only when bytes are written, and readers only ever see written bytes.
// fsync follows flush.messages / flush.ms, and one fsync covers every append written before it. An append may
// ask to be durable (acks=all): it resolves after the next fsync, and one fsync covers every append that
// waits meanwhile (group commit). Rolls, and finalizing rolled segments, are the writer's too.
// A full disk (ENOSPC/EDQUOT) refuses the appends it hits and rolls the log back to its written end, so the
// log takes appends again once space is freed; any other I/O error takes the log offline.
import * as path from 'path';
import { LogError, isDiskFull } from './log-error';
import { ErrorCode } from '../protocol/errors';
import { Segment } from './segment';
import type { LogState } from './log-state';
import type { ProducerSnapshotEntry } from './producer-state';
import { pruneSnapshots, writeSnapshot } from './producer-snapshot';
import type { AbortedTxn } from './transaction-index';
import { fsyncDirectory } from './fs-util';

/** A batch run placed at the end of one segment, waiting to be written. */
export interface PendingWrite {
  segment: Segment;
  position: number;
  data: Buffer;
  lastOffset: number;
  recordCount: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  /** Transactions aborted by markers in this write: indexed before the write becomes readable. */
  aborts: AbortedTxn[];
  resolve: () => void;
  reject: (err: Error) => void;
}

export type QueuedWrite = Omit<PendingWrite, 'resolve' | 'reject'>;

/** An append waiting for the fsync that covers it. */
interface DurableWaiter {
  endOffset: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** What the writer tells the rest of the log, and asks of it. */
export interface WriterHooks {
  /** Bytes are written up to `endOffset` (the 'append' event). */
  onWritten(endOffset: number): void;
  /** The active segment is empty again (rolled, or its appends refused). */
  onActiveSegmentEmpty(): void;
  /** A rolled segment is fsynced and indexed: it may be uploaded. */
  onSegmentFinalized(): void;
  /** remote.upload.max.lag.ms asks for the active segment to be rolled. */
  uploadLagExceeded(now: number): boolean;
}

const MAX_RELATIVE_OFFSET = 0x7fffffff;
/** setTimeout's limit: longer flush.ms values mean "never by time". */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export class LogWriter {
  private queue: PendingWrite[] = [];
  private draining = false;
  private drainScheduled = false;
  /** Settles when the last queued write has; flush and close wait on it. */
  lastWrite: Promise<void> = Promise.resolve();
  private unflushedMessages = 0;
  private flushTimer?: NodeJS.Timeout;
  /** Durable appends waiting for an fsync, and the shared fsync under way for them. */
  private durableWaiters: DurableWaiter[] = [];
  private sharedSync?: Promise<void>;
  /** The writes in flight when an I/O error struck, refused first. */
  private failing: PendingWrite[] = [];

  constructor(
    private readonly s: LogState,
    private readonly hooks: WriterHooks,
  ) {
    s.onOffline = () => {
      this.clearFlushTimer();
      for (const w of [...this.failing.splice(0), ...this.queue.splice(0), ...this.durableWaiters.splice(0)]) w.reject(s.failure!);
    };
  }

  // ---- Rolls.

  /** Rolls before an append that would overflow the active segment by size, age, index space or offset range. */
  maybeRoll(bytes: number, incomingMaxTimestamp: number, lastOffset: number, now: number): void {
    const seg = this.s.activeSegment;
    if (seg.assignedSize === 0) return;
    // segment.ms counts in record time once the segment has timestamps, as Kafka does.
    const age = seg.firstBatchTimestamp >= 0 ? incomingMaxTimestamp - seg.firstBatchTimestamp : now - seg.createdMs;
    const cfg = this.s.cfg;
    const roll =
      seg.assignedSize + bytes > cfg.segmentBytes ||
      age > cfg.segmentMs ||
      seg.offsetIndex.isFull ||
      seg.timeIndex.isFull ||
      lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET ||
      this.hooks.uploadLagExceeded(now);
    if (roll) this.roll(now);
  }

  roll(now: number): void {
    const s = this.s;
    const old = s.activeSegment;
    this.hooks.onActiveSegmentEmpty();
    old.seal();
    const next = new Segment(s.dir, s.nextOffset, s.cfg.segmentIndexBytes, now, { newFile: true });
    s.segments = [...s.segments, next];
    s.logger.debug('rolled segment', { baseOffset: s.nextOffset });
    // Producer state as of the new segment's base, taken now and stored once the data below it is fsynced.
    const producers = s.producers.snapshot();
    const snapshotOffset = s.nextOffset;
    // Once its last write lands, flush the old segment and move the recovery point past it.
    s.track(
      this.lastWrite.then(() =>
        s.housekeeping.run(async () => {
          if (!s.segments.includes(next)) return; // a full disk refused the appends that rolled (or a truncation removed it)
          await this.finalize(old);
          await this.saveProducerSnapshot(snapshotOffset, producers);
          this.hooks.onSegmentFinalized();
        }),
      ),
    );
  }

  /** Runs on the housekeeping queue, after the batches below `offset` are fsynced. */
  async saveProducerSnapshot(offset: number, producers: ProducerSnapshotEntry[]): Promise<void> {
    if (this.s.failure) return;
    await writeSnapshot(this.s.dir, offset, producers);
    await pruneSnapshots(this.s.dir, this.s.startOffset);
  }

  private async finalize(segment: Segment): Promise<void> {
    const s = this.s;
    if (segment.isDeleted || s.failure) return;
    await segment.sync();
    await segment.persistIndexes();
    s.dirty.delete(segment);
    s.recoveryPoint = Math.max(s.recoveryPoint, segment.nextOffset);
    await s.saveState(false); // also fsyncs the directory
    segment.newFile = false;
  }

  // ---- The queue.

  enqueue(write: QueuedWrite): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.queue.push({ ...write, resolve, reject }));
    this.lastWrite = done.catch(() => undefined);
    if (!this.draining && !this.drainScheduled) {
      // Deferred to the check phase so that every append of this loop turn joins the first write.
      this.drainScheduled = true;
      setImmediate(() => {
        this.drainScheduled = false;
        void this.drain();
      });
    }
    return done;
  }

  private async drain(): Promise<void> {
    const s = this.s;
    this.draining = true;
    try {
      while (this.queue.length > 0 && !s.failure) {
        const group = this.takeGroup();
        const bytes = group.reduce((sum, w) => sum + w.data.length, 0);
        let written = false;
        try {
          await group[0].segment.write(
            group.map((w) => w.data),
            group[0].position,
            bytes,
          );
          written = true;
          for (const w of group) await w.segment.txnIndex.append(w.aborts);
          this.commit(group, bytes);
          if (this.unflushedMessages >= s.cfg.flushMessages) await s.housekeeping.run(() => this.syncDirty());
        } catch (err) {
          if (!written && isDiskFull(err)) await this.refuseAppends(err, group);
          else this.fail(err, group);
          continue;
        }
        for (const w of group) w.resolve();
        this.hooks.onWritten(s.endOffset);
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * The disk is full: the write of `group` failed, and every append queued after it is refused too (their
   * offsets follow the refused ones). The log goes back to its written end as if they had never come: offsets,
   * segments rolled for them, index entries, leader epochs and producer state, and the file loses whatever part
   * of the write landed. Nothing written before is touched; the next append tries the disk again.
   */
  private async refuseAppends(err: unknown, group: PendingWrite[]): Promise<void> {
    const s = this.s;
    const segment = group[0].segment;
    const at = s.segments.indexOf(segment);
    if (at < 0) return this.fail(err, group);
    const message = err instanceof Error ? err.message : String(err);
    const refused = new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `disk full; append to ${path.basename(s.dir)} refused: ${message}`);
    const writes = [...group, ...this.queue.splice(0)];
    const end = s.endOffset;
    const dropped = s.segments.slice(at + 1); // rolled for refused appends: they hold nothing written
    s.segments = s.segments.slice(0, at + 1);
    segment.rollBackAssigned(end);
    s.nextOffset = end;
    s.epochs.truncateFromEnd(end);
    s.producers.truncateFrom(end);
    if (segment.assignedSize === 0) this.hooks.onActiveSegmentEmpty();
    s.logger.warn('disk full; appends refused', { refusedBatches: writes.length, logEndOffset: end, error: message });
    // Before the writer goes on (and before the refused hear of it): the next roll may create a segment with
    // the same base offset, so the same files.
    const cleanup = Promise.all(dropped.map((d) => d.delete())).then(() => segment.truncate(segment.size));
    s.track(cleanup); // cutting off a partial write: an error here is a real I/O error
    await cleanup.catch(() => undefined);
    for (const w of writes) w.reject(s.failure ?? refused);
  }

  /** The queued writes at the head that go to the same segment: one writev. */
  private takeGroup(): PendingWrite[] {
    const segment = this.queue[0].segment;
    let n = 1;
    while (n < this.queue.length && this.queue[n].segment === segment) n++;
    return this.queue.splice(0, n);
  }

  private commit(group: PendingWrite[], bytes: number): void {
    const s = this.s;
    const segment = group[0].segment;
    let maxTimestamp = -1;
    let offsetOfMaxTimestamp = -1;
    let records = 0;
    for (const w of group) {
      records += w.recordCount;
      if (w.maxTimestamp > maxTimestamp) {
        maxTimestamp = w.maxTimestamp;
        offsetOfMaxTimestamp = w.offsetOfMaxTimestamp;
      }
    }
    segment.commit(group[0].position + bytes, maxTimestamp, offsetOfMaxTimestamp, Date.now());
    s.totalSize += bytes;
    s.endOffset = group[group.length - 1].lastOffset + 1;
    if (!s.replicated) s.hw = s.endOffset;
    s.producers.markersWritten(s.endOffset);
    s.dirty.add(segment);
    this.unflushedMessages += records;
    this.armFlushTimer();
  }

  /** An I/O error: the log goes offline and every write in flight or waiting is refused. */
  fail(err: unknown, inFlight: PendingWrite[]): void {
    this.failing = inFlight;
    this.s.goOffline(err);
  }

  // ---- Durability.

  /** Resolves once every offset below `endOffset` is fsynced. */
  waitDurable(endOffset: number): Promise<void> {
    if (this.s.recoveryPoint >= endOffset) return Promise.resolve();
    if (this.s.failure) return Promise.reject(this.s.failure);
    const waiting = new Promise<void>((resolve, reject) => this.durableWaiters.push({ endOffset, resolve, reject }));
    this.startSharedSync();
    return waiting;
  }

  /**
   * Group commit: one fsync at a time for the waiting durable appends. It covers everything written when it
   * starts; appends written while it runs wait for the next one, which starts as soon as it ends.
   */
  private startSharedSync(): void {
    if (this.sharedSync || this.durableWaiters.length === 0) return;
    const run = this.s.housekeeping.run(() => this.syncDirty()).then(() => this.releaseDurable());
    this.sharedSync = run;
    this.s.track(run); // a failed fsync is an I/O error of the log: goOffline rejects the waiters
    const next = () => {
      this.sharedSync = undefined;
      this.startSharedSync();
    };
    run.then(next, next);
  }

  /** Resolves the durable appends now below the recovery point. */
  private releaseDurable(): void {
    const synced = this.s.recoveryPoint;
    const still: DurableWaiter[] = [];
    for (const w of this.durableWaiters) {
      if (w.endOffset <= synced) w.resolve();
      else still.push(w);
    }
    this.durableWaiters = still;
  }

  /** Durable appends whose data a truncation removed: they are refused, never acknowledged. */
  dropDurableWaitersPast(endOffset: number): void {
    const gone = new LogError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.s.dir} was truncated to ${endOffset}`);
    const still: DurableWaiter[] = [];
    for (const w of this.durableWaiters) {
      if (w.endOffset > endOffset) w.reject(gone);
      else still.push(w);
    }
    this.durableWaiters = still;
  }

  private armFlushTimer(): void {
    if (this.flushTimer || this.s.cfg.flushMs >= MAX_TIMER_MS) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.s.track(this.s.housekeeping.run(() => this.syncDirty()));
    }, this.s.cfg.flushMs);
    this.flushTimer.unref();
  }

  private clearFlushTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** flush.ms changed: the pending timer runs again with the new period. */
  flushMsChanged(): void {
    if (!this.flushTimer) return;
    this.clearFlushTimer();
    this.armFlushTimer();
  }

  /** fsyncs every segment written since the last sync. Runs on the housekeeping queue. */
  async syncDirty(): Promise<void> {
    const s = this.s;
    this.clearFlushTimer();
    const segments = [...s.dirty];
    const upTo = s.endOffset;
    s.dirty.clear();
    this.unflushedMessages = 0;
    const created = segments.filter((seg) => seg.newFile);
    try {
      await Promise.all(segments.map((seg) => seg.sync()));
      // A rolled segment's file is only durable once its directory entry is.
      if (created.length > 0) await fsyncDirectory(s.dir);
    } catch (err) {
      // After a failed fsync the kernel may have dropped the dirty pages: whatever the cause (even ENOSPC),
      // nothing since the last good fsync is known durable, so this is never the transient full-disk case.
      throw new Error(`fsync failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const seg of created) seg.newFile = false;
    s.recoveryPoint = Math.max(s.recoveryPoint, upTo);
  }

  /** fsync, index files and state: what a restart needs to skip recovery. Runs on the housekeeping queue. */
  async checkpoint(cleanShutdown: boolean): Promise<void> {
    const s = this.s;
    await s.activeSegment.fileHandle(); // the active segment's file exists even if nothing was written to it
    await this.syncDirty();
    await s.activeSegment.persistIndexes();
    if (cleanShutdown) await this.saveProducerSnapshot(s.endOffset, s.producers.snapshot());
    await s.saveState(cleanShutdown);
  }

  /** Waits for the queued writes and the background tasks, then stops the flush timer (close). */
  async quiesce(): Promise<void> {
    await this.lastWrite;
    await Promise.all([...this.s.background]);
    await this.s.housekeeping.run(async () => undefined);
    this.clearFlushTimer();
  }

  /** Close: resolves the durable appends the final checkpoint covered and refuses the rest. */
  closeWaiters(): void {
    this.releaseDurable();
    for (const w of this.durableWaiters.splice(0)) w.reject(new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.s.dir} is closed`));
  }
}
