// Walks the batches of a segment file from a position, reading in chunks so that a scan costs a few
// large reads rather than one read per batch. Framing is checked (magic, length inside the range);
// CRCs are the caller's business.
import type { FileHandle } from 'fs/promises';
import { BatchHeader, CURRENT_MAGIC, LOG_OVERHEAD, RECORD_BATCH_HEADER_SIZE, readBatchHeader } from '../protocol/records';

export interface ScannedBatch {
  position: number;
  size: number;
  header: BatchHeader;
}

export interface ScannedBatchData extends ScannedBatch {
  /** The whole batch (a view into the current chunk). */
  data: Buffer;
}

/** The bytes at `position` do not frame a batch: a torn write or corruption. */
export class ScanError extends Error {
  constructor(
    readonly position: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'ScanError';
  }
}

export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await fh.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buf : buf.subarray(0, filled);
}

/** Headers of the batches in [from, end); batch bodies are skipped without being read. */
export function scanBatchHeaders(fh: FileHandle, from: number, end: number, chunkBytes: number): AsyncGenerator<ScannedBatch> {
  return scan(fh, from, end, chunkBytes, false);
}

/** Whole batches in [from, end). */
export function scanBatchData(fh: FileHandle, from: number, end: number, chunkBytes: number): AsyncGenerator<ScannedBatchData> {
  return scan(fh, from, end, chunkBytes, true) as AsyncGenerator<ScannedBatchData>;
}

async function* scan(fh: FileHandle, from: number, end: number, chunkBytes: number, withData: boolean): AsyncGenerator<ScannedBatch | ScannedBatchData> {
  let chunk: Buffer = Buffer.alloc(0);
  let chunkStart = from;
  let pos = from;
  while (pos < end) {
    if (pos + RECORD_BATCH_HEADER_SIZE > chunkStart + chunk.length) {
      chunk = await readAt(fh, pos, Math.min(end - pos, Math.max(chunkBytes, RECORD_BATCH_HEADER_SIZE)));
      chunkStart = pos;
      if (chunk.length < RECORD_BATCH_HEADER_SIZE) throw new ScanError(pos, `incomplete batch header (${end - pos} bytes left)`);
    }
    const header = readBatchHeader(chunk, pos - chunkStart);
    const size = header.batchLength + LOG_OVERHEAD;
    if (header.magic !== CURRENT_MAGIC) throw new ScanError(pos, `invalid magic ${header.magic}`);
    if (size < RECORD_BATCH_HEADER_SIZE || pos + size > end) throw new ScanError(pos, `batch length ${size} does not fit in the ${end - pos} bytes left`);
    if (!withData) {
      yield { position: pos, size, header };
    } else {
      if (pos + size > chunkStart + chunk.length) {
        chunk = await readAt(fh, pos, Math.min(end - pos, Math.max(chunkBytes, size)));
        chunkStart = pos;
        if (chunk.length < size) throw new ScanError(pos, 'file ended inside the batch');
      }
      yield { position: pos, size, header, data: chunk.subarray(pos - chunkStart, pos - chunkStart + size) };
    }
    pos += size;
  }
}
