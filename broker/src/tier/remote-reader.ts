// Reads remote segments the way the local log reads its segments: locate the batch holding an offset with
// the segment's .index, then return whole batches (the bytes that were uploaded, untouched) through the
// chunk cache, one ranged GET per missing chunk, prefetching the chunk after the last one a read touched.
import { INDEX_OBJECT_SUFFIX, LOG_OBJECT_SUFFIX, TIME_INDEX_OBJECT_SUFFIX, TXN_INDEX_OBJECT_SUFFIX } from './remote-keys';
import { TXN_INDEX_ENTRY_SIZE, collectFrom, type AbortedTxn } from '../log/transaction-index';
import { ObjectNotFoundError, type ObjectStore } from './object-store';
import type { ChunkCache } from './chunk-cache';
import { IndexCache, lookupPosition, lookupTimestamp, type RemoteIndexes } from './remote-index';
import type { RemoteSegment } from './remote-manifest';
import { retry } from './backoff';
import type { Semaphore } from './semaphore';
import {
  LOG_OVERHEAD,
  RECORD_BATCH_HEADER_SIZE,
  RecordBatchError,
  decodeRecords,
  readBatchHeader,
  wholeBatches,
  type BatchHeader,
} from '../protocol/records';
import { ErrorCode } from '../protocol/errors';
import '../protocol/compression'; // codecs: timestamp lookups decode compressed batches

export interface RemoteReadResult {
  records: Buffer;
  /** Offset after the last returned batch (the requested offset when nothing was returned). */
  nextOffset: number;
}

export interface RemoteTimestampMatch {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export interface RemoteReaderHooks {
  /** Bytes fetched from the store (cache misses). */
  onDownloaded(bytes: number): void;
  /** A GET that failed (before any retry). */
  onGetError(err: unknown): void;
}

export interface RemoteReaderOptions {
  getAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  prefetch: boolean;
  /** Broker-wide bound on GETs in flight (remoteFetchMaxConcurrency), shared by every reader. */
  fetchSlots: Semaphore;
}

/** A remote object is corrupt or does not match its manifest entry. */
export class RemoteDataError extends Error {
  override readonly name = 'RemoteDataError';
}

export class RemoteReader {
  constructor(
    private readonly store: ObjectStore,
    private readonly cache: ChunkCache,
    private readonly indexes: IndexCache,
    private readonly opts: RemoteReaderOptions,
    private readonly hooks: RemoteReaderHooks,
  ) {}

  /**
   * Whole batches from the one containing `offset`, within `maxBytes` (or the first batch whatever its size when
   * `minOneBatch`), ending before `maxOffset`. Null when the segment holds nothing at or after `offset`.
   */
  async read(seg: RemoteSegment, offset: number, maxBytes: number, minOneBatch: boolean, maxOffset: number): Promise<RemoteReadResult | null> {
    const target = await this.locate(seg, offset);
    if (!target) return null;
    let length = Math.min(maxBytes, seg.sizeBytes - target.position);
    if (length < target.size) {
      if (!minOneBatch) return { records: Buffer.alloc(0), nextOffset: offset };
      length = target.size;
    }
    return wholeBatches(await this.bytes(seg, target.position, length, true), offset, maxOffset);
  }

  /** First record at or after `minOffset` with timestamp >= `timestamp`, or null if the segment has none. */
  async findTimestamp(seg: RemoteSegment, timestamp: number, minOffset: number, maxDecompressedBytes?: number): Promise<RemoteTimestampMatch | null> {
    const idx = await this.indexesOf(seg);
    const fromOffset = Math.max(lookupTimestamp(idx.timeIndex, seg.baseOffset, timestamp), minOffset, seg.baseOffset);
    for (let pos = lookupPosition(idx.offsetIndex, seg.baseOffset, fromOffset); pos < seg.sizeBytes; ) {
      const { header: h, size } = await this.headerAt(seg, pos);
      if (h.maxTimestamp >= timestamp && h.baseOffset + h.lastOffsetDelta >= minOffset) {
        const batch = await this.bytes(seg, pos, size, false);
        try {
          const match = (await decodeRecords(batch, maxDecompressedBytes)).find((r) => r.timestamp >= timestamp && r.offset >= minOffset);
          if (match) return { offset: match.offset, timestamp: match.timestamp, leaderEpoch: h.partitionLeaderEpoch };
        } catch (err) {
          if (!(err instanceof RecordBatchError && err.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)) throw err;
          return { offset: Math.max(h.baseOffset, minOffset), timestamp: h.maxTimestamp, leaderEpoch: h.partitionLeaderEpoch };
        }
      }
      pos += size;
    }
    return null;
  }

  /** The record carrying the segment's max timestamp (the first such record of the first such batch). */
  async maxTimestampRecord(seg: RemoteSegment, maxDecompressedBytes?: number): Promise<RemoteTimestampMatch | null> {
    const timestamp = seg.maxTimestamp;
    if (timestamp < 0) return null;
    const idx = await this.indexesOf(seg);
    for (let pos = lookupPosition(idx.offsetIndex, seg.baseOffset, seg.offsetOfMaxTimestamp); pos < seg.sizeBytes; ) {
      const { header: h, size } = await this.headerAt(seg, pos);
      if (h.maxTimestamp === timestamp) {
        const fallback = { offset: h.baseOffset + h.lastOffsetDelta, timestamp, leaderEpoch: h.partitionLeaderEpoch };
        try {
          const record = (await decodeRecords(await this.bytes(seg, pos, size, false), maxDecompressedBytes)).find((r) => r.timestamp === timestamp);
          return record ? { ...fallback, offset: record.offset } : fallback;
        } catch (err) {
          if (err instanceof RecordBatchError && err.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) return fallback;
          throw err;
        }
      }
      pos += size;
    }
    return null;
  }

  /**
   * The segment's aborted transactions overlapping [fetchOffset, upperBoundOffset), read from its .txnindex
   * object a cache chunk at a time (whole entries only); true when the search is complete.
   */
  async collectAbortedTxns(seg: RemoteSegment, fetchOffset: number, upperBoundOffset: number, out: AbortedTxn[]): Promise<boolean> {
    const size = seg.txnIndexBytes ?? 0;
    const step = Math.max(TXN_INDEX_ENTRY_SIZE, Math.floor(this.cache.chunkBytes / TXN_INDEX_ENTRY_SIZE) * TXN_INDEX_ENTRY_SIZE);
    for (let pos = 0; pos + TXN_INDEX_ENTRY_SIZE <= size; pos += step) {
      const data = await this.range(seg.key + TXN_INDEX_OBJECT_SUFFIX, size, pos, Math.min(step, size - pos), false);
      if (collectFrom(data, fetchOffset, upperBoundOffset, out)) return true;
    }
    return false;
  }

  /** Forgets cached data of a deleted segment. */
  async forget(seg: RemoteSegment): Promise<void> {
    this.indexes.invalidate(seg.key);
    await this.cache.invalidate(seg.key + '.');
  }

  private async locate(seg: RemoteSegment, offset: number): Promise<{ position: number; size: number } | null> {
    const idx = await this.indexesOf(seg);
    for (let pos = lookupPosition(idx.offsetIndex, seg.baseOffset, offset); pos < seg.sizeBytes; ) {
      const { header: h, size } = await this.headerAt(seg, pos);
      if (h.baseOffset + h.lastOffsetDelta >= offset) return { position: pos, size };
      pos += size;
    }
    return null;
  }

  private async headerAt(seg: RemoteSegment, pos: number): Promise<{ header: BatchHeader; size: number }> {
    if (pos + RECORD_BATCH_HEADER_SIZE > seg.sizeBytes) throw new RemoteDataError(`segment ${seg.key}: truncated batch header at ${pos}`);
    const header = readBatchHeader(await this.bytes(seg, pos, RECORD_BATCH_HEADER_SIZE, false), 0);
    const size = header.batchLength + LOG_OVERHEAD;
    if (header.magic !== 2 || size < RECORD_BATCH_HEADER_SIZE || pos + size > seg.sizeBytes) {
      throw new RemoteDataError(`segment ${seg.key}: invalid batch at ${pos}`);
    }
    return { header, size };
  }

  private indexesOf(seg: RemoteSegment): Promise<RemoteIndexes> {
    return this.indexes.get(seg.key, async () => {
      const [offsetIndex, timeIndex] = await Promise.all([this.getObject(seg.key + INDEX_OBJECT_SUFFIX), this.getObject(seg.key + TIME_INDEX_OBJECT_SUFFIX)]);
      return { offsetIndex, timeIndex };
    });
  }

  /** `length` bytes of the .log object from `start` (fewer at its end), assembled from cached chunks. */
  private bytes(seg: RemoteSegment, start: number, length: number, prefetchNext: boolean): Promise<Buffer> {
    return this.range(seg.key + LOG_OBJECT_SUFFIX, seg.sizeBytes, start, length, prefetchNext);
  }

  /** `length` bytes of the object `key` of `size` bytes from `start` (fewer at its end), assembled from cached chunks. */
  private async range(key: string, size: number, start: number, length: number, prefetchNext: boolean): Promise<Buffer> {
    const end = Math.min(start + length, size); // exclusive
    if (end <= start) return Buffer.alloc(0);
    const chunkBytes = this.cache.chunkBytes;
    const first = Math.floor(start / chunkBytes);
    const last = Math.floor((end - 1) / chunkBytes);
    const load = (s: number, e: number) => this.getObject(key, s, Math.min(e, size - 1));
    const chunks = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.cache.get(key, first + i, load)));
    if (prefetchNext && this.opts.prefetch && (last + 1) * chunkBytes < size) this.cache.prefetch(key, last + 1, load);
    const whole = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    const from = start - first * chunkBytes;
    const out = whole.subarray(from, from + (end - start));
    if (out.length !== end - start) throw new RemoteDataError(`object ${key} is shorter than its manifest size ${size}`);
    return out;
  }

  private getObject(key: string, start?: number, end?: number): Promise<Buffer> {
    return retry(
      // A slot per attempt, not across the backoff between attempts.
      () =>
        this.opts.fetchSlots.run(async () => {
          try {
            const buf = start === undefined ? await this.store.get(key) : await this.store.get(key, { start, end: end! });
            this.hooks.onDownloaded(buf.length);
            return buf;
          } catch (err) {
            this.hooks.onGetError(err);
            throw err;
          }
        }),
      {
        maxAttempts: this.opts.getAttempts,
        baseMs: this.opts.retryBaseMs,
        maxMs: this.opts.retryMaxMs,
        retryable: (err) => !(err instanceof ObjectNotFoundError),
      },
    );
  }
}
