// A sparse index kept in memory and mirrored to its file. Entries are fixed-size and sorted; they are added
// in memory as batches are assigned, and persist() writes what changed since the last persist. The file is
// never the source of truth: recovery rebuilds it from the log when it is missing or inconsistent.
import { promises as fsp, constants as fsc } from 'fs';

const INITIAL_CAPACITY = 64;

export abstract class IndexFile {
  protected buf: Buffer;
  protected count = 0;
  /** Entries [0, persistedCount) are known to match the file. */
  private persistedCount = 0;

  constructor(
    readonly file: string,
    protected readonly baseOffset: number,
    private readonly entrySize: number,
    private readonly maxEntries: number,
  ) {
    this.buf = Buffer.alloc(Math.min(INITIAL_CAPACITY, Math.max(1, maxEntries)) * entrySize);
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  get sizeBytes(): number {
    return this.count * this.entrySize;
  }

  /** Reads the file into memory. False when it is missing or not a whole number of entries. */
  async load(): Promise<boolean> {
    let data: Buffer;
    try {
      data = await fsp.readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    if (data.length % this.entrySize !== 0) return false;
    this.buf = data.length > 0 ? data : this.buf;
    this.count = this.persistedCount = data.length / this.entrySize;
    return true;
  }

  /** Drops all entries (before a rebuild). */
  reset(): void {
    this.count = 0;
    this.persistedCount = 0;
  }

  /** Drops the last entries while `drop(i)` holds for the last one (a rollback of refused appends). */
  protected dropLastWhile(drop: (i: number) => boolean): void {
    while (this.count > 0 && drop(this.count - 1)) this.count--;
    this.persistedCount = Math.min(this.persistedCount, this.count);
  }

  /** Writes entries added since the last persist (or the whole file after a reset) and fsyncs it. */
  async persist(): Promise<void> {
    const from = this.persistedCount * this.entrySize;
    const to = this.count * this.entrySize;
    const fh = await fsp.open(this.file, fsc.O_RDWR | fsc.O_CREAT, 0o644);
    try {
      if (to > from) await fh.write(this.buf, from, to - from, from);
      await fh.truncate(to);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.persistedCount = this.count;
  }

  /** Writes every entry to another file and fsyncs it: a copy staged to take this index's place (compaction). */
  async writeCopy(file: string): Promise<void> {
    const fh = await fsp.open(file, 'w', 0o644);
    try {
      await fh.write(this.buf, 0, this.count * this.entrySize, 0);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async delete(): Promise<void> {
    await fsp.rm(this.file, { force: true });
  }

  /** Index of the last entry whose key (read by `keyAt`) is <= key, or -1. */
  protected floorIndex(key: number, keyAt: (i: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) <= key) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }

  /** Byte position for a new entry, growing the buffer by doubling. */
  protected nextEntryPosition(): number {
    const pos = this.count * this.entrySize;
    if (pos + this.entrySize > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.buf.length * 2, pos + this.entrySize));
      this.buf.copy(grown, 0, 0, pos);
      this.buf = grown;
    }
    this.count++;
    return pos;
  }

  /** Relative offset stored in an entry, back to an absolute offset. */
  protected absolute(relative: number): number {
    return this.baseOffset + relative;
  }
}
