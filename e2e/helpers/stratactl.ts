// Runs the built stratactl (dist/stratactl/main.js) as its own process, as a user or a script would, and
// collects its stdout, stderr and exit code. Input, when given, is written to its stdin and closed.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';
import { withTimeout } from './util';

export interface StratactlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function stratactlMainPath(): string {
  return path.resolve(__dirname, '..', '..', 'stratactl', 'main.js');
}

/** The test's own STRATA_* settings must not leak into the CLI; only what the caller passes. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATA_')));
}

export async function stratactl(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {}): Promise<StratactlResult> {
  const ctl = startStratactl(args, opts.env);
  ctl.child.stdin.end(opts.input ?? '');
  try {
    const code = await withTimeout(ctl.exited, opts.timeoutMs ?? 60_000, `stratactl ${args.join(' ')}`);
    return { code, stdout: ctl.stdout, stderr: ctl.stderr };
  } finally {
    ctl.child.kill('SIGKILL');
  }
}

export interface RunningStratactl {
  child: ChildProcessWithoutNullStreams;
  /** What it printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Its exit code, once it exits. */
  exited: Promise<number | null>;
}

/** Starts stratactl and leaves it running (follow, interactive stdin); the caller kills it when done. */
export function startStratactl(args: string[], env: NodeJS.ProcessEnv = {}): RunningStratactl {
  const child = spawn(process.execPath, [stratactlMainPath(), ...args], { env: { ...cleanEnv(), ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  // Bytes are kept and decoded whole, so a UTF-8 character split across two chunks stays intact.
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return {
    child,
    get stdout() {
      return Buffer.concat(out).toString('utf8');
    },
    get stderr() {
      return Buffer.concat(err).toString('utf8');
    },
    exited,
  };
}
