// Process helpers for the Kafka-vs-Strata benchmark: run a tool to completion with a hard deadline, and read a
// broker's peak RSS and CPU time from /proc. Every child is registered with e2e/helpers/children, which SIGKILLs
// whatever is still running when this process exits (normally, on an error, or on Ctrl-C).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { track } from '../../e2e/helpers/children';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  wallSeconds: number;
  /** Newlines seen on stdout (counted even when stdout is not kept). */
  stdoutLines: number;
}

export interface RunOptions {
  timeoutMs: number;
  /** Keep at most this many characters of stdout (the tail); default 1 MiB. */
  keepStdout?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Runs a command to its end (or SIGKILLs it at the deadline) and collects its output. Never rejects on exit codes. */
export function runProcess(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const keep = opts.keepStdout ?? 1 << 20;
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = track(spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd }));
    let stdout = '';
    let stderr = '';
    let lines = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout!.on('data', (c: Buffer) => {
      for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++;
      if (keep > 0) {
        stdout += c.toString('utf8');
        if (stdout.length > 2 * keep) stdout = stdout.slice(-keep);
      }
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
      if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 19));
    });
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ code, signal, stdout: stdout.slice(-keep), stderr, timedOut, wallSeconds, stdoutLines: lines });
    };
    child.once('error', (err) => {
      stderr += `spawn error: ${err.message}\n`;
      finish(-1, null);
    });
    child.once('close', finish);
  });
}

export interface ProcStats {
  /** Peak resident set size (VmHWM), MiB. */
  peakRssMiB: number;
  /** utime + stime of the whole process (all threads), seconds. */
  cpuSeconds: number;
}

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

export function procStats(pid: number): ProcStats {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwmKiB = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm) ": state is field 3, utime field 14, stime field 15 (1-based).
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  return { peakRssMiB: hwmKiB / 1024, cpuSeconds: ticks / CLOCK_TICKS };
}

/** The last `n` non-empty lines of a text, for error messages. */
export function tail(text: string, n = 15): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(-n)
    .join('\n');
}

/** procStats summed over several processes (a cluster's brokers): total peak RSS, total CPU time. */
export function totalProcStats(pids: readonly number[]): ProcStats {
  const all = pids.map(procStats);
  return { peakRssMiB: all.reduce((s, p) => s + p.peakRssMiB, 0), cpuSeconds: all.reduce((s, p) => s + p.cpuSeconds, 0) };
}
