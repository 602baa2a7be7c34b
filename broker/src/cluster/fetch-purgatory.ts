// The delayed-fetch purgatory: a fetch that found less than min_bytes waits here, woken by the logs' events
// instead of polling. What counts as new data depends on who fetches:
// - a follower reads up to the log end: every append counts;
// - a consumer reads up to the high watermark: on a replicated log, any move of the HW wakes it (followers fetched
//   data that is now visible; the bytes may have been appended before the wait began, so appends cannot measure
//   it) — the fetch then answers what it reads, possibly less than min_bytes;
// - read_committed also needs the last stable offset of some partition to move (a marker made data readable).
import type { Partition } from './partition';

export interface FetchWait {
  /** Bytes still missing to reach the fetch's min_bytes. */
  bytes: number;
  timeoutMs: number;
  /** The requesting connection closed: stop waiting. */
  signal?: AbortSignal;
  readCommitted?: boolean;
  /** A replica's fetch (reads to the log end). */
  follower?: boolean;
}

/** Resolves once enough new data is readable in any of the partitions, after the timeout, or on abort. */
export function waitForData(partitions: readonly Partition[], wait: FetchWait): Promise<void> {
  return new Promise((resolve) => {
    if (wait.signal?.aborted) return resolve();
    const logs = partitions.map((p) => p.log);
    const initialSize = logs.map((l) => l.sizeBytes);
    const initialHw = logs.map((l) => l.highWatermark);
    const initialLso = logs.map((l) => l.lastStableOffset);
    const hwMoved = (i: number) => !wait.follower && logs[i].replicated && logs[i].highWatermark !== initialHw[i];
    const listener = () => {
      if (wait.readCommitted && logs.every((l, i) => l.lastStableOffset === initialLso[i])) return;
      let appended = 0;
      logs.forEach((l, i) => {
        // Appends on a replicated log count for a consumer only through its HW.
        if (wait.follower || !l.replicated) appended += l.sizeBytes - initialSize[i];
      });
      if (appended >= wait.bytes || logs.some((_, i) => hwMoved(i))) done();
    };
    const timer = setTimeout(() => done(), wait.timeoutMs);
    // A waiter whose client went away must not hold its timer and listeners until the timeout.
    const done = () => {
      clearTimeout(timer);
      wait.signal?.removeEventListener('abort', done);
      for (const l of logs) {
        l.off('append', listener);
        l.off('highWatermark', listener);
      }
      resolve();
    };
    wait.signal?.addEventListener('abort', done, { once: true });
    for (const l of logs) {
      l.on('append', listener);
      l.on('highWatermark', listener);
    }
  });
}
