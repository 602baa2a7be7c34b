// Retrying object-store calls: capped exponential backoff with full jitter (sleep a random time in
// [0, min(cap, base * 2^attempt)]), as AWS recommends. Every error is retried (the S3 store surfaces 5xx,
// 503 SlowDown, resets and timeouts as thrown errors) unless `retryable` says otherwise; a stopped retry
// rejects with RetryStoppedError at once, even in the middle of a sleep.
import { systemClock, type Clock } from '../clock';

export interface BackoffOptions {
  /** First delay cap in ms (default 100). */
  baseMs?: number;
  /** Largest delay cap in ms (default 30 s). */
  maxMs?: number;
  /** Attempts before giving up with the last error; default unlimited. */
  maxAttempts?: number;
  /** False for errors that retrying cannot fix (thrown at once). */
  retryable?: (err: unknown) => boolean;
  /** Called after each failed attempt that will be retried. */
  onError?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Aborts the retries (close). */
  signal?: StopSignal;
  /** Random source in [0, 1) (tests). */
  random?: () => number;
}

export class RetryStoppedError extends Error {
  override readonly name = 'RetryStoppedError';
  constructor() {
    super('retries stopped');
  }
}

/** A one-shot stop flag whose waiters wake when it is raised. */
export class StopSignal {
  private stoppedFlag = false;
  private readonly waiters = new Set<() => void>();

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  stop(): void {
    if (this.stoppedFlag) return;
    this.stoppedFlag = true;
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }

  /** Calls `fn` once when the signal is raised (at once if it already is); returns an unsubscribe function. */
  onStop(fn: () => void): () => void {
    if (this.stoppedFlag) {
      fn();
      return () => undefined;
    }
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  /** Resolves after `ms` (on `clock`), or rejects with RetryStoppedError as soon as the signal is raised. */
  sleep(ms: number, clock: Clock = systemClock): Promise<void> {
    if (this.stoppedFlag) return Promise.reject(new RetryStoppedError());
    return new Promise<void>((resolve, reject) => {
      const onStop = () => {
        clock.clearTimeout(timer);
        reject(new RetryStoppedError());
      };
      const timer = clock.setTimeout(() => {
        this.waiters.delete(onStop);
        resolve();
      }, ms);
      this.waiters.add(onStop);
    });
  }
}

/** The delay before retry number `attempt` (1-based): full jitter over the capped exponential. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * cap);
}

export async function retry<T>(op: (attempt: number) => Promise<T>, opts: BackoffOptions = {}): Promise<T> {
  const baseMs = opts.baseMs ?? 100;
  const maxMs = opts.maxMs ?? 30_000;
  const maxAttempts = opts.maxAttempts ?? Infinity;
  const signal = opts.signal ?? new StopSignal();
  for (let attempt = 1; ; attempt++) {
    if (signal.stopped) throw new RetryStoppedError();
    try {
      return await op(attempt);
    } catch (err) {
      if (err instanceof RetryStoppedError || signal.stopped) throw err;
      if (attempt >= maxAttempts || (opts.retryable && !opts.retryable(err))) throw err;
      const delay = backoffDelay(attempt, baseMs, maxMs, opts.random);
      opts.onError?.(err, attempt, delay);
      await signal.sleep(delay);
    }
  }
}
