// Splits a TCP byte stream into Kafka frames (int32 size prefix + payload), for the broker's connections and protocol/client.ts.
// A frame that sits inside one received chunk is returned as a slice (no copy);
// only frames spanning chunks are assembled, once, into a buffer of exactly their size.
// An optional admission check sees each frame's size as soon as its prefix is read; a frame it does not admit
// yet is held (no further frames are parsed) until admitted() is called, so the caller can pause its socket
// and wait, e.g. for space in the broker's request pool (network/request-pool.ts).

export class FrameError extends Error {}

/** True to read the frame of this payload size now; false to hold it until admitted(). May throw FrameError. */
export type FrameAdmission = (size: number) => boolean;

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1; // payload size of the frame being read, or -1 while reading the prefix
  private held = false; // the frame of `expected` bytes is not admitted yet
  private limitName = 'socket.request.max.bytes';

  constructor(
    private maxFrameBytes: number,
    private readonly admit?: FrameAdmission,
  ) {}

  /** Changes the largest frame accepted from the next size prefix on (e.g. a smaller one before authentication). */
  setLimit(bytes: number, name: string): void {
    this.maxFrameBytes = bytes;
    this.limitName = name;
  }

  /** Feeds received bytes; returns the complete frames now available (payload only, without the size prefix). */
  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.buffered += data.length;
    return this.parse();
  }

  /** The held frame is admitted: returns the frames the bytes already received complete. */
  admitted(): Buffer[] {
    this.held = false;
    return this.parse();
  }

  /** True while a frame's size is known but the admission check has not let it in yet. */
  get holding(): boolean {
    return this.held;
  }

  private parse(): Buffer[] {
    const frames: Buffer[] = [];
    while (!this.held) {
      if (this.expected < 0) {
        if (this.buffered < 4) break;
        const size = this.peekInt32();
        if (size < 0) throw new FrameError(`negative frame size ${size}`);
        if (size > this.maxFrameBytes) {
          throw new FrameError(`frame size ${size} exceeds ${this.limitName} (${this.maxFrameBytes})`);
        }
        this.consume(4);
        this.expected = size;
        if (this.admit && !this.admit(size)) {
          this.held = true;
          break;
        }
      }
      if (this.buffered < this.expected) break;
      frames.push(this.consume(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  /** Bytes received but not yet returned as a frame (a truncated frame at close). */
  get pendingBytes(): number {
    return this.buffered + (this.expected >= 0 ? 4 : 0);
  }

  private peekInt32(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    return this.consumeCopy(4, false).readInt32BE(0);
  }

  /** Removes n bytes from the front, as a slice when they lie in one chunk. */
  private consume(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0); // an empty frame (e.g. a raw SASL token) may end the received bytes
    const first = this.chunks[0];
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    return this.consumeCopy(n, true);
  }

  private consumeCopy(n: number, remove: boolean): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.chunks[i];
      const take = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, take);
      filled += take;
      if (remove) {
        if (take === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(take);
      } else i++;
    }
    if (remove) this.buffered -= n;
    return out;
  }
}
