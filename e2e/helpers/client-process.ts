// Starts long-running client processes for the group, idempotence and benchmark suites:
//  - a JVM running one StrataClientCheck command (kafka-clients 4.1.1), e.g. group-consume, idem-produce;
//  - a node worker from e2e/workers/ (compiled next to this file: <outDir>/e2e/workers/<name>.js).
// Both print JSON lines; see json-process.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { javaPaths } from './java';
import { JsonLinesProcess } from './json-process';

export interface JavaProcessOptions {
  name?: string;
  /** JVM flags; default: small heap, serial GC, C1 only (fast start, enough for tests). */
  jvmFlags?: string[];
  /** Added to the environment (e.g. STRATA_CLIENT_PROPERTIES). */
  env?: NodeJS.ProcessEnv;
}

export const FAST_START_JVM = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

export function startJava(command: string, args: Array<string | number>, opts: JavaProcessOptions = {}): JsonLinesProcess {
  const { lib, source } = javaPaths();
  const argv = [...(opts.jvmFlags ?? FAST_START_JVM), '-cp', `${lib}/*`, source, command, ...args.map(String)];
  return new JsonLinesProcess('java', argv, { name: opts.name ?? `java ${command}`, env: { ...process.env, ...opts.env } });
}

/** The compiled worker script e2e/workers/<name>.js next to this compiled helper. */
export function workerPath(name: string): string {
  const p = path.resolve(__dirname, '..', 'workers', `${name}.js`);
  if (!fs.existsSync(p)) throw new Error(`worker ${p} does not exist: compile first (npx tsc -p .)`);
  return p;
}

/** Runs e2e/workers/<name>.js in its own node process with one JSON argument. */
export function startNodeWorker(name: string, options: object, label?: string): JsonLinesProcess {
  return new JsonLinesProcess(process.execPath, [workerPath(name), JSON.stringify(options)], { name: label ?? `worker ${name}` });
}
