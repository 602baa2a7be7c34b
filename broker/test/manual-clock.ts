// A Clock for unit tests: time stands still until the test advances it, and timers fire in due order as it
// does, so a test states "300 ms later" exactly instead of sleeping and hoping the machine kept up.
import type { Clock, TimerHandle } from '../src/clock';

interface ManualTimer extends TimerHandle {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Set<ManualTimer>();

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, fn, unref: () => timer };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(timer: TimerHandle): void {
    this.timers.delete(timer as ManualTimer);
  }

  /** Timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way, earliest first, each at its
   * own time. Promise jobs and I/O callbacks are let run before each timer and at the end, so what a timer
   * starts (and what the test awaits) has settled when this resolves.
   */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      let next: ManualTimer | undefined;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.timers.delete(next);
      this.time = next.at;
      next.fn();
    }
    this.time = target;
    await settle();
  }

  /**
   * Until `p` settles: whenever a timer is pending, moves the clock straight to it and fires it; otherwise lets
   * real I/O run. For code whose only timers are waits it would otherwise sit out (a rate limiter), so clock
   * time measures exactly the waiting. Fails after `realTimeoutMs` of real time.
   */
  async skipWaitsUntil<T>(p: Promise<T>, realTimeoutMs = 30_000): Promise<T> {
    let settled = false;
    p.then(
      () => (settled = true),
      () => (settled = true),
    );
    const deadline = Date.now() + realTimeoutMs;
    while (!settled) {
      if (Date.now() > deadline) throw new Error(`did not settle within ${realTimeoutMs} ms`);
      let due = Infinity;
      for (const t of this.timers) due = Math.min(due, t.at);
      if (due === Infinity) await new Promise((resolve) => setTimeout(resolve, 1));
      else await this.advance(due - this.time);
    }
    return p;
  }

  /** Advances `stepMs` at a time until `p` settles; fails if it has not within `maxMs` of clock time. */
  async runUntil<T>(p: Promise<T>, stepMs = 10, maxMs = 60_000): Promise<T> {
    let settled = false;
    const watched = p.finally(() => (settled = true));
    watched.catch(() => undefined);
    await settle();
    for (let waited = 0; !settled; waited += stepMs) {
      if (waited >= maxMs) throw new Error(`did not settle within ${maxMs} ms of clock time`);
      await this.advance(stepMs);
    }
    return p;
  }
}

/** Lets queued promise jobs and immediates run (a few rounds, for chains of awaits). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
