// Loading a partition directory at open. Segments known to be fsynced (below the recovery point of a state
// written by a clean close or a roll) are trusted and only their indexes are checked. Segments that may hold
// unflushed data are re-validated batch by batch (framing, CRC, offsets) and truncated at the first bad batch,
// with their indexes rebuilt. The active segment of a cleanly closed log gets a cheap tail check instead.
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { Logger } from '../logger';
import type { LogConfig } from './log-config';
import { Segment } from './segment';
import { LeaderEpochCache } from './leader-epoch-cache';
import { LOG_SUFFIX, STATE_FILE, parseSegmentFile } from './file-names';
import { PartitionState, readPartitionState, stateFileTmp } from './partition-state';
import { ScanError, readAt, scanBatchData, scanBatchHeaders } from './batch-scanner';
import { fsyncDirectory } from './fs-util';
import { recoverSwaps } from './compaction-files';
import { RECORD_BATCH_HEADER_SIZE, computeBatchCrc, readBatchHeader } from '../protocol/records';
import { ProducerStateManager } from './producer-state';
import { deleteSnapshot, listSnapshots, readSnapshot } from './producer-snapshot';
import { ControlRecordType, parseMarker } from './control-batch';
import { abortedEntry } from './aborted-transactions';

/** Read size while re-validating a segment. */
const RECOVERY_CHUNK_BYTES = 4 * 1024 * 1024;
const MAX_RELATIVE_OFFSET = 0x7fffffff;

export interface LoadedPartition {
  segments: Segment[];
  logStartOffset: number;
  logEndOffset: number;
  epochs: LeaderEpochCache;
  /** Segments whose .txnindex recovery emptied: the producer state replay refills them from their markers. */
  txnIndexRebuilds: Set<Segment>;
  /** The high watermark the state file holds (a replicated log reopens with it), null when none. */
  highWatermark: number | null;
}

export async function loadPartition(dir: string, config: LogConfig, logger: Logger, now = Date.now()): Promise<LoadedPartition> {
  if (await fsp.mkdir(dir, { recursive: true })) await fsyncDirectory(path.dirname(dir)); // a new partition survives power loss
  await recoverSwaps(dir, logger); // before listing: a compaction swap cut short leaves extra files
  const bases = await listSegments(dir, logger);
  const state = await readState(dir, logger);
  const clean = state?.cleanShutdown === true;
  const epochs = new LeaderEpochCache(state?.leaderEpochs ?? []);

  let segments = bases.map((base) => new Segment(dir, base, config.segmentIndexBytes, now, { newFile: false }));
  const txnIndexRebuilds = new Set<Segment>();
  // Without a state file nothing is known to be flushed: re-validate everything.
  const recoveryPoint = state ? state.recoveryPoint : -1;
  const recoveryBase = segments.filter((s) => s.baseOffset <= recoveryPoint).pop()?.baseOffset ?? -1;
  if (!clean && segments.length > 0) logger.info('log was not closed cleanly; recovering', { dir, recoveryPoint });

  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const isLast = i === segments.length - 1;
    const stat = await fsp.stat(seg.file);
    seg.lastModifiedMs = stat.mtimeMs;
    const inTail = (!clean && seg.baseOffset >= recoveryBase) || isLast;
    let fullRecovery = !clean && seg.baseOffset >= recoveryBase;
    if (!fullRecovery) {
      const ok = isLast ? await resumeActiveSegment(seg, stat.size) : await loadClosedSegment(seg, stat.size, segments[i + 1].baseOffset);
      if (!ok) logger.warn('segment indexes missing or inconsistent; re-validating the segment', { segment: seg.file });
      fullRecovery = !ok;
    }
    // A flushed segment's transaction index is as trusted as its data; a tail segment's may lack entries.
    if (fullRecovery && inTail) {
      await seg.txnIndex.reset();
      txnIndexRebuilds.add(seg);
    } else {
      await seg.txnIndex.load();
    }
    if (!fullRecovery) continue;
    // Epochs are re-derived from batch headers for the tail; an old segment rebuilt for its index keeps them.
    const truncated = await recoverSegment(seg, stat.size, config.indexIntervalBytes, inTail ? epochs : null, logger);
    await seg.persistIndexes();
    await seg.sync();
    if (truncated && inTail && !isLast) {
      // Data after a torn batch cannot be trusted to follow on from it.
      const dropped = segments.slice(i + 1);
      logger.warn('deleting segments after a truncated one', { segments: dropped.map((s) => s.baseOffset) });
      await Promise.all(dropped.map((s) => s.delete()));
      for (const s of dropped) txnIndexRebuilds.delete(s);
      segments = segments.slice(0, i + 1);
      break;
    }
  }

  const logStartOffset = Math.max(state?.logStartOffset ?? 0, segments[0]?.baseOffset ?? 0);
  let logEndOffset = segments.length > 0 ? segments[segments.length - 1].nextOffset : logStartOffset;
  if (segments.length === 0 || logEndOffset < logStartOffset) {
    if (segments.length > 0) logger.warn('log ends before its start offset; starting empty', { logStartOffset, logEndOffset });
    await Promise.all(segments.map((s) => s.delete()));
    segments = [new Segment(dir, logStartOffset, config.segmentIndexBytes, now, { newFile: true })];
    logEndOffset = logStartOffset;
  }
  epochs.truncateFromEnd(logEndOffset);
  epochs.truncateFromStart(logStartOffset);
  for (const s of txnIndexRebuilds) if (!segments.includes(s)) txnIndexRebuilds.delete(s);
  return { segments, logStartOffset, logEndOffset, epochs, txnIndexRebuilds, highWatermark: state?.highWatermark ?? null };
}

/** Base offsets of the segments present, removing leftovers that belong to no segment. */
async function listSegments(dir: string, logger: Logger): Promise<number[]> {
  const names = await fsp.readdir(dir);
  const bases = new Set<number>();
  for (const name of names) {
    const parsed = parseSegmentFile(name);
    if (parsed?.suffix === LOG_SUFFIX) bases.add(parsed.baseOffset);
  }
  for (const name of names) {
    const parsed = parseSegmentFile(name);
    const orphanIndex = parsed !== null && parsed.suffix !== LOG_SUFFIX && !bases.has(parsed.baseOffset);
    if (orphanIndex || path.join(dir, name) === stateFileTmp(dir)) {
      logger.info('removing leftover file', { file: name });
      await fsp.rm(path.join(dir, name), { force: true });
    }
  }
  return [...bases].sort((a, b) => a - b);
}

async function readState(dir: string, logger: Logger): Promise<PartitionState | null> {
  try {
    return await readPartitionState(dir);
  } catch (err) {
    logger.warn(`unreadable ${STATE_FILE}; recovering the whole log`, { dir, error: err });
    return null;
  }
}

/** A flushed, closed segment: loads its indexes and takes its max timestamp from the time index. */
async function loadClosedSegment(seg: Segment, fileSize: number, nextBaseOffset: number): Promise<boolean> {
  if (!(await seg.loadIndexes(fileSize, nextBaseOffset))) return false;
  const last = seg.timeIndex.last();
  seg.restore({ size: fileSize, nextOffset: nextBaseOffset, maxTimestamp: last.timestamp, offsetOfMaxTimestamp: last.offset, firstBatchTimestamp: -1 });
  return true;
}

/**
 * The active segment of a cleanly closed log: loads its indexes and validates the batches after the last index
 * entry (a few KiB) to learn the next offset and max timestamp. False if anything is off.
 */
async function resumeActiveSegment(seg: Segment, fileSize: number): Promise<boolean> {
  if (!(await seg.loadIndexes(fileSize, Number.MAX_SAFE_INTEGER))) return false;
  const fh = await seg.fileHandle();
  const from = seg.offsetIndex.last();
  const indexed = seg.timeIndex.last();
  let maxTimestamp = indexed.timestamp;
  let offsetOfMaxTimestamp = indexed.offset;
  let nextOffset = from.offset;
  let firstBatchTimestamp = -1;
  try {
    for await (const b of scanBatchData(fh, from.position, fileSize, RECOVERY_CHUNK_BYTES)) {
      const h = b.header;
      const startsRight = b.position === from.position ? h.baseOffset === from.offset : h.baseOffset >= nextOffset;
      if (!startsRight || computeBatchCrc(b.data, 0, b.size) !== h.crc) return false;
      if (b.position === 0) firstBatchTimestamp = h.maxTimestamp;
      if (h.maxTimestamp > maxTimestamp) {
        maxTimestamp = h.maxTimestamp;
        offsetOfMaxTimestamp = h.baseOffset + h.lastOffsetDelta;
      }
      nextOffset = h.baseOffset + h.lastOffsetDelta + 1;
    }
  } catch (err) {
    if (err instanceof ScanError) return false;
    throw err;
  }
  if (from.position > 0) firstBatchTimestamp = readBatchHeader(await readAt(fh, 0, RECORD_BATCH_HEADER_SIZE), 0).maxTimestamp;
  if (!seg.timeIndex.isConsistent(nextOffset)) return false;
  seg.restore({ size: fileSize, nextOffset, maxTimestamp, offsetOfMaxTimestamp, firstBatchTimestamp });
  return true;
}

/**
 * Re-validates every batch of the segment, rebuilding its indexes, and truncates the file at the first batch
 * that is torn, fails its CRC or breaks offset order. Returns whether bytes were dropped. With `epochs`, the
 * epochs from the segment's base on are re-derived from the batch headers. (Also how a truncated segment is
 * rebuilt: PartitionLog.truncateTo.)
 */
export async function recoverSegment(seg: Segment, fileSize: number, indexIntervalBytes: number, epochs: LeaderEpochCache | null, logger: Logger): Promise<boolean> {
  seg.reset();
  epochs?.truncateFromEnd(seg.baseOffset);
  let validEnd = 0;
  let problem: string | undefined;
  try {
    for await (const b of scanBatchData(await seg.fileHandle(), 0, fileSize, RECOVERY_CHUNK_BYTES)) {
      const h = b.header;
      const lastOffset = h.baseOffset + h.lastOffsetDelta;
      if (computeBatchCrc(b.data, 0, b.size) !== h.crc) problem = 'CRC mismatch';
      else if (h.baseOffset < seg.nextOffset || h.lastOffsetDelta < 0) problem = `offset ${h.baseOffset} does not follow ${seg.nextOffset - 1}`;
      else if (lastOffset - seg.baseOffset > MAX_RELATIVE_OFFSET) problem = `offset ${lastOffset} is out of the segment's range`;
      if (problem) break;
      seg.assign(h.baseOffset, lastOffset, h.maxTimestamp, b.size, indexIntervalBytes);
      epochs?.assign(h.partitionLeaderEpoch, h.baseOffset);
      validEnd = b.position + b.size;
    }
  } catch (err) {
    if (!(err instanceof ScanError)) throw err;
    problem = err.message;
  }
  seg.commitAssigned();
  if (validEnd === fileSize) return false;
  logger.warn('truncating segment at an invalid batch', { segment: seg.file, position: validEnd, reason: problem, droppedBytes: fileSize - validEnd });
  await seg.truncate(validEnd);
  return true;
}

// ---- Producer state.

/** Read size while replaying batch headers into the producer state. */
const REPLAY_CHUNK_BYTES = 1024 * 1024;

/**
 * Rebuilds the idempotent-producer state of a loaded partition: the newest readable snapshot at or below the
 * log end, then the headers of the batches after it. Snapshots past the log end describe batches recovery
 * dropped, and are deleted. Replayed producers count as seen now for expiry. The replay also refills the
 * transaction indexes recovery emptied (it starts at or before the first of them, so it knows where every
 * transaction aborted there began) and the coordinator epochs of markers; only marker batches are read beyond
 * their headers.
 */
export async function loadProducerState(dir: string, loaded: Omit<LoadedPartition, 'epochs' | 'highWatermark'>, expirationMs: number, logger: Logger, now = Date.now()): Promise<ProducerStateManager> {
  const producers = new ProducerStateManager(expirationMs);
  const snapshots = await listSnapshots(dir);
  let from = loaded.logStartOffset;
  const rebuildFrom = Math.min(...[...loaded.txnIndexRebuilds].map((s) => s.baseOffset));
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const offset = snapshots[i];
    if (offset > rebuildFrom && offset <= loaded.logEndOffset) continue; // too late to rebuild the indexes: kept, unused
    try {
      if (offset > loaded.logEndOffset) throw new Error(`it is past the log end ${loaded.logEndOffset}`);
      producers.restore(await readSnapshot(dir, offset));
      from = Math.max(offset, loaded.logStartOffset);
      break;
    } catch (err) {
      logger.warn('deleting unusable producer snapshot', { offset, error: err instanceof Error ? err.message : String(err) });
      await deleteSnapshot(dir, offset);
    }
  }
  let replayed = 0;
  for (const seg of loaded.segments) {
    if (seg.nextOffset <= from || seg.size === 0) continue;
    const start = from > seg.baseOffset ? seg.offsetIndex.lookup(from).position : 0;
    const rebuild = loaded.txnIndexRebuilds.has(seg);
    try {
      const fh = await seg.fileHandle();
      for await (const b of scanBatchHeaders(fh, start, seg.size, REPLAY_CHUNK_BYTES)) {
        const h = b.header;
        if (h.producerId < 0 || h.baseOffset + h.lastOffsetDelta < from) continue;
        const ended = producers.replay(h, now);
        if (h.isControl) {
          // Markers are small and few: read whole for their type and coordinator epoch.
          const marker = parseMarker(await readAt(fh, b.position, b.size), 0);
          if (marker) producers.noteCoordinatorEpoch(h.producerId, marker.coordinatorEpoch);
          if (ended && rebuild && marker?.type === ControlRecordType.ABORT) await seg.txnIndex.append([abortedEntry(ended, producers.firstOngoingOffset())]);
        }
        replayed++;
      }
    } catch (err) {
      // A trusted segment is not re-validated at open: skip what cannot be read rather than refuse the log.
      if (!(err instanceof ScanError)) throw err;
      logger.warn('cannot replay producer state from a damaged segment', { segment: seg.file, error: err.message });
    }
  }
  producers.removeExpired(now);
  if (replayed > 0) logger.info('rebuilt producer state', { from, batches: replayed, producers: producers.size });
  return producers;
}
