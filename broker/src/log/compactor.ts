// The cleaner of a compacted log (cleanup.policy=compact), after Kafka's log cleaner. One cleaning:
//  1. maps each key of the dirty segments to its latest offset, and notes the last batch of each producer id;
//  2. rewrites the segments from the log start to the end of the dirty part, one group at a time, keeping a
//     record only if it is the latest for its key, dropping records without a key, and dropping tombstones
//     (null values) once an earlier cleaning has passed them and they are older than delete.retention.ms;
//  3. stages each rewritten group as a segment (".cleaned" files) for the log to swap in.
// Offsets never change: a surviving batch keeps its base offset and offset range, a compressed one is
// re-compressed with its codec, an emptied one disappears. Transactions follow Kafka (compaction-transactions.ts):
// aborted data goes, committed transactional records compact like others, markers go once their transaction is
// empty and delete.retention.ms has passed; cleaned segments get the .txnindex entries of the ABORT markers they
// keep. The last batch of each producer id is kept (emptied if aborted) so that producer state stays
// rebuildable from the log. All I/O and codecs are asynchronous, and the work yields between batches.
import { promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';
import '../protocol/compression'; // the codecs of compressed batches
import { ErrorCode } from '../protocol/errors';
import { BatchHeader, DecodedRecord, DecompressionLimitError, RecordBatchError, decodeBatches, emptyBatchLike, readBatchHeader, retainRecords } from '../protocol/records';
import { AbortedRanges, TransactionCleaning } from './compaction-transactions';
import { isAbortMarker } from './control-batch';
import { type AbortedTxn, encodeAbortedTxns } from './transaction-index';
import { Segment } from './segment';
import { readAt, scanBatchData, scanBatchHeaders } from './batch-scanner';
import { discardStaged, stagedFile } from './compaction-files';

const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
/** Staged output is written in pieces of about this size. */
const WRITE_CHUNK_BYTES = 1024 * 1024;
/** Longest stretch of synchronous work (decoding uncompressed batches) before yielding to the event loop. */
const MAX_SLICE_MS = 10;
/** Keys mapped per cleaning (Kafka bounds its map by memory the same way); later segments wait for the next one. */
export const DEFAULT_MAX_MAPPED_KEYS = 500_000;

export interface OffsetMap {
  /** Key (bytes as latin1) → offset of its latest record in the mapped dirty segments. */
  latest: Map<string, number>;
  /** Base offsets of batches kept whole: the last batch of each producer id. */
  keptBatches: Set<number>;
  /** Index after the last segment mapped: the cleaning ends there. */
  end: number;
}

export interface CleaningContext {
  dir: string;
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  /** The previous cleaning point: tombstones below it have been seen by a cleaning. */
  cleanBefore: number;
  /** Tombstones with timestamps at or before this (now - delete.retention.ms) may go once seen. */
  tombstoneCutoffMs: number;
  now: number;
  /** Output limit for decompressing one batch (decompressionLimit of max.message.bytes). */
  maxDecompressedBytes: number;
  /** Polled between batches: true abandons the cleaning (the log is closing). */
  shouldStop(): boolean;
  /** The aborted transactions overlapping a segment (from the .txnindex files). */
  abortedIn(seg: Segment): Promise<AbortedRanges>;
  /** Transaction state carried from group to group. */
  txns: TransactionCleaning;
}

/** What cleaning a group gave: the staged segment (null when nothing changed) and the oldest tombstone it kept. */
export interface GroupOutcome {
  staged: StagedSegment | null;
  /** Timestamp of the oldest tombstone left in the group, Infinity if none. */
  oldestTombstoneMs: number;
}

/** A rewritten group, staged on disk and ready to swap in. */
export interface StagedSegment {
  segment: Segment;
  sources: Segment[];
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
}

/** Newest record time of a segment, its file time when it has no timestamps (as retention uses). */
export function segmentTime(s: Segment): number {
  return s.largestTimestamp >= 0 ? s.largestTimestamp : s.lastModifiedMs;
}

/** Gives the event loop a turn whenever synchronous work has run for a while. */
class Slicer {
  private since = performance.now();

  async maybeYield(): Promise<void> {
    if (performance.now() - this.since < MAX_SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}

export interface OffsetMapOptions {
  /** Stop at the next segment boundary once this many keys are mapped. */
  maxKeys: number;
  maxDecompressedBytes: number;
  shouldStop(): boolean;
  abortedIn(seg: Segment): Promise<AbortedRanges>;
}

/**
 * Builds the offset map from the dirty segments [firstDirty, end), stopping early at a segment boundary once
 * `maxKeys` keys are mapped (at least one segment is always mapped). Clean segments are walked by header only,
 * to find each producer's last batch.
 */
export async function buildOffsetMap(segments: Segment[], firstDirty: number, end: number, opts: OffsetMapOptions): Promise<OffsetMap> {
  const { maxKeys, shouldStop } = opts;
  const latest = new Map<string, number>();
  const lastOfProducer = new Map<number, number>();
  const slicer = new Slicer();
  let i = 0;
  for (; i < end && !shouldStop(); i++) {
    const seg = segments[i];
    if (i > firstDirty && latest.size >= maxKeys) break;
    const fh = await seg.fileHandle();
    if (i < firstDirty) {
      for await (const b of scanBatchHeaders(fh, 0, seg.size, SCAN_CHUNK_BYTES)) noteProducer(lastOfProducer, b.header);
      continue;
    }
    const aborted = await opts.abortedIn(seg);
    for await (const b of scanBatchData(fh, 0, seg.size, SCAN_CHUNK_BYTES)) {
      noteProducer(lastOfProducer, b.header);
      // Aborted records must not shadow the committed value of their key.
      if (!b.header.isControl && !aborted.covers(b.header)) {
        for (const r of await recordsOf(b.data, opts.maxDecompressedBytes)) if (r.key) latest.set(r.key.toString('latin1'), r.offset);
      }
      await slicer.maybeYield();
    }
  }
  return { latest, keptBatches: new Set(lastOfProducer.values()), end: i };
}

function noteProducer(lastOfProducer: Map<number, number>, h: BatchHeader): void {
  if (h.producerId >= 0) lastOfProducer.set(h.producerId, h.baseOffset);
}

/** The records of one batch; none when they cannot be decompressed (such a batch is kept whole). */
async function recordsOf(batch: Buffer, maxDecompressedBytes: number): Promise<DecodedRecord[]> {
  try {
    return (await decodeBatches(batch, maxDecompressedBytes))[0].records;
  } catch (err) {
    if (isKeptWhole(err)) return [];
    throw err;
  }
}

/**
 * Batches the cleaner cannot open are kept as they are rather than failing every cleaning: an unknown codec,
 * or records that inflate beyond the decompression limit (stored before the produce check existed, or under
 * a larger max.message.bytes).
 */
function isKeptWhole(err: unknown): boolean {
  return err instanceof DecompressionLimitError || (err instanceof RecordBatchError && err.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
}

/** Decides record by record, noting the oldest tombstone it keeps. */
class RecordFilter {
  oldestTombstoneMs = Infinity;

  constructor(
    private readonly map: OffsetMap,
    private readonly ctx: CleaningContext,
  ) {}

  keep(r: DecodedRecord): boolean {
    if (!r.key) return false;
    const latest = this.map.latest.get(r.key.toString('latin1'));
    if (latest !== undefined && r.offset < latest) return false;
    if (r.value !== null) return true;
    if (r.offset < this.ctx.cleanBefore && r.timestamp <= this.ctx.tombstoneCutoffMs) return false;
    this.oldestTombstoneMs = Math.min(this.oldestTombstoneMs, r.timestamp);
    return true;
  }
}

/** The batch as it survives the cleaning: the same buffer, a rewritten one, or null when nothing is left. */
async function cleanBatch(batch: Buffer, header: BatchHeader, map: OffsetMap, filter: RecordFilter, aborted: AbortedRanges, ctx: CleaningContext): Promise<Buffer | null> {
  const keepWhole = map.keptBatches.has(header.baseOffset);
  if (header.isControl) {
    const m = ctx.txns.marker(header, keepWhole);
    if (m.pendingMs !== null) filter.oldestTombstoneMs = Math.min(filter.oldestTombstoneMs, m.pendingMs);
    return m.keep ? batch : null;
  }
  if (aborted.covers(header)) return keepWhole ? emptyBatchLike(batch) : null;
  let kept: Buffer | null = batch;
  if (!keepWhole) {
    try {
      kept = await retainRecords(batch, (r) => filter.keep(r), ctx.maxDecompressedBytes);
    } catch (err) {
      if (!isKeptWhole(err)) throw err;
    }
  }
  if (kept) ctx.txns.keptData(header);
  return kept;
}

/**
 * Rewrites one group of consecutive segments into a staged segment named after the first, ending at
 * `upperBoundOffset` (the next segment's base). Null when nothing changed (a single segment with nothing to
 * drop) or when the cleaning was abandoned.
 */
export async function cleanGroup(sources: Segment[], upperBoundOffset: number, map: OffsetMap, ctx: CleaningContext): Promise<GroupOutcome> {
  const base = sources[0].baseOffset;
  const cleaned = new Segment(ctx.dir, base, ctx.segmentIndexBytes, ctx.now, { newFile: false });
  const out = new StagedLog(stagedFile(cleaned.file));
  const slicer = new Slicer();
  const filter = new RecordFilter(map, ctx);
  const abandoned = { staged: null, oldestTombstoneMs: Infinity };
  let changed = sources.length > 1;
  let recordsRemoved = 0;
  /** .txnindex entries of the ABORT markers kept, in offset order. */
  const abortsKept: AbortedTxn[] = [];
  try {
    if (changed) await out.open();
    for (const src of sources) {
      const fh = await src.fileHandle();
      const aborted = await ctx.abortedIn(src);
      for await (const b of scanBatchData(fh, 0, src.size, SCAN_CHUNK_BYTES)) {
        if (ctx.shouldStop()) {
          await out.discard();
          return abandoned;
        }
        const kept = await cleanBatch(b.data, b.header, map, filter, aborted, ctx);
        const abortEntry = kept && b.header.isControl && isAbortMarker(b.data, 0) ? aborted.entryOfMarker(b.header.baseOffset) : undefined;
        if (abortEntry) abortsKept.push(abortEntry);
        if (kept !== b.data && !changed) {
          changed = true;
          await out.open();
          await out.copyFrom(fh, 0, b.position); // the unchanged batches before this one
        }
        const h = kept === null ? null : kept === b.data ? b.header : readBatchHeader(kept, 0);
        recordsRemoved += b.header.recordCount - (h?.recordCount ?? 0);
        if (kept && h) {
          cleaned.assign(h.baseOffset, h.baseOffset + h.lastOffsetDelta, h.maxTimestamp, kept.length, ctx.indexIntervalBytes);
          if (changed) await out.write(kept);
        }
        await slicer.maybeYield();
      }
    }
    if (!changed) return { staged: null, oldestTombstoneMs: filter.oldestTombstoneMs };
    await out.finish();
    cleaned.seal();
    cleaned.commitAssigned();
    cleaned.nextOffset = upperBoundOffset;
    cleaned.lastModifiedMs = Math.max(...sources.map((s) => s.lastModifiedMs));
    // Retention by file time after a restart should see the data's age, not the cleaning's.
    await fsp.utimes(out.file, new Date(), new Date(cleaned.lastModifiedMs));
    await cleaned.offsetIndex.writeCopy(stagedFile(cleaned.offsetIndex.file));
    await cleaned.timeIndex.writeCopy(stagedFile(cleaned.timeIndex.file));
    await writeFileSynced(stagedFile(cleaned.txnIndex.file), encodeAbortedTxns(abortsKept));
  } catch (err) {
    await out.discard().catch(() => undefined);
    await discardStaged(ctx.dir, base).catch(() => undefined);
    throw err;
  }
  const bytesBefore = sources.reduce((total, s) => total + s.size, 0);
  return { staged: { segment: cleaned, sources, bytesBefore, bytesAfter: cleaned.size, recordsRemoved }, oldestTombstoneMs: filter.oldestTombstoneMs };
}

async function writeFileSynced(file: string, data: Buffer): Promise<void> {
  const fh = await fsp.open(file, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The staged .log file: opened on first need, written sequentially in large pieces, fsynced at the end. */
class StagedLog {
  private fh: FileHandle | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(readonly file: string) {}

  async open(): Promise<void> {
    this.fh = await fsp.open(this.file, 'w', 0o644);
  }

  async write(data: Buffer): Promise<void> {
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= WRITE_CHUNK_BYTES) await this.flush();
  }

  /** Appends bytes [from, to) of another file. */
  async copyFrom(src: FileHandle, from: number, to: number): Promise<void> {
    for (let pos = from; pos < to; pos += WRITE_CHUNK_BYTES) {
      const chunk = await readAt(src, pos, Math.min(WRITE_CHUNK_BYTES, to - pos));
      if (chunk.length === 0) throw new Error(`${this.file}: source ended at ${pos} while copying up to ${to}`);
      await this.write(chunk);
    }
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0 || !this.fh) return;
    const { bytesWritten } = await this.fh.writev(this.pending);
    if (bytesWritten !== this.pendingBytes) throw new Error(`short write to ${this.file}: ${bytesWritten} of ${this.pendingBytes} bytes`);
    this.pending = [];
    this.pendingBytes = 0;
  }

  async finish(): Promise<void> {
    await this.flush();
    await this.fh?.sync();
    await this.close();
  }

  async discard(): Promise<void> {
    await this.close();
    await fsp.rm(this.file, { force: true });
  }

  private async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    await fh?.close();
  }
}
