// A real Prometheus server (Debian's `prometheus` package, installed by `make test-deps`; STRATA_PROMETHEUS names
// another binary) as a child process on a free loopback port, with its TSDB in a temp dir and a generated config
// that scrapes the given targets every second. The suites ask it questions in PromQL over its HTTP API
// (/api/v1/query, /api/v1/query_range), exactly as Grafana or an alerting rule would. Its output goes to a log
// file in the temp dir (its tail is part of every error); stop() kills it and removes the dir, and the children
// registry kills it if the test process dies first.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { track } from './children';
import { freePort, httpStatus, makeTempDir, removeTempDir, sleep, tailFile, withTimeout } from './util';

export const PROMETHEUS_BINARY = process.env.STRATA_PROMETHEUS ?? '/usr/bin/prometheus';

export interface ScrapeJob {
  /** The `job` label of every series scraped from these targets. */
  job: string;
  /** host:port of each target. */
  targets: string[];
  /** Defaults to /metrics. */
  metricsPath?: string;
}

/** One series of an instant vector: its labels and [unix seconds, value as Prometheus prints it]. */
export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** One series of a range vector. */
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export type QueryData =
  | { resultType: 'vector'; result: Sample[] }
  | { resultType: 'matrix'; result: RangeSeries[] }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

/** What /api/v1/query answered, unparsed beyond JSON: a query that does not parse comes back as status 'error'. */
export interface QueryResponse {
  status: 'success' | 'error';
  data?: QueryData;
  errorType?: string;
  error?: string;
  warnings?: string[];
}

export interface WaitSeriesOptions {
  timeoutMs?: number;
  /** Evaluation time in unix seconds (default: now, at each poll). */
  time?: number;
}

/** A sample's value as a number (Prometheus sends "NaN", "+Inf" and "-Inf" as strings too). */
export function sampleValue(s: Sample): number {
  return Number(s.value[1]);
}

/** The scrape config: every job scraped every second, so a test waits seconds, not minutes, for new samples. */
export function prometheusConfig(jobs: ScrapeJob[]): string {
  const lines = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', '  evaluation_interval: 1s', 'scrape_configs:'];
  for (const j of jobs) {
    lines.push(`  - job_name: ${JSON.stringify(j.job)}`);
    lines.push(`    metrics_path: ${JSON.stringify(j.metricsPath ?? '/metrics')}`);
    lines.push('    static_configs:');
    lines.push(`      - targets: [${j.targets.map((t) => JSON.stringify(t)).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

export class PrometheusServer {
  readonly host = '127.0.0.1';
  readonly logPath: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> | null = null;

  private constructor(
    readonly port: number,
    readonly baseDir: string,
  ) {
    this.logPath = path.join(baseDir, 'prometheus.log');
  }

  /** Starts Prometheus scraping `jobs` and waits until /-/ready answers 200. */
  static async start(jobs: ScrapeJob[], opts: { readyTimeoutMs?: number } = {}): Promise<PrometheusServer> {
    if (!fs.existsSync(PROMETHEUS_BINARY)) {
      throw new Error(`${PROMETHEUS_BINARY} does not exist: install Debian's prometheus package (make test-deps)`);
    }
    const server = new PrometheusServer(await freePort(), makeTempDir('prometheus'));
    try {
      await server.launch(jobs, opts.readyTimeoutMs ?? 60_000);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  isAlive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  logTail(lines = 40): string {
    return tailFile(this.logPath, lines);
  }

  private async launch(jobs: ScrapeJob[], readyTimeoutMs: number): Promise<void> {
    const configPath = path.join(this.baseDir, 'prometheus.yml');
    fs.writeFileSync(configPath, prometheusConfig(jobs));
    const args = [
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${path.join(this.baseDir, 'tsdb')}`,
      `--web.listen-address=${this.host}:${this.port}`,
      '--log.level=warn',
    ];
    const fd = fs.openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(PROMETHEUS_BINARY, args, { cwd: this.baseDir, stdio: ['ignore', fd, fd] });
    } finally {
      fs.closeSync(fd);
    }
    track(child);
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err) => {
        fs.appendFileSync(this.logPath, `[e2e] spawn error: ${err.message}\n`);
        resolve();
      });
    });
    const deadline = Date.now() + readyTimeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.isAlive()) throw new Error(`prometheus exited before it was ready\n--- prometheus log ---\n${this.logTail()}`);
      try {
        const status = await httpStatus(`${this.url}/-/ready`, 1000);
        if (status === 200) return;
        last = `HTTP ${status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`prometheus not ready within ${readyTimeoutMs} ms (last /-/ready: ${last})\n${this.logTail()}`);
  }

  /** Kills the server and removes its directory; safe to call more than once. Prometheus holds no state we keep. */
  async stop(): Promise<void> {
    try {
      if (this.child && this.exited && this.isAlive()) {
        this.child.kill('SIGKILL');
        await withTimeout(this.exited, 10_000, 'prometheus exit after SIGKILL');
      }
    } finally {
      removeTempDir(this.baseDir);
    }
  }

  /** GET an API path with query parameters; the JSON body whatever the HTTP status (errors are JSON too). */
  private async api<T>(p: string, params: Record<string, string>): Promise<T> {
    const res = await fetch(`${this.url}${p}?${new URLSearchParams(params).toString()}`, { signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`GET ${p}: HTTP ${res.status}, not JSON: ${text.slice(0, 500)}`);
    }
  }

  /** An instant query, answered as is (status 'error' for a query that does not parse or cannot run). */
  queryRaw(expr: string, time?: number): Promise<QueryResponse> {
    return this.api<QueryResponse>('/api/v1/query', { query: expr, ...(time !== undefined ? { time: String(time) } : {}) });
  }

  /** An instant query that must succeed and yield an instant vector. */
  async query(expr: string, time?: number): Promise<Sample[]> {
    const r = await this.queryRaw(expr, time);
    if (r.status !== 'success' || !r.data) throw new Error(`query ${expr}: ${r.errorType}: ${r.error}`);
    if (r.data.resultType !== 'vector') throw new Error(`query ${expr}: expected a vector, got a ${r.data.resultType}`);
    return r.data.result;
  }

  /** A range query (times in unix seconds) that must succeed. */
  async queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]> {
    const r = await this.api<QueryResponse>('/api/v1/query_range', {
      query: expr,
      start: String(start),
      end: String(end),
      step: String(stepSeconds),
    });
    if (r.status !== 'success' || !r.data) throw new Error(`query_range ${expr}: ${r.errorType}: ${r.error}`);
    if (r.data.resultType !== 'matrix') throw new Error(`query_range ${expr}: expected a matrix, got a ${r.data.resultType}`);
    return r.data.result;
  }

  /**
   * Polls `expr` until `predicate` accepts its (non-empty) result, and returns that result; on timeout the error
   * shows the last result, so a failing check says what Prometheus had instead.
   */
  async waitForSeries(expr: string, predicate: (samples: Sample[]) => boolean, opts: WaitSeriesOptions = {}): Promise<Sample[]> {
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    for (;;) {
      try {
        const samples = await this.query(expr, opts.time);
        if (samples.length > 0 && predicate(samples)) return samples;
        last = JSON.stringify(samples).slice(0, 2000);
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expr}; last result: ${last}`);
      if (!this.isAlive()) throw new Error(`prometheus exited while waiting for ${expr}\n${this.logTail()}`);
      await sleep(500);
    }
  }

  /**
   * Waits until every target of `job` has been scraped successfully at or after `unixSeconds`, so that a query
   * evaluated at that time sees the samples taken then (rather than relying on how long a wait was "enough").
   */
  async waitScrapedAfter(job: string, unixSeconds: number, timeoutMs = 60_000): Promise<void> {
    await this.waitForSeries(
      `timestamp(up{job=${JSON.stringify(job)}})`,
      (s) => s.every((x) => sampleValue(x) >= unixSeconds),
      { timeoutMs },
    );
    await this.waitForSeries(`up{job=${JSON.stringify(job)}}`, (s) => s.every((x) => sampleValue(x) === 1), { timeoutMs });
  }
}
