// Copies one closed local segment (.log, .index, .timeindex) to the object store under a fresh uuid key.
// The files of a rolled segment are immutable, so they are read once (async I/O) and put as they are; each
// put is rate-limited and retried with backoff until it succeeds or the uploader is stopped. The objects are
// invisible until the caller adds the returned entry to the manifest; an upload cut short leaves objects
// nobody references, which the garbage collector removes once they are older than its grace period.
import { promises as fsp } from 'node:fs';
import type { ObjectStore } from './object-store';
import type { RateLimiter } from './rate-limiter';
import { retry, type StopSignal } from './backoff';
import { INDEX_OBJECT_SUFFIX, LOG_OBJECT_SUFFIX, TIME_INDEX_OBJECT_SUFFIX, segmentObjectPrefix, uuidv7 } from './remote-keys';
import type { RemoteSegment } from './remote-manifest';
import type { Semaphore } from './semaphore';

/** A closed local segment ready to be tiered, as the log describes it. */
export interface UploadCandidate {
  baseOffset: number;
  /** Last offset the segment covers (the next segment's base offset - 1). */
  lastOffset: number;
  /** Bytes of the .log file that belong to the segment. */
  sizeBytes: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  leaderEpochs: Array<[number, number]>;
  logFile: string;
  indexFile: string;
  timeIndexFile: string;
  /** The partition's log start offset when the candidate was taken: a new manifest never exposes offsets below it. */
  logStartOffset: number;
}


export interface UploadContext {
  store: ObjectStore;
  limiter: RateLimiter;
  signal: StopSignal;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Counts failures (before their retry). */
  onError(err: unknown, what: string): void;
  onUploaded(bytes: number): void;
  /** Marks keys as being written so the garbage collector leaves them alone. */
  inFlight: Set<string>;
  /** Broker-wide bound on uploads running at once (each holds its segment in memory). */
  slots: Semaphore;
}

/** The local files of a segment were removed (retention) while it was being uploaded. */
export class SegmentGoneError extends Error {
  override readonly name = 'SegmentGoneError';
}

/**
 * Uploads the segment's objects and returns its manifest entry (not yet in the manifest). The caller removes
 * `entry.key` from ctx.inFlight once the manifest is written (or given up).
 */
export async function uploadSegmentObjects(ctx: UploadContext, partitionPrefix: string, leaderEpoch: number, c: UploadCandidate): Promise<RemoteSegment> {
  const id = uuidv7();
  const key = segmentObjectPrefix(partitionPrefix, c.baseOffset, leaderEpoch, id);
  ctx.inFlight.add(key);
  const release = await ctx.slots.acquire();
  try {
    const [log, index, timeIndex] = await Promise.all([readFile(c.logFile, true), readFile(c.indexFile, false), readFile(c.timeIndexFile, false)]);
    if (log.length < c.sizeBytes) throw new SegmentGoneError(`${c.logFile} has ${log.length} bytes, expected ${c.sizeBytes}`);
    const body = log.length === c.sizeBytes ? log : log.subarray(0, c.sizeBytes);
    // Indexes first: the .log is the big one, and nothing is visible before the manifest anyway.
    await put(ctx, key + INDEX_OBJECT_SUFFIX, index);
    await put(ctx, key + TIME_INDEX_OBJECT_SUFFIX, timeIndex);
    await put(ctx, key + LOG_OBJECT_SUFFIX, body);
    return {
      id,
      baseOffset: c.baseOffset,
      lastOffset: c.lastOffset,
      maxTimestamp: c.maxTimestamp,
      offsetOfMaxTimestamp: c.offsetOfMaxTimestamp,
      sizeBytes: c.sizeBytes,
      leaderEpochs: c.leaderEpochs,
      key,
      uploadedMs: Date.now(),
    };
  } catch (err) {
    ctx.inFlight.delete(key);
    throw err;
  } finally {
    release();
  }
}

async function put(ctx: UploadContext, key: string, body: Buffer): Promise<void> {
  await retry(
    async () => {
      await ctx.limiter.take(body.length, ctx.signal);
      try {
        await ctx.store.put(key, body);
      } catch (err) {
        ctx.onError(err, key);
        throw err;
      }
      ctx.onUploaded(body.length);
    },
    { baseMs: ctx.retryBaseMs, maxMs: ctx.retryMaxMs, signal: ctx.signal },
  );
}

async function readFile(file: string, required: boolean): Promise<Buffer> {
  try {
    return await fsp.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (required) throw new SegmentGoneError(`${file} is gone`);
    return Buffer.alloc(0); // a missing index only costs a longer scan from the segment start
  }
}
