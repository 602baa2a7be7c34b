// Cross-process races for the object store conformance suite: several child node processes
// (object-store-race-child.ts), each with its own store over the same directory or bucket, race putIfAbsent on
// the same keys and putIfMatch read-modify-write cycles on one key, as brokers of one cluster do.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { ObjectStoreConfig } from '../../src/tier/object-store-factory';

export interface RaceTask {
  config: ObjectStoreConfig;
  /** This writer's name, written into what it puts. */
  id: string;
  /** Key prefix of the test. */
  ns: string;
  /** putIfAbsent on `positions` log keys, in order; or `increments` read-modify-write cycles on one counter. */
  kind: 'absent' | 'cas';
  positions: number;
  increments: number;
}

/** absent: the positions this writer won. cas: its successful increments and lost attempts. */
export interface RaceResult {
  won: number[];
  increments: number;
  conflicts: number;
}

/** The counter object of the cas race: its value and the writer of each increment, in order. */
export interface Counter {
  n: number;
  by: string[];
}

export const logKey = (ns: string, i: number) => `${ns}log/${String(i).padStart(20, '0')}`;
export const counterKey = (ns: string) => `${ns}counter`;

/** Runs one child per task, releases them together once all are ready, and returns their results in order. */
export async function raceChildren(tasks: RaceTask[]): Promise<RaceResult[]> {
  const script = path.join(__dirname, 'object-store-race-child.js');
  const children: ChildProcess[] = [];
  try {
    const outputs = tasks.map((task) => {
      const child = spawn(process.execPath, [script, JSON.stringify(task)], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', () => out.includes('ready\n') && resolve());
        child.once('exit', () => reject(new Error(`race child ${task.id} exited before it was ready: ${err}`)));
      });
      const done = new Promise<RaceResult>((resolve, reject) =>
        child.once('exit', (code) => {
          if (code !== 0) reject(new Error(`race child ${task.id} failed (exit ${code}): ${err}`));
          else resolve(JSON.parse(out.slice(out.indexOf('ready\n') + 'ready\n'.length)) as RaceResult);
        }),
      );
      return { child, ready, done };
    });
    await Promise.all(outputs.map((o) => o.ready));
    for (const o of outputs) o.child.stdin!.write('go\n');
    return await Promise.all(outputs.map((o) => o.done));
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
