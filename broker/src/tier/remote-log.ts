// The remote side of one partition's log: its manifest, uploads, remote retention and DeleteRecords, and
// reads. Every manifest change goes through one queue. Order of operations keeps readers safe and leaves no
// orphans that the garbage collector cannot recognise:
//   upload:  objects → manifest entry             (crash between: unreferenced objects, collected)
//   delete:  manifest entry → objects             (crash between: unreferenced objects, collected)
import type { Logger } from '../logger';
import type { ObjectStore } from './object-store';
import { ManifestCorruptError, ManifestStore, manifestEndOffset, type RemoteManifest, type RemoteSegment } from './remote-manifest';
import { manifestKey, segmentObjectKeys } from './remote-keys';
import type { AbortedTxn } from '../log/transaction-index';
import { RemoteReader, type RemoteReadResult, type RemoteTimestampMatch } from './remote-reader';
import { uploadSegmentObjects, type UploadCandidate, type UploadContext } from './segment-uploader';
import { RetryStoppedError, StopSignal, retry } from './backoff';
import { StaleWriterError, emptyCauseCounts, errorCause, type StoreErrorCause } from './store-errors';
import type { RateLimiter } from './rate-limiter';
import type { Semaphore } from './semaphore';

export interface RemoteLogOptions {
  store: ObjectStore;
  /** `<clusterId>/topics/<topicId>/<partition>/` */
  prefix: string;
  topicId: string;
  partition: number;
  leaderEpoch: number;
  limiter: RateLimiter;
  /** A reader over the broker's shared chunk and index caches; its hooks are wired by the caller to this log. */
  makeReader(hooks: { onDownloaded(bytes: number): void; onGetError(err: unknown): void }): RemoteReader;
  inFlight: Set<string>;
  /** Broker-wide bound on concurrent uploads. */
  uploadSlots: Semaphore;
  retryBaseMs: number;
  retryMaxMs: number;
  logger: Logger;
  /** Stops every retry of every RemoteLog of the broker (shutdown), besides this log's own close(). */
  brokerSignal?: StopSignal;
}

export interface RemoteRetentionLimits {
  now: number;
  /** -1 = unlimited */
  retentionMs: number;
  /** -1 = unlimited */
  retentionBytes: number;
  deleteEnabled: boolean;
  /** Bytes of the log that exist only locally (not yet tiered): they count toward retention.bytes. */
  localOnlyBytes: number;
}

export interface RemoteLogStats {
  remoteSegments: number;
  remoteBytes: number;
  logStartOffset: number;
  endOffset: number;
  highestTieredOffset: number;
  segmentsUploaded: number;
  bytesUploaded: number;
  bytesDownloaded: number;
  segmentsDeleted: number;
  uploadErrors: Record<StoreErrorCause, number>;
  getErrors: Record<StoreErrorCause, number>;
  deleteErrors: Record<StoreErrorCause, number>;
}

export class RemoteLog {
  private readonly manifests: ManifestStore;
  private readonly reader: RemoteReader;
  private readonly signal = new StopSignal();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  leaderEpoch: number;
  private readonly counters = {
    segmentsUploaded: 0,
    bytesUploaded: 0,
    bytesDownloaded: 0,
    segmentsDeleted: 0,
    uploadErrors: emptyCauseCounts(),
    getErrors: emptyCauseCounts(),
    deleteErrors: emptyCauseCounts(),
  };
  private stored = false;
  private readonly unsubscribe?: () => void;

  private constructor(private readonly opts: RemoteLogOptions) {
    this.leaderEpoch = opts.leaderEpoch;
    this.manifests = new ManifestStore(opts.store, manifestKey(opts.prefix), opts.topicId, opts.partition);
    this.reader = opts.makeReader({
      onDownloaded: (n) => (this.counters.bytesDownloaded += n),
      onGetError: (err) => this.counters.getErrors[errorCause(err)]++,
    });
    this.unsubscribe = opts.brokerSignal?.onStop(() => this.signal.stop());
  }

  /** Loads the partition's manifest (retrying until the store answers or the broker stops). */
  static async open(opts: RemoteLogOptions): Promise<RemoteLog> {
    const log = new RemoteLog(opts);
    await log.withRetry('load manifest', async () => {
      await log.manifests.load();
    });
    log.stored = log.manifests.exists;
    return log;
  }

  get prefix(): string {
    return this.opts.prefix;
  }

  get manifest(): Readonly<RemoteManifest> {
    return this.manifests.manifest;
  }

  /** A manifest exists in the store (this partition was tiered at some point). */
  get isActive(): boolean {
    return this.stored;
  }

  /** Remote segments that still hold readable offsets, in offset order. */
  get segments(): readonly RemoteSegment[] {
    const m = this.manifests.manifest;
    return m.segments.filter((s) => s.lastOffset >= m.logStartOffset);
  }

  get hasSegments(): boolean {
    return this.segments.length > 0;
  }

  get logStartOffset(): number {
    return this.manifests.manifest.logStartOffset;
  }

  /** Offset after the last tiered offset (the log start when nothing is tiered). */
  get endOffset(): number {
    return manifestEndOffset(this.manifests.manifest);
  }

  /** Last offset in the bucket, or -1 (ListOffsets LATEST_TIERED). */
  get highestTieredOffset(): number {
    const segs = this.manifests.manifest.segments;
    return segs.length > 0 ? segs[segs.length - 1].lastOffset : -1;
  }

  /** Everything below this offset is either in the bucket or below the log start: safe to delete locally. */
  get confirmedUpTo(): number {
    return Math.max(this.highestTieredOffset + 1, this.stored ? this.logStartOffset : 0);
  }

  get sizeBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.sizeBytes, 0);
  }

  /** Bytes of remote segments that end below `offset` (not duplicated by local segments from there on). */
  bytesBelow(offset: number): number {
    return this.segments.filter((s) => s.lastOffset < offset).reduce((sum, s) => sum + s.sizeBytes, 0);
  }

  /**
   * Reads the stored manifest again, after the manifest changes queued before (this broker became the
   * partition's leader: it continues from what the previous leader wrote).
   */
  async reload(): Promise<void> {
    const run = this.queue.then(() => this.withRetry('reload manifest', () => this.manifests.load()));
    this.queue = run.catch(() => undefined);
    await run;
    this.stored = this.manifests.exists;
  }

  // ---- Uploads.

  /**
   * Uploads a closed segment and records it in the manifest. Retries until done; returns null if the log
   * was closed meanwhile. Throws StaleWriterError if another leader has taken over the manifest, and
   * SegmentGoneError if the local files disappeared.
   */
  async upload(c: UploadCandidate): Promise<RemoteSegment | null> {
    const ctx: UploadContext = {
      store: this.opts.store,
      limiter: this.opts.limiter,
      signal: this.signal,
      retryBaseMs: this.opts.retryBaseMs,
      retryMaxMs: this.opts.retryMaxMs,
      inFlight: this.opts.inFlight,
      slots: this.opts.uploadSlots,
      onError: (err, key) => {
        this.counters.uploadErrors[errorCause(err)]++;
        this.opts.logger.warn('upload failed; retrying', { key, cause: errorCause(err), error: err });
      },
      onUploaded: (n) => (this.counters.bytesUploaded += n),
    };
    let entry: RemoteSegment;
    try {
      entry = await uploadSegmentObjects(ctx, this.opts.prefix, this.leaderEpoch, c);
    } catch (err) {
      if (err instanceof RetryStoppedError) return null;
      throw err;
    }
    try {
      await this.mutate('add segment', (m) => {
        if (m.segments.some((s) => s.id === entry.id)) return null; // an ambiguous write that did land
        if (m.segments.length > 0 && m.segments[m.segments.length - 1].lastOffset >= entry.lastOffset) return null; // someone else tiered it
        if (entry.lastOffset < m.logStartOffset) return null; // deleted (DeleteRecords, retention) while uploading
        // The first readable segment fixes the start: never below the log start, nor below what the segment holds.
        if (!m.segments.some((s) => s.lastOffset >= m.logStartOffset)) m.logStartOffset = Math.max(m.logStartOffset, c.logStartOffset, entry.baseOffset);
        m.segments.push(entry);
        return m;
      });
    } catch (err) {
      if (err instanceof RetryStoppedError) return null;
      throw err;
    } finally {
      this.opts.inFlight.delete(entry.key);
    }
    this.counters.segmentsUploaded++;
    this.opts.logger.debug('tiered segment', { baseOffset: entry.baseOffset, lastOffset: entry.lastOffset, bytes: entry.sizeBytes, key: entry.key });
    return entry;
  }

  // ---- Deletion.

  /**
   * DeleteRecords: moves the remote log start to `offset` and deletes the segments wholly below it. Gives up
   * (throws) after a few failed attempts: the caller reports the error rather than wait out an outage.
   */
  async deleteRecordsBefore(offset: number, maxAttempts = 6): Promise<void> {
    const dropped: RemoteSegment[] = [];
    await this.mutate('delete records', (m) => {
      if (offset <= m.logStartOffset) return null;
      m.logStartOffset = offset;
      dropped.length = 0;
      dropped.push(...m.segments.filter((s) => s.lastOffset < offset));
      m.segments = m.segments.filter((s) => s.lastOffset >= offset);
      return m;
    }, maxAttempts);
    await this.deleteObjects(dropped);
  }

  /** Deletes remote segments past retention.ms / retention.bytes (always a prefix). Returns how many. */
  async enforceRetention(l: RemoteRetentionLimits): Promise<number> {
    const segs = this.segments;
    if (segs.length === 0) return 0;
    let excess = l.deleteEnabled && l.retentionBytes >= 0 ? segs.reduce((sum, s) => sum + s.sizeBytes, 0) + l.localOnlyBytes - l.retentionBytes : 0;
    let count = 0;
    for (const s of segs) {
      const newest = s.maxTimestamp >= 0 ? s.maxTimestamp : s.uploadedMs;
      const expired = l.deleteEnabled && l.retentionMs >= 0 && l.now - newest > l.retentionMs;
      const oversize = excess > 0 && excess - s.sizeBytes >= 0;
      if (!expired && !oversize) break;
      excess -= s.sizeBytes;
      count++;
    }
    if (count === 0) return 0;
    const newStart = segs[count - 1].lastOffset + 1;
    await this.deleteRecordsBefore(newStart);
    this.opts.logger.info('remote retention deleted segments', { segments: count, logStartOffset: newStart });
    return count;
  }

  /** Topic deletion: removes the manifest, then every object under the partition prefix. */
  async deleteAll(): Promise<void> {
    this.signal.stop();
    const store = this.opts.store;
    await retry(() => this.manifests.remove(), { baseMs: this.opts.retryBaseMs, maxMs: this.opts.retryMaxMs, maxAttempts: 5 });
    const keys = await store.list(this.opts.prefix);
    if (keys.length > 0) await retry(() => store.delete(keys), { baseMs: this.opts.retryBaseMs, maxMs: this.opts.retryMaxMs, maxAttempts: 5 });
    this.stored = false;
  }

  private async deleteObjects(segments: RemoteSegment[]): Promise<void> {
    if (segments.length === 0) return;
    const keys = segments.flatMap(segmentObjectKeys);
    try {
      await retry(
        async () => {
          try {
            await this.opts.store.delete(keys);
          } catch (err) {
            this.counters.deleteErrors[errorCause(err)]++;
            throw err;
          }
        },
        { baseMs: this.opts.retryBaseMs, maxMs: this.opts.retryMaxMs, maxAttempts: 5, signal: this.signal },
      );
      this.counters.segmentsDeleted += segments.length;
    } catch (err) {
      // Unreferenced already: the garbage collector will remove them.
      this.opts.logger.warn('could not delete remote segment objects; leaving them to the garbage collector', { keys: keys.length, error: err });
    }
    await Promise.all(segments.map((s) => this.reader.forget(s)));
  }

  // ---- Reads.

  /**
   * Batches from the remote segment holding `offset` (or the first after it), or null when no remote segment
   * holds anything at or after `offset`. Throws ObjectNotFoundError if the segment was deleted meanwhile.
   */
  async read(offset: number, maxBytes: number, minOneBatch: boolean, maxOffset: number): Promise<RemoteReadResult | null> {
    const from = Math.max(offset, this.logStartOffset);
    for (const seg of this.segments) {
      if (seg.lastOffset < from) continue;
      if (seg.baseOffset >= maxOffset) return null;
      const r = await this.reader.read(seg, Math.max(from, seg.baseOffset), maxBytes, minOneBatch, maxOffset);
      if (r) return r;
    }
    return null;
  }

  /**
   * Adds the aborted transactions overlapping [fetchOffset, upperBoundOffset) found in the .txnindex objects of
   * the remote segments from the one holding `fetchOffset` up to those starting at `belowOffset` (where the local
   * segments take over); true when the search is complete (see collectFrom).
   */
  async collectAbortedTxns(fetchOffset: number, upperBoundOffset: number, belowOffset: number, out: AbortedTxn[]): Promise<boolean> {
    for (const seg of this.segments) {
      if (seg.baseOffset >= belowOffset) break;
      if (seg.lastOffset < fetchOffset || !seg.txnIndexBytes) continue;
      if (await this.reader.collectAbortedTxns(seg, fetchOffset, upperBoundOffset, out)) return true;
    }
    return false;
  }

  async findTimestamp(timestamp: number, minOffset: number, belowOffset: number, maxDecompressedBytes?: number): Promise<RemoteTimestampMatch | null> {
    const from = Math.max(minOffset, this.logStartOffset);
    for (const seg of this.segments) {
      if (seg.lastOffset < from || seg.maxTimestamp < timestamp) continue;
      if (seg.baseOffset >= belowOffset) return null;
      const match = await this.reader.findTimestamp(seg, timestamp, Math.max(from, seg.baseOffset), maxDecompressedBytes);
      if (match && match.offset < belowOffset) return match;
      if (match) return null;
    }
    return null;
  }

  /** The remote segment with the newest timestamp among those below `belowOffset` (first one on ties). */
  maxTimestampSegment(belowOffset: number): RemoteSegment | null {
    let best: RemoteSegment | null = null;
    for (const s of this.segments) {
      if (s.baseOffset >= belowOffset) break;
      if (s.maxTimestamp >= 0 && (!best || s.maxTimestamp > best.maxTimestamp)) best = s;
    }
    return best;
  }

  maxTimestampRecord(seg: RemoteSegment, maxDecompressedBytes?: number): Promise<RemoteTimestampMatch | null> {
    return this.reader.maxTimestampRecord(seg, maxDecompressedBytes);
  }

  stats(): RemoteLogStats {
    const c = this.counters;
    return {
      remoteSegments: this.segments.length,
      remoteBytes: this.sizeBytes,
      logStartOffset: this.logStartOffset,
      endOffset: this.endOffset,
      highestTieredOffset: this.highestTieredOffset,
      segmentsUploaded: c.segmentsUploaded,
      bytesUploaded: c.bytesUploaded,
      bytesDownloaded: c.bytesDownloaded,
      segmentsDeleted: c.segmentsDeleted,
      uploadErrors: { ...c.uploadErrors },
      getErrors: { ...c.getErrors },
      deleteErrors: { ...c.deleteErrors },
    };
  }

  /** Stops retries; operations in flight end with RetryStoppedError or null. */
  close(): Promise<void> {
    this.closed = true;
    this.signal.stop();
    this.unsubscribe?.();
    return this.queue.then(
      () => undefined,
      () => undefined,
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- Manifest changes, one at a time, retried.

  private mutate(what: string, change: (m: RemoteManifest) => RemoteManifest | null, maxAttempts = Infinity): Promise<RemoteManifest> {
    const run = this.queue.then(() =>
      this.withRetry(
        what,
        async () => {
          const m = await this.manifests.update(this.leaderEpoch, change);
          this.stored = true;
          return m;
        },
        maxAttempts,
      ),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  private withRetry<T>(what: string, op: () => Promise<T>, maxAttempts = Infinity): Promise<T> {
    return retry(op, {
      maxAttempts,
      baseMs: this.opts.retryBaseMs,
      maxMs: this.opts.retryMaxMs,
      signal: this.signal,
      retryable: (err) => !(err instanceof StaleWriterError) && !(err instanceof ManifestCorruptError),
      onError: (err) => {
        this.counters.uploadErrors[errorCause(err)]++;
        this.opts.logger.warn(`${what} failed; retrying`, { cause: errorCause(err), error: err });
      },
    });
  }
}
