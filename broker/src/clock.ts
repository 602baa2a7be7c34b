// Time as the broker's timing logic sees it: the current time and one-shot timers. Production code uses
// systemClock; unit tests inject a manual clock (test/manual-clock.ts) so timing assertions never depend on
// how loaded the machine is.

/** A pending timer; unref() lets the process exit while it is pending (a no-op for a manual clock). */
export interface TimerHandle {
  unref(): TimerHandle;
}

export interface Clock {
  /** Milliseconds since the epoch (or, for monotonicClock, since an arbitrary origin). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(timer: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** systemClock with a clock that never goes backwards, for measuring intervals (rates, timeouts). */
export const monotonicClock: Clock = { ...systemClock, now: () => performance.now() };

/** Resolves after `ms` on the clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/** `p`, or a rejection with `message` once `ms` pass on the clock first (`p` itself is not cancelled). */
export function withDeadline<T>(clock: Clock, p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: TimerHandle | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = clock.setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([p, expired]).finally(() => clock.clearTimeout(timer!));
}
