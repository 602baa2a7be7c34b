// Reads of a partition log: fetches, ListOffsets by timestamp and MAX_TIMESTAMP, and the aborted transactions
// of a read_committed fetch. Only written bytes are read. Offsets below the local log start are read from the
// bucket when the remote segments reach the local ones. A segment that compaction replaced or retention deleted
// while a read was on it is looked up again in the current segments.
import { LogError } from './log-error';
import { ErrorCode } from '../protocol/errors';
import type { Segment } from './segment';
import { type LogState, segmentFor } from './log-state';
import type { AbortedTxn } from './transaction-index';
import { collectAbortedTxns } from './aborted-transactions';
import { ObjectNotFoundError } from '../tier/object-store';
import { decompressionLimit } from '../protocol/records';

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

const EMPTY = Buffer.alloc(0);

export class LogReader {
  constructor(private readonly s: LogState) {}

  async read(offset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    const s = this.s;
    const endOffset = s.endOffset;
    const startOffset = s.logStartOffset;
    if (offset < startOffset || offset > endOffset) {
      throw new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside [${startOffset}, ${endOffset}]`);
    }
    const maxOffset = Math.min(opts.isolationMaxOffset ?? endOffset, endOffset);
    if (offset < s.startOffset && s.remoteCovers()) {
      const remote = await this.readRemote(offset, maxBytes, opts.minOneMessage ?? false, maxOffset);
      if (remote) return remote;
      // Nothing in the bucket at or after `offset`: the local segments follow.
    }
    const segments = s.segments;
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
    const s = this.s;
    return { records, nextOffset, highWatermark: s.hw, logStartOffset: s.logStartOffset, logEndOffset: s.endOffset };
  }

  /** A read below the local log start, from the bucket; null when no remote segment holds `offset` or later. */
  private async readRemote(offset: number, maxBytes: number, minOneMessage: boolean, maxOffset: number): Promise<ReadResult | null> {
    const s = this.s;
    for (let attempt = 0; ; attempt++) {
      try {
        const found = await s.remote!.read(offset, maxBytes, minOneMessage, maxOffset);
        return found ? this.readResult(found.records, found.nextOffset) : null;
      } catch (err) {
        // Deleted by retention or DeleteRecords while reading: out of range now, or read the current manifest again.
        if (err instanceof ObjectNotFoundError && offset < s.logStartOffset) {
          throw new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} was deleted; log now starts at ${s.logStartOffset}`);
        }
        if (err instanceof ObjectNotFoundError && attempt < 2) continue;
        throw s.remoteError('remote read', err);
      }
    }
  }

  private readError(seg: Segment, err: unknown): LogError {
    const s = this.s;
    if (seg.isDeleted) return new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `segment ${seg.baseOffset} was deleted; log now starts at ${s.startOffset}`);
    const message = err instanceof Error ? err.message : String(err);
    s.logger.error('read failed', { segment: seg.file, error: message });
    return new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `read from ${seg.file} failed: ${message}`);
  }

  /** Output limit for decompressing a stored batch (follows the topic's max.message.bytes). */
  private get decompressionLimit(): number {
    return decompressionLimit(this.s.cfg.maxMessageBytes);
  }

  /** ListOffsets by timestamp: the first offset whose record timestamp is >= `timestamp`. */
  async offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null> {
    const s = this.s;
    if (s.remoteCovers()) {
      try {
        const match = await s.remote!.findTimestamp(timestamp, s.remote!.logStartOffset, s.startOffset, this.decompressionLimit);
        if (match) return match;
      } catch (err) {
        throw s.remoteError('remote timestamp lookup', err);
      }
    }
    const startOffset = s.startOffset;
    for (const seg of s.segments) {
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
    const s = this.s;
    const remoteBest = s.remoteCovers() ? s.remote!.maxTimestampSegment(s.startOffset) : null;
    if (remoteBest && remoteBest.maxTimestamp >= Math.max(-1, ...s.segments.map((seg) => seg.largestTimestamp))) {
      // The bucket holds the newest timestamp (on a tie, the earlier offset wins).
      try {
        const batchLevel = { offset: remoteBest.offsetOfMaxTimestamp, timestamp: remoteBest.maxTimestamp, leaderEpoch: s.epochs.epochForOffset(remoteBest.offsetOfMaxTimestamp) };
        return (await s.remote!.maxTimestampRecord(remoteBest, this.decompressionLimit)) ?? batchLevel;
      } catch (err) {
        throw s.remoteError('remote max-timestamp lookup', err);
      }
    }
    for (let attempt = 0; ; attempt++) {
      let best: Segment | null = null;
      for (const seg of s.segments) {
        if (seg.largestTimestamp >= 0 && (!best || seg.largestTimestamp > best.largestTimestamp)) best = seg;
      }
      if (!best) return null;
      const batchLevel = { offset: best.offsetOfLargestTimestamp, timestamp: best.largestTimestamp, leaderEpoch: s.epochs.epochForOffset(best.offsetOfLargestTimestamp) };
      try {
        return (await best.maxTimestampRecord(this.decompressionLimit)) ?? batchLevel;
      } catch (err) {
        // Deleted by retention or replaced by compaction meanwhile: look again in the current segments.
        if (!best.isDeleted || attempt >= 2) throw this.readError(best, err);
      }
    }
  }

  /** The aborted transactions overlapping [fetchOffset, upperBoundOffset), from the transaction indexes (read_committed fetch). */
  async abortedTransactions(fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]> {
    const s = this.s;
    const out: AbortedTxn[] = [];
    if (upperBoundOffset <= fetchOffset) return out;
    if (fetchOffset < s.startOffset && s.remoteCovers()) {
      try {
        if (await s.remote!.collectAbortedTxns(fetchOffset, upperBoundOffset, s.startOffset, out)) return out;
      } catch (err) {
        throw s.remoteError('remote transaction index read', err);
      }
    }
    const segments = s.segments;
    await collectAbortedTxns(segments, segmentFor(segments, fetchOffset), fetchOffset, upperBoundOffset, out);
    return out;
  }
}
