// The .txnindex file of a segment, in Kafka's format: one 34-byte entry per transaction aborted by a marker
// in this segment — version int16 (0), producerId int64, firstOffset int64, lastOffset int64 (the marker),
// lastStableOffset int64 (the LSO once the abort was decided). read_committed fetches collect the entries
// overlapping the range they return, so consumers can drop aborted records without the broker scanning data.
// Entries are written through to the file (created on the first abort) before the marker becomes readable,
// and fsynced with the segment; the file is the only copy, so memory does not grow with the number of aborts.
// Recovery rebuilds the file of every segment it re-validates.
import { promises as fsp } from 'fs';
import { LazyFile } from './fs-util';
import { readAt } from './batch-scanner';

export const TXN_INDEX_ENTRY_SIZE = 34;
const VERSION = 0;
/** Entries read per chunk when collecting. */
const READ_CHUNK_ENTRIES = 2048;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export function encodeAbortedTxns(entries: readonly AbortedTxn[]): Buffer {
  const buf = Buffer.alloc(entries.length * TXN_INDEX_ENTRY_SIZE);
  entries.forEach((e, i) => {
    const at = i * TXN_INDEX_ENTRY_SIZE;
    buf.writeInt16BE(VERSION, at);
    buf.writeBigInt64BE(BigInt(e.producerId), at + 2);
    buf.writeBigInt64BE(BigInt(e.firstOffset), at + 10);
    buf.writeBigInt64BE(BigInt(e.lastOffset), at + 18);
    buf.writeBigInt64BE(BigInt(e.lastStableOffset), at + 26);
  });
  return buf;
}

function decodeEntry(buf: Buffer, at: number): AbortedTxn {
  return {
    producerId: Number(buf.readBigInt64BE(at + 2)),
    firstOffset: Number(buf.readBigInt64BE(at + 10)),
    lastOffset: Number(buf.readBigInt64BE(at + 18)),
    lastStableOffset: Number(buf.readBigInt64BE(at + 26)),
  };
}

/**
 * Adds the entries of `data` (whole entries of an index) that overlap [fetchOffset, upperBoundOffset) to `out`.
 * Returns true once an entry shows every transaction below the bound was decided (its lastStableOffset reaches
 * the bound): no later entry can overlap the range, so the search is complete.
 */
export function collectFrom(data: Buffer, fetchOffset: number, upperBoundOffset: number, out: AbortedTxn[]): boolean {
  for (let at = 0; at + TXN_INDEX_ENTRY_SIZE <= data.length; at += TXN_INDEX_ENTRY_SIZE) {
    const e = decodeEntry(data, at);
    if (e.lastOffset >= fetchOffset && e.firstOffset < upperBoundOffset) out.push(e);
    if (e.lastStableOffset >= upperBoundOffset) return true;
  }
  return false;
}

export class TransactionIndex {
  private readonly lazy: LazyFile;
  private bytes = 0;
  private dirty = false;

  constructor(readonly file: string) {
    this.lazy = new LazyFile(file, 'transaction index');
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Learns the size of an existing file (trusted segments); a torn last entry is cut off. */
  async load(): Promise<void> {
    try {
      const size = (await fsp.stat(this.file)).size;
      this.bytes = size - (size % TXN_INDEX_ENTRY_SIZE);
      if (this.bytes !== size) await fsp.truncate(this.file, this.bytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.bytes = 0;
    }
  }

  /** Empties the index before recovery rebuilds it. */
  async reset(): Promise<void> {
    this.bytes = 0;
    const opened = this.lazy.opened;
    if (opened) await (await opened).truncate(0);
    else await fsp.rm(this.file, { force: true });
  }

  async append(entries: readonly AbortedTxn[]): Promise<void> {
    if (entries.length === 0) return;
    const data = encodeAbortedTxns(entries);
    // Appends come one at a time (the log's writer); readers see an entry only once it is whole in the file.
    const at = this.bytes;
    this.dirty = true;
    const fh = await this.lazy.open();
    let written = 0;
    while (written < data.length) {
      const n = (await fh.write(data, written, data.length - written, at + written)).bytesWritten;
      if (n === 0) throw new Error(`short write to ${this.file}`);
      written += n;
    }
    this.bytes = at + data.length;
  }

  /** Entries overlapping [fetchOffset, upperBoundOffset) into `out`; true when the search is complete (see collectFrom). */
  async collect(fetchOffset: number, upperBoundOffset: number, out: AbortedTxn[]): Promise<boolean> {
    if (this.bytes === 0) return false;
    const fh = await this.lazy.open();
    const chunk = READ_CHUNK_ENTRIES * TXN_INDEX_ENTRY_SIZE;
    for (let pos = 0; pos < this.bytes; pos += chunk) {
      const data = await readAt(fh, pos, Math.min(chunk, this.bytes - pos));
      if (collectFrom(data, fetchOffset, upperBoundOffset, out)) return true;
    }
    return false;
  }

  async sync(): Promise<void> {
    const opened = this.lazy.opened;
    if (!this.dirty || !opened) return;
    this.dirty = false;
    await (await opened).sync();
  }

  close(): Promise<void> {
    return this.lazy.close();
  }

  async delete(): Promise<void> {
    await this.close();
    await fsp.rm(this.file, { force: true });
  }
}
