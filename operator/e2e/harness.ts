// Harness for the operator's real-API-server suites: etcd + kube-apiserver on loopback (started by
// operator/scripts/kube-tools/start-apiserver.sh from binaries that build.sh put in a cache outside
// the repository), a kubeconfig for them, and helpers that run kubectl and helm against it.
//
// Binaries: ${KUBE_TOOLS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/strata-test-peers/kube}/bin, built by
// `make test-deps` (operator/scripts/kube-tools/build.sh). A missing one fails the suite with the build command.
import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** Repository root (the folder holding package.json), from either the sources or the compiled output. */
export function repoRoot(from = __dirname): string {
  let d = from;
  for (;;) {
    if (fs.existsSync(path.join(d, 'package.json')) && fs.existsSync(path.join(d, 'operator'))) return d;
    const up = path.dirname(d);
    if (up === d) throw new Error(`no repository root above ${from}`);
    d = up;
  }
}

export const ROOT = repoRoot();
export const KUBE_TOOLS = path.join(ROOT, 'operator', 'scripts', 'kube-tools');
export const CACHE = process.env.KUBE_TOOLS_CACHE
  ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'strata-test-peers', 'kube');
export const BIN = path.join(CACHE, 'bin');

export function binPath(name: string): string { return path.join(BIN, name); }

export function missingBinaries(names: string[]): string[] {
  return names.filter((n) => {
    try { fs.accessSync(binPath(n), fs.constants.X_OK); return false; } catch { return true; }
  });
}

/** Fails with the build command when binaries are missing. */
export function requireBinaries(names: string[]): void {
  const missing = missingBinaries(names);
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')} in ${BIN}; run bash operator/scripts/kube-tools/build.sh`);
}

export interface RunResult { code: number; stdout: string; stderr: string }
export interface RunOptions {
  input?: string;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolve with a non-zero exit code instead of rejecting. */
  allowFail?: boolean;
}

/** execFile with a timeout, optional stdin, and an error that shows the command and its output. */
export function run(file: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, {
      timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20,
      env: opts.env ?? process.env, cwd: opts.cwd ?? ROOT,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as any).code === 'number' ? (err as any).code : -1) : 0;
      const res = { code, stdout: String(stdout), stderr: String(stderr) };
      if (err && ((err as any).killed || (err as any).signal)) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')}: killed (${(err as any).signal ?? 'timeout'}) after ${opts.timeoutMs ?? 60_000} ms\n${res.stderr}`));
      } else if (code !== 0 && !opts.allowFail) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} exited ${code}\nstdout: ${res.stdout}\nstderr: ${res.stderr}`));
      } else resolve(res);
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin?.end();
  });
}

/** A running etcd + kube-apiserver pair and the tools to talk to it. */
export class ApiServer {
  readonly kubeconfig: string;
  readonly server: string;
  readonly token: string;
  readonly caData: string;
  private stopped = false;

  constructor(readonly dir: string) {
    this.kubeconfig = path.join(dir, 'kubeconfig');
    const kc = fs.readFileSync(this.kubeconfig, 'utf8');
    this.server = /server: (\S+)/.exec(kc)![1];
    this.token = /token: (\S+)/.exec(kc)![1];
    this.caData = /certificate-authority-data: (\S+)/.exec(kc)![1];
  }

  /** Environment for child processes: KUBECONFIG, plus helm state kept inside the server's dir. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      KUBECONFIG: this.kubeconfig,
      HELM_CACHE_HOME: path.join(this.dir, 'helm', 'cache'),
      HELM_CONFIG_HOME: path.join(this.dir, 'helm', 'config'),
      HELM_DATA_HOME: path.join(this.dir, 'helm', 'data'),
      ...extra,
    };
  }

  kubectl(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(binPath('kubectl'), args, { ...opts, env: this.env(opts.env) });
  }

  helm(args: string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(binPath('helm'), args, { timeoutMs: 120_000, ...opts, env: this.env(opts.env) });
  }

  /** kubectl get -o json, parsed; undefined when the object does not exist. */
  async getJson(kindAndName: string[], namespace?: string): Promise<any | undefined> {
    const ns = namespace ? ['-n', namespace] : [];
    const r = await this.kubectl(['get', ...kindAndName, ...ns, '-o', 'json'], { allowFail: true });
    if (r.code !== 0) {
      if (/NotFound|not found/.test(r.stderr)) return undefined;
      throw new Error(`kubectl get ${kindAndName.join(' ')}: ${r.stderr}`);
    }
    return JSON.parse(r.stdout);
  }

  log(which: 'apiserver' | 'etcd', lines = 40): string {
    try { return fs.readFileSync(path.join(this.dir, `${which}.log`), 'utf8').split('\n').slice(-lines).join('\n'); } catch { return ''; }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    await run('bash', [path.join(KUBE_TOOLS, 'stop-apiserver.sh'), this.dir], { timeoutMs: 30_000, allowFail: true });
  }

  /** Synchronous best effort for process exit: SIGKILL both processes. */
  killSync(): void {
    for (const p of ['apiserver', 'etcd']) {
      try { process.kill(Number(fs.readFileSync(path.join(this.dir, `${p}.pid`), 'utf8')), 'SIGKILL'); } catch { /* gone */ }
    }
    try { fs.rmSync(this.dir, { recursive: true, force: true }); } catch { /* ignore */ }
  }
}

const live = new Set<ApiServer>();
process.on('exit', () => { for (const s of live) s.killSync(); });

/** Starts etcd + kube-apiserver on free loopback ports and waits for /readyz. */
export async function startApiServer(): Promise<ApiServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-kube-'));
  const r = await run('bash', [path.join(KUBE_TOOLS, 'start-apiserver.sh')], {
    timeoutMs: 150_000, allowFail: true, env: { ...process.env, KUBE_STATE_DIR: dir, KUBE_TOOLS_CACHE: CACHE },
  });
  if (r.code !== 0) {
    const tail = (f: string) => { try { return fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(-30).join('\n'); } catch { return ''; } };
    const msg = `start-apiserver.sh exited ${r.code}: ${r.stderr}\n--- apiserver.log\n${tail('apiserver.log')}\n--- etcd.log\n${tail('etcd.log')}`;
    await run('bash', [path.join(KUBE_TOOLS, 'stop-apiserver.sh'), dir], { timeoutMs: 30_000, allowFail: true });
    throw new Error(msg);
  }
  const s = new ApiServer(dir);
  live.add(s);
  return s;
}

/**
 * Call inside a describe(): starts an API server in before() (skipping when binaries are missing)
 * and stops it in after(). The returned holder's `api` is set once before() has run.
 */
export function useApiServer(opts: { binaries?: string[] } = {}): { api: ApiServer } {
  const holder = {} as { api: ApiServer };
  before(async function () {
    this.timeout(180_000);
    requireBinaries(opts.binaries ?? ['etcd', 'kube-apiserver', 'kubectl']);
    holder.api = await startApiServer();
  });
  after(async function () {
    this.timeout(60_000);
    if (holder.api) await holder.api.stop();
  });
  return holder;
}

/** Polls fn until it returns a truthy value (returned) or the deadline passes (throws with the last error). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message ?? last}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A temporary directory removed in after(). */
export function useTempDir(prefix: string): { dir: string } {
  const holder = {} as { dir: string };
  before(() => { holder.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix)); });
  after(() => { if (holder.dir) fs.rmSync(holder.dir, { recursive: true, force: true }); });
  return holder;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A long-running child process (kube-controller-manager, the operator) with its output kept for failures. */
export class Proc {
  output = '';
  exited: Promise<number | null>;
  private child: ChildProcess;

  constructor(file: string, args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(file, args, { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer) => { this.output += b.toString(); if (this.output.length > 1 << 20) this.output = this.output.slice(-(1 << 19)); };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
    procs.add(this);
  }

  get running(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }
  tail(lines = 40): string { return this.output.split('\n').slice(-lines).join('\n'); }

  /** SIGTERM, then SIGKILL after graceMs. */
  async stop(graceMs = 10_000): Promise<number | null> {
    procs.delete(this);
    if (this.running) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    return this.exited;
  }

  killSync(): void { try { this.child.kill('SIGKILL'); } catch { /* gone */ } }
}
const procs = new Set<Proc>();
process.on('exit', () => { for (const p of procs) p.killSync(); });

/**
 * kube-controller-manager against `api`, running only the given controllers (default: the garbage
 * collector, which deletes objects whose owners are gone, and the namespace controller). No serving
 * port, no leader election.
 */
export function startControllerManager(api: ApiServer, controllers = ['garbagecollector', 'namespace']): Proc {
  return new Proc(binPath('kube-controller-manager'), [
    `--kubeconfig=${api.kubeconfig}`, '--leader-elect=false', `--controllers=${controllers.join(',')}`,
    '--secure-port=0', '--concurrent-gc-syncs=5', '--v=1',
  ], api.env());
}

/**
 * Stands in for the kubelet, which these suites do not run: every pod matching `selector` in
 * `namespace` that is not Ready gets status phase=Running with Ready/ContainersReady conditions
 * `readyAfterMs` after it was first seen (pods are never scheduled, so deleting one removes it at
 * once and the StatefulSet controller recreates it).
 */
export function startFakeKubelet(api: ApiServer, namespace: string, selector: string, readyAfterMs = 1000): { stop(): Promise<void>; readied: string[] } {
  const firstSeen = new Map<string, number>();
  const readied: string[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const r = await api.kubectl(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json'], { allowFail: true, timeoutMs: 10_000 });
        if (r.code === 0) {
          for (const p of JSON.parse(r.stdout).items as any[]) {
            const ready = (p.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True');
            if (ready || p.metadata.deletionTimestamp) continue;
            const uid = p.metadata.uid as string;
            if (!firstSeen.has(uid)) firstSeen.set(uid, Date.now());
            if (Date.now() - firstSeen.get(uid)! < readyAfterMs) continue;
            const now = new Date().toISOString();
            const conditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']
              .map((type) => ({ type, status: 'True', lastTransitionTime: now }));
            const res = await api.kubectl(['patch', 'pod', p.metadata.name, '-n', namespace, '--subresource=status', '--type=merge',
              '-p', JSON.stringify({ status: { phase: 'Running', startTime: now, conditions } })], { allowFail: true, timeoutMs: 10_000 });
            if (res.code === 0) readied.push(`${p.metadata.name}/${uid}`);
          }
        }
      } catch { /* keep going */ }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return { readied, stop: async () => { stopped = true; await loop; } };
}

/** The built operator's entry point. */
export const OPERATOR_MAIN = path.join(__dirname, '..', 'src', 'main.js');
const CRD_NAMES = ['strataclusters.strata.dev', 'stratatopics.strata.dev', 'stratausers.strata.dev'];

/** Applies the repository's CRDs (crds/) and waits until the API server serves them. */
export async function installCrds(api: ApiServer): Promise<void> {
  await api.kubectl(['apply', '--server-side', '-f', path.join(ROOT, 'crds')]);
  await api.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...CRD_NAMES.map((c) => `crd/${c}`)], { timeoutMs: 70_000 });
}

/**
 * Starts the built operator against `api`, with every cluster's bootstrap address mapped to `bootstrap` (a real
 * broker standing in for the cluster's Service, as for an operator run outside the cluster network). `env` adds
 * settings or overrides the defaults (no leader election, debug logs).
 */
export async function startOperator(api: ApiServer, bootstrap: string, env: Record<string, string> = {}): Promise<Proc> {
  if (!fs.existsSync(OPERATOR_MAIN)) throw new Error(`${path.relative(ROOT, OPERATOR_MAIN)} is not built (npx tsc -p .)`);
  return new Proc(process.execPath, [OPERATOR_MAIN], api.env({
    STRATA_BOOTSTRAP_OVERRIDE: bootstrap,
    STRATA_METRICS_PORT: String(await freePort()),
    STRATA_LEADER_ELECTION: 'false',
    POD_NAME: 'e2e-operator',
    POD_NAMESPACE: 'default',
    STRATA_LOG_LEVEL: 'debug',
    ...env,
  }));
}

/** Prints the operator's output tail after each failed test of the suite. */
export function showOperatorOnFailure(operator: () => Proc | undefined): void {
  afterEach(function () {
    const op = operator();
    if (this.currentTest?.state === 'failed' && op) console.log(`--- operator output (tail)\n${op.tail(60)}`);
  });
}
