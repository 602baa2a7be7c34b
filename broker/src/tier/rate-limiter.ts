// A token bucket shared by every uploader of a broker (remoteUploadBytesPerSec). take(n) waits until n
// tokens are available; a request larger than the bucket is served in bucket-sized parts, so a 1 GiB
// segment under a 10 MB/s limit takes ~100 s whatever the burst. Waiters are served in call order.
import { monotonicClock, type Clock } from '../clock';
import { RetryStoppedError, StopSignal } from './backoff';

const NEVER_STOPPED = new StopSignal();

export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private queue: Promise<void> = Promise.resolve();

  /** `bytesPerSec` <= 0 = unlimited. The bucket holds `burstBytes` (default one second's worth). */
  constructor(
    readonly bytesPerSec: number,
    burstBytes?: number,
    private readonly clock: Clock = monotonicClock,
  ) {
    this.capacity = Math.max(1, burstBytes ?? bytesPerSec);
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  get unlimited(): boolean {
    return this.bytesPerSec <= 0;
  }

  /** Waits until `bytes` may be sent. */
  take(bytes: number, signal?: StopSignal): Promise<void> {
    if (this.unlimited || bytes <= 0) return Promise.resolve();
    const turn = this.queue.then(() => this.consume(bytes, signal));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async consume(bytes: number, signal?: StopSignal): Promise<void> {
    let left = bytes;
    while (left > 0) {
      if (signal?.stopped) throw new RetryStoppedError();
      this.refill();
      const part = Math.min(left, this.capacity);
      if (this.tokens >= part) {
        this.tokens -= part;
        left -= part;
        continue;
      }
      const waitMs = Math.ceil(((part - this.tokens) / this.bytesPerSec) * 1000);
      await (signal ?? NEVER_STOPPED).sleep(waitMs, this.clock);
    }
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.bytesPerSec);
    this.last = now;
  }
}
