// Broker metrics over time for the brokers page's charts: every interval it scrapes each configured Prometheus
// URL (response size capped, timed out) and keeps, per URL, a ring buffer of points: byte and request rates
// (from consecutive counter readings; a counter that went down — a restart — gives no rate for that point) and
// local/remote log bytes. Memory is bounded by the configured URLs × maxPoints.
import { RingBuffer } from './ring-buffer';
import { sumSeries } from './prometheus-text';
import { PeriodicSampler } from './periodic-sampler';

export const SERIES = {
  bytesIn: 'strata_bytes_in_total',
  bytesOut: 'strata_bytes_out_total',
  requests: 'strata_requests_total',
  localBytes: 'strata_log_size_bytes',
  remoteBytes: 'strata_tier_remote_bytes',
} as const;
const WANTED = new Set<string>(Object.values(SERIES));

export interface MetricsPoint {
  t: number;
  bytesInPerSec: number | null;
  bytesOutPerSec: number | null;
  requestsPerSec: number | null;
  localBytes: number | null;
  remoteBytes: number | null;
}

interface Reading {
  t: number;
  sums: Map<string, number>;
}

export interface MetricsTargetState {
  url: string;
  points: MetricsPoint[];
  /** Why the last scrape failed, null when it worked. */
  lastError: string | null;
}

export type FetchText = (url: string) => Promise<string>;

export class MetricsSampler extends PeriodicSampler {
  private readonly targets = new Map<string, { points: RingBuffer<MetricsPoint>; last: Reading | null; lastError: string | null }>();

  constructor(
    readonly urls: readonly string[],
    private readonly fetchText: FetchText,
    private readonly opts: { maxPoints: number; now?: () => number },
  ) {
    super();
    for (const u of urls) this.targets.set(u, { points: new RingBuffer(opts.maxPoints), last: null, lastError: null });
  }

  protected async round(): Promise<void> {
    await Promise.all(this.urls.map((u) => this.scrape(u)));
  }

  private async scrape(url: string): Promise<void> {
    const target = this.targets.get(url)!;
    let sums: Map<string, number>;
    try {
      sums = sumSeries(await this.fetchText(url), WANTED);
    } catch (err) {
      target.lastError = (err as Error).message;
      return;
    }
    const t = (this.opts.now ?? Date.now)();
    const prev = target.last;
    const rate = (name: string): number | null => {
      const a = prev?.sums.get(name);
      const b = sums.get(name);
      if (!prev || a === undefined || b === undefined || b < a || t <= prev.t) return null;
      return ((b - a) * 1000) / (t - prev.t);
    };
    target.points.push({
      t,
      bytesInPerSec: rate(SERIES.bytesIn),
      bytesOutPerSec: rate(SERIES.bytesOut),
      requestsPerSec: rate(SERIES.requests),
      localBytes: sums.get(SERIES.localBytes) ?? null,
      remoteBytes: sums.get(SERIES.remoteBytes) ?? null,
    });
    target.last = { t, sums };
    target.lastError = null;
  }

  state(): MetricsTargetState[] {
    return this.urls.map((url) => {
      const t = this.targets.get(url)!;
      return { url, points: t.points.toArray(), lastError: t.lastError };
    });
  }

  override start(intervalMs: number): void {
    if (this.urls.length > 0) super.start(intervalMs);
  }
}

/** GETs a URL's body as text, refusing bodies over maxBytes and giving up after timeoutMs. */
export function boundedFetchText(maxBytes: number, timeoutMs: number): FetchText {
  return async (url) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Uint8Array).byteLength;
      if (size > maxBytes) throw new Error(`${url}: response larger than ${maxBytes} bytes`);
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
    return Buffer.concat(chunks).toString('utf8');
  };
}
