// A work queue keyed by "namespace/name" (client-go's workqueue, reduced): a key is queued at most once,
// never handled by two workers at the same time (a key added while it is being handled is handled again
// afterwards), and a failed key is retried after a per-key exponential delay.

export interface RateLimiterOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Per-key exponential backoff: base·2^failures, capped. */
export class ExponentialRateLimiter {
  private readonly failures = new Map<string, number>();
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;

  constructor(opts: RateLimiterOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 500;
    this.maxDelayMs = opts.maxDelayMs ?? 5 * 60_000;
  }

  /** The delay before the next retry of key, counting this failure. */
  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n, 30));
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }
}

export type Handler = (key: string) => Promise<ReconcileResult | void>;

/** What a handler may ask for besides success: to be looked at again after a while. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface QueueOptions extends RateLimiterOptions {
  workers?: number;
  onError?: (key: string, err: unknown, retryInMs: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  /** Keys added while active: requeued when their handler finishes. */
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly limiter: ExponentialRateLimiter;
  private readonly workers: number;
  private running = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handler: Handler,
    private readonly opts: QueueOptions = {},
  ) {
    this.limiter = new ExponentialRateLimiter(opts);
    this.workers = opts.workers ?? 2;
  }

  /** Keys waiting (not counting those in progress or waiting for a retry timer). */
  get depth(): number {
    return this.queue.length;
  }

  get inProgress(): number {
    return this.active.size;
  }

  add(key: string): void {
    if (this.stopped) return;
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds key after delayMs (an earlier add wins; a later addAfter does not postpone an earlier one). */
  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    if (delayMs <= 0) return this.add(key);
    if (this.timers.has(key) || this.queued.has(key)) return;
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    t.unref?.();
    this.timers.set(key, t);
  }

  /** Stops taking work; resolves once handlers in progress have finished. */
  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.queue.length = 0;
    this.queued.clear();
    await this.idle();
  }

  /** Resolves when nothing is queued or in progress (retry timers may still be pending). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.stopped && this.running < this.workers && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let retryIn: number | undefined;
    try {
      const res = await this.handler(key);
      this.limiter.forget(key);
      if (res && res.requeueAfterMs !== undefined) retryIn = res.requeueAfterMs;
    } catch (err) {
      retryIn = this.limiter.when(key);
      try {
        this.opts.onError?.(key, err, retryIn);
      } catch {
        // a failing error hook must not wedge the queue
      }
    } finally {
      this.active.delete(key);
      this.running--;
    }
    if (this.dirty.delete(key)) this.add(key);
    else if (retryIn !== undefined) this.addAfter(key, retryIn);
    this.pump();
    if (this.running === 0 && this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
