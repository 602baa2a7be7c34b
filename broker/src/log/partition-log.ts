// The log of one partition: Kafka's on-disk model of segments with sparse indexes.
//
// Append assigns offsets synchronously (rewriting each batch header in the caller's buffer) and queues the
// bytes; one writer per partition drains the queue, so appends that arrive while a write is in flight go to the
// file together in a single writev. Call order is offset order. logEndOffset moves only when bytes are written,
// and readers only ever see written bytes. fsync follows flush.messages / flush.ms, and one fsync covers every
// append written before it. An append may ask to be durable (acks=all): it resolves after the next fsync,
// and one fsync covers every append that waits meanwhile (group commit). Housekeeping (fsync, finalizing
// rolled segments, retention, checkpoints) runs one task at a time beside the writer, never blocking it.
// A full disk (ENOSPC/EDQUOT) refuses the appends it hits and rolls the log back to its written end, so the
// log takes appends again once space is freed; any other I/O error takes the log offline.
import { EventEmitter } from 'events';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { Logger, createLogger } from '../logger';
import type { LogConfig } from './log-config';
import { LogError, isDiskFull } from './log-error';
import { ErrorCode } from '../protocol/errors';
import { Segment } from './segment';
import { LeaderEpochCache } from './leader-epoch-cache';
import { PartitionStateWriter } from './partition-state';
import { LoadedPartition, loadPartition, loadProducerState, recoverSegment } from './recovery';
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS, DuplicateAppend, ProducerEntry, ProducerSnapshotEntry, ProducerStateManager } from './producer-state';
import { deleteSnapshot, listSnapshots, pruneSnapshots, writeSnapshot } from './producer-snapshot';
import { countDeletableSegments, countTieredSegments, localRetentionLimit } from './retention';
import type { RemoteLog, RemoteLogStats } from '../tier/remote-log';
import type { UploadCandidate } from '../tier/segment-uploader';
import { SegmentGoneError } from '../tier/segment-uploader';
import { StaleWriterError } from '../tier/store-errors';
import { ObjectNotFoundError } from '../tier/object-store';
import { AppendGate, asLogError, checkRecords } from './record-check';
import { CompactOptions, CompactionResult, CompactionTarget, compactLog, notCleaned } from './compaction';
import type { StagedSegment } from './compactor';
import { commitSwap } from './compaction-files';
import { Serial } from './serial';
import { ControlRecordType, TxnMarker, buildControlBatch, isAbortMarker, parseMarker } from './control-batch';
import { parseReplicaBatches } from './replica-batches';
import type { AbortedTxn } from './transaction-index';
import { abortedEntry, collectAbortedTxns } from './aborted-transactions';
import { fsyncDirectory } from './fs-util';
import {
  Compression,
  RecordCheckOptions,
  ValidatedBatches,
  decompressionLimit,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatches,
} from '../protocol/records';

export interface AppendOptions {
  /** Epoch of the leader doing the append: stamped on every batch and recorded in the epoch cache. */
  leaderEpoch: number;
  /** Broker time for LogAppendTime and segment.ms (default Date.now()). */
  now?: number;
  /** Batches come from a client's Produce: control batches are the broker's own and are refused. */
  fromClient?: boolean;
  /** On a compacted topic, refuse records without a key (INVALID_RECORD), as Kafka does; default fromClient. */
  requireKeys?: boolean;
  /** Resolve only once the batches are fsynced (acks=all while the leader is the only in-sync replica). */
  durable?: boolean;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The broker time stamped on the batches, or -1 under CreateTime. */
  logAppendTime: number;
  logStartOffset: number;
  recordCount: number;
  bytes: number;
  /** A producer's retry of batches already in the log: nothing was written, the offsets are the originals'. */
  duplicate?: boolean;
}

export interface ReadOptions {
  /** Return the first batch even if it is larger than maxBytes. */
  minOneMessage?: boolean;
  /** Exclusive upper bound on returned offsets (high watermark, last stable offset); capped at the log end. */
  isolationMaxOffset?: number;
}

export interface ReadResult {
  /** Whole batches, possibly none. */
  records: Buffer;
  /** Offset after the last returned batch (the requested offset when nothing was returned). */
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
  logEndOffset: number;
}

export interface TimestampAndOffset {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

interface PendingWrite {
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

/** An append waiting for the fsync that covers it. */
interface DurableWaiter {
  endOffset: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const MAX_RELATIVE_OFFSET = 0x7fffffff;
/** setTimeout's limit: longer flush.ms values mean "never by time". */
const MAX_TIMER_MS = 2 ** 31 - 1;
const EMPTY = Buffer.alloc(0);

/** Tiering figures of one partition (metrics): the remote log's plus what is waiting to be uploaded. */
export interface TieringStats extends RemoteLogStats {
  /** Closed local segments not yet in the bucket, and their bytes. */
  uploadLagSegments: number;
  uploadLagBytes: number;
}

export interface OpenOptions {
  logger?: Logger;
  producerIdExpirationMs?: number;
  /** The partition's remote side (manifest loaded). The log owns it from here: close() closes it. */
  remote?: RemoteLog;
}

/** Delay before the uploader tries again after a local error. */
const UPLOAD_RETRY_MS = 5000;

/**
 * 'append' fires after bytes are written, with the new log end offset (wakes delayed fetches).
 * 'highWatermark' fires when updateHighWatermark moves the high watermark of a replicated log.
 */
export interface PartitionLogEvents {
  append: [logEndOffset: number];
  highWatermark: [highWatermark: number];
}

export class PartitionLog extends EventEmitter<PartitionLogEvents> {
  private segments: Segment[];
  /** Next offset to hand out; ahead of endOffset while writes are in flight. */
  private nextOffset: number;
  /** Offset after the last batch written to the file. */
  private endOffset: number;
  /** Follows endOffset unless the log is replicated; then only updateHighWatermark moves it. */
  private hw: number;
  private isReplicated = false;
  private startOffset: number;
  /** Everything below is fsynced. */
  private recoveryPoint: number;
  private totalSize: number;
  private cfg: LogConfig;
  private epochs: LeaderEpochCache;
  private readonly stateWriter: PartitionStateWriter;
  private readonly housekeeping = new Serial();

  private queue: PendingWrite[] = [];
  private draining = false;
  private drainScheduled = false;
  /** Settles when the last queued write has; flush and close wait on it. */
  private lastWrite: Promise<void> = Promise.resolve();
  private readonly dirty = new Set<Segment>();
  private unflushedMessages = 0;
  private flushTimer?: NodeJS.Timeout;
  /** Durable appends waiting for an fsync, and the shared fsync under way for them. */
  private durableWaiters: DurableWaiter[] = [];
  private sharedSync?: Promise<void>;
  private readonly background = new Set<Promise<void>>();
  /** Set after an I/O error: the log takes no more appends (Kafka takes the log dir offline). */
  private failure: LogError | null = null;
  private closing = false;
  private closed?: Promise<void>;
  /** A truncation under way: appends wait for it (see runExclusive). */
  private exclusive?: Promise<void>;
  /** Orders appends around the asynchronous key check of compacted topics. */
  private readonly keyGate = new AppendGate();
  private compaction?: Promise<CompactionResult>;
  /** Segments replaced by compaction whose handles are still open for reads in flight. */
  private readonly retired = new Set<Segment>();

  // Tiered storage.
  private readonly remote: RemoteLog | null;
  private uploading?: Promise<void>;
  private uploadWanted = false;
  private uploadRetryTimer?: NodeJS.Timeout;
  /** Another broker took over the manifest with a newer leader epoch: this log uploads no more. */
  private uploadFenced = false;
  /** Remote writes are this broker's job (it leads the partition, or runs alone): see setUploading. */
  private uploadsOn = true;
  /** When the active segment got its first record (remote.upload.max.lag.ms), -1 while it is empty. */
  private activeFirstAppendMs = -1;
  private uploadLagTimer?: NodeJS.Timeout;

  private constructor(
    readonly dir: string,
    config: LogConfig,
    loaded: LoadedPartition,
    private producers: ProducerStateManager,
    private readonly logger: Logger,
    remote: RemoteLog | null,
  ) {
    super();
    this.remote = remote;
    this.cfg = config;
    this.segments = loaded.segments;
    this.nextOffset = this.endOffset = this.hw = this.recoveryPoint = loaded.logEndOffset;
    this.startOffset = loaded.logStartOffset;
    this.epochs = loaded.epochs;
    this.totalSize = loaded.segments.reduce((sum, s) => sum + s.size, 0);
    this.stateWriter = new PartitionStateWriter(dir);
  }

  /** Opens (creating if needed) the log in `dir`, recovering it if it was not closed cleanly. */
  static async open(dir: string, config: LogConfig, opts: OpenOptions = {}): Promise<PartitionLog> {
    const logger = (opts.logger ?? createLogger('log')).child(path.basename(dir));
    const loaded = await loadPartition(dir, config, logger);
    if (opts.remote) await reconcileWithRemote(dir, config, loaded, opts.remote, logger);
    const producers = await loadProducerState(dir, loaded, opts.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS, logger);
    const log = new PartitionLog(dir, config, loaded, producers, logger, opts.remote ?? null);
    await log.saveState(false); // from now on a crash must trigger recovery
    if (log.activeSegment.size > 0) log.activeFirstAppendMs = Date.now();
    log.armUploadLagTimer();
    log.kickUploader();
    return log;
  }

  /** First offset of the log: the remote log start when tiered data precedes the local segments. */
  get logStartOffset(): number {
    return this.remoteCovers() ? this.remote!.logStartOffset : this.startOffset;
  }

  /** First offset on local disk (ListOffsets EARLIEST_LOCAL, -4). */
  get localLogStartOffset(): number {
    return this.startOffset;
  }

  /** Last offset in the object store, or -1 (ListOffsets LATEST_TIERED, -5). */
  get highestTieredOffset(): number {
    return this.remote?.highestTieredOffset ?? -1;
  }

  /** The partition's remote side, if the broker has an object store. */
  get remoteLog(): RemoteLog | null {
    return this.remote;
  }

  /** Remote segments precede the local ones without a gap: offsets below the local start are read remotely. */
  private remoteCovers(): boolean {
    const r = this.remote;
    return r !== null && r.hasSegments && r.logStartOffset < this.startOffset && r.endOffset >= this.startOffset;
  }

  /** Closed segments are uploaded (remote.storage.enable, not on compacted topics, while this broker may write the manifest). */
  private get tieringEnabled(): boolean {
    return this.remote !== null && this.cfg.remoteStorageEnable && !this.cfg.cleanupPolicy.compact && !this.uploadFenced;
  }

  /** Tiering, and this broker is the one writing to the bucket (setUploading). */
  private get uploadsEnabled(): boolean {
    return this.tieringEnabled && this.uploadsOn;
  }

  get logEndOffset(): number {
    return this.endOffset;
  }

  get highWatermark(): number {
    return this.hw;
  }

  /**
   * A replicated log's high watermark moves only by updateHighWatermark (the leader's view of its in-sync
   * followers, or the leader's word on a follower). Unreplicated, it follows the log end (one broker: what
   * is written is committed). Turning replication off brings it up to the log end.
   */
  get replicated(): boolean {
    return this.isReplicated;
  }

  set replicated(on: boolean) {
    this.isReplicated = on;
    if (!on) this.raiseHighWatermark(this.endOffset);
  }

  /** Moves a replicated log's high watermark forward to `hw` (at most the log end). Returns whether it moved. */
  updateHighWatermark(hw: number): boolean {
    return this.isReplicated && this.raiseHighWatermark(hw);
  }

  private raiseHighWatermark(hw: number): boolean {
    const next = Math.min(hw, this.endOffset);
    if (next <= this.hw) return false;
    this.hw = next;
    try {
      this.emit('highWatermark', next);
    } catch (err) {
      this.logger.error('highWatermark listener failed', { error: err });
    }
    this.kickUploader(); // segments wait below the last stable offset, which the high watermark bounds
    return true;
  }

  /** The epoch of the latest leader that wrote to this log (-1 when none did). */
  get latestEpoch(): number {
    return this.epochs.latestEpoch;
  }

  get sizeBytes(): number {
    return this.totalSize;
  }

  get config(): LogConfig {
    return this.cfg;
  }

  get isOffline(): boolean {
    return this.failure !== null;
  }

  /** The idempotent-producer state of a producer id (epoch and recent batches), if the partition tracks it. */
  producerState(producerId: number): Readonly<ProducerEntry> | undefined {
    return this.producers.get(producerId);
  }

  updateConfig(config: LogConfig): void {
    const flushMsChanged = config.flushMs !== this.cfg.flushMs;
    const lagChanged = config.remoteUploadMaxLagMs !== this.cfg.remoteUploadMaxLagMs || config.remoteStorageEnable !== this.cfg.remoteStorageEnable;
    this.cfg = config;
    if (flushMsChanged && this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
      this.armFlushTimer();
    }
    if (lagChanged) {
      if (this.uploadLagTimer) clearTimeout(this.uploadLagTimer);
      this.uploadLagTimer = undefined;
      this.armUploadLagTimer();
    }
    this.kickUploader();
  }

  // ---- Append.

  /**
   * Appends the batches of a produce payload. Everything before the first await runs at call time: validation,
   * offset assignment and header rewrites, so offsets follow call order. Resolves once the bytes are written.
   * (The records of compressed client batches are checked asynchronously first; the gate keeps call order.)
   */
  async append(records: Buffer, opts: AppendOptions): Promise<AppendResult> {
    const fromClient = opts.fromClient ?? false;
    const validated = this.validate(records, opts);
    const turn = this.keyGate.admit(this.recordCheck(records, validated, opts));
    if (turn) {
      try {
        await turn;
      } finally {
        this.keyGate.leave();
      }
    }
    if (this.exclusive) await this.exclusive;
    this.ensureWritable();
    // Producer checks come before offsets exist, so a refused or retried payload writes nothing.
    const producerAppend = this.producers.check(validated.batches, fromClient);
    if (producerAppend?.kind === 'duplicate') return this.duplicateAppend(producerAppend, opts.durable ?? false);
    const now = opts.now ?? Date.now();
    const logAppendTime = this.cfg.messageTimestampType === 'LogAppendTime' ? now : -1;
    const baseOffset = this.nextOffset;
    const lastOffset = baseOffset + validated.recordCount - 1;
    this.maybeRoll(validated.bytes, logAppendTime >= 0 ? now : validated.maxTimestamp, lastOffset, now);
    if (this.epochs.assign(opts.leaderEpoch, baseOffset)) this.track(this.saveState(false));

    const segment = this.activeSegment;
    const position = segment.assignedSize;
    if (position === 0) {
      this.activeFirstAppendMs = now;
      this.armUploadLagTimer();
    }
    let maxTimestamp = -1;
    let offsetOfMaxTimestamp = baseOffset;
    let offset = baseOffset;
    const aborts: AbortedTxn[] = [];
    for (let i = 0; i < validated.batches.length; i++) {
      const b = validated.batches[i];
      setBaseOffset(records, b.position, offset);
      setPartitionLeaderEpoch(records, b.position, opts.leaderEpoch);
      if (logAppendTime >= 0) setLogAppendTime(records, b.position, logAppendTime);
      const batchLast = offset + b.header.lastOffsetDelta;
      const batchMax = logAppendTime >= 0 ? logAppendTime : b.header.maxTimestamp;
      segment.assign(offset, batchLast, batchMax, b.size, this.cfg.indexIntervalBytes);
      const ended = producerAppend ? this.producers.record(producerAppend, i, b.header, offset, batchLast, batchMax, now) : null;
      if (ended && isAbortMarker(records, b.position)) aborts.push(abortedEntry(ended, this.producers.firstOngoingOffset()));
      if (batchMax > maxTimestamp) {
        maxTimestamp = batchMax;
        offsetOfMaxTimestamp = batchLast;
      }
      offset = batchLast + 1;
    }
    this.nextOffset = offset;

    await this.enqueue({ segment, position, data: records, lastOffset, recordCount: validated.recordCount, maxTimestamp, offsetOfMaxTimestamp, aborts });
    if (opts.durable) await this.waitDurable(lastOffset + 1);
    return { baseOffset, lastOffset, logAppendTime, logStartOffset: this.logStartOffset, recordCount: validated.recordCount, bytes: validated.bytes };
  }

  /**
   * Writes a transaction marker (WriteTxnMarkers): a control batch ending the producer's transaction on this
   * partition, resolved once fsynced. Refused with INVALID_PRODUCER_EPOCH / TRANSACTION_COORDINATOR_FENCED when
   * stale. The check and the offset assignment happen in this call, before any other append.
   */
  appendTxnMarker(marker: TxnMarker, opts: { leaderEpoch: number; now?: number }): Promise<AppendResult> {
    const now = opts.now ?? Date.now();
    const producerId = Number(marker.producerId);
    try {
      this.ensureWritable();
      this.producers.checkMarker(producerId, marker.producerEpoch, marker.coordinatorEpoch);
    } catch (err) {
      return Promise.reject(err);
    }
    const appended = this.append(buildControlBatch(marker, now), { leaderEpoch: opts.leaderEpoch, now, durable: true });
    this.producers.noteCoordinatorEpoch(producerId, marker.coordinatorEpoch);
    return appended;
  }

  /**
   * Appends batches copied from the partition's leader, as they are: their offsets, leader epochs and
   * timestamps stay. Only framing and CRCs are checked, nothing is deduplicated; the epoch cache, producer
   * state (transactions and markers included, with the .txnindex) and segments follow exactly as on the
   * leader. The first batch may not start below the log end; it may start past it (a compacted leader log has
   * holes). Resolves once the bytes are written.
   */
  async appendAsFollower(records: Buffer, opts: { now?: number } = {}): Promise<AppendResult> {
    const parsed = parseReplicaBatches(records);
    if (parsed.batches.length === 0) throw new LogError(ErrorCode.INVALID_RECORD, 'the payload holds no record batch');
    const turn = this.keyGate.admit(null); // after any leader append still in its record check
    if (turn) {
      try {
        await turn;
      } finally {
        this.keyGate.leave();
      }
    }
    if (this.exclusive) await this.exclusive;
    this.ensureWritable();
    const baseOffset = parsed.batches[0].header.baseOffset;
    if (baseOffset < this.nextOffset) {
      throw new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `replicated batches start at ${baseOffset}, below the log end ${this.nextOffset}`);
    }
    const now = opts.now ?? Date.now();
    const checked = this.producers.check(parsed.batches, false); // unverified: never a duplicate
    const producerAppend = checked?.kind === 'append' ? checked : null;
    // One write per segment the batches land in (a payload may cross a roll).
    const chunks: Array<Omit<PendingWrite, 'resolve' | 'reject'>> = [];
    let chunkStart = 0;
    for (let i = 0; i < parsed.batches.length; i++) {
      const b = parsed.batches[i];
      const h = b.header;
      const batchLast = h.baseOffset + h.lastOffsetDelta;
      this.maybeRoll(b.size, h.maxTimestamp, batchLast, now);
      const segment = this.activeSegment;
      let chunk = chunks[chunks.length - 1];
      if (chunk?.segment !== segment) {
        chunkStart = b.position;
        chunk = { segment, position: segment.assignedSize, data: EMPTY, lastOffset: batchLast, recordCount: 0, maxTimestamp: -1, offsetOfMaxTimestamp: h.baseOffset, aborts: [] };
        chunks.push(chunk);
        if (segment.assignedSize === 0) {
          this.activeFirstAppendMs = now;
          this.armUploadLagTimer();
        }
      }
      if (this.epochs.assign(h.partitionLeaderEpoch, h.baseOffset)) this.track(this.saveState(false));
      segment.assign(h.baseOffset, batchLast, h.maxTimestamp, b.size, this.cfg.indexIntervalBytes);
      const ended = producerAppend ? this.producers.record(producerAppend, i, h, h.baseOffset, batchLast, h.maxTimestamp, now) : null;
      if (h.isControl && h.producerId >= 0) {
        const marker = parseMarker(records, b.position);
        if (marker) this.producers.noteCoordinatorEpoch(h.producerId, marker.coordinatorEpoch);
        if (ended && marker?.type === ControlRecordType.ABORT) chunk.aborts.push(abortedEntry(ended, this.producers.firstOngoingOffset()));
      }
      chunk.data = records.subarray(chunkStart, b.position + b.size);
      chunk.lastOffset = batchLast;
      chunk.recordCount += Math.max(0, h.recordCount);
      if (h.maxTimestamp > chunk.maxTimestamp) {
        chunk.maxTimestamp = h.maxTimestamp;
        chunk.offsetOfMaxTimestamp = batchLast;
      }
      this.nextOffset = batchLast + 1;
    }
    const lastOffset = this.nextOffset - 1;
    await Promise.all(chunks.map((c) => this.enqueue(c)));
    return { baseOffset, lastOffset, logAppendTime: -1, logStartOffset: this.logStartOffset, recordCount: parsed.recordCount, bytes: parsed.bytes };
  }

  // ---- Replication: truncation and the remote side's owner.

  /**
   * Drops every batch holding an offset at or above `offset` (a batch that straddles it goes whole, so the log
   * may end a little before `offset`); nothing happens when `offset` is at or past the log end. Segments,
   * their indexes and .txnindex, the leader epoch cache and the producer state are cut back with it, by
   * recovery's own code: the cut segment is re-validated as after a crash and the producer state replayed
   * from the newest snapshot below the cut. The high watermark drops to the new end if it was past it.
   * Appends that come meanwhile wait for it. Truncating to the log start or below empties the log
   * (truncateFullyAndStartAt).
   */
  truncateTo(offset: number): Promise<void> {
    return this.runExclusive(async () => {
      if (offset >= this.endOffset) return;
      if (offset <= this.startOffset) return this.restartAt(offset);
      const segments = this.segments;
      let keep = segments.length;
      while (keep > 1 && segments[keep - 1].baseOffset >= offset) keep--;
      const last = segments[keep - 1];
      const cut = await last.batchAt(offset);
      // A batch holding the log start would leave the log ending below its start: nothing above it is kept.
      if (cut && cut.header.baseOffset <= this.startOffset) return this.restartAt(this.startOffset);
      // Should the process die half way, the next open re-validates everything from `last` on.
      this.recoveryPoint = Math.min(this.recoveryPoint, last.baseOffset);
      await this.saveState(false);
      const doomed = segments.slice(keep);
      this.segments = segments.slice(0, keep);
      for (const s of doomed) {
        this.totalSize -= s.size;
        this.dirty.delete(s);
      }
      await Promise.all(doomed.map((s) => s.delete()));
      const txnIndexRebuilds = new Set<Segment>();
      if (cut) {
        this.totalSize -= last.size - cut.position;
        await last.truncate(cut.position);
        await last.txnIndex.reset();
        txnIndexRebuilds.add(last);
        await recoverSegment(last, cut.position, this.cfg.indexIntervalBytes, this.epochs, this.logger);
        await last.persistIndexes();
        this.epochs.truncateFromStart(this.logStartOffset); // re-derived from batches, some maybe below the start
      }
      const end = last.nextOffset;
      this.endOffset = this.nextOffset = end;
      this.hw = Math.min(this.hw, end);
      this.epochs.truncateFromEnd(end);
      if (last.size === 0) this.activeFirstAppendMs = -1;
      this.dirty.add(last);
      await this.syncDirty();
      const loaded = { segments: this.segments, logStartOffset: this.startOffset, logEndOffset: end, epochs: this.epochs, txnIndexRebuilds };
      this.producers = await loadProducerState(this.dir, loaded, this.producers.expirationMs, this.logger);
      await this.saveState(false);
      this.dropDurableWaitersPast(end);
      this.logger.info('truncated log', { offset, logEndOffset: end, deletedSegments: doomed.length });
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
   * Whether this broker writes the partition's remote side: uploads, remote retention, remote DeleteRecords.
   * On by default (one broker); a replicated partition has it on only at its leader.
   */
  setUploading(on: boolean): void {
    if (this.uploadsOn === on) return;
    this.uploadsOn = on;
    if (on) {
      this.armUploadLagTimer();
      this.kickUploader();
    } else if (this.uploadLagTimer) {
      clearTimeout(this.uploadLagTimer);
      this.uploadLagTimer = undefined;
    }
  }

  /**
   * Reads the partition manifest again (this broker became the leader): uploads continue after what the
   * previous leader tiered, a remote start it moved moves the local start, and a fence from an older
   * epoch is lifted (a stale manifest write fences again).
   */
  async reloadRemote(): Promise<void> {
    const remote = this.remote;
    if (!remote) return;
    this.ensureWritable();
    try {
      await remote.reload();
    } catch (err) {
      throw this.remoteError('manifest reload', err);
    }
    this.uploadFenced = false;
    if (remote.isActive) {
      if (remote.endOffset > this.endOffset) {
        this.logger.warn('local log ends before the tiered data; restarting it at the remote end', { localEnd: this.endOffset, remoteEnd: remote.endOffset });
        await this.truncateFullyAndStartAt(remote.endOffset);
      } else {
        await this.runExclusive(async () => {
          if (remote.logStartOffset > this.startOffset) await this.moveLocalStart(remote.logStartOffset);
          this.epochs = mergeRemoteEpochs(this.epochs, remote, this.endOffset);
          await this.saveState(false);
        });
      }
    }
    this.kickUploader();
  }

  /**
   * Runs `task` on the housekeeping queue once the writes queued before it are written and no compaction is
   * running; appends that come meanwhile wait for it. An I/O error in it takes the log offline.
   */
  private runExclusive(task: () => Promise<void>): Promise<void> {
    const run = (this.exclusive ?? Promise.resolve()).then(async () => {
      this.ensureWritable();
      await this.compaction?.catch(() => undefined);
      await this.lastWrite;
      await this.housekeeping.run(async () => {
        this.ensureWritable();
        try {
          await task();
        } catch (err) {
          if (!(err instanceof LogError)) this.goOffline(err, []);
          throw err;
        }
      });
    });
    const settled = run.catch(() => undefined);
    this.exclusive = settled;
    void settled.then(() => {
      if (this.exclusive === settled) this.exclusive = undefined;
    });
    return run;
  }

  /** Empties the log and starts it at `offset`. Runs exclusively (runExclusive). */
  private async restartAt(offset: number): Promise<void> {
    const doomed = this.segments;
    await Promise.all(doomed.map((s) => s.delete()));
    this.segments = [new Segment(this.dir, offset, this.cfg.segmentIndexBytes, Date.now(), { newFile: true })];
    this.totalSize = 0;
    this.dirty.clear();
    this.unflushedMessages = 0;
    this.startOffset = this.endOffset = this.nextOffset = this.hw = this.recoveryPoint = offset;
    this.epochs = this.remote?.isActive ? mergeRemoteEpochs(new LeaderEpochCache(), this.remote, offset) : new LeaderEpochCache();
    this.producers = new ProducerStateManager(this.producers.expirationMs);
    for (const snapshot of await listSnapshots(this.dir)) await deleteSnapshot(this.dir, snapshot);
    this.activeFirstAppendMs = -1;
    if (this.uploadLagTimer) clearTimeout(this.uploadLagTimer);
    this.uploadLagTimer = undefined;
    await this.saveState(false); // also fsyncs the directory: the deletions are durable
    this.dropDurableWaitersPast(offset);
    this.logger.info('log emptied and restarted', { offset, deletedSegments: doomed.length });
  }

  /** Durable appends whose data a truncation removed: they are refused, never acknowledged. */
  private dropDurableWaitersPast(endOffset: number): void {
    const gone = new LogError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.dir} was truncated to ${endOffset}`);
    const still: DurableWaiter[] = [];
    for (const w of this.durableWaiters) {
      if (w.endOffset > endOffset) w.reject(gone);
      else still.push(w);
    }
    this.durableWaiters = still;
  }

  /**
   * The last stable offset: below it every transaction is decided and its marker written, so read_committed
   * readers stop here (the first offset of the earliest undecided transaction, else the high watermark).
   */
  get lastStableOffset(): number {
    const first = this.producers.firstUnstableOffset();
    return first >= 0 ? Math.max(this.logStartOffset, Math.min(first, this.hw)) : this.hw;
  }

  /** Transactions open on this partition (metrics). */
  get openTransactions(): number {
    return this.producers.openTransactions;
  }

  /** The aborted transactions overlapping [fetchOffset, upperBoundOffset), from the transaction indexes (read_committed fetch). */
  async abortedTransactions(fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]> {
    const out: AbortedTxn[] = [];
    if (upperBoundOffset <= fetchOffset) return out;
    if (fetchOffset < this.startOffset && this.remoteCovers()) {
      try {
        if (await this.remote!.collectAbortedTxns(fetchOffset, upperBoundOffset, this.startOffset, out)) return out;
      } catch (err) {
        throw this.remoteError('remote transaction index read', err);
      }
    }
    const segments = this.segments;
    await collectAbortedTxns(segments, segmentFor(segments, fetchOffset), fetchOffset, upperBoundOffset, out);
    return out;
  }

  /** Answers a retry as its original append was answered, once that one is written. */
  private async duplicateAppend(d: DuplicateAppend, durable: boolean): Promise<AppendResult> {
    await this.lastWrite;
    if (this.failure) throw this.failure;
    // The original was still in flight when the retry came, and a full disk refused it: so is the retry.
    if (d.lastOffset >= this.endOffset) throw new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir}: the original append was refused`);
    if (durable) await this.waitDurable(d.lastOffset + 1);
    const logAppendTime = this.cfg.messageTimestampType === 'LogAppendTime' ? d.timestamp : -1;
    return { baseOffset: d.firstOffset, lastOffset: d.lastOffset, logAppendTime, logStartOffset: this.logStartOffset, recordCount: 0, bytes: 0, duplicate: true };
  }

  private validate(records: Buffer, opts: AppendOptions): ValidatedBatches {
    let validated: ValidatedBatches;
    try {
      validated = validateBatches(records, this.cfg.maxMessageBytes, this.recordCheckOptions(opts) ?? undefined);
    } catch (err) {
      throw asLogError(err);
    }
    if (validated.batches.length === 0) throw new LogError(ErrorCode.INVALID_RECORD, 'the payload holds no record batch');
    if (opts.fromClient && validated.batches.some((b) => b.header.isControl)) {
      throw new LogError(ErrorCode.INVALID_RECORD, 'clients may not write control batches');
    }
    if (validated.bytes > this.cfg.segmentBytes) {
      throw new LogError(ErrorCode.RECORD_LIST_TOO_LARGE, `${validated.bytes} bytes do not fit in a segment of ${this.cfg.segmentBytes}`);
    }
    return validated;
  }

  private ensureWritable(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`);
  }

  private get activeSegment(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** Rolls before an append that would overflow the active segment by size, age, index space or offset range. */
  private maybeRoll(bytes: number, incomingMaxTimestamp: number, lastOffset: number, now: number): void {
    const seg = this.activeSegment;
    if (seg.assignedSize === 0) return;
    // segment.ms counts in record time once the segment has timestamps, as Kafka does.
    const age = seg.firstBatchTimestamp >= 0 ? incomingMaxTimestamp - seg.firstBatchTimestamp : now - seg.createdMs;
    const roll =
      seg.assignedSize + bytes > this.cfg.segmentBytes ||
      age > this.cfg.segmentMs ||
      seg.offsetIndex.isFull ||
      seg.timeIndex.isFull ||
      lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET ||
      this.uploadLagExceeded(now);
    if (roll) this.roll(now);
  }

  private roll(now: number): void {
    const old = this.activeSegment;
    this.activeFirstAppendMs = -1;
    if (this.uploadLagTimer) clearTimeout(this.uploadLagTimer);
    this.uploadLagTimer = undefined;
    old.seal();
    const next = new Segment(this.dir, this.nextOffset, this.cfg.segmentIndexBytes, now, { newFile: true });
    this.segments = [...this.segments, next];
    this.logger.debug('rolled segment', { baseOffset: this.nextOffset });
    // Producer state as of the new segment's base, taken now and stored once the data below it is fsynced.
    const producers = this.producers.snapshot();
    const snapshotOffset = this.nextOffset;
    // Once its last write lands, flush the old segment and move the recovery point past it.
    this.track(
      this.lastWrite.then(() =>
        this.housekeeping.run(async () => {
          if (!this.segments.includes(next)) return; // a full disk refused the appends that rolled: `old` is active again
          await this.finalize(old);
          await this.saveProducerSnapshot(snapshotOffset, producers);
          this.kickUploader();
        }),
      ),
    );
  }

  /** Runs on the housekeeping queue, after the batches below `offset` are fsynced. */
  private async saveProducerSnapshot(offset: number, producers: ProducerSnapshotEntry[]): Promise<void> {
    if (this.failure) return;
    await writeSnapshot(this.dir, offset, producers);
    await pruneSnapshots(this.dir, this.startOffset);
  }

  private async finalize(segment: Segment): Promise<void> {
    if (segment.isDeleted || this.failure) return;
    await segment.sync();
    await segment.persistIndexes();
    this.dirty.delete(segment);
    this.recoveryPoint = Math.max(this.recoveryPoint, segment.nextOffset);
    await this.saveState(false); // also fsyncs the directory
    segment.newFile = false;
  }

  // ---- The writer.

  private enqueue(write: Omit<PendingWrite, 'resolve' | 'reject'>): Promise<void> {
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
    this.draining = true;
    try {
      while (this.queue.length > 0 && !this.failure) {
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
          if (this.unflushedMessages >= this.cfg.flushMessages) await this.housekeeping.run(() => this.syncDirty());
        } catch (err) {
          if (!written && isDiskFull(err)) await this.refuseAppends(err, group);
          else this.goOffline(err, group);
          continue;
        }
        for (const w of group) w.resolve();
        this.emitAppend();
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
    const segment = group[0].segment;
    const at = this.segments.indexOf(segment);
    if (at < 0) return this.goOffline(err, group);
    const message = err instanceof Error ? err.message : String(err);
    const refused = new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `disk full; append to ${path.basename(this.dir)} refused: ${message}`);
    const writes = [...group, ...this.queue.splice(0)];
    const end = this.endOffset;
    const dropped = this.segments.slice(at + 1); // rolled for refused appends: they hold nothing written
    this.segments = this.segments.slice(0, at + 1);
    segment.rollBackAssigned(end);
    this.nextOffset = end;
    this.epochs.truncateFromEnd(end);
    this.producers.truncateFrom(end);
    if (segment.assignedSize === 0) this.activeFirstAppendMs = -1;
    this.logger.warn('disk full; appends refused', { refusedBatches: writes.length, logEndOffset: end, error: message });
    // Before the writer goes on (and before the refused hear of it): the next roll may create a segment with
    // the same base offset, so the same files.
    const cleanup = Promise.all(dropped.map((s) => s.delete())).then(() => segment.truncate(segment.size));
    this.track(cleanup); // cutting off a partial write: an error here is a real I/O error
    await cleanup.catch(() => undefined);
    for (const w of writes) w.reject(this.failure ?? refused);
  }

  /** The queued writes at the head that go to the same segment: one writev. */
  private takeGroup(): PendingWrite[] {
    const segment = this.queue[0].segment;
    let n = 1;
    while (n < this.queue.length && this.queue[n].segment === segment) n++;
    return this.queue.splice(0, n);
  }

  private commit(group: PendingWrite[], bytes: number): void {
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
    this.totalSize += bytes;
    this.endOffset = group[group.length - 1].lastOffset + 1;
    if (!this.isReplicated) this.hw = this.endOffset;
    this.producers.markersWritten(this.endOffset);
    this.dirty.add(segment);
    this.unflushedMessages += records;
    this.armFlushTimer();
  }

  private emitAppend(): void {
    try {
      this.emit('append', this.endOffset);
    } catch (err) {
      this.logger.error('append listener failed', { error: err });
    }
  }

  private goOffline(err: unknown, inFlight: PendingWrite[]): void {
    if (!this.failure) {
      const message = err instanceof Error ? err.message : String(err);
      this.failure = new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is offline after an I/O error: ${message}`);
      this.logger.error('I/O error; log is offline', { error: message });
    }
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const w of [...inFlight, ...this.queue.splice(0), ...this.durableWaiters.splice(0)]) w.reject(this.failure);
  }

  // ---- Durability.

  /** Resolves once every offset below `endOffset` is fsynced. */
  private waitDurable(endOffset: number): Promise<void> {
    if (this.recoveryPoint >= endOffset) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
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
    const run = this.housekeeping.run(() => this.syncDirty()).then(() => this.releaseDurable());
    this.sharedSync = run;
    this.track(run); // a failed fsync is an I/O error of the log: goOffline rejects the waiters
    const next = () => {
      this.sharedSync = undefined;
      this.startSharedSync();
    };
    run.then(next, next);
  }

  /** Resolves the durable appends now below the recovery point. */
  private releaseDurable(): void {
    const synced = this.recoveryPoint;
    const still: DurableWaiter[] = [];
    for (const w of this.durableWaiters) {
      if (w.endOffset <= synced) w.resolve();
      else still.push(w);
    }
    this.durableWaiters = still;
  }

  private armFlushTimer(): void {
    if (this.flushTimer || this.cfg.flushMs >= MAX_TIMER_MS) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.track(this.housekeeping.run(() => this.syncDirty()));
    }, this.cfg.flushMs);
    this.flushTimer.unref();
  }

  /** fsyncs every segment written since the last sync. Runs on the housekeeping queue. */
  private async syncDirty(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const segments = [...this.dirty];
    const upTo = this.endOffset;
    this.dirty.clear();
    this.unflushedMessages = 0;
    const created = segments.filter((s) => s.newFile);
    try {
      await Promise.all(segments.map((s) => s.sync()));
      // A rolled segment's file is only durable once its directory entry is.
      if (created.length > 0) await fsyncDirectory(this.dir);
    } catch (err) {
      // After a failed fsync the kernel may have dropped the dirty pages: whatever the cause (even ENOSPC),
      // nothing since the last good fsync is known durable, so this is never the transient full-disk case.
      throw new Error(`fsync failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const s of created) s.newFile = false;
    this.recoveryPoint = Math.max(this.recoveryPoint, upTo);
  }

  /** fsync, index files and state: what a restart needs to skip recovery. Runs on the housekeeping queue. */
  private async checkpoint(cleanShutdown: boolean): Promise<void> {
    await this.activeSegment.fileHandle(); // the active segment's file exists even if nothing was written to it
    await this.syncDirty();
    await this.activeSegment.persistIndexes();
    if (cleanShutdown) await this.saveProducerSnapshot(this.endOffset, this.producers.snapshot());
    await this.saveState(cleanShutdown);
  }

  private saveState(cleanShutdown: boolean): Promise<void> {
    return this.stateWriter.save(() => ({
      logStartOffset: this.startOffset,
      recoveryPoint: this.recoveryPoint,
      cleanShutdown,
      leaderEpochs: this.epochs.toJSON(),
    }));
  }

  /** Runs a background task; an error in it is an I/O error of the log, except a full disk (a later task writes again). */
  private track(task: Promise<void>): void {
    const tracked = task.catch((err) => {
      if (isDiskFull(err)) this.logger.warn('background write failed: disk full', { error: err instanceof Error ? err.message : String(err) });
      else this.goOffline(err, []);
    });
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  async flush(): Promise<void> {
    await this.lastWrite;
    if (this.failure) throw this.failure;
    await this.housekeeping.run(() => this.checkpoint(false));
  }

  /** Waits for writes and housekeeping, checkpoints with the clean-shutdown marker, and closes the files. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      await this.stopTiering();
      await this.quiesce();
      if (!this.failure) {
        try {
          await this.housekeeping.run(() => this.checkpoint(true));
        } catch (err) {
          // No clean-shutdown marker: the next open recovers the tail. The files still get closed.
          this.logger.error('final checkpoint failed', { error: err instanceof Error ? err.message : String(err) });
        }
      }
      this.releaseDurable();
      for (const w of this.durableWaiters.splice(0)) w.reject(new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`));
      await Promise.all([...this.segments, ...this.retired].map((s) => s.close()));
    })();
    return this.closed;
  }

  /** Closes the log and removes its directory. */
  async delete(): Promise<void> {
    this.closing = true;
    await this.stopTiering();
    await this.quiesce();
    await Promise.all(this.segments.map((s) => s.close()));
    await fsp.rm(this.dir, { recursive: true, force: true });
  }

  private async quiesce(): Promise<void> {
    await this.lastWrite;
    await Promise.all([...this.background]);
    await this.housekeeping.run(async () => undefined);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  // ---- Reads.

  async read(offset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    const endOffset = this.endOffset;
    const startOffset = this.logStartOffset;
    if (offset < startOffset || offset > endOffset) {
      throw new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${startOffset}, ${endOffset}]`);
    }
    const maxOffset = Math.min(opts.isolationMaxOffset ?? endOffset, endOffset);
    if (offset < this.startOffset && this.remoteCovers()) {
      const remote = await this.readRemote(offset, maxBytes, opts.minOneMessage ?? false, maxOffset);
      if (remote) return remote;
      // Nothing in the bucket at or after `offset`: the local segments follow.
    }
    const segments = this.segments;
    for (let i = segmentFor(segments, offset); offset < maxOffset && i < segments.length && segments[i].baseOffset < maxOffset; i++) {
      const seg = segments[i];
      let found;
      try {
        found = await seg.read(Math.max(offset, seg.baseOffset), maxBytes, opts.minOneMessage ?? false, maxOffset);
      } catch (err) {
        if (seg.isReplaced) return this.read(offset, maxBytes, opts); // compacted meanwhile: read the new segment
        throw this.readError(seg, err);
      }
      if (found) return this.readResult(found.records, found.nextOffset);
    }
    return this.readResult(EMPTY, offset);
  }

  private readResult(records: Buffer, nextOffset: number): ReadResult {
    return { records, nextOffset, highWatermark: this.hw, logStartOffset: this.logStartOffset, logEndOffset: this.endOffset };
  }

  /** A read below the local log start, from the bucket; null when no remote segment holds `offset` or later. */
  private async readRemote(offset: number, maxBytes: number, minOneMessage: boolean, maxOffset: number): Promise<ReadResult | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        const found = await this.remote!.read(offset, maxBytes, minOneMessage, maxOffset);
        return found ? this.readResult(found.records, found.nextOffset) : null;
      } catch (err) {
        // Deleted by retention or DeleteRecords while reading: out of range now, or read the current manifest again.
        if (err instanceof ObjectNotFoundError && offset < this.logStartOffset) {
          throw new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} was deleted; log now starts at ${this.logStartOffset}`);
        }
        if (err instanceof ObjectNotFoundError && attempt < 2) continue;
        throw this.remoteError('remote read', err);
      }
    }
  }

  private remoteError(what: string, err: unknown): LogError {
    if (err instanceof LogError) return err;
    const message = err instanceof Error ? err.message : String(err);
    this.logger.warn(`${what} failed`, { error: message });
    return new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `${what} failed: ${message}`);
  }

  private readError(seg: Segment, err: unknown): LogError {
    if (seg.isDeleted) return new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `segment ${seg.baseOffset} was deleted; log now starts at ${this.startOffset}`);
    const message = err instanceof Error ? err.message : String(err);
    this.logger.error('read failed', { segment: seg.file, error: message });
    return new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `read from ${seg.file} failed: ${message}`);
  }

  /** ListOffsets by timestamp: the first offset whose record timestamp is >= `timestamp`. */
  /** Output limit for decompressing a stored batch (follows the topic's max.message.bytes). */
  private get decompressionLimit(): number {
    return decompressionLimit(this.cfg.maxMessageBytes);
  }

  async offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null> {
    if (this.remoteCovers()) {
      try {
        const match = await this.remote!.findTimestamp(timestamp, this.remote!.logStartOffset, this.startOffset, this.decompressionLimit);
        if (match) return match;
      } catch (err) {
        throw this.remoteError('remote timestamp lookup', err);
      }
    }
    const startOffset = this.startOffset;
    for (const seg of this.segments) {
      if (seg.largestTimestamp < timestamp) continue;
      try {
        const match = await seg.findTimestamp(timestamp, startOffset, this.decompressionLimit);
        if (match) return match;
      } catch (err) {
        if (seg.isReplaced) return this.offsetForTimestamp(timestamp); // compacted meanwhile: search again
        if (!seg.isDeleted) throw this.readError(seg, err);
      }
    }
    return null;
  }

  /**
   * ListOffsets MAX_TIMESTAMP: the newest timestamp and the offset of the record that carries it (KAFKA-16310).
   * Appends track only the batch; the record is found here by decoding that one batch.
   */
  async maxTimestampOffset(): Promise<TimestampAndOffset | null> {
    const remoteBest = this.remoteCovers() ? this.remote!.maxTimestampSegment(this.startOffset) : null;
    if (remoteBest && remoteBest.maxTimestamp >= Math.max(-1, ...this.segments.map((s) => s.largestTimestamp))) {
      // The bucket holds the newest timestamp (on a tie, the earlier offset wins).
      try {
        const batchLevel = { offset: remoteBest.offsetOfMaxTimestamp, timestamp: remoteBest.maxTimestamp, leaderEpoch: this.epochs.epochForOffset(remoteBest.offsetOfMaxTimestamp) };
        return (await this.remote!.maxTimestampRecord(remoteBest, this.decompressionLimit)) ?? batchLevel;
      } catch (err) {
        throw this.remoteError('remote max-timestamp lookup', err);
      }
    }
    for (let attempt = 0; ; attempt++) {
      let best: Segment | null = null;
      for (const seg of this.segments) {
        if (seg.largestTimestamp >= 0 && (!best || seg.largestTimestamp > best.largestTimestamp)) best = seg;
      }
      if (!best) return null;
      const batchLevel = { offset: best.offsetOfLargestTimestamp, timestamp: best.largestTimestamp, leaderEpoch: this.epochs.epochForOffset(best.offsetOfLargestTimestamp) };
      try {
        return (await best.maxTimestampRecord(this.decompressionLimit)) ?? batchLevel;
      } catch (err) {
        // Deleted by retention or replaced by compaction meanwhile: look again in the current segments.
        if (!best.isDeleted || attempt >= 2) throw this.readError(best, err);
      }
    }
  }

  endOffsetForLeaderEpoch(epoch: number): { leaderEpoch: number; endOffset: number } {
    return this.epochs.endOffsetFor(epoch, this.endOffset);
  }

  // ---- Tiered storage: uploads.

  /** Starts the uploader if closed segments wait for the bucket. One upload loop per log; uploads go in offset order. */
  private kickUploader(): void {
    if (!this.uploadsEnabled || this.closing || this.failure) return;
    this.uploadWanted = true;
    if (this.uploading) return;
    this.uploading = this.uploadLoop().finally(() => {
      this.uploading = undefined;
      if (this.uploadWanted) this.kickUploader();
    });
  }

  private async uploadLoop(): Promise<void> {
    while (this.uploadWanted) {
      this.uploadWanted = false;
      for (let c = this.nextUploadCandidate(); c !== null; c = this.nextUploadCandidate()) {
        if (this.closing || this.failure || !this.uploadsEnabled) return;
        try {
          if (!(await this.remote!.upload(c))) return; // stopped (close)
        } catch (err) {
          if (err instanceof StaleWriterError) {
            this.uploadFenced = true;
            this.logger.warn('another leader writes this partition\'s manifest; uploads stop', { error: err.message });
            return;
          }
          const gone = err instanceof SegmentGoneError;
          if (gone && this.nextUploadCandidate()?.baseOffset !== c.baseOffset) continue; // deleted by retention meanwhile
          this.logger.error('segment upload failed; trying again later', { baseOffset: c.baseOffset, error: err instanceof Error ? err.message : String(err) });
          this.scheduleUploadRetry();
          return;
        }
      }
    }
  }

  private scheduleUploadRetry(): void {
    if (this.uploadRetryTimer || this.closing) return;
    this.uploadRetryTimer = setTimeout(() => {
      this.uploadRetryTimer = undefined;
      this.kickUploader();
    }, UPLOAD_RETRY_MS);
    this.uploadRetryTimer.unref();
  }

  /**
   * The oldest closed segment not yet in the bucket, once its bytes are written, fsynced and indexed and below
   * the high watermark; null if there is none (never the active segment).
   */
  private nextUploadCandidate(): UploadCandidate | null {
    if (!this.remote) return null;
    const tieredEnd = this.remote.endOffset;
    for (let i = 0; i + 1 < this.segments.length; i++) {
      const seg = this.segments[i];
      const upper = this.segments[i + 1].baseOffset;
      if (upper <= tieredEnd || seg.size === 0) continue;
      // Not past the LSO either (as Kafka): a tiered segment's data is decided, so its .txnindex is final.
      if (upper > this.lastStableOffset || seg.size !== seg.assignedSize || seg.newFile || this.dirty.has(seg) || seg.isDeleted) return null;
      return {
        baseOffset: seg.baseOffset,
        lastOffset: upper - 1,
        sizeBytes: seg.size,
        maxTimestamp: seg.largestTimestamp,
        offsetOfMaxTimestamp: seg.offsetOfLargestTimestamp,
        leaderEpochs: this.epochsIn(seg.baseOffset, upper - 1),
        logFile: seg.file,
        indexFile: seg.offsetIndex.file,
        timeIndexFile: seg.timeIndex.file,
        txnIndex: seg.txnIndex.sizeBytes > 0 ? { file: seg.txnIndex.file, sizeBytes: seg.txnIndex.sizeBytes } : null,
        logStartOffset: this.logStartOffset,
      };
    }
    return null;
  }

  /** [epoch, startOffset] of the leader epochs with offsets in [first, last]. */
  private epochsIn(first: number, last: number): Array<[number, number]> {
    const entries = this.epochs.toJSON();
    const out: Array<[number, number]> = [];
    for (let k = 0; k < entries.length; k++) {
      const [epoch, start] = entries[k];
      const nextStart = k + 1 < entries.length ? entries[k + 1][1] : Infinity;
      if (nextStart <= first || start > last) continue;
      out.push([epoch, Math.max(start, first)]);
    }
    return out;
  }

  /**
   * Resolves once every closed segment that can be tiered now is in the bucket (tests, shutdown of a drained
   * broker). Waits for pending writes and segment finalizing first.
   */
  async waitForUploads(): Promise<void> {
    for (let round = 0; round < 1000; round++) {
      await this.lastWrite;
      await this.housekeeping.run(async () => undefined);
      this.kickUploader();
      const running = this.uploading;
      if (running) await running;
      if (!this.uploadsEnabled || this.closing || this.failure || this.nextUploadCandidate() === null) return;
      if (this.uploadRetryTimer) throw new LogError(ErrorCode.KAFKA_STORAGE_ERROR, 'segment upload failed; retry scheduled');
    }
  }

  /** True when remote.upload.max.lag.ms asks for the active segment to be rolled for upload. */
  private uploadLagExceeded(now: number): boolean {
    const lag = this.cfg.remoteUploadMaxLagMs;
    return lag >= 0 && this.uploadsEnabled && this.activeFirstAppendMs >= 0 && now - this.activeFirstAppendMs >= lag;
  }

  private armUploadLagTimer(): void {
    const lag = this.cfg.remoteUploadMaxLagMs;
    if (this.uploadLagTimer || lag < 0 || !this.uploadsEnabled || this.activeFirstAppendMs < 0 || this.closing) return;
    const wait = Math.max(0, this.activeFirstAppendMs + lag - Date.now());
    this.uploadLagTimer = setTimeout(() => {
      this.uploadLagTimer = undefined;
      if (this.closing || this.failure) return;
      const now = Date.now();
      if (this.activeSegment.assignedSize > 0 && this.uploadLagExceeded(now)) this.roll(now);
      else this.armUploadLagTimer();
    }, Math.min(wait, MAX_TIMER_MS));
    this.uploadLagTimer.unref();
  }

  private async stopTiering(): Promise<void> {
    if (this.uploadLagTimer) clearTimeout(this.uploadLagTimer);
    if (this.uploadRetryTimer) clearTimeout(this.uploadRetryTimer);
    this.uploadLagTimer = this.uploadRetryTimer = undefined;
    if (!this.remote) return;
    await this.remote.close();
    await this.uploading;
  }

  /** Tiering figures for metrics; null without a remote side. */
  tieringStats(): TieringStats | null {
    if (!this.remote) return null;
    const tieredEnd = this.remote.endOffset;
    let uploadLagSegments = 0;
    let uploadLagBytes = 0;
    if (this.uploadsEnabled) {
      for (let i = 0; i + 1 < this.segments.length; i++) {
        if (this.segments[i + 1].baseOffset > tieredEnd && this.segments[i].size > 0) {
          uploadLagSegments++;
          uploadLagBytes += this.segments[i].size;
        }
      }
    }
    return { ...this.remote.stats(), uploadLagSegments, uploadLagBytes };
  }

  // ---- Compaction.

  /**
   * Compacts the closed segments when cleanup.policy includes compact and the dirty ratio (or
   * max.compaction.lag.ms) calls for it; run it periodically beside enforceRetention. One cleaning at a time: a
   * call during a cleaning gets that cleaning's result.
   */
  compact(now = Date.now(), opts: CompactOptions = {}): Promise<CompactionResult> {
    try {
      this.ensureWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.cfg.cleanupPolicy.compact) return Promise.resolve(notCleaned(this.startOffset));
    if (!this.compaction) {
      const running = compactLog(this.compactionTarget(), now, opts).finally(() => (this.compaction = undefined));
      this.compaction = running;
      const settled = running.then(
        () => undefined,
        () => undefined,
      );
      this.background.add(settled); // close() waits for it; it stops at the next batch once closing
      void settled.finally(() => this.background.delete(settled));
    }
    return this.compaction;
  }

  /**
   * How far an append's records are checked (null: headers only). Client data is walked record by record;
   * on a compacted topic with requireKeys (default: client appends) every record must have a key.
   */
  private recordCheckOptions(opts: AppendOptions): RecordCheckOptions | null {
    const requireKeys = (opts.requireKeys ?? opts.fromClient ?? false) && this.cfg.cleanupPolicy.compact;
    return opts.fromClient || requireKeys ? { requireKeys } : null;
  }

  /** The asynchronous part of the record check: the compressed batches (validate walked the others). */
  private recordCheck(records: Buffer, validated: ValidatedBatches, opts: AppendOptions): (() => Promise<void>) | null {
    const check = this.recordCheckOptions(opts);
    if (!check || validated.batches.every((b) => b.header.compression === Compression.NONE)) return null;
    const maxDecompressedBytes = this.decompressionLimit;
    return () => checkRecords(records, validated.batches, { ...check, maxDecompressedBytes });
  }

  private compactionTarget(): CompactionTarget {
    return {
      dir: this.dir,
      config: this.cfg,
      logger: this.logger,
      logStartOffset: this.startOffset,
      // After the writes and the finalizing of rolled segments queued so far.
      cleanableSegments: () => this.lastWrite.then(() => this.housekeeping.run(async () => this.cleanableSegments())),
      swapIn: (staged: StagedSegment) => this.housekeeping.run(() => this.swapIn(staged)),
      isStopping: () => this.closing || this.failure !== null,
      abortedTransactions: (from, upper) => this.abortedTransactions(from, upper),
    };
  }

  /** Closed segments whose bytes are all written and flushed, below the last stable offset (open transactions are not cleaned). */
  private cleanableSegments(): Array<{ segment: Segment; upperBoundOffset: number }> {
    const out = [];
    for (let i = 0; i + 1 < this.segments.length; i++) {
      const segment = this.segments[i];
      const upperBoundOffset = this.segments[i + 1].baseOffset;
      if (upperBoundOffset > this.lastStableOffset || segment.size !== segment.assignedSize || segment.newFile || this.dirty.has(segment)) break;
      out.push({ segment, upperBoundOffset });
    }
    return out;
  }

  /** Replaces a staged segment's sources, if they are still closed segments of the log. Runs on the housekeeping queue. */
  private async swapIn(staged: StagedSegment): Promise<boolean> {
    const first = this.segments.indexOf(staged.sources[0]);
    const count = staged.sources.length;
    const inPlace = first >= 0 && first + count < this.segments.length && staged.sources.every((s, k) => this.segments[first + k] === s);
    if (!inPlace || this.failure) return false;
    try {
      await commitSwap(this.dir, staged.segment.baseOffset, staged.sources.map((s) => s.baseOffset));
      await staged.segment.txnIndex.load();
    } catch (err) {
      this.goOffline(err, []); // the directory may be half swapped: the next open completes or discards it
      throw err;
    }
    this.segments = [...this.segments.slice(0, first), staged.segment, ...this.segments.slice(first + count)];
    this.totalSize += staged.bytesAfter - staged.bytesBefore;
    for (const s of staged.sources) {
      this.dirty.delete(s);
      this.retired.add(s);
      void s.retire(this.cfg.fileDeleteDelayMs).then(() => this.retired.delete(s));
    }
    return true;
  }

  // ---- Deletion.

  /** DeleteRecords: moves the log start to `offset` (persisted) and deletes the segments wholly below it. */
  async deleteRecordsBefore(offset: number): Promise<number> {
    this.ensureWritable();
    if (offset < 0 || offset > this.hw) {
      throw new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot delete before ${offset}: high watermark is ${this.hw}`);
    }
    // The bucket first: its start moves and its segments wholly below go (manifest, then objects).
    const remote = this.remote;
    if (remote?.isActive && this.uploadsOn && offset > remote.logStartOffset) {
      try {
        await remote.deleteRecordsBefore(offset);
      } catch (err) {
        throw this.remoteError('remote DeleteRecords', err);
      }
    }
    return this.housekeeping.run(async () => {
      await this.moveLocalStart(offset);
      return this.logStartOffset;
    });
  }

  /** Moves the local log start to `offset` (persisted) and deletes the segments wholly below it. Runs on the housekeeping queue. */
  private async moveLocalStart(offset: number): Promise<void> {
    if (offset > this.startOffset) {
      this.startOffset = offset;
      this.epochs.truncateFromStart(offset);
      await this.saveState(false);
    }
    let below = 0;
    while (below < this.segments.length - 1 && this.segments[below + 1].baseOffset <= this.startOffset) below++;
    await this.deleteSegments(below);
  }

  /**
   * Deletes segments past retention.ms / retention.bytes or below the log start offset. With tiered storage,
   * retention.ms/bytes apply to the whole log (remote segments go first, from the bucket), and
   * local.retention.ms/bytes delete local segments, but only those whose remote copy is in the manifest.
   */
  async enforceRetention(now = Date.now()): Promise<{ deletedSegments: number; deletedRemoteSegments?: number }> {
    this.ensureWritable();
    this.producers.removeExpired(now);
    const remote = this.remote;
    let deletedRemoteSegments = 0;
    if (remote?.hasSegments && !remote.isClosed && !this.uploadFenced && this.uploadsOn) {
      try {
        deletedRemoteSegments = await remote.enforceRetention({
          now,
          retentionMs: this.cfg.retentionMs,
          retentionBytes: this.cfg.retentionBytes,
          deleteEnabled: this.cfg.cleanupPolicy.delete,
          localOnlyBytes: this.localOnlyBytes(),
        });
      } catch (err) {
        this.logger.warn('remote retention failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
    return this.housekeeping.run(async () => {
      const segments = this.segments;
      const infos = segments.map((s, i) => ({
        size: s.size,
        largestTimestamp: s.largestTimestamp >= 0 ? s.largestTimestamp : s.lastModifiedMs,
        upperBoundOffset: i + 1 < segments.length ? segments[i + 1].baseOffset : this.nextOffset,
      }));
      const base = { now, deleteEnabled: this.cfg.cleanupPolicy.delete, logStartOffset: this.startOffset, highWatermark: this.hw };
      let count: number;
      if (this.tieringEnabled) {
        // Local limits, and only over segments the manifest confirms (the whole-log limits were applied remotely,
        // counting local-only bytes; local segments are the newest part of the log).
        const local = countDeletableSegments(infos, {
          ...base,
          retentionMs: localRetentionLimit(this.cfg.localRetentionMs, this.cfg.retentionMs),
          retentionBytes: localRetentionLimit(this.cfg.localRetentionBytes, this.cfg.retentionBytes),
        });
        count = Math.min(local, countTieredSegments(infos, this.remote!.confirmedUpTo));
      } else if (this.remote?.hasSegments) {
        // Tiering turned off with data still in the bucket: that older data goes first; locally only what
        // lies below the log start.
        count = countDeletableSegments(infos, { ...base, retentionMs: -1, retentionBytes: -1 });
      } else {
        count = countDeletableSegments(infos, { ...base, retentionMs: this.cfg.retentionMs, retentionBytes: this.cfg.retentionBytes });
      }
      if (count === segments.length) this.roll(now); // a log always keeps an active segment
      await this.deleteSegments(count);
      if (count === 0 && deletedRemoteSegments > 0) {
        this.epochs.truncateFromStart(this.logStartOffset);
        await this.saveState(false);
      }
      return deletedRemoteSegments > 0 ? { deletedSegments: count, deletedRemoteSegments } : { deletedSegments: count };
    });
  }

  /** Bytes of local segments not (yet) in the bucket. */
  private localOnlyBytes(): number {
    const end = this.remote?.endOffset ?? 0;
    let bytes = 0;
    for (let i = 0; i < this.segments.length; i++) {
      const upper = i + 1 < this.segments.length ? this.segments[i + 1].baseOffset : this.nextOffset;
      if (upper > end) bytes += this.segments[i].size;
    }
    return bytes;
  }

  /** Removes the first `count` segments, moving the log start to the first one left. Runs on the housekeeping queue. */
  private async deleteSegments(count: number): Promise<void> {
    if (count === 0) return;
    const doomed = this.segments.slice(0, count);
    this.segments = this.segments.slice(count);
    for (const s of doomed) {
      this.totalSize -= s.size;
      this.dirty.delete(s);
    }
    const firstOffset = this.segments[0].baseOffset;
    if (firstOffset > this.startOffset) {
      this.startOffset = firstOffset;
      this.epochs.truncateFromStart(this.logStartOffset); // epochs of tiered offsets stay known
    }
    await this.saveState(false);
    // Closing a segment waits for reads in flight; later reads of it fail as out of range.
    await Promise.all(doomed.map((s) => s.delete()));
    this.logger.info('deleted segments', { baseOffsets: doomed.map((s) => s.baseOffset), logStartOffset: this.startOffset });
  }
}

/**
 * Lines a freshly loaded local log up with its remote side. When the bucket holds offsets past the local end
 * (the data dir was wiped, or is older than the bucket), the local log restarts empty at the remote end, so
 * appends continue after the tiered offsets. A remote start past the local start (retention or DeleteRecords
 * cut short by a crash) moves the local start. Leader epochs of tiered segments fill in the epoch cache.
 */
async function reconcileWithRemote(dir: string, config: LogConfig, loaded: LoadedPartition, remote: RemoteLog, logger: Logger): Promise<void> {
  if (!remote.isActive) return;
  const remoteEnd = remote.endOffset;
  if (remoteEnd > loaded.logEndOffset) {
    if (loaded.segments.some((s) => s.size > 0)) {
      logger.warn('local log ends before the tiered data; restarting it at the remote end', { localEnd: loaded.logEndOffset, remoteEnd });
    } else if (remote.hasSegments) {
      logger.info('local log is empty; continuing after the tiered data', { remoteEnd });
    }
    await Promise.all(loaded.segments.map((s) => s.delete()));
    loaded.segments = [new Segment(dir, remoteEnd, config.segmentIndexBytes, Date.now(), { newFile: true })];
    loaded.txnIndexRebuilds.clear();
    loaded.logStartOffset = loaded.logEndOffset = remoteEnd;
  } else if (remote.logStartOffset > loaded.logStartOffset) {
    loaded.logStartOffset = remote.logStartOffset;
  }
  loaded.epochs = mergeRemoteEpochs(loaded.epochs, remote, loaded.logEndOffset);
}

/** The epoch cache with the leader epochs of the tiered segments below its first entry filled in. */
function mergeRemoteEpochs(epochs: LeaderEpochCache, remote: RemoteLog, logEndOffset: number): LeaderEpochCache {
  const local = epochs.toJSON();
  const firstLocal = local[0];
  const merged: Array<[number, number]> = [];
  for (const seg of remote.segments) {
    for (const [epoch, start] of seg.leaderEpochs) {
      const last = merged[merged.length - 1];
      if (last && (epoch <= last[0] || start < last[1])) continue;
      if (firstLocal && (epoch >= firstLocal[0] || start >= firstLocal[1])) continue;
      merged.push([epoch, start]);
    }
  }
  if (merged.length === 0) return epochs;
  const out = new LeaderEpochCache([...merged, ...local]);
  out.truncateFromEnd(logEndOffset);
  return out;
}

/** Index of the last segment whose base offset is <= `offset` (0 if none). */
function segmentFor(segments: Segment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid].baseOffset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
