// A long-running client process (a node worker from e2e/workers/, or a JVM running StrataClientCheck) that
// reports what it does as one JSON object per stdout line. The suite reads the lines as they arrive, waits
// for particular ones, tells the process to stop gracefully ("stop" on stdin, or stdin closed), or kills
// it with SIGKILL as a crash. Every process is registered with children.ts so none outlives the test run.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { track } from './children';
import { withTimeout } from './util';

export type JsonLine = Record<string, unknown>;

export interface JsonProcessOptions {
  /** Label used in error messages. */
  name: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class JsonLinesProcess {
  readonly lines: JsonLine[] = [];
  private child: ChildProcess;
  private partial = '';
  private err = '';
  private waiters: Array<() => void> = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAt = Date.now();

  constructor(
    readonly cmd: string,
    readonly argv: string[],
    readonly opts: JsonProcessOptions,
  ) {
    this.child = track(spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd }));
    this.child.stdout!.on('data', (c: Buffer) => this.onData(c.toString('utf8')));
    this.child.stderr!.on('data', (c: Buffer) => {
      this.err += c.toString('utf8');
      if (this.err.length > 200_000) this.err = this.err.slice(-100_000);
    });
    this.child.stdin!.on('error', () => undefined); // the process may be gone already
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        if (this.partial.trim()) this.push(this.partial);
        this.partial = '';
        this.exitInfo = { code, signal };
        this.wake();
        resolve(this.exitInfo);
      });
      this.child.once('error', (e) => {
        this.err += `\n[spawn error] ${e.message}`;
        this.exitInfo = { code: -1, signal: null };
        this.wake();
        resolve(this.exitInfo);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stderr(): string {
    return this.err;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.exitInfo;
  }

  isAlive(): boolean {
    return this.exitInfo === null;
  }

  private onData(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const l of parts) if (l.trim()) this.push(l);
    this.wake();
  }

  private push(l: string): void {
    try {
      const v = JSON.parse(l) as unknown;
      this.lines.push(typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonLine) : { value: v });
    } catch {
      this.lines.push({ unparsed: l });
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Lines matching `pred` (from index `from`). */
  matching(pred: (l: JsonLine) => boolean, from = 0): JsonLine[] {
    return this.lines.slice(from).filter(pred);
  }

  /**
   * Resolves with the first line at index ≥ `from` that matches; rejects on timeout or if the process exits
   * first (with the tail of its stderr).
   */
  async waitForLine(pred: (l: JsonLine) => boolean, timeoutMs: number, what: string, from = 0): Promise<JsonLine> {
    const deadline = Date.now() + timeoutMs;
    let scanned = from;
    for (;;) {
      for (; scanned < this.lines.length; scanned++) if (pred(this.lines[scanned])) return this.lines[scanned];
      if (!this.isAlive()) throw new Error(`${this.opts.name} exited (${JSON.stringify(this.exitInfo)}) before ${what}\n${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.opts.name}: timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Writes one line to the process's stdin. */
  send(line: string): void {
    if (this.isAlive() && this.child.stdin && !this.child.stdin.destroyed) this.child.stdin.write(`${line}\n`);
  }

  /**
   * Asks the process to finish ("stop" on stdin, then stdin closed) and waits for it to exit; SIGKILL after
   * the deadline and throw. Returns the exit status.
   */
  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.isAlive()) return this.exitInfo!;
    this.send('stop');
    this.child.stdin?.end();
    try {
      return await withTimeout(this.exited, timeoutMs, `${this.opts.name} to exit after "stop"`);
    } catch (err) {
      this.child.kill('SIGKILL');
      await withTimeout(this.exited, 10_000, `${this.opts.name} exit after SIGKILL`).catch(() => undefined);
      throw new Error(`${(err as Error).message}\n${this.describe()}`);
    }
  }

  /** SIGTERM and wait for the exit (for clients that stop on a signal, like kcat); SIGKILL after the deadline and throw. */
  async terminate(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.isAlive()) return this.exitInfo!;
    this.child.kill('SIGTERM');
    try {
      return await withTimeout(this.exited, timeoutMs, `${this.opts.name} to exit after SIGTERM`);
    } catch (err) {
      this.child.kill('SIGKILL');
      await withTimeout(this.exited, 10_000, `${this.opts.name} exit after SIGKILL`).catch(() => undefined);
      throw new Error(`${(err as Error).message}\n${this.describe()}`);
    }
  }

  /** Sends a signal (e.g. SIGTERM) without waiting. */
  signal(sig: NodeJS.Signals): void {
    if (this.isAlive()) this.child.kill(sig);
  }

  /** SIGKILL, as a crash; resolves once the process is gone. */
  async kill9(): Promise<void> {
    if (!this.isAlive()) return;
    this.child.kill('SIGKILL');
    await withTimeout(this.exited, 10_000, `${this.opts.name} exit after SIGKILL`);
  }

  /** Writes every stdout line and the stderr to a file under the temp dir (for a failed test); returns its path. */
  dump(label = this.opts.name): string {
    const file = path.join(os.tmpdir(), `strata-e2e-${label.replace(/[^A-Za-z0-9_.-]+/g, '_')}-${this.pid ?? 'x'}.jsonl`);
    fs.writeFileSync(file, `${this.lines.map((l) => JSON.stringify(l)).join('\n')}\n--- stderr ---\n${this.err}`);
    return file;
  }

  /** Last lines of stdout and stderr, for error messages. */
  describe(stdoutLines = 8, stderrChars = 3000): string {
    const out = this.lines.slice(-stdoutLines).map((l) => JSON.stringify(l)).join('\n');
    const err = this.err.length > stderrChars ? `…${this.err.slice(-stderrChars)}` : this.err;
    return `--- ${this.opts.name} stdout tail ---\n${out}\n--- ${this.opts.name} stderr tail ---\n${err}`;
  }
}

/** Stops (or kills) every process given, ignoring errors; for `after` hooks. */
export async function stopAll(procs: Iterable<JsonLinesProcess | undefined>, timeoutMs = 10_000): Promise<void> {
  await Promise.all(
    [...procs].map(async (p) => {
      if (!p || !p.isAlive()) return;
      try {
        await p.stop(timeoutMs);
      } catch {
        await p.kill9().catch(() => undefined);
      }
    }),
  );
}

/**
 * Call inside a describe(): the list the suite pushes its client processes into. They are stopped after the
 * suite, and printed (tail of each, and where all their output went) when a test fails.
 */
export function useClientProcesses(): JsonLinesProcess[] {
  const procs: JsonLinesProcess[] = [];
  after(async function () {
    this.timeout(40_000);
    await stopAll(procs, 15_000);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const j of procs) console.log(`${j.describe(6, 3000)}\n(all output: ${j.dump()})`);
  });
  return procs;
}
