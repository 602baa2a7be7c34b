// A child process of the object store conformance suite's cross-process races (object-store-race.ts).
// argv[2]: a RaceTask as JSON. It builds its own store from the config (as a broker would), prints "ready",
// waits for a line on stdin (so every child starts racing at once), runs the task and prints a RaceResult.
import { createObjectStore } from '../../src/tier/object-store-factory';
import { counterKey, logKey, type Counter, type RaceResult, type RaceTask } from './object-store-race';

async function run(task: RaceTask): Promise<RaceResult> {
  const store = createObjectStore(task.config);
  const result: RaceResult = { won: [], increments: 0, conflicts: 0 };
  if (task.kind === 'absent') {
    for (let i = 0; i < task.positions; i++) {
      if (await store.putIfAbsent(logKey(task.ns, i), Buffer.from(task.id))) result.won.push(i);
    }
    return result;
  }
  const key = counterKey(task.ns);
  while (result.increments < task.increments) {
    // The etag is read before the body: if a write lands in between, the etag is stale and the put loses.
    const head = await store.head(key);
    if (!head) throw new Error('counter missing');
    const counter = JSON.parse((await store.get(key)).toString()) as Counter;
    const next: Counter = { n: counter.n + 1, by: [...counter.by, task.id] };
    if (await store.putIfMatch(key, Buffer.from(JSON.stringify(next)), head.etag)) result.increments++;
    else result.conflicts++;
  }
  return result;
}

const task = JSON.parse(process.argv[2]) as RaceTask;
process.stdout.write('ready\n');
process.stdin.once('data', () => {
  run(task).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
});
