// Runs the built web console (dist/console/main.js) as its own process on a free loopback port, configured
// only through its environment as a Deployment would; readiness is GET /readyz. Output goes to a temp log that
// a failing start prints.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { track } from '../helpers/children';
import { freePort, httpStatus, makeTempDir, removeTempDir, tailFile, waitFor, withTimeout } from '../helpers/util';

export function consoleMainPath(): string {
  return path.resolve(__dirname, '..', '..', 'console', 'main.js');
}

export class ConsoleProcess {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly logPath: string,
  ) {}

  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;

  /** Starts it and waits for /readyz (or only /healthz: the process is up, whether or not it reaches the cluster). */
  static async start(env: Record<string, string>, opts: { until?: 'readyz' | 'healthz' } = {}): Promise<ConsoleProcess> {
    const probe = opts.until ?? 'readyz';
    const port = await freePort();
    const dir = makeTempDir('console');
    const logPath = path.join(dir, 'console.log');
    const child = spawnConsole({ STRATA_CONSOLE_PORT: String(port), ...env }, logPath);
    const c = new ConsoleProcess(`http://127.0.0.1:${port}`, child, dir, logPath);
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`console exited with ${child.exitCode}:\n${tailFile(logPath)}`);
          return (await httpStatus(`${c.url}/${probe}`, 2000).catch(() => 0)) === 200;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: `console /${probe}` },
      );
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  /** SIGTERM, then SIGKILL after 10 s; resolves to how it exited (0 after a clean shutdown). Idempotent. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.exit ??= (async () => {
      const child = this.child;
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      removeTempDir(this.dir);
      return { code: child.exitCode, signal: child.signalCode };
    })();
    return this.exit;
  }

  /** Runs a console that is expected to exit by itself (bad settings): its exit code and output. */
  static async runToExit(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
    const dir = makeTempDir('console');
    try {
      const logPath = path.join(dir, 'console.log');
      const child = spawnConsole(env, logPath);
      const code = await withTimeout(new Promise<number | null>((r) => child.once('exit', (c) => r(c))), timeoutMs, 'the console to exit').catch((err) => {
        child.kill('SIGKILL');
        throw err;
      });
      return { code, output: fs.readFileSync(logPath, 'utf8') };
    } finally {
      removeTempDir(dir);
    }
  }
}

function spawnConsole(env: Record<string, string>, logPath: string): ChildProcess {
  const fd = fs.openSync(logPath, 'a');
  try {
    // Only the settings given: the test's own STRATA_* variables must not leak in.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATA_')));
    return track(spawn(process.execPath, [consoleMainPath()], { env: { ...base, STRATA_CONSOLE_HOST: '127.0.0.1', ...env }, stdio: ['ignore', fd, fd] }));
  } finally {
    fs.closeSync(fd);
  }
}
