// The indexes of remote segments, fetched once per segment and kept in a small LRU by bytes. They are the
// same bytes as the local .index (int32 relative offset, int32 position) and .timeindex (int64 timestamp,
// int32 relative offset) files the uploader copied; the tier reads them without depending on the log layer.

const OFFSET_ENTRY = 8;
const TIME_ENTRY = 12;

export interface RemoteIndexes {
  offsetIndex: Buffer;
  timeIndex: Buffer;
}

/** Position of the last indexed batch starting at or before `offset` (0 if none): where to start scanning. */
export function lookupPosition(index: Buffer, baseOffset: number, offset: number): number {
  const n = Math.floor(index.length / OFFSET_ENTRY);
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (baseOffset + index.readInt32BE(mid * OFFSET_ENTRY) <= offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi < 0 ? 0 : index.readInt32BE(hi * OFFSET_ENTRY + 4);
}

/** Offset of the last time-index entry with timestamp <= `timestamp`, or the base offset. */
export function lookupTimestamp(index: Buffer, baseOffset: number, timestamp: number): number {
  const n = Math.floor(index.length / TIME_ENTRY);
  const tsAt = (i: number) => index.readInt32BE(i * TIME_ENTRY) * 4294967296 + index.readUInt32BE(i * TIME_ENTRY + 4);
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (tsAt(mid) <= timestamp) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi < 0 ? baseOffset : baseOffset + index.readInt32BE(hi * TIME_ENTRY + 8);
}

export class IndexCache {
  private readonly entries = new Map<string, RemoteIndexes>();
  private readonly loading = new Map<string, Promise<RemoteIndexes>>();
  private used = 0;

  constructor(private readonly maxBytes: number) {}

  async get(segmentKey: string, load: () => Promise<RemoteIndexes>): Promise<RemoteIndexes> {
    const hit = this.entries.get(segmentKey);
    if (hit) {
      this.entries.delete(segmentKey);
      this.entries.set(segmentKey, hit);
      return hit;
    }
    let pending = this.loading.get(segmentKey);
    if (!pending) {
      pending = load()
        .then((idx) => {
          this.put(segmentKey, idx);
          return idx;
        })
        .finally(() => this.loading.delete(segmentKey));
      this.loading.set(segmentKey, pending);
    }
    return pending;
  }

  invalidate(segmentKey: string): void {
    const e = this.entries.get(segmentKey);
    if (!e) return;
    this.entries.delete(segmentKey);
    this.used -= e.offsetIndex.length + e.timeIndex.length;
  }

  get sizeBytes(): number {
    return this.used;
  }

  private put(key: string, idx: RemoteIndexes): void {
    const size = idx.offsetIndex.length + idx.timeIndex.length;
    if (size > this.maxBytes) return;
    this.invalidate(key);
    this.entries.set(key, idx);
    this.used += size;
    for (const [oldest, e] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= e.offsetIndex.length + e.timeIndex.length;
    }
  }
}
