// One log segment: the .log file with its offset and time indexes, and the in-memory state that goes with them.
// State has two sides. The assignment side moves synchronously as append hands out offsets and file positions
// (so index entries and roll decisions are exact); the committed side moves when the bytes are in the file,
// and is all that readers, retention and ListOffsets see.
import { promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, segmentFile } from './file-names';
import { TransactionIndex } from './transaction-index';
import { LazyFile } from './fs-util';
import { OffsetIndex } from './offset-index';
import { TimeIndex } from './time-index';
import { ScannedBatch, readAt, scanBatchHeaders } from './batch-scanner';
import { BATCH_OFFSETS_PREFIX, RecordBatchError, decodeRecords, readBatchOffsets, wholeBatches } from '../protocol/records';
import { ErrorCode } from '../protocol/errors';
import '../protocol/compression'; // codecs: timestamp lookups decode compressed batches

/** Read size when walking batch headers from an index entry to the wanted batch. */
const LOCATE_CHUNK_BYTES = 8 * 1024;

export interface SegmentRead {
  records: Buffer;
  /** Offset after the last returned batch (the requested offset when nothing was returned). */
  nextOffset: number;
}

export interface TimestampMatch {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

/** What a segment's data says about itself, as found by recovery. */
export interface SegmentSummary {
  size: number;
  nextOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  firstBatchTimestamp: number;
}

export class Segment {
  readonly file: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Transactions aborted by markers in this segment (the .txnindex, created on the first abort). */
  readonly txnIndex: TransactionIndex;

  // Assignment side.
  /** Bytes handed out to appends (written or in flight): the position of the next batch. */
  assignedSize = 0;
  /** Offset after the last assigned batch. */
  nextOffset: number;
  private maxTimestampSoFar = -1;
  private offsetOfMaxTimestampSoFar: number;
  private bytesSinceIndexEntry = 0;
  /** maxTimestamp of the first batch: segment.ms counts from it. */
  firstBatchTimestamp = -1;

  // Committed side.
  /** Bytes in the file. */
  size = 0;
  largestTimestamp = -1;
  offsetOfLargestTimestamp: number;
  lastModifiedMs: number;

  private readonly logFile: LazyFile;
  /** Its directory entry is not yet known to be durable (a segment created by a roll). */
  newFile: boolean;
  private closing?: Promise<void>;
  private deleted = false;
  private replaced = false;

  constructor(
    dir: string,
    readonly baseOffset: number,
    maxIndexBytes: number,
    /** Creation time: segment.ms counts from it while the segment has no timestamps. */
    readonly createdMs: number,
    opts: { newFile: boolean },
  ) {
    this.newFile = opts.newFile;
    this.file = segmentFile(dir, baseOffset, LOG_SUFFIX);
    this.logFile = new LazyFile(this.file, 'segment');
    this.offsetIndex = new OffsetIndex(segmentFile(dir, baseOffset, INDEX_SUFFIX), baseOffset, maxIndexBytes);
    this.timeIndex = new TimeIndex(segmentFile(dir, baseOffset, TIME_INDEX_SUFFIX), baseOffset, maxIndexBytes);
    this.txnIndex = new TransactionIndex(segmentFile(dir, baseOffset, TXN_INDEX_SUFFIX));
    this.nextOffset = this.offsetOfMaxTimestampSoFar = this.offsetOfLargestTimestamp = baseOffset;
    this.lastModifiedMs = createdMs;
  }

  get isDeleted(): boolean {
    return this.deleted;
  }

  /** Compaction swapped a cleaned segment in for this one: its offsets live on in the current segments. */
  get isReplaced(): boolean {
    return this.replaced;
  }

  /** Records a batch at the end of the segment and returns its position. Synchronous: offsets and positions are decided here. */
  assign(baseOffset: number, lastOffset: number, maxTimestamp: number, size: number, indexIntervalBytes: number): number {
    const position = this.assignedSize;
    if (position === 0) this.firstBatchTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = lastOffset;
    }
    if (this.bytesSinceIndexEntry > indexIntervalBytes) {
      this.offsetIndex.append(baseOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      this.bytesSinceIndexEntry = 0;
    }
    this.assignedSize += size;
    this.bytesSinceIndexEntry += size;
    this.nextOffset = lastOffset + 1;
    return position;
  }

  /** Bytes up to `size` are now in the file; `maxTimestamp` is the newest among them. */
  commit(size: number, maxTimestamp: number, offsetOfMaxTimestamp: number, now: number): void {
    this.size = size;
    if (maxTimestamp > this.largestTimestamp) {
      this.largestTimestamp = maxTimestamp;
      this.offsetOfLargestTimestamp = offsetOfMaxTimestamp;
    }
    this.lastModifiedMs = now;
  }

  /** After a rebuild by assign(): everything assigned is in the file. */
  commitAssigned(): void {
    this.commit(this.assignedSize, this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar, this.lastModifiedMs);
  }

  /** No more appends: index the final max timestamp so it survives restarts (as Kafka does on roll). */
  seal(): void {
    this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
  }

  /**
   * Forgets the assignments past the committed data (appends refused after a failed write): the assignment
   * side goes back to the committed side, and index entries of the refused batches go. `endOffset` is the
   * offset after the last committed batch.
   */
  rollBackAssigned(endOffset: number): void {
    this.offsetIndex.truncateToPosition(this.size);
    this.timeIndex.truncateToOffset(endOffset);
    this.assignedSize = this.size;
    this.nextOffset = Math.max(this.baseOffset, endOffset);
    this.maxTimestampSoFar = this.largestTimestamp;
    this.offsetOfMaxTimestampSoFar = this.offsetOfLargestTimestamp;
    if (this.size === 0) this.firstBatchTimestamp = -1;
    this.bytesSinceIndexEntry = this.size - this.offsetIndex.last().position;
  }

  /** Forgets everything derived from the data, before a rebuild by assign(). */
  reset(): void {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.restore({ size: 0, nextOffset: this.baseOffset, maxTimestamp: -1, offsetOfMaxTimestamp: this.baseOffset, firstBatchTimestamp: -1 });
  }

  /** Sets both sides from what recovery found (indexes already loaded or rebuilt). */
  restore(s: SegmentSummary): void {
    this.assignedSize = this.size = s.size;
    this.nextOffset = s.nextOffset;
    this.maxTimestampSoFar = this.largestTimestamp = s.maxTimestamp;
    this.offsetOfMaxTimestampSoFar = this.offsetOfLargestTimestamp = s.offsetOfMaxTimestamp;
    this.firstBatchTimestamp = s.firstBatchTimestamp;
    this.bytesSinceIndexEntry = s.size - this.offsetIndex.last().position;
  }

  // ---- File operations.

  /** The .log file, created on first use (a rolled segment gets its file when its first batch is written). */
  fileHandle(): Promise<FileHandle> {
    return this.logFile.open();
  }

  /** Writes `buffers` at `position`. A short write (the disk filling up) is continued, so it ends in the error that explains it. */
  async write(buffers: Buffer[], position: number, bytes: number): Promise<void> {
    const fh = await this.fileHandle();
    let written = (await fh.writev(buffers, position)).bytesWritten;
    while (written < bytes) {
      const rest = Buffer.concat(buffers).subarray(written);
      const n = (await fh.write(rest, 0, rest.length, position + written)).bytesWritten;
      if (n === 0) throw new Error(`short write to ${this.file}: ${written} of ${bytes} bytes`);
      written += n;
    }
  }

  async sync(): Promise<void> {
    const opened = this.logFile.opened;
    if (opened) await (await opened).sync();
    await this.txnIndex.sync();
  }

  async truncate(size: number): Promise<void> {
    await (await this.fileHandle()).truncate(size);
  }

  async persistIndexes(): Promise<void> {
    await this.offsetIndex.persist();
    await this.timeIndex.persist();
  }

  /** Loads both index files; false if either is missing or does not fit a log of `fileSize` bytes below `nextOffsetBound`. */
  async loadIndexes(fileSize: number, nextOffsetBound: number): Promise<boolean> {
    const loaded = (await this.offsetIndex.load()) && (await this.timeIndex.load());
    return loaded && this.offsetIndex.isConsistent(fileSize) && this.timeIndex.isConsistent(nextOffsetBound);
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([this.logFile.close(), this.txnIndex.close()]).then(() => undefined);
    return this.closing;
  }

  /**
   * Retires a segment that compaction replaced (its files already gone): reads in flight and reads that still
   * hold it finish on the open handle, which closes after `delayMs` (file.delete.delay.ms) or on close().
   */
  retire(delayMs: number): Promise<void> {
    this.replaced = this.deleted = true;
    return new Promise<void>((resolve) => setTimeout(resolve, delayMs).unref())
      .then(() => this.close())
      .catch(() => undefined); // nothing to do about a failed close of removed files
  }

  async delete(): Promise<void> {
    this.deleted = true;
    await this.close();
    await Promise.all([fsp.rm(this.file, { force: true }), this.offsetIndex.delete(), this.timeIndex.delete(), this.txnIndex.delete()]);
  }

  // ---- Reads (committed data only).

  /**
   * Whole batches from the one containing `offset`, within `maxBytes` (or the first batch whatever its size when
   * `minOneBatch`), ending before `maxOffset`. Null when the segment's data ends before `offset`.
   */
  async read(offset: number, maxBytes: number, minOneBatch: boolean, maxOffset: number): Promise<SegmentRead | null> {
    const end = this.size;
    // Fast path, one read: data from the nearest index entry, skipping the batches before `offset` in memory.
    // A consumer continuing where it stopped lands on (or just after) an indexed batch, so this is the common case;
    // only when the batch holding `offset` is not wholly inside that read does the header walk below run.
    const start = this.offsetIndex.lookup(offset).position;
    const length = Math.min(maxBytes, end - start);
    if (length >= BATCH_OFFSETS_PREFIX) {
      const data = await readAt(await this.fileHandle(), start, length);
      let pos = 0;
      while (pos + BATCH_OFFSETS_PREFIX <= data.length && readBatchOffsets(data, pos).lastOffset < offset) pos += readBatchOffsets(data, pos).size;
      if (pos >= data.length && start + data.length >= end) return null;
      if (pos + BATCH_OFFSETS_PREFIX <= data.length && pos + readBatchOffsets(data, pos).size <= data.length) {
        return wholeBatches(data.subarray(pos), offset, maxOffset);
      }
    }
    const target = await this.locate(offset, end);
    if (!target) return null;
    let readLength = Math.min(maxBytes, end - target.position);
    if (readLength < target.size) {
      if (!minOneBatch) return { records: Buffer.alloc(0), nextOffset: offset };
      readLength = target.size;
    }
    return wholeBatches(await readAt(await this.fileHandle(), target.position, readLength), offset, maxOffset);
  }

  /** First record at or after `minOffset` with timestamp >= `timestamp`, or null if this segment has none. */
  async findTimestamp(timestamp: number, minOffset: number, maxDecompressedBytes?: number): Promise<TimestampMatch | null> {
    const fromOffset = Math.max(this.timeIndex.lookup(timestamp).offset, minOffset);
    const fh = await this.fileHandle();
    for await (const b of scanBatchHeaders(fh, this.offsetIndex.lookup(fromOffset).position, this.size, LOCATE_CHUNK_BYTES)) {
      const h = b.header;
      if (h.maxTimestamp < timestamp || h.baseOffset + h.lastOffsetDelta < minOffset) continue;
      try {
        const batch = await readAt(fh, b.position, b.size);
        const match = (await decodeRecords(batch, maxDecompressedBytes)).find((r) => r.timestamp >= timestamp && r.offset >= minOffset);
        if (match) return { offset: match.offset, timestamp: match.timestamp, leaderEpoch: h.partitionLeaderEpoch };
      } catch (err) {
        // Compressed and no codec to open it: answer at batch granularity.
        if (!(err instanceof RecordBatchError && err.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE)) throw err;
        return { offset: Math.max(h.baseOffset, minOffset), timestamp: h.maxTimestamp, leaderEpoch: h.partitionLeaderEpoch };
      }
    }
    return null;
  }

  /**
   * The record that carries the segment's largest timestamp, as Kafka answers MAX_TIMESTAMP since KAFKA-16310:
   * in the first batch whose maxTimestamp is the largest, the first record with that timestamp (the batch's first
   * record under LogAppendTime). Only that batch is read and decoded. Null for a segment without timestamps.
   */
  async maxTimestampRecord(maxDecompressedBytes?: number): Promise<TimestampMatch | null> {
    const timestamp = this.largestTimestamp;
    const batchLastOffset = this.offsetOfLargestTimestamp;
    if (timestamp < 0) return null;
    const fh = await this.fileHandle();
    for await (const b of scanBatchHeaders(fh, this.offsetIndex.lookup(batchLastOffset).position, this.size, LOCATE_CHUNK_BYTES)) {
      const h = b.header;
      if (h.maxTimestamp !== timestamp) continue;
      const fallback = { offset: h.baseOffset + h.lastOffsetDelta, timestamp, leaderEpoch: h.partitionLeaderEpoch };
      try {
        const record = (await decodeRecords(await readAt(fh, b.position, b.size), maxDecompressedBytes)).find((r) => r.timestamp === timestamp);
        return record ? { ...fallback, offset: record.offset } : fallback;
      } catch (err) {
        if (err instanceof RecordBatchError && err.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE) return fallback;
        throw err;
      }
    }
    return null;
  }

  /** The first batch (committed) holding `offset` or a later one, or null: where a truncation to `offset` cuts. */
  batchAt(offset: number): Promise<ScannedBatch | null> {
    return this.locate(offset, this.size);
  }

  /** The first batch whose last offset is >= `offset`, walking headers from the nearest index entry. */
  private async locate(offset: number, end: number): Promise<ScannedBatch | null> {
    const start = this.offsetIndex.lookup(offset).position;
    for await (const b of scanBatchHeaders(await this.fileHandle(), start, end, LOCATE_CHUNK_BYTES)) {
      if (b.header.baseOffset + b.header.lastOffsetDelta >= offset) return b;
    }
    return null;
  }
}

