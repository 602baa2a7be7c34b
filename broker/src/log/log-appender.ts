// Turning payloads into placed batches: the leader's appends (validation, producer checks, offset assignment and
// header rewrites, all at call time so that offsets follow call order), transaction markers, and a follower's
// appends of its leader's bytes (kept as they are). The placed bytes go to the writer's queue.
import { LogError } from './log-error';
import { ErrorCode } from '../protocol/errors';
import type { LogState } from './log-state';
import type { LogWriter, QueuedWrite } from './log-writer';
import type { DuplicateAppend } from './producer-state';
import { AppendGate, asLogError, checkRecords } from './record-check';
import { ControlRecordType, TxnMarker, buildControlBatch, isAbortMarker, parseMarker } from './control-batch';
import { parseReplicaBatches } from './replica-batches';
import { type LogTruncation, isEmpty } from './log-truncation';
import type { AbortedTxn } from './transaction-index';
import { abortedEntry } from './aborted-transactions';
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

export class LogAppender {
  /** Orders appends around the asynchronous key check of compacted topics. */
  private readonly keyGate = new AppendGate();

  constructor(
    private readonly s: LogState,
    private readonly writer: LogWriter,
    private readonly truncation: LogTruncation,
    /** The active segment got its first batch (remote.upload.max.lag.ms counts from it). */
    private readonly activeSegmentStarted: (now: number) => void,
  ) {}

  /**
   * Appends the batches of a produce payload. Everything before the first await runs at call time: validation,
   * offset assignment and header rewrites, so offsets follow call order. Resolves once the bytes are written.
   * (The records of compressed client batches are checked asynchronously first; the gate keeps call order.)
   */
  async append(records: Buffer, opts: AppendOptions): Promise<AppendResult> {
    const s = this.s;
    const fromClient = opts.fromClient ?? false;
    const validated = this.validate(records, opts);
    const turn = this.turn(this.recordCheck(records, validated, opts));
    if (turn) await turn;
    // Producer checks come before offsets exist, so a refused or retried payload writes nothing.
    const producerAppend = s.producers.check(validated.batches, fromClient);
    if (producerAppend?.kind === 'duplicate') return this.duplicateAppend(producerAppend, opts.durable ?? false);
    const now = opts.now ?? Date.now();
    const logAppendTime = s.cfg.messageTimestampType === 'LogAppendTime' ? now : -1;
    const baseOffset = s.nextOffset;
    const lastOffset = baseOffset + validated.recordCount - 1;
    this.writer.maybeRoll(validated.bytes, logAppendTime >= 0 ? now : validated.maxTimestamp, lastOffset, now);
    if (s.epochs.assign(opts.leaderEpoch, baseOffset)) s.track(s.saveState(false));

    const segment = s.activeSegment;
    const position = segment.assignedSize;
    if (position === 0) this.activeSegmentStarted(now);
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
      segment.assign(offset, batchLast, batchMax, b.size, s.cfg.indexIntervalBytes);
      const ended = producerAppend ? s.producers.record(producerAppend, i, b.header, offset, batchLast, batchMax, now) : null;
      if (ended && isAbortMarker(records, b.position)) aborts.push(abortedEntry(ended, s.producers.firstOngoingOffset()));
      if (batchMax > maxTimestamp) {
        maxTimestamp = batchMax;
        offsetOfMaxTimestamp = batchLast;
      }
      offset = batchLast + 1;
    }
    s.nextOffset = offset;

    await this.writer.enqueue({ segment, position, data: records, lastOffset, recordCount: validated.recordCount, maxTimestamp, offsetOfMaxTimestamp, aborts });
    if (opts.durable) await this.writer.waitDurable(lastOffset + 1);
    return { baseOffset, lastOffset, logAppendTime, logStartOffset: s.logStartOffset, recordCount: validated.recordCount, bytes: validated.bytes };
  }

  /**
   * Writes a transaction marker (WriteTxnMarkers): a control batch ending the producer's transaction on this
   * partition, resolved once fsynced. Refused with INVALID_PRODUCER_EPOCH / TRANSACTION_COORDINATOR_FENCED when
   * stale. The check and the offset assignment happen in this call, before any other append.
   */
  appendTxnMarker(marker: TxnMarker, opts: { leaderEpoch: number; now?: number }): Promise<AppendResult> {
    const s = this.s;
    const now = opts.now ?? Date.now();
    const producerId = Number(marker.producerId);
    try {
      s.ensureWritable();
      s.producers.checkMarker(producerId, marker.producerEpoch, marker.coordinatorEpoch);
    } catch (err) {
      return Promise.reject(err);
    }
    const appended = this.append(buildControlBatch(marker, now), { leaderEpoch: opts.leaderEpoch, now, durable: true });
    s.producers.noteCoordinatorEpoch(producerId, marker.coordinatorEpoch);
    return appended;
  }

  /**
   * Appends batches copied from the partition's leader, as they are: their offsets, leader epochs and
   * timestamps stay. Only framing and CRCs are checked, nothing is deduplicated; the epoch cache, producer
   * state (transactions and markers included, with the .txnindex) and segments follow exactly as on the
   * leader. The first batch may not start below the log end (unless the log is empty and the batch holds its
   * end: see LogTruncation.rebaseEmptyLog); it may start past it (a compacted leader log has holes). Resolves
   * once the bytes are written.
   */
  async appendAsFollower(records: Buffer, opts: { now?: number } = {}): Promise<AppendResult> {
    const s = this.s;
    const parsed = parseReplicaBatches(records);
    if (parsed.batches.length === 0) throw new LogError(ErrorCode.INVALID_RECORD, 'the payload holds no record batch');
    const turn = this.turn(null); // after any leader append still in its record check
    if (turn) await turn;
    const first = parsed.batches[0].header;
    const baseOffset = first.baseOffset;
    if (baseOffset < s.nextOffset && isEmpty(s) && baseOffset + first.lastOffsetDelta >= s.nextOffset) {
      await this.truncation.rebaseEmptyLog(baseOffset);
      return this.appendAsFollower(records, opts);
    }
    if (baseOffset < s.nextOffset) {
      throw new LogError(ErrorCode.OFFSET_OUT_OF_RANGE, `replicated batches start at ${baseOffset}, below the log end ${s.nextOffset}`);
    }
    const now = opts.now ?? Date.now();
    const checked = s.producers.check(parsed.batches, false); // unverified: never a duplicate
    const producerAppend = checked?.kind === 'append' ? checked : null;
    // One write per segment the batches land in (a payload may cross a roll).
    const chunks: QueuedWrite[] = [];
    let chunkStart = 0;
    for (let i = 0; i < parsed.batches.length; i++) {
      const b = parsed.batches[i];
      const h = b.header;
      const batchLast = h.baseOffset + h.lastOffsetDelta;
      this.writer.maybeRoll(b.size, h.maxTimestamp, batchLast, now);
      const segment = s.activeSegment;
      let chunk = chunks[chunks.length - 1];
      if (chunk?.segment !== segment) {
        chunkStart = b.position;
        chunk = { segment, position: segment.assignedSize, data: records.subarray(0, 0), lastOffset: batchLast, recordCount: 0, maxTimestamp: -1, offsetOfMaxTimestamp: h.baseOffset, aborts: [] };
        chunks.push(chunk);
        if (segment.assignedSize === 0) this.activeSegmentStarted(now);
      }
      if (s.epochs.assign(h.partitionLeaderEpoch, h.baseOffset)) s.track(s.saveState(false));
      segment.assign(h.baseOffset, batchLast, h.maxTimestamp, b.size, s.cfg.indexIntervalBytes);
      const ended = producerAppend ? s.producers.record(producerAppend, i, h, h.baseOffset, batchLast, h.maxTimestamp, now) : null;
      if (h.isControl && h.producerId >= 0) {
        const marker = parseMarker(records, b.position);
        if (marker) s.producers.noteCoordinatorEpoch(h.producerId, marker.coordinatorEpoch);
        if (ended && marker?.type === ControlRecordType.ABORT) chunk.aborts.push(abortedEntry(ended, s.producers.firstOngoingOffset()));
      }
      chunk.data = records.subarray(chunkStart, b.position + b.size);
      chunk.lastOffset = batchLast;
      chunk.recordCount += Math.max(0, h.recordCount);
      if (h.maxTimestamp > chunk.maxTimestamp) {
        chunk.maxTimestamp = h.maxTimestamp;
        chunk.offsetOfMaxTimestamp = batchLast;
      }
      s.nextOffset = batchLast + 1;
    }
    const lastOffset = s.nextOffset - 1;
    await Promise.all(chunks.map((c) => this.writer.enqueue(c)));
    return { baseOffset, lastOffset, logAppendTime: -1, logStartOffset: s.logStartOffset, recordCount: parsed.recordCount, bytes: parsed.bytes };
  }

  /**
   * The append's turn: behind the record checks of earlier appends (`check` is this one's) and any truncation
   * under way; then the log must be writable. Null when nothing needs waiting for, so that the caller goes on
   * at call time (offsets follow call order).
   */
  private turn(check: (() => Promise<void>) | null): Promise<void> | null {
    const gate = this.keyGate.admit(check);
    if (!gate && !this.s.exclusive) {
      this.s.ensureWritable();
      return null;
    }
    return (async () => {
      if (gate) {
        try {
          await gate;
        } finally {
          this.keyGate.leave();
        }
      }
      if (this.s.exclusive) await this.s.exclusive;
      this.s.ensureWritable();
    })();
  }

  /** Answers a retry as its original append was answered, once that one is written. */
  private async duplicateAppend(d: DuplicateAppend, durable: boolean): Promise<AppendResult> {
    const s = this.s;
    await this.writer.lastWrite;
    if (s.failure) throw s.failure;
    // The original was still in flight when the retry came, and a full disk refused it: so is the retry.
    if (d.lastOffset >= s.endOffset) throw new LogError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${s.dir}: the original append was refused`);
    if (durable) await this.writer.waitDurable(d.lastOffset + 1);
    const logAppendTime = s.cfg.messageTimestampType === 'LogAppendTime' ? d.timestamp : -1;
    return { baseOffset: d.firstOffset, lastOffset: d.lastOffset, logAppendTime, logStartOffset: s.logStartOffset, recordCount: 0, bytes: 0, duplicate: true };
  }

  private validate(records: Buffer, opts: AppendOptions): ValidatedBatches {
    const cfg = this.s.cfg;
    let validated: ValidatedBatches;
    try {
      validated = validateBatches(records, cfg.maxMessageBytes, this.recordCheckOptions(opts) ?? undefined);
    } catch (err) {
      throw asLogError(err);
    }
    if (validated.batches.length === 0) throw new LogError(ErrorCode.INVALID_RECORD, 'the payload holds no record batch');
    if (opts.fromClient && validated.batches.some((b) => b.header.isControl)) {
      throw new LogError(ErrorCode.INVALID_RECORD, 'clients may not write control batches');
    }
    if (validated.bytes > cfg.segmentBytes) {
      throw new LogError(ErrorCode.RECORD_LIST_TOO_LARGE, `${validated.bytes} bytes do not fit in a segment of ${cfg.segmentBytes}`);
    }
    return validated;
  }

  /**
   * How far an append's records are checked (null: headers only). Client data is walked record by record;
   * on a compacted topic with requireKeys (default: client appends) every record must have a key.
   */
  private recordCheckOptions(opts: AppendOptions): RecordCheckOptions | null {
    const requireKeys = (opts.requireKeys ?? opts.fromClient ?? false) && this.s.cfg.cleanupPolicy.compact;
    return opts.fromClient || requireKeys ? { requireKeys } : null;
  }

  /** The asynchronous part of the record check: the compressed batches (validate walked the others). */
  private recordCheck(records: Buffer, validated: ValidatedBatches, opts: AppendOptions): (() => Promise<void>) | null {
    const check = this.recordCheckOptions(opts);
    if (!check || validated.batches.every((b) => b.header.compression === Compression.NONE)) return null;
    const maxDecompressedBytes = decompressionLimit(this.s.cfg.maxMessageBytes);
    return () => checkRecords(records, validated.batches, { ...check, maxDecompressedBytes });
  }
}
