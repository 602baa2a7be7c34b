// The .index file: relative offset (int32) → file position (int32), one entry per batch start that
// follows at least index.interval.bytes of log since the previous entry.
import { IndexFile } from './index-file';

const ENTRY_SIZE = 8;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends IndexFile {
  constructor(file: string, baseOffset: number, maxIndexBytes: number) {
    super(file, baseOffset, ENTRY_SIZE, Math.floor(maxIndexBytes / ENTRY_SIZE));
  }

  /** `offset` is the base offset of the batch starting at `position`. */
  append(offset: number, position: number): void {
    const at = this.nextEntryPosition();
    this.buf.writeInt32BE(offset - this.baseOffset, at);
    this.buf.writeInt32BE(position, at + 4);
  }

  /** The last entry at or before `offset`, or the segment start. */
  lookup(offset: number): OffsetPosition {
    const i = this.floorIndex(offset, (j) => this.offsetAt(j));
    return i < 0 ? { offset: this.baseOffset, position: 0 } : { offset: this.offsetAt(i), position: this.positionAt(i) };
  }

  last(): OffsetPosition {
    return this.count === 0 ? { offset: this.baseOffset, position: 0 } : { offset: this.offsetAt(this.count - 1), position: this.positionAt(this.count - 1) };
  }

  /** Drops the entries at or past `size` bytes of log. */
  truncateToPosition(size: number): void {
    this.dropLastWhile((i) => this.positionAt(i) >= size);
  }

  /** Offsets and positions strictly increasing and inside the log. */
  isConsistent(logSize: number): boolean {
    let prevOffset = this.baseOffset - 1;
    let prevPosition = -1;
    for (let i = 0; i < this.count; i++) {
      const offset = this.offsetAt(i);
      const position = this.positionAt(i);
      if (offset <= prevOffset || position <= prevPosition || position >= logSize) return false;
      prevOffset = offset;
      prevPosition = position;
    }
    return true;
  }

  private offsetAt(i: number): number {
    return this.absolute(this.buf.readInt32BE(i * ENTRY_SIZE));
  }

  private positionAt(i: number): number {
    return this.buf.readInt32BE(i * ENTRY_SIZE + 4);
  }
}
