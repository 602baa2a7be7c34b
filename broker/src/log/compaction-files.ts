// The files of a compaction. A cleaned segment is staged beside the live ones under its final names plus
// ".cleaned" (log, both indexes and the transaction index). The swap renames the staged files to ".swap" — the log last, so that its
// .log.swap is the commit point — deletes the files of the segments it replaces, and renames the .swap files
// to their final names. At open, recoverSwaps discards a swap that was not committed and finishes one that
// was. The cleaner's progress is kept in a small checkpoint file.
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { Logger } from '../logger';
import { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, segmentFile } from './file-names';
import { scanBatchHeaders } from './batch-scanner';
import { fsyncDirectory } from './fs-util';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';
export const CLEANER_CHECKPOINT_FILE = 'cleaner.checkpoint';

const SEGMENT_SUFFIXES = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX];
const STAGED_FILE = /^(\d{20})\.(log|index|timeindex|txnindex)\.(cleaned|swap)$/;
const SCAN_CHUNK_BYTES = 64 * 1024;

/** Where the file that will become `file` is staged. */
export function stagedFile(file: string): string {
  return file + CLEANED_SUFFIX;
}

/** The four files of a cleaned segment, the log last. */
function segmentFiles(dir: string, baseOffset: number): string[] {
  return [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX, LOG_SUFFIX].map((suffix) => segmentFile(dir, baseOffset, suffix));
}

async function removeSegments(dir: string, baseOffsets: number[]): Promise<void> {
  await Promise.all(baseOffsets.flatMap((base) => SEGMENT_SUFFIXES.map((suffix) => fsp.rm(segmentFile(dir, base, suffix), { force: true }))));
}

/** Removes the staged files of a segment that will not be swapped in. */
export async function discardStaged(dir: string, baseOffset: number): Promise<void> {
  await Promise.all(segmentFiles(dir, baseOffset).map((f) => fsp.rm(stagedFile(f), { force: true })));
}

/**
 * Puts the staged segment at `baseOffset` in place of the segments at `replaced` (which include `baseOffset`).
 * Open handles of the replaced segments keep their data readable until closed.
 */
export async function commitSwap(dir: string, baseOffset: number, replaced: number[]): Promise<void> {
  const files = segmentFiles(dir, baseOffset);
  for (const f of files) await fsp.rename(stagedFile(f), f + SWAP_SUFFIX);
  await fsyncDirectory(dir); // committed: from here recovery completes the swap
  await removeSegments(dir, replaced);
  for (const f of files) await fsp.rename(f + SWAP_SUFFIX, f);
  await fsyncDirectory(dir);
}

/**
 * Run at open before segments are listed. Staged files, and index .swap files without their log's .swap, belong
 * to swaps that never committed: removed. A .log.swap was committed: the segments whose base offsets fall in its
 * offset range are the ones it replaces (left over if the crash came before their removal), so they go and
 * the swap files take their final names.
 */
export async function recoverSwaps(dir: string, logger: Logger): Promise<void> {
  const staged = (await fsp.readdir(dir)).flatMap((name) => {
    const m = STAGED_FILE.exec(name);
    return m ? [{ name, baseOffset: Number(m[1]), kind: m[2], stage: m[3] }] : [];
  });
  if (staged.length === 0) return;
  const committed = new Set(staged.filter((f) => f.stage === 'swap' && f.kind === 'log').map((f) => f.baseOffset));
  for (const f of staged.filter((s) => !committed.has(s.baseOffset))) {
    logger.info('removing an uncommitted compaction file', { file: f.name });
    await fsp.rm(path.join(dir, f.name), { force: true });
  }
  const live = await liveSegments(dir);
  for (const base of [...committed].sort((a, b) => a - b)) {
    const logSwap = segmentFile(dir, base, LOG_SUFFIX) + SWAP_SUFFIX;
    const last = await lastOffsetIn(logSwap, base);
    const replaced = live.filter((b) => b >= base && b <= Math.max(base, last));
    logger.info('completing an interrupted compaction swap', { baseOffset: base, replaced });
    await removeSegments(dir, replaced);
    for (const f of segmentFiles(dir, base)) {
      await fsp.rename(f + SWAP_SUFFIX, f).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err; // an index already renamed, or a cleaned segment's missing index: rebuilt
      });
    }
  }
  await fsyncDirectory(dir);
}

async function liveSegments(dir: string): Promise<number[]> {
  const bases: number[] = [];
  for (const name of await fsp.readdir(dir)) {
    if (/^\d{20}\.log$/.test(name)) bases.push(Number(name.slice(0, 20)));
  }
  return bases;
}

/** Last offset of the batches in a (fully written) segment file; baseOffset - 1 when it has none. */
async function lastOffsetIn(file: string, baseOffset: number): Promise<number> {
  const fh = await fsp.open(file, 'r');
  let last = baseOffset - 1;
  try {
    const { size } = await fh.stat();
    for await (const b of scanBatchHeaders(fh, 0, size, SCAN_CHUNK_BYTES)) last = b.header.baseOffset + b.header.lastOffsetDelta;
  } catch {
    // Written and fsynced before the commit, so never torn; anything odd is left to segment recovery.
  } finally {
    await fh.close();
  }
  return last;
}

export interface CleanerCheckpoint {
  /** Where the last cleaning stopped: below it the log is clean. */
  firstDirtyOffset: number;
  /** When the oldest tombstone that cleaning kept may be dropped; null when it kept none. */
  tombstonesDueMs: number | null;
}

/** What the last cleaning stored; when missing or unreadable, everything counts as dirty (only slower). */
export async function readCleanerCheckpoint(dir: string): Promise<CleanerCheckpoint> {
  try {
    const parsed = JSON.parse(await fsp.readFile(path.join(dir, CLEANER_CHECKPOINT_FILE), 'utf8')) as Partial<CleanerCheckpoint>;
    return {
      firstDirtyOffset: typeof parsed.firstDirtyOffset === 'number' ? parsed.firstDirtyOffset : 0,
      tombstonesDueMs: typeof parsed.tombstonesDueMs === 'number' ? parsed.tombstonesDueMs : null,
    };
  } catch {
    return { firstDirtyOffset: 0, tombstonesDueMs: null };
  }
}

export async function writeCleanerCheckpoint(dir: string, checkpoint: CleanerCheckpoint): Promise<void> {
  const file = path.join(dir, CLEANER_CHECKPOINT_FILE);
  const tmp = file + '.tmp';
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(checkpoint));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  await fsyncDirectory(dir);
}
