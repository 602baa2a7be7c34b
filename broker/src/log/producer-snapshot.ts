// Producer state snapshots: `<20-digit offset>.snapshot` holds the producer state after every batch below
// that offset, so that opening a log replays only the batch headers after its newest snapshot. Written when
// a segment rolls (once the rolled segment is fsynced) and on clean close; written atomically (temp file,
// fsync, rename, fsync dir) so a crash leaves whole files only.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { fsyncDirectory } from './fs-util';
import type { ProducerSnapshotEntry } from './producer-state';

export const SNAPSHOT_SUFFIX = '.snapshot';
const TMP_SUFFIX = '.tmp';
const SNAPSHOT_FILE = /^(\d{20})\.snapshot$/;
const VERSION = 1;
/** Older snapshots are never read; two leave one to fall back on if the newest is unreadable. */
const SNAPSHOTS_KEPT = 2;

interface SnapshotFile {
  version: number;
  offset: number;
  producers: ProducerSnapshotEntry[];
}

export function snapshotFile(dir: string, offset: number): string {
  return path.join(dir, String(offset).padStart(20, '0') + SNAPSHOT_SUFFIX);
}

/** Offsets of the snapshots in `dir`, ascending; removes temp files a crash left behind. */
export async function listSnapshots(dir: string): Promise<number[]> {
  const offsets: number[] = [];
  for (const name of await fsp.readdir(dir)) {
    const m = SNAPSHOT_FILE.exec(name);
    if (m) offsets.push(Number(m[1]));
    else if (name.endsWith(SNAPSHOT_SUFFIX + TMP_SUFFIX)) await fsp.rm(path.join(dir, name), { force: true });
  }
  return offsets.sort((a, b) => a - b);
}

/** The producers stored at `offset`; throws if the file is unreadable or malformed. */
export async function readSnapshot(dir: string, offset: number): Promise<ProducerSnapshotEntry[]> {
  const s = JSON.parse(await fsp.readFile(snapshotFile(dir, offset), 'utf8')) as Partial<SnapshotFile>;
  if (s.version !== VERSION || s.offset !== offset || !Array.isArray(s.producers) || !s.producers.every(isEntry)) {
    throw new Error(`malformed producer snapshot ${path.basename(snapshotFile(dir, offset))}`);
  }
  return s.producers;
}

export async function writeSnapshot(dir: string, offset: number, producers: ProducerSnapshotEntry[]): Promise<void> {
  const file = snapshotFile(dir, offset);
  const tmp = file + TMP_SUFFIX;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify({ version: VERSION, offset, producers } satisfies SnapshotFile));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  await fsyncDirectory(dir);
}

export async function deleteSnapshot(dir: string, offset: number): Promise<void> {
  await fsp.rm(snapshotFile(dir, offset), { force: true });
}

/** Keeps the newest snapshots; of those, one below the log start is kept only if it is the newest. */
export async function pruneSnapshots(dir: string, logStartOffset: number): Promise<void> {
  const offsets = await listSnapshots(dir);
  const newest = offsets.length - 1;
  const doomed = offsets.filter((o, i) => i < offsets.length - SNAPSHOTS_KEPT || (o < logStartOffset && i < newest));
  await Promise.all(doomed.map((o) => deleteSnapshot(dir, o)));
}

/** Entries of version 1 files written before transactions have 4 fields; the open transaction adds 2. */
function isEntry(e: unknown): e is ProducerSnapshotEntry {
  if (!Array.isArray(e) || (e.length !== 4 && e.length !== 6) || !isNumbers(e.slice(0, 3)) || !isNumbers(e.slice(4)) || !Array.isArray(e[3])) return false;
  return (e[3] as unknown[]).every((b) => Array.isArray(b) && b.length === 5 && isNumbers(b));
}

function isNumbers(a: unknown[]): boolean {
  return a.every((n) => typeof n === 'number');
}
