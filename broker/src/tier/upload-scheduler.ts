// Upload scheduling for one partition log: which closed segment goes to the bucket next, one upload at a time
// in offset order, retries after local errors, the remote.upload.max.lag.ms roll, and who may upload at all
// (tiering on for the topic, this broker the partition's leader, and no newer leader's epoch on the manifest).
import { LogError } from '../log/log-error';
import { ErrorCode } from '../protocol/errors';
import type { LogState } from '../log/log-state';
import { MAX_TIMER_MS } from '../log/log-writer';
import type { RemoteLogStats } from './remote-log';
import { SegmentGoneError, type UploadCandidate } from './segment-uploader';
import { StaleWriterError } from './store-errors';

/** Delay before the uploader tries again after a local error. */
const UPLOAD_RETRY_MS = 5000;

/** Tiering figures of one partition (metrics): the remote log's plus what is waiting to be uploaded. */
export interface TieringStats extends RemoteLogStats {
  /** Closed local segments not yet in the bucket, and their bytes. */
  uploadLagSegments: number;
  uploadLagBytes: number;
}

/** What the scheduler needs of the log's writer. */
export interface UploadLogOps {
  /** Rolls the active segment (remote.upload.max.lag.ms). */
  roll(now: number): void;
  /** Settles once the writes queued so far have. */
  lastWrite(): Promise<void>;
}

export class UploadScheduler {
  private uploading?: Promise<void>;
  private wanted = false;
  private retryTimer?: NodeJS.Timeout;
  /** Another broker took over the manifest with a newer leader epoch: this log uploads no more. */
  private fenced = false;
  /** Remote writes are this broker's job (it leads the partition, or runs alone): see setUploading. */
  private on = true;
  /** When the active segment got its first record (remote.upload.max.lag.ms), -1 while it is empty. */
  private activeFirstAppendMs = -1;
  private lagTimer?: NodeJS.Timeout;

  constructor(
    private readonly s: LogState,
    private readonly log: UploadLogOps,
  ) {}

  /** Closed segments are tiered (remote.storage.enable, not on compacted topics, while this broker may write the manifest). */
  get tieringEnabled(): boolean {
    return this.s.remote !== null && this.s.cfg.remoteStorageEnable && !this.s.cfg.cleanupPolicy.compact && !this.fenced;
  }

  /** This broker is the one writing the bucket (setUploading): uploads, remote retention, remote DeleteRecords. */
  get uploadsOn(): boolean {
    return this.on;
  }

  /** A newer leader took the manifest over. */
  get isFenced(): boolean {
    return this.fenced;
  }

  /** Tiering, and this broker is the one uploading (setUploading). */
  private get enabled(): boolean {
    return this.tieringEnabled && this.on;
  }

  setUploading(on: boolean): void {
    if (this.on === on) return;
    this.on = on;
    if (on) {
      this.armLagTimer();
      this.kick();
    } else {
      this.clearLagTimer();
    }
  }

  /** The manifest was reloaded: a fence from an older leadership is lifted (a stale write fences again). */
  liftFence(): void {
    this.fenced = false;
  }

  /** Starts the uploader if closed segments wait for the bucket. One upload loop per log; uploads go in offset order. */
  kick(): void {
    if (!this.enabled || this.s.closing || this.s.failure) return;
    this.wanted = true;
    if (this.uploading) return;
    this.uploading = this.loop().finally(() => {
      this.uploading = undefined;
      if (this.wanted) this.kick();
    });
  }

  private async loop(): Promise<void> {
    const s = this.s;
    while (this.wanted) {
      this.wanted = false;
      for (let c = this.nextCandidate(); c !== null; c = this.nextCandidate()) {
        if (s.closing || s.failure || !this.enabled) return;
        try {
          if (!(await s.remote!.upload(c))) return; // stopped (close)
        } catch (err) {
          if (err instanceof StaleWriterError) {
            this.fenced = true;
            s.logger.warn('another leader writes this partition\'s manifest; uploads stop', { error: err.message });
            return;
          }
          const gone = err instanceof SegmentGoneError;
          if (gone && this.nextCandidate()?.baseOffset !== c.baseOffset) continue; // deleted by retention meanwhile
          s.logger.error('segment upload failed; trying again later', { baseOffset: c.baseOffset, error: err instanceof Error ? err.message : String(err) });
          this.scheduleRetry();
          return;
        }
      }
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.s.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, UPLOAD_RETRY_MS);
    this.retryTimer.unref();
  }

  /**
   * The oldest closed segment not yet in the bucket, once its bytes are written, fsynced and indexed and below
   * the high watermark; null if there is none (never the active segment).
   */
  private nextCandidate(): UploadCandidate | null {
    const s = this.s;
    if (!s.remote) return null;
    const tieredEnd = s.remote.endOffset;
    for (let i = 0; i + 1 < s.segments.length; i++) {
      const seg = s.segments[i];
      const upper = s.segments[i + 1].baseOffset;
      if (upper <= tieredEnd || seg.size === 0) continue;
      // Not past the LSO either (as Kafka): a tiered segment's data is decided, so its .txnindex is final.
      if (upper > s.lastStableOffset || seg.size !== seg.assignedSize || seg.newFile || s.dirty.has(seg) || seg.isDeleted) return null;
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
        logStartOffset: s.logStartOffset,
      };
    }
    return null;
  }

  /** [epoch, startOffset] of the leader epochs with offsets in [first, last]. */
  private epochsIn(first: number, last: number): Array<[number, number]> {
    const entries = this.s.epochs.toJSON();
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
    const s = this.s;
    for (let round = 0; round < 1000; round++) {
      await this.log.lastWrite();
      await s.housekeeping.run(async () => undefined);
      this.kick();
      const running = this.uploading;
      if (running) await running;
      if (!this.enabled || s.closing || s.failure || this.nextCandidate() === null) return;
      if (this.retryTimer) throw new LogError(ErrorCode.KAFKA_STORAGE_ERROR, 'segment upload failed; retry scheduled');
    }
  }

  // ---- remote.upload.max.lag.ms

  /** The active segment got its first record at `now`. */
  activeSegmentStarted(now: number): void {
    this.activeFirstAppendMs = now;
    this.armLagTimer();
  }

  /** The active segment is empty again (rolled, emptied, or its appends refused). */
  activeSegmentEmpty(): void {
    this.activeFirstAppendMs = -1;
    this.clearLagTimer();
  }

  /** remote.upload.max.lag.ms or remote.storage.enable changed. */
  lagConfigChanged(): void {
    this.clearLagTimer();
    this.armLagTimer();
  }

  /** True when remote.upload.max.lag.ms asks for the active segment to be rolled for upload. */
  lagExceeded(now: number): boolean {
    const lag = this.s.cfg.remoteUploadMaxLagMs;
    return lag >= 0 && this.enabled && this.activeFirstAppendMs >= 0 && now - this.activeFirstAppendMs >= lag;
  }

  private armLagTimer(): void {
    const s = this.s;
    const lag = s.cfg.remoteUploadMaxLagMs;
    if (this.lagTimer || lag < 0 || !this.enabled || this.activeFirstAppendMs < 0 || s.closing) return;
    const wait = Math.max(0, this.activeFirstAppendMs + lag - Date.now());
    this.lagTimer = setTimeout(() => {
      this.lagTimer = undefined;
      if (s.closing || s.failure) return;
      const now = Date.now();
      if (s.activeSegment.assignedSize > 0 && this.lagExceeded(now)) this.log.roll(now);
      else this.armLagTimer();
    }, Math.min(wait, MAX_TIMER_MS));
    this.lagTimer.unref();
  }

  private clearLagTimer(): void {
    if (this.lagTimer) clearTimeout(this.lagTimer);
    this.lagTimer = undefined;
  }

  /** Close: no more timers; the remote side stops its retries and the upload in flight ends. */
  async stop(): Promise<void> {
    this.clearLagTimer();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (!this.s.remote) return;
    await this.s.remote.close();
    await this.uploading;
  }

  /** Tiering figures for metrics; null without a remote side. */
  stats(): TieringStats | null {
    const s = this.s;
    if (!s.remote) return null;
    const tieredEnd = s.remote.endOffset;
    let uploadLagSegments = 0;
    let uploadLagBytes = 0;
    if (this.enabled) {
      for (let i = 0; i + 1 < s.segments.length; i++) {
        if (s.segments[i + 1].baseOffset > tieredEnd && s.segments[i].size > 0) {
          uploadLagSegments++;
          uploadLagBytes += s.segments[i].size;
        }
      }
    }
    return { ...s.remote.stats(), uploadLagSegments, uploadLagBytes };
  }
}
