// The log of one partition: Kafka's on-disk model of segments with sparse indexes. This is the facade over the
// log's parts, which share one LogState:
//   log-appender    payloads → placed batches (leader appends, markers, a follower's copies of its leader's)
//   log-writer      the append queue, group commit and fsync, rolls
//   log-reader      fetches, timestamp lookups, aborted transactions (the bucket below the local start)
//   log-retention   retention, DeleteRecords, deleting local segments
//   log-truncation  cutting the log back (followers) or emptying it
//   compaction-adapter, and in tier/: upload-scheduler (what goes to the bucket, by whom) and remote-reconcile
// Call order is offset order; readers only ever see written bytes. Housekeeping (fsync, finalizing rolled
// segments, retention, checkpoints, truncation) runs one task at a time beside the writer, never blocking it.
// The high watermark follows the log end on one broker; a replicated log's moves by updateHighWatermark.
import { EventEmitter } from 'events';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { Logger, createLogger } from '../logger';
import type { LogConfig } from './log-config';
import { LoadedPartition, loadPartition, loadProducerState } from './recovery';
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS, ProducerEntry, ProducerStateManager } from './producer-state';
import type { RemoteLog } from '../tier/remote-log';
import type { CompactOptions, CompactionResult } from './compaction';
import type { TxnMarker } from './control-batch';
import type { AbortedTxn } from './transaction-index';
import { LogState } from './log-state';
import { LogWriter } from './log-writer';
import { AppendOptions, AppendResult, LogAppender } from './log-appender';
import { LogReader, ReadOptions, ReadResult, TimestampAndOffset } from './log-reader';
import { LogRetention } from './log-retention';
import { LogTruncation } from './log-truncation';
import { CompactionAdapter } from './compaction-adapter';
import { TieringStats, UploadScheduler } from '../tier/upload-scheduler';
import { mergeRemoteEpochs, planAgainstRemote, reconcileWithRemote } from '../tier/remote-reconcile';

export type { AppendOptions, AppendResult } from './log-appender';
export type { ReadOptions, ReadResult, TimestampAndOffset } from './log-reader';
export type { TieringStats } from '../tier/upload-scheduler';

export interface OpenOptions {
  logger?: Logger;
  producerIdExpirationMs?: number;
  /** The partition's remote side (manifest loaded). The log owns it from here: close() closes it. */
  remote?: RemoteLog;
  /**
   * Open as a replica of a replicated partition: `replicated` is set, and the high watermark starts at the one
   * last persisted (never past the log end, never below its start) instead of the log end.
   */
  replicated?: boolean;
}

/**
 * 'append' fires after bytes are written, with the new log end offset (wakes delayed fetches).
 * 'highWatermark' fires when the high watermark of a replicated log moves (updateHighWatermark).
 */
export interface PartitionLogEvents {
  append: [logEndOffset: number];
  highWatermark: [highWatermark: number];
}

export class PartitionLog extends EventEmitter<PartitionLogEvents> {
  private readonly s: LogState;
  private readonly writer: LogWriter;
  private readonly appender: LogAppender;
  private readonly reader: LogReader;
  private readonly retention: LogRetention;
  private readonly truncation: LogTruncation;
  private readonly compaction: CompactionAdapter;
  private readonly uploads: UploadScheduler;
  private closed?: Promise<void>;

  private constructor(
    readonly dir: string,
    config: LogConfig,
    loaded: LoadedPartition,
    producers: ProducerStateManager,
    logger: Logger,
    remote: RemoteLog | null,
  ) {
    super();
    const s = (this.s = new LogState(dir, config, logger, loaded, loaded.epochs, producers, remote));
    this.writer = new LogWriter(s, {
      onWritten: (endOffset) => this.notify('append', () => this.emit('append', endOffset)),
      onActiveSegmentEmpty: () => this.uploads.activeSegmentEmpty(),
      onSegmentFinalized: () => this.uploads.kick(),
      uploadLagExceeded: (now) => this.uploads.lagExceeded(now),
    });
    this.uploads = new UploadScheduler(s, { roll: (now) => this.writer.roll(now), lastWrite: () => this.writer.lastWrite });
    this.reader = new LogReader(s);
    this.retention = new LogRetention(s, this.uploads, this.writer);
    this.compaction = new CompactionAdapter(s, { lastWrite: () => this.writer.lastWrite, abortedTransactions: (from, upper) => this.reader.abortedTransactions(from, upper) });
    this.truncation = new LogTruncation(s, this.writer, { compaction: () => this.compaction.current, activeSegmentEmpty: () => this.uploads.activeSegmentEmpty() });
    this.appender = new LogAppender(s, this.writer, this.truncation, (now) => this.uploads.activeSegmentStarted(now));
  }

  /** Opens (creating if needed) the log in `dir`, recovering it if it was not closed cleanly. */
  static async open(dir: string, config: LogConfig, opts: OpenOptions = {}): Promise<PartitionLog> {
    const logger = (opts.logger ?? createLogger('log')).child(path.basename(dir));
    const loaded = await loadPartition(dir, config, logger);
    if (opts.remote) await reconcileWithRemote(dir, config, loaded, opts.remote, logger);
    const producers = await loadProducerState(dir, loaded, opts.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS, logger);
    const log = new PartitionLog(dir, config, loaded, producers, logger, opts.remote ?? null);
    if (opts.replicated) {
      log.s.replicated = true;
      log.s.hw = Math.min(Math.max(loaded.highWatermark ?? 0, loaded.logStartOffset), loaded.logEndOffset);
    }
    await log.s.saveState(false); // from now on a crash must trigger recovery
    if (log.s.activeSegment.size > 0) log.uploads.activeSegmentStarted(Date.now());
    log.uploads.kick();
    return log;
  }

  // ---- Offsets and state.

  /** First offset of the log: the remote log start when tiered data precedes the local segments. */
  get logStartOffset(): number {
    return this.s.logStartOffset;
  }

  /** First offset on local disk (ListOffsets EARLIEST_LOCAL, -4). */
  get localLogStartOffset(): number {
    return this.s.startOffset;
  }

  /** Last offset in the object store, or -1 (ListOffsets LATEST_TIERED, -5). */
  get highestTieredOffset(): number {
    return this.s.remote?.highestTieredOffset ?? -1;
  }

  /** The partition's remote side, if the broker has an object store. */
  get remoteLog(): RemoteLog | null {
    return this.s.remote;
  }

  get logEndOffset(): number {
    return this.s.endOffset;
  }

  get highWatermark(): number {
    return this.s.hw;
  }

  /**
   * A replicated log's high watermark moves only by updateHighWatermark (the leader's view of its in-sync
   * followers, or the leader's word on a follower). Unreplicated, it follows the log end (one broker: what
   * is written is committed). Turning replication off brings it up to the log end.
   */
  get replicated(): boolean {
    return this.s.replicated;
  }

  set replicated(on: boolean) {
    this.s.replicated = on;
    if (!on) this.raiseHighWatermark(this.s.endOffset);
  }

  /** Moves a replicated log's high watermark forward to `hw` (at most the log end). Returns whether it moved. */
  updateHighWatermark(hw: number): boolean {
    return this.s.replicated && this.raiseHighWatermark(hw);
  }

  private raiseHighWatermark(hw: number): boolean {
    const next = Math.min(hw, this.s.endOffset);
    if (next <= this.s.hw) return false;
    this.s.hw = next;
    this.notify('highWatermark', () => this.emit('highWatermark', next));
    this.uploads.kick(); // segments wait below the last stable offset, which the high watermark bounds
    return true;
  }

  /**
   * The last stable offset: below it every transaction is decided and its marker written, so read_committed
   * readers stop here (the first offset of the earliest undecided transaction, else the high watermark).
   */
  get lastStableOffset(): number {
    return this.s.lastStableOffset;
  }

  /** The epoch of the latest leader that wrote to this log (-1 when none did). */
  get latestEpoch(): number {
    return this.s.epochs.latestEpoch;
  }

  endOffsetForLeaderEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    return this.s.epochs.endOffsetFor(epoch, this.s.endOffset);
  }

  get sizeBytes(): number {
    return this.s.totalSize;
  }

  get config(): LogConfig {
    return this.s.cfg;
  }

  get isOffline(): boolean {
    return this.s.failure !== null;
  }

  /** Transactions open on this partition (metrics). */
  get openTransactions(): number {
    return this.s.producers.openTransactions;
  }

  /** The idempotent-producer state of a producer id (epoch and recent batches), if the partition tracks it. */
  producerState(producerId: number): Readonly<ProducerEntry> | undefined {
    return this.s.producers.get(producerId);
  }

  updateConfig(config: LogConfig): void {
    const old = this.s.cfg;
    this.s.cfg = config;
    if (config.flushMs !== old.flushMs) this.writer.flushMsChanged();
    if (config.remoteUploadMaxLagMs !== old.remoteUploadMaxLagMs || config.remoteStorageEnable !== old.remoteStorageEnable) this.uploads.lagConfigChanged();
    this.uploads.kick();
  }

  // ---- Appends.

  /**
   * Appends the batches of a produce payload. Everything before the first await runs at call time: validation,
   * offset assignment and header rewrites, so offsets follow call order. Resolves once the bytes are written
   * (once fsynced with `durable`).
   */
  append(records: Buffer, opts: AppendOptions): Promise<AppendResult> {
    return this.appender.append(records, opts);
  }

  /** A transaction marker (WriteTxnMarkers), resolved once fsynced; refused when stale. */
  appendTxnMarker(marker: TxnMarker, opts: { leaderEpoch: number; now?: number }): Promise<AppendResult> {
    return this.appender.appendTxnMarker(marker, opts);
  }

  /** Batches copied from the partition's leader, kept as they are (offsets, epochs); see LogAppender. */
  appendAsFollower(records: Buffer, opts: { now?: number } = {}): Promise<AppendResult> {
    return this.appender.appendAsFollower(records, opts);
  }

  // ---- Reads.

  read(offset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    return this.reader.read(offset, maxBytes, opts);
  }

  /** ListOffsets by timestamp: the first offset whose record timestamp is >= `timestamp`. */
  offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null> {
    return this.reader.offsetForTimestamp(timestamp);
  }

  /** ListOffsets MAX_TIMESTAMP: the newest timestamp and the offset of the record that carries it. */
  maxTimestampOffset(): Promise<TimestampAndOffset | null> {
    return this.reader.maxTimestampOffset();
  }

  /** The aborted transactions overlapping [fetchOffset, upperBoundOffset) (read_committed fetch). */
  abortedTransactions(fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]> {
    return this.reader.abortedTransactions(fetchOffset, upperBoundOffset);
  }

  // ---- Replication.

  /** Drops every batch at or above `offset` (a follower whose log diverged); see LogTruncation. */
  truncateTo(offset: number): Promise<void> {
    return this.truncation.truncateTo(offset);
  }

  /** Empties the local log; log start, log end and high watermark become `offset`. */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    return this.truncation.truncateFullyAndStartAt(offset);
  }

  /**
   * Whether this broker writes the partition's remote side: uploads, remote retention, remote DeleteRecords.
   * On by default (one broker); a replicated partition has it on only at its leader.
   */
  setUploading(on: boolean): void {
    this.uploads.setUploading(on);
  }

  /**
   * Reads the partition manifest again (this broker became the leader): uploads continue after what the
   * previous leader tiered, a remote start it moved moves the local start, and a fence from an older epoch
   * is lifted (a stale manifest write fences again).
   */
  async reloadRemote(): Promise<void> {
    const s = this.s;
    const remote = s.remote;
    if (!remote) return;
    s.ensureWritable();
    try {
      await remote.reload();
    } catch (err) {
      throw s.remoteError('manifest reload', err);
    }
    this.uploads.liftFence();
    const plan = planAgainstRemote(remote, s.startOffset, s.endOffset);
    if (plan.restartAt !== undefined) {
      s.logger.warn('local log ends before the tiered data; restarting it at the remote end', { localEnd: s.endOffset, remoteEnd: plan.restartAt });
      await this.truncation.truncateFullyAndStartAt(plan.restartAt);
    } else if (remote.isActive) {
      await this.truncation.runExclusive(async () => {
        if (plan.moveStartTo !== undefined) await this.retention.moveLocalStart(plan.moveStartTo);
        mergeRemoteEpochs(s.epochs, remote, s.endOffset);
        await s.saveState(false);
      });
    }
    this.uploads.kick();
  }

  /**
   * A follower's view of the bucket: re-reads the manifest the leader keeps writing, so local retention can delete
   * the segments the leader has uploaded since (nothing else changes: the log, its start and epochs stay).
   */
  async refreshRemoteView(): Promise<void> {
    const remote = this.s.remote;
    if (!remote) return;
    try {
      await remote.reload();
    } catch (err) {
      throw this.s.remoteError('manifest reload', err);
    }
  }

  // ---- Tiered storage.

  /**
   * Resolves once every closed segment that can be tiered now is in the bucket (tests, shutdown of a drained
   * broker). Waits for pending writes and segment finalizing first.
   */
  waitForUploads(): Promise<void> {
    return this.uploads.waitForUploads();
  }

  /** Tiering figures for metrics; null without a remote side. */
  tieringStats(): TieringStats | null {
    return this.uploads.stats();
  }

  // ---- Compaction and deletion.

  /** Compacts the closed segments when cleanup.policy includes compact and the dirty ratio calls for it; see CompactionAdapter. */
  compact(now = Date.now(), opts: CompactOptions = {}): Promise<CompactionResult> {
    return this.compaction.compact(now, opts);
  }

  /** DeleteRecords: moves the log start to `offset` (persisted) and deletes the segments wholly below it. */
  deleteRecordsBefore(offset: number): Promise<number> {
    return this.retention.deleteRecordsBefore(offset);
  }

  /** Deletes segments past retention (local and remote); see LogRetention. */
  enforceRetention(now = Date.now()): Promise<{ deletedSegments: number; deletedRemoteSegments?: number }> {
    return this.retention.enforceRetention(now);
  }

  // ---- Flush and close.

  async flush(): Promise<void> {
    await this.writer.lastWrite;
    if (this.s.failure) throw this.s.failure;
    await this.s.housekeeping.run(() => this.writer.checkpoint(false));
  }

  /** Waits for writes and housekeeping, checkpoints with the clean-shutdown marker, and closes the files. */
  close(): Promise<void> {
    const s = this.s;
    this.closed ??= (async () => {
      s.closing = true;
      await this.uploads.stop();
      await this.writer.quiesce();
      if (!s.failure) {
        try {
          await s.housekeeping.run(() => this.writer.checkpoint(true));
        } catch (err) {
          // No clean-shutdown marker: the next open recovers the tail. The files still get closed.
          s.logger.error('final checkpoint failed', { error: err instanceof Error ? err.message : String(err) });
        }
      }
      this.writer.closeWaiters();
      await Promise.all([...s.segments, ...this.compaction.retired].map((seg) => seg.close()));
    })();
    return this.closed;
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    this.s.closing = true;
    await this.uploads.stop();
    await this.writer.quiesce();
    await Promise.all(this.s.segments.map((seg) => seg.close()));
    await fsp.rm(this.dir, { recursive: true, force: true });
  }

  /** A listener's error is logged, never thrown into the writer or the caller. */
  private notify(event: keyof PartitionLogEvents, emit: () => void): void {
    try {
      emit();
    } catch (err) {
      this.s.logger.error(`${event} listener failed`, { error: err });
    }
  }
}
