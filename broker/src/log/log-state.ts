// The state one partition log's parts share (writer, appender, reader, retention, compaction, truncation,
// upload scheduler): its segments, offsets, leader epochs and producers, and the few rules over them that
// every part needs (the remote-aware log start, the last stable offset, writability, persisting the state
// file, background tasks). Each part owns its own machinery; this owns the facts. It is the one owner of the
// leader epoch cache: parts change the cache in place, and saveState persists it.
import type { Logger } from '../logger';
import type { LogConfig } from './log-config';
import { LogError, isDiskFull } from './log-error';
import { ErrorCode } from '../protocol/errors';
import type { Segment } from './segment';
import type { LeaderEpochCache } from './leader-epoch-cache';
import { PartitionStateWriter } from './partition-state';
import type { ProducerStateManager } from './producer-state';
import { Serial } from './serial';
import type { RemoteLog } from '../tier/remote-log';

export class LogState {
  segments: Segment[];
  /** Next offset to hand out; ahead of endOffset while writes are in flight. */
  nextOffset: number;
  /** Offset after the last batch written to the file. */
  endOffset: number;
  /** Follows endOffset unless the log is replicated; then only updateHighWatermark moves it. */
  hw: number;
  replicated = false;
  /** First offset on local disk. */
  startOffset: number;
  /** Everything below is fsynced. */
  recoveryPoint: number;
  totalSize: number;
  /** Segments written since their last fsync. */
  readonly dirty = new Set<Segment>();
  /** Set after an I/O error: the log takes no more appends (Kafka takes the log dir offline). */
  failure: LogError | null = null;
  closing = false;
  /** Housekeeping (fsync, finalizing rolled segments, retention, checkpoints, truncation): one task at a time beside the writer. */
  readonly housekeeping = new Serial();
  readonly background = new Set<Promise<void>>();
  /** A truncation under way: appends wait for it. */
  exclusive?: Promise<void>;
  /** Called once an I/O error takes the log offline (the writer refuses what waits). */
  onOffline: () => void = () => undefined;
  private readonly stateWriter: PartitionStateWriter;

  constructor(
    readonly dir: string,
    public cfg: LogConfig,
    readonly logger: Logger,
    init: { segments: Segment[]; logStartOffset: number; logEndOffset: number },
    readonly epochs: LeaderEpochCache,
    public producers: ProducerStateManager,
    readonly remote: RemoteLog | null,
  ) {
    this.segments = init.segments;
    this.nextOffset = this.endOffset = this.hw = this.recoveryPoint = init.logEndOffset;
    this.startOffset = init.logStartOffset;
    this.totalSize = init.segments.reduce((sum, s) => sum + s.size, 0);
    this.stateWriter = new PartitionStateWriter(dir);
  }

  get activeSegment(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** First offset of the log: the remote log start when tiered data precedes the local segments. */
  get logStartOffset(): number {
    return this.remoteCovers() ? this.remote!.logStartOffset : this.startOffset;
  }

  /** Remote segments precede the local ones without a gap: offsets below the local start are read remotely. */
  remoteCovers(): boolean {
    const r = this.remote;
    return r !== null && r.hasSegments && r.logStartOffset < this.startOffset && r.endOffset >= this.startOffset;
  }

  /**
   * The last stable offset: below it every transaction is decided and its marker written, so read_committed
   * readers stop here (the first offset of the earliest undecided transaction, else the high watermark).
   */
  get lastStableOffset(): number {
    const first = this.producers.firstUnstableOffset();
    return first >= 0 ? Math.max(this.logStartOffset, Math.min(first, this.hw)) : this.hw;
  }

  ensureWritable(): void {
    if (this.failure) throw this.failure;
    if (this.closing) throw new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is closed`);
  }

  saveState(cleanShutdown: boolean): Promise<void> {
    return this.stateWriter.save(() => ({
      logStartOffset: this.startOffset,
      recoveryPoint: this.recoveryPoint,
      cleanShutdown,
      leaderEpochs: this.epochs.toJSON(),
      highWatermark: this.hw,
    }));
  }

  /** Runs a background task; an error in it is an I/O error of the log, except a full disk (a later task writes again). */
  track(task: Promise<void>): void {
    const tracked = task.catch((err) => {
      if (isDiskFull(err)) this.logger.warn('background write failed: disk full', { error: err instanceof Error ? err.message : String(err) });
      else this.goOffline(err);
    });
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  goOffline(err: unknown): void {
    if (!this.failure) {
      const message = err instanceof Error ? err.message : String(err);
      this.failure = new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is offline after an I/O error: ${message}`);
      this.logger.error('I/O error; log is offline', { error: message });
    }
    this.onOffline();
  }

  /** A failure of the object store, as the log reports it (logged here). */
  remoteError(what: string, err: unknown): LogError {
    if (err instanceof LogError) return err;
    const message = err instanceof Error ? err.message : String(err);
    this.logger.warn(`${what} failed`, { error: message });
    return new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `${what} failed: ${message}`);
  }
}

/** Index of the last segment whose base offset is <= `offset` (0 if none). */
export function segmentFor(segments: readonly Segment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid].baseOffset <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
