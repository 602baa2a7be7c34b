// Runs the built stratactl (dist/stratactl/main.js) as its own process, as a user or a script would, and
// collects its stdout, stderr and exit code. Input, when given, is written to its stdin and closed.
import { spawn } from 'node:child_process';
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

export async function stratactl(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Buffer; timeoutMs?: number } = {}): Promise<StratactlResult> {
  // The test's own STRATA_* settings must not leak into the CLI; only what the caller passes.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATA_')));
  const child = spawn(process.execPath, [stratactlMainPath(), ...args], {
    env: { ...env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => undefined); // it may exit before reading its input
  child.stdin.end(opts.input ?? '');
  const code = await withTimeout(
    new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    }),
    opts.timeoutMs ?? 60_000,
    `stratactl ${args.join(' ')}`,
  ).catch((e) => {
    child.kill('SIGKILL');
    throw e;
  });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
