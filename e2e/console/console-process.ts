// Runs the built web console (dist/console/main.js) as its own process on a free loopback port, configured
// only through its environment as a Deployment would; readiness is GET /readyz. Output goes to a temp log that
// a failing start prints.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { track } from '../helpers/children';
import { freePort, httpStatus, makeTempDir, removeTempDir, tailFile, waitFor } from '../helpers/util';

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

  static async start(env: Record<string, string>): Promise<ConsoleProcess> {
    const port = await freePort();
    const dir = makeTempDir('console');
    const logPath = path.join(dir, 'console.log');
    const fd = fs.openSync(logPath, 'a');
    // Only the settings given: the test's own STRATA_* variables must not leak in.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('STRATA_')));
    const child = track(
      spawn(process.execPath, [consoleMainPath()], {
        env: { ...base, STRATA_CONSOLE_HOST: '127.0.0.1', STRATA_CONSOLE_PORT: String(port), ...env },
        stdio: ['ignore', fd, fd],
      }),
    );
    fs.closeSync(fd);
    const c = new ConsoleProcess(`http://127.0.0.1:${port}`, child, dir, logPath);
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`console exited with ${child.exitCode}:\n${tailFile(logPath)}`);
          return (await httpStatus(`${c.url}/readyz`, 2000).catch(() => 0)) === 200;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'console /readyz' },
      );
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    }
    removeTempDir(this.dir);
  }
}
