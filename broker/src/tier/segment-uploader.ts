// Copies one closed local segment (.log, .index, .timeindex, and its .txnindex if it has aborts) to the object
// store under a fresh uuid key.
// The files of a rolled segment are immutable, so each is opened once and streamed to the store (putFile
// reads it in bounded pieces: a 1 GiB segment never sits in memory); the open handles keep the data readable
// even if retention removes the files meanwhile. Each put is rate-limited and retried with backoff until it
// succeeds or the uploader is stopped. The objects are
// invisible until the caller adds the returned entry to the manifest; an upload cut short leaves objects
// nobody references, which the garbage collector removes once they are older than its grace period.
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { ObjectStore } from './object-store';
import type { RateLimiter } from './rate-limiter';
import { retry, type StopSignal } from './backoff';
import { INDEX_OBJECT_SUFFIX, LOG_OBJECT_SUFFIX, TIME_INDEX_OBJECT_SUFFIX, TXN_INDEX_OBJECT_SUFFIX, segmentObjectPrefix, uuidv7 } from './remote-keys';
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
  /** The segment's .txnindex and its size, when transactions were aborted in it (null: no object). */
  txnIndex: { file: string; sizeBytes: number } | null;
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
  /** Broker-wide bound on uploads running at once (each holds up to one multipart part in memory). */
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
  const files: FileHandle[] = [];
  try {
    const open = async (file: string, required: boolean) => {
      const fh = await openFile(file, required);
      if (fh) files.push(fh);
      return fh;
    };
    const [log, index, timeIndex] = await Promise.all([open(c.logFile, true), open(c.indexFile, false), open(c.timeIndexFile, false)]);
    const logSize = (await log!.stat()).size;
    if (logSize < c.sizeBytes) throw new SegmentGoneError(`${c.logFile} has ${logSize} bytes, expected ${c.sizeBytes}`);
    // Indexes first: the .log is the big one, and nothing is visible before the manifest anyway.
    await putFile(ctx, key + INDEX_OBJECT_SUFFIX, index);
    await putFile(ctx, key + TIME_INDEX_OBJECT_SUFFIX, timeIndex);
    if (c.txnIndex) await putFile(ctx, key + TXN_INDEX_OBJECT_SUFFIX, await open(c.txnIndex.file, true), c.txnIndex.sizeBytes);
    await putFile(ctx, key + LOG_OBJECT_SUFFIX, log, c.sizeBytes);
    return {
      id,
      baseOffset: c.baseOffset,
      lastOffset: c.lastOffset,
      maxTimestamp: c.maxTimestamp,
      offsetOfMaxTimestamp: c.offsetOfMaxTimestamp,
      sizeBytes: c.sizeBytes,
      leaderEpochs: c.leaderEpochs,
      key,
      ...(c.txnIndex ? { txnIndexBytes: c.txnIndex.sizeBytes } : {}),
      uploadedMs: Date.now(),
    };
  } catch (err) {
    ctx.inFlight.delete(key);
    throw err;
  } finally {
    release();
    await Promise.all(files.map((fh) => fh.close().catch(() => undefined)));
  }
}

/** Uploads `length` bytes of the file (default all of it); a missing optional file becomes an empty object. */
async function putFile(ctx: UploadContext, key: string, file: FileHandle | null, length?: number): Promise<void> {
  const size = file === null ? 0 : length ?? (await file.stat()).size;
  await retry(
    async () => {
      await ctx.limiter.take(size, ctx.signal);
      try {
        if (file === null) await ctx.store.put(key, Buffer.alloc(0));
        else await ctx.store.putFile(key, file, size);
      } catch (err) {
        ctx.onError(err, key);
        throw err;
      }
      ctx.onUploaded(size);
    },
    { baseMs: ctx.retryBaseMs, maxMs: ctx.retryMaxMs, signal: ctx.signal },
  );
}

/** Opens a segment file for reading; null for a missing optional one (a missing index only costs a longer scan). */
async function openFile(file: string, required: boolean): Promise<FileHandle | null> {
  try {
    return await fsp.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (required) throw new SegmentGoneError(`${file} is gone`);
    return null;
  }
}
