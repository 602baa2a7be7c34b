// The broker-wide budget for request bytes (queued.max.request.bytes, KIP-72). A connection reserves a frame's
// size when it reads the frame's size prefix, before reading the body, and releases it once the request has
// been handled or the connection closes; so the request bytes held across all connections never exceed the
// capacity, whatever sizes and counts of frames clients announce. The pool only counts: buffers stay where
// the frame reader puts them (zero-copy slices).
//
// Waiters are granted strictly in arrival order, so a large frame is not starved by a stream of small ones.
// No deadlock: a reservation is only taken for a frame whose bytes are being read, so it ends when that
// request is handled or its connection closes (connections.max.idle.ms closes a client that stalls).
// A waiting connection reads nothing, so a client that gives up while waiting is noticed when its turn comes:
// it is granted, reads the close and releases at once, and the next waiter follows.

/** One connection's pending reservation; `granted` runs once the bytes are reserved for it. */
export interface PoolWaiter {
  readonly bytes: number;
  granted(): void;
}

export class RequestMemoryPool {
  private usedBytes = 0;
  private readonly waiters: PoolWaiter[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`request pool capacity must be positive, got ${capacity}`);
  }

  /** Bytes reserved now. */
  get used(): number {
    return this.usedBytes;
  }

  /** Connections waiting for space. */
  get waiting(): number {
    return this.waiters.length;
  }

  /** True if `bytes` can never be granted (larger than the whole pool). */
  tooLarge(bytes: number): boolean {
    return bytes > this.capacity;
  }

  /**
   * Reserves `w.bytes` now if nobody waits ahead and they fit (true); otherwise queues `w` (false) and calls
   * `w.granted()` once reserved. A request larger than the capacity is a caller error (check tooLarge first).
   */
  reserve(w: PoolWaiter): boolean {
    if (this.tooLarge(w.bytes)) throw new RangeError(`${w.bytes} bytes exceed the request pool (${this.capacity})`);
    if (this.waiters.length === 0 && this.fits(w.bytes)) {
      this.usedBytes += w.bytes;
      return true;
    }
    this.waiters.push(w);
    return false;
  }

  /** Withdraws a queued waiter (its connection closed); the ones behind it may now fit. */
  cancel(w: PoolWaiter): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    if (i === 0) this.grant();
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    this.usedBytes -= bytes;
    if (this.usedBytes < 0) throw new Error(`request pool released more than it reserved (${this.usedBytes})`);
    this.grant();
  }

  private fits(bytes: number): boolean {
    return this.usedBytes + bytes <= this.capacity;
  }

  /** Grants waiters in order while the first one fits. State is updated before each callback, which may re-enter. */
  private grant(): void {
    while (this.waiters.length > 0 && this.fits(this.waiters[0].bytes)) {
      const w = this.waiters.shift()!;
      this.usedBytes += w.bytes;
      w.granted();
    }
  }
}
