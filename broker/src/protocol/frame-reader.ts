// Splits a TCP byte stream into Kafka frames (int32 size prefix + payload), for the broker's connections and protocol/client.ts.
// A frame that sits inside one received chunk is returned as a slice (no copy);
// only frames spanning chunks are assembled, once, into a buffer of exactly their size.

export class FrameError extends Error {}

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1; // payload size of the frame being read, or -1 while reading the prefix

  constructor(private readonly maxFrameBytes: number) {}

  /** Feeds received bytes; returns the complete frames now available (payload only, without the size prefix). */
  push(data: Buffer): Buffer[] {
    this.chunks.push(data);
    this.buffered += data.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < 4) break;
        const size = this.peekInt32();
        if (size < 0) throw new FrameError(`negative frame size ${size}`);
        if (size > this.maxFrameBytes) {
          throw new FrameError(`frame size ${size} exceeds socket.request.max.bytes (${this.maxFrameBytes})`);
        }
        this.consume(4);
        this.expected = size;
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
