// Every process the e2e suites spawn is registered here. Suites stop their own processes in `after` hooks;
// this registry is the last line of defence: when the mocha process exits (normally, on failure, or on
// Ctrl-C) anything still running is SIGKILLed, so no broker, kcat or JVM outlives the test run.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

function killAllSync(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

export function track(child: ChildProcess): ChildProcess {
  if (!hooked) {
    hooked = true;
    process.on('exit', killAllSync);
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.once(sig, () => {
        killAllSync();
        process.exit(130);
      });
    }
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Processes still running (for a sanity check at the end of a suite). */
export function liveChildren(): number {
  let n = 0;
  for (const c of live) if (c.exitCode === null && c.signalCode === null) n++;
  return n;
}
