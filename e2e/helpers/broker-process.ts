// Runs a Strata broker as a separate OS process on free loopback ports with fresh temp directories,
// exactly as an operator would: `node dist/broker/src/main.js --port … --data-dir …`. The broker's stdout and
// stderr go to a file in its temp dir (printed on failure), readiness is GET /readyz on the metrics port.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { track } from './children';
import { BROKER_NODE_FLAGS } from '../../broker/src/runtime-flags';
import { freePort, httpStatus, makeTempDir, removeTempDir, repoRoot, sleep, tailFile, withTimeout } from './util';

/** main.js relative to this file's compiled location (<outDir>/e2e/helpers → <outDir>/broker/src/main.js). */
export function brokerMainPath(): string {
  return process.env.STRATA_BROKER_MAIN ?? path.resolve(__dirname, '..', '..', 'broker', 'src', 'main.js');
}

export interface BrokerOptions {
  /** Short label used in temp dir names and messages. */
  name?: string;
  numPartitions?: number;
  autoCreateTopics?: boolean;
  logSegmentBytes?: number;
  /** Defaults to $STRATA_E2E_LOG_LEVEL or 'info'. */
  logLevel?: string;
  /** More flags; a function gets the broker's Kafka port (e.g. to name it in --listeners). */
  extraArgs?: string[] | ((port: number) => string[]);
  readyTimeoutMs?: number;
  /** Extra environment of the broker process (fault injection in tests); see BrokerProcess.env. */
  env?: NodeJS.ProcessEnv;
  /** --node-id (default 1). */
  nodeId?: number;
  /** Address the broker binds and advertises (default 127.0.0.1). */
  host?: string;
  /**
   * Directories owned by the caller (a cluster: one shared object store, a data dir per broker); created if
   * missing and never removed by cleanup(). Default: fresh temp dirs removed by cleanup().
   */
  dirs?: { base: string; data: string; objectStore: string };
  /** A command the broker is started through (it execs the rest of its arguments), e.g. to enter a cgroup. */
  launchPrefix?: string[];
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class BrokerProcess {
  readonly host: string;
  readonly nodeId: number;
  readonly baseDir: string;
  readonly dataDir: string;
  readonly objectStoreDir: string;
  readonly logPath: string;
  private child: ChildProcess | null = null;
  private exited: Promise<ExitInfo> | null = null;
  private lastExit: ExitInfo | null = null;
  private starts = 0;
  /** Extra environment for the next start or restart (a test may change it between runs). */
  env: NodeJS.ProcessEnv;

  private constructor(
    readonly port: number,
    readonly metricsPort: number,
    private readonly opts: BrokerOptions,
  ) {
    this.host = opts.host ?? '127.0.0.1';
    this.nodeId = opts.nodeId ?? 1;
    this.baseDir = opts.dirs?.base ?? makeTempDir(opts.name ?? 'broker');
    this.dataDir = opts.dirs?.data ?? path.join(this.baseDir, 'data');
    this.objectStoreDir = opts.dirs?.objectStore ?? path.join(this.baseDir, 'objects');
    this.logPath = path.join(this.baseDir, opts.dirs ? `${path.basename(this.dataDir)}.log` : 'broker.log');
    this.env = { ...opts.env };
    fs.mkdirSync(this.dataDir, { recursive: true });
    fs.mkdirSync(this.objectStoreDir, { recursive: true });
  }

  /** Starts a broker in fresh directories and waits until /readyz answers 200. */
  static async start(opts: BrokerOptions = {}): Promise<BrokerProcess> {
    const main = brokerMainPath();
    if (!process.env.STRATA_E2E_BROKER_CMD && !fs.existsSync(main)) {
      throw new Error(`broker entry point ${main} does not exist: compile first (npx tsc -p .)`);
    }
    const port = await freePort();
    const metricsPort = await freePort();
    const broker = new BrokerProcess(port, metricsPort, opts);
    try {
      await broker.launch();
    } catch (err) {
      await broker.cleanup();
      throw err;
    }
    return broker;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  isAlive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How the last run of the process ended (null while it runs or before it first exits). */
  get exitInfo(): ExitInfo | null {
    return this.lastExit;
  }

  args(): string[] {
    const o = this.opts;
    const args = [
      '--host', this.host,
      '--port', String(this.port),
      '--data-dir', this.dataDir,
      '--object-store-dir', this.objectStoreDir,
      '--metrics-host', this.host,
      '--metrics-port', String(this.metricsPort),
      '--advertised-host', this.host,
      '--node-id', String(this.nodeId),
      '--log-level', o.logLevel ?? process.env.STRATA_E2E_LOG_LEVEL ?? 'info',
    ];
    if (o.numPartitions !== undefined) args.push('--num-partitions', String(o.numPartitions));
    if (o.autoCreateTopics !== undefined) args.push('--auto-create-topics-enable', String(o.autoCreateTopics));
    if (o.logSegmentBytes !== undefined) args.push('--log-segment-bytes', String(o.logSegmentBytes));
    if (o.extraArgs) args.push(...(typeof o.extraArgs === 'function' ? o.extraArgs(this.port) : o.extraArgs));
    return args;
  }

  private async launch(): Promise<void> {
    if (this.isAlive()) throw new Error('broker is already running');
    this.starts++;
    const args = this.args();
    // STRATA_E2E_BROKER_CMD runs another executable with the same flags instead of `node main.js` (used to check
    // the suites themselves against a reference Kafka broker behind a small wrapper script).
    const custom = process.env.STRATA_E2E_BROKER_CMD;
    const [direct, directArgv] = custom ? [custom, args] : [process.execPath, [...BROKER_NODE_FLAGS, brokerMainPath(), ...args]];
    const prefix = this.opts.launchPrefix ?? [];
    const [cmd, argv] = prefix.length > 0 ? [prefix[0], [...prefix.slice(1), direct, ...directArgv]] : [direct, directArgv];
    fs.appendFileSync(this.logPath, `\n===== [e2e] start #${this.starts}: ${cmd} ${argv.join(' ')}\n`);
    const fd = fs.openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(cmd, argv, {
        cwd: repoRoot(),
        stdio: ['ignore', fd, fd],
        env: { ...process.env, ...this.env },
      });
    } finally {
      fs.closeSync(fd);
    }
    track(child);
    this.child = child;
    this.lastExit = null;
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        this.lastExit = { code, signal };
        resolve(this.lastExit);
      });
      child.once('error', (err) => {
        fs.appendFileSync(this.logPath, `[e2e] spawn error: ${err.message}\n`);
        this.lastExit = { code: -1, signal: null };
        resolve(this.lastExit);
      });
    });
    await this.waitReady(this.opts.readyTimeoutMs ?? 30_000);
  }

  /** Polls GET /readyz until 200; fails fast if the process exits, with the tail of its log. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.isAlive()) {
        const e = this.lastExit;
        throw new Error(
          `broker exited before it was ready (code ${e?.code}, signal ${e?.signal})\n--- broker log tail ---\n${this.logTail()}`,
        );
      }
      try {
        const status = await httpStatus(`http://${this.host}:${this.metricsPort}/readyz`, 1000);
        if (status === 200) {
          if (!(await canConnect(this.host, this.port, 2000))) {
            throw new Error(`/readyz answered 200 but the Kafka port ${this.port} refuses connections\n${this.logTail()}`);
          }
          return;
        }
        last = `HTTP ${status}`;
      } catch (err) {
        if ((err as Error).message.includes('/readyz answered 200')) throw err;
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`broker not ready within ${timeoutMs} ms (last /readyz: ${last})\n--- broker log tail ---\n${this.logTail()}`);
  }

  /** SIGTERM and wait for the exit; SIGKILL after the deadline and report it as an error. */
  async stop(timeoutMs = 15_000): Promise<ExitInfo> {
    if (!this.child || !this.exited) throw new Error('broker was never started');
    if (!this.isAlive()) return this.lastExit!;
    this.child.kill('SIGTERM');
    try {
      return await withTimeout(this.exited, timeoutMs, 'broker exit after SIGTERM');
    } catch {
      this.child.kill('SIGKILL');
      await withTimeout(this.exited, 10_000, 'broker exit after SIGKILL');
      throw new Error(`broker did not exit within ${timeoutMs} ms of SIGTERM (killed)\n${this.logTail()}`);
    }
  }

  /** SIGKILL, as a crash: no chance to flush or close anything. Resolves once the process is gone. */
  async kill9(): Promise<void> {
    if (!this.child || !this.exited || !this.isAlive()) return;
    this.child.kill('SIGKILL');
    await withTimeout(this.exited, 10_000, 'broker exit after SIGKILL');
  }

  /** Resolves with how the process ended once it exits by itself (a fault-injected crash); rejects after timeoutMs. */
  async waitForExit(timeoutMs: number): Promise<ExitInfo> {
    if (!this.exited) throw new Error('broker was never started');
    return withTimeout(this.exited, timeoutMs, 'broker exit');
  }

  /** Starts the process again with the same ports and directories (stops it first if it still runs). */
  async restart(): Promise<void> {
    if (this.isAlive()) await this.stop();
    await this.launch();
  }

  /** Sends a signal without waiting (SIGSTOP/SIGCONT pause and resume the broker). */
  signal(sig: NodeJS.Signals): void {
    if (this.isAlive()) this.child!.kill(sig);
  }

  /** Kills the process if needed and removes its temp dirs (not caller-owned ones). Safe to call more than once. */
  async cleanup(): Promise<void> {
    try {
      if (this.isAlive()) await this.kill9();
    } finally {
      if (!this.opts.dirs) removeTempDir(this.baseDir);
    }
  }

  logTail(lines = 60): string {
    return tailFile(this.logPath, lines);
  }

  async metricsText(): Promise<string> {
    return httpGet(`http://${this.host}:${this.metricsPort}/metrics`, 5000);
  }
}

function httpGet(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        else resolve(Buffer.concat(chunks).toString('utf8'));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}
