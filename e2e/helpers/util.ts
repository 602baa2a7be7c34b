// Small utilities shared by the end-to-end suites: free ports, bounded waits, temp dirs, repo paths.
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A free TCP port on 127.0.0.1, found by binding a throwaway server on port 0 and closing it.
 * Ports already handed out by this process are never returned twice (the broker binds them a bit later).
 */
const handedOut = new Set<number>();
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr !== null ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('could not find a free port in 50 attempts');
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Describes what was awaited, for the timeout error. */
  what: string;
}

/** Polls `check` until it returns a value other than undefined/false, or throws after the deadline. */
export async function waitFor<T>(check: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastErr ? `; last error: ${(lastErr as Error).message ?? String(lastErr)}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${detail}`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Rejects with a clear message if `p` does not settle within `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `strata-e2e-${prefix}-`));
}

/** Removes a temp dir unless STRATA_E2E_KEEP is set (then its path is printed for debugging). */
export function removeTempDir(dir: string): void {
  if (process.env.STRATA_E2E_KEEP) {
    console.log(`[e2e] keeping ${dir} (STRATA_E2E_KEEP is set)`);
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A topic name unique to this run, so suites never see each other's data. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** The last `lines` lines of a text file ('' if it does not exist). */
export function tailFile(file: string, lines = 60): string {
  let text: string;
  try {
    const st = fs.statSync(file);
    const start = Math.max(0, st.size - 64 * 1024);
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(st.size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * The repository root: the nearest ancestor of this compiled file that holds e2e/java/pom.xml and package.json.
 * Works whatever outDir the TypeScript was compiled into (dist/, .tmp/e2e-dist/, …).
 */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'e2e', 'java', 'pom.xml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`could not find the repository root above ${__dirname}`);
    dir = parent;
  }
}

/** Deterministic pseudo-random bytes (xorshift32), so a failing bad-input case can be replayed. */
export function seededBytes(seed: number, n: number): Buffer {
  let x = seed >>> 0 || 0x9e3779b9;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The HTTP status of a GET (body discarded); for readiness polls. */
export function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}
