// The .timeindex file: timestamp (int64) → relative offset (int32) of the batch that carried it. An entry is
// added beside an offset index entry when the segment's max timestamp has grown since the last one, so
// timestamps are strictly increasing, and once more when the segment is sealed so its max survives restarts.
import { IndexFile } from './index-file';

const ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends IndexFile {
  constructor(file: string, baseOffset: number, maxIndexBytes: number) {
    super(file, baseOffset, ENTRY_SIZE, Math.floor(maxIndexBytes / ENTRY_SIZE));
  }

  /** Adds (timestamp, offset) if the timestamp is newer than the last entry's. */
  maybeAppend(timestamp: number, offset: number): void {
    if (timestamp <= this.last().timestamp) return;
    const at = this.nextEntryPosition();
    const hi = Math.floor(timestamp / 4294967296);
    this.buf.writeInt32BE(hi, at);
    this.buf.writeUInt32BE(timestamp - hi * 4294967296, at + 4);
    this.buf.writeInt32BE(offset - this.baseOffset, at + 8);
  }

  /** The last entry with timestamp <= `timestamp`, or (-1, segment base). */
  lookup(timestamp: number): TimestampOffset {
    const i = this.floorIndex(timestamp, (j) => this.timestampAt(j));
    return i < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entryAt(i);
  }

  last(): TimestampOffset {
    return this.count === 0 ? { timestamp: -1, offset: this.baseOffset } : this.entryAt(this.count - 1);
  }

  /** Drops the entries for offsets at or past `endOffset`. */
  truncateToOffset(endOffset: number): void {
    this.dropLastWhile((i) => this.entryAt(i).offset >= endOffset);
  }

  /** Timestamps strictly increasing, offsets non-decreasing and below `nextOffset`. */
  isConsistent(nextOffset: number): boolean {
    let prev: TimestampOffset = { timestamp: -Infinity, offset: this.baseOffset };
    for (let i = 0; i < this.count; i++) {
      const e = this.entryAt(i);
      if (e.timestamp <= prev.timestamp || e.offset < prev.offset || e.offset >= nextOffset) return false;
      prev = e;
    }
    return true;
  }

  private timestampAt(i: number): number {
    return this.buf.readInt32BE(i * ENTRY_SIZE) * 4294967296 + this.buf.readUInt32BE(i * ENTRY_SIZE + 4);
  }

  private entryAt(i: number): TimestampOffset {
    return { timestamp: this.timestampAt(i), offset: this.absolute(this.buf.readInt32BE(i * ENTRY_SIZE + 8)) };
  }
}
