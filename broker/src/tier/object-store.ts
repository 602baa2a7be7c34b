// The object store the broker builds on (ARCHITECTURE §4, §5): tiered segments, manifests and the
// metadata log. Conditional writes (putIfAbsent, putIfMatch) are the cluster's only consensus primitive,
// so every implementation must make them atomic. test/tier/object-store-conformance.ts pins the contract.
import type { FileHandle } from 'node:fs/promises';

export interface ByteRange {
  start: number;
  /** Inclusive, as in an HTTP Range header. */
  end: number;
}

export interface ObjectStore {
  /** Creates or replaces the object. Readers see the old or the new body, never a mix. */
  put(key: string, body: Buffer): Promise<{ etag: string }>;
  /**
   * put of the first `length` bytes of an open file, read in bounded pieces so a large segment is never held
   * in memory whole (S3: one part at a time). Throws RangeError when the file holds fewer bytes.
   */
  putFile(key: string, file: FileHandle, length: number): Promise<{ etag: string }>;
  /**
   * The whole object, or the bytes of `range` that exist (empty when `range.start` is at or past the end).
   * Throws ObjectNotFoundError when the key does not exist, RangeError for a range that fails checkRange.
   */
  get(key: string, range?: ByteRange): Promise<Buffer>;
  /** Size and etag, or null when the key does not exist. */
  head(key: string): Promise<{ size: number; etag: string } | null>;
  /** Every key starting with `prefix` (a plain string prefix, not only at "/"), in byte order. */
  list(prefix: string): Promise<string[]>;
  /** Deletes the keys; missing keys are not an error. */
  delete(keys: string[]): Promise<void>;
  /** Creates the object only if the key does not exist; null when it already does (another writer won). */
  putIfAbsent(key: string, body: Buffer): Promise<{ etag: string } | null>;
  /** Replaces the object only if its etag is still `etag`; null when it changed or no longer exists. */
  putIfMatch(key: string, body: Buffer, etag: string): Promise<{ etag: string } | null>;
}

/** Rejects ranges no store can serve the same way (S3 would silently return the whole object). */
export function checkRange(range: ByteRange): void {
  if (!Number.isSafeInteger(range.start) || !Number.isSafeInteger(range.end) || range.start < 0 || range.end < range.start) {
    throw new RangeError(`invalid byte range ${range.start}-${range.end}`);
  }
}

export class ObjectNotFoundError extends Error {
  override readonly name = 'ObjectNotFoundError';
  constructor(readonly key: string) {
    super(`object ${JSON.stringify(key)} does not exist`);
  }
}

/** Exactly `length` bytes of an open file from `position`; RangeError when the file ends first. */
export async function readFileRange(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new RangeError(`file ends at ${position + filled}, before ${position + length}`);
    filled += bytesRead;
  }
  return buf;
}
