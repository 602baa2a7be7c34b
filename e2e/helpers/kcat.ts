// kcat (librdkafka) as a real client process: one-shot runs with stdin and a hard timeout, and long-running
// consumers whose output is collected while the test produces.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { track } from './children';
import { waitFor } from './util';

export interface KcatResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export interface KcatOptions {
  stdin?: string | Buffer;
  /** Kill kcat and fail after this long (default 20 s). */
  timeoutMs?: number;
  /** Resolve even on a non-zero exit (the caller inspects code/stderr). */
  allowFailure?: boolean;
}

/** Throws a readable error when kcat is not installed (CI installs it with apt-get install -y kcat). */
export function requireKcat(): void {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore', timeout: 10_000 });
  } catch {
    throw new Error('kcat is not installed or not on PATH (apt-get install -y kcat)');
  }
}

export function kcat(args: string[], opts: KcatOptions = {}): Promise<KcatResult> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = track(spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    child.stdin!.on('error', () => undefined); // kcat may exit before reading all of stdin
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`kcat ${args.join(' ')}: ${e.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const res = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code };
      if (timedOut) {
        reject(new Error(`kcat ${args.join(' ')} timed out after ${timeoutMs} ms\nstdout: ${tail(res.stdout)}\nstderr: ${tail(res.stderr)}`));
      } else if (code !== 0 && !opts.allowFailure) {
        reject(new Error(`kcat ${args.join(' ')} exited ${code}\nstderr: ${tail(res.stderr)}`));
      } else {
        resolve(res);
      }
    });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    else child.stdin!.end();
  });
}

function tail(s: string, n = 2000): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}

/** A kcat process that keeps running (e.g. a consumer at -o end) while the test does other things. */
export class KcatProcess {
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  readonly exited: Promise<number | null>;

  constructor(readonly args: string[]) {
    this.child = track(spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.child.stdout!.on('data', (c: Buffer) => (this.out += c.toString('utf8')));
    this.child.stderr!.on('data', (c: Buffer) => (this.err += c.toString('utf8')));
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code) => resolve(code));
      this.child.once('error', () => resolve(-1));
    });
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  lines(): string[] {
    return this.out.split('\n').filter((l) => l.length > 0);
  }

  async waitForLines(n: number, timeoutMs: number): Promise<string[]> {
    return waitFor(() => (this.lines().length >= n ? this.lines() : undefined), {
      timeoutMs,
      what: `${n} lines from kcat ${this.args.join(' ')} (have ${this.lines().length}; stderr: ${tail(this.err, 500)})`,
    });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** The end (next) offset of a partition, via kcat's offset query (ListOffsets with timestamp -1). */
export async function kcatEndOffset(bootstrap: string, topic: string, partition: number): Promise<bigint> {
  return kcatQueryOffset(bootstrap, topic, partition, -1);
}

/** The log start offset of a partition (ListOffsets with timestamp -2). */
export async function kcatStartOffset(bootstrap: string, topic: string, partition: number): Promise<bigint> {
  return kcatQueryOffset(bootstrap, topic, partition, -2);
}

async function kcatQueryOffset(bootstrap: string, topic: string, partition: number, ts: number): Promise<bigint> {
  const { stdout } = await kcat(['-b', bootstrap, '-Q', '-t', `${topic}:${partition}:${ts}`]);
  // "<topic> [<partition>] offset <n>"
  const m = /\[(\d+)\]\s+offset\s+(-?\d+)/.exec(stdout);
  if (!m || Number(m[1]) !== partition) throw new Error(`unexpected kcat -Q output: ${JSON.stringify(stdout)}`);
  return BigInt(m[2]);
}

export interface ConsumeOptions {
  partition?: number;
  /** kcat -o value: a number, 'beginning', 'end', … (default 'beginning'). */
  offset?: string | number;
  /** kcat -f format (default '%p|%o|%k|%s\n'). */
  format?: string;
  /** Stop after this many records (-c). */
  count?: number;
  timeoutMs?: number;
  extra?: string[];
}

/** Consumes with `-C … -e` (exit at the end of the partitions) and returns the formatted lines. */
export async function kcatConsume(bootstrap: string, topic: string, o: ConsumeOptions = {}): Promise<string[]> {
  const args = ['-b', bootstrap, '-C', '-t', topic, '-o', String(o.offset ?? 'beginning'), '-e', '-q', '-f', o.format ?? '%p|%o|%k|%s\n'];
  if (o.partition !== undefined) args.push('-p', String(o.partition));
  if (o.count !== undefined) args.push('-c', String(o.count));
  if (o.extra) args.push(...o.extra);
  const { stdout } = await kcat(args, { timeoutMs: o.timeoutMs ?? 30_000 });
  return stdout.split('\n').filter((l) => l.length > 0);
}

/** Produces newline-separated lines with `-P` (add '-K:' in extra for keys) and waits for delivery. */
export async function kcatProduce(bootstrap: string, topic: string, lines: string[], extra: string[] = [], timeoutMs = 30_000): Promise<KcatResult> {
  const args = ['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=all', ...extra];
  const res = await kcat(args, { stdin: lines.map((l) => `${l}\n`).join(''), timeoutMs });
  // kcat reports failed deliveries on stderr; a produce that lost anything must fail the test.
  if (/Delivery failed|ERROR/i.test(res.stderr)) throw new Error(`kcat ${args.join(' ')} reported errors:\n${res.stderr.slice(-2000)}`);
  return res;
}

/**
 * A kcat producer (-P) that keeps running: the test writes lines to it over time and closes its input at the
 * end. kcat 1.7 hands the lines to librdkafka only then (nothing is delivered while the input stays open), so
 * the delivery uses the metadata of a producer that has been up all along. Delivery failures show on stderr.
 */
export class KcatProducer {
  private readonly child: ChildProcess;
  private err = '';
  readonly exited: Promise<number | null>;

  constructor(bootstrap: string, topic: string, extra: string[] = []) {
    this.child = track(spawn('kcat', ['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=all', ...extra], { stdio: ['pipe', 'ignore', 'pipe'] }));
    this.child.stderr!.on('data', (c: Buffer) => (this.err += c.toString('utf8')));
    this.child.stdin!.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code) => resolve(code));
      this.child.once('error', () => resolve(-1));
    });
  }

  get stderr(): string {
    return this.err;
  }

  write(lines: string[]): void {
    this.child.stdin!.write(lines.map((l) => `${l}\n`).join(''));
  }

  /**
   * Ends the input and waits for kcat to deliver and exit; throws on a non-zero exit or a failed delivery.
   * (Connection errors to a broker that went away are reported as "% ERROR" too; they are not failures.)
   */
  async close(timeoutMs = 30_000): Promise<void> {
    this.child.stdin!.end();
    const code = await Promise.race([this.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref())]);
    if (code === 'timeout') {
      this.kill();
      throw new Error(`kcat producer did not exit within ${timeoutMs} ms of its input ending\nstderr: ${tail(this.err)}`);
    }
    if (code !== 0 || /Delivery failed/i.test(this.err)) throw new Error(`kcat producer exited ${code}\nstderr: ${tail(this.err)}`);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
