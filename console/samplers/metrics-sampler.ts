// Broker metrics over time for the brokers page's charts: every interval it asks its target list
// (metrics-targets.ts: configured URLs and brokers discovered from Metadata) for this round's /metrics URLs,
// scrapes each (response size capped, timed out) and keeps, per URL, a ring buffer of points: byte and request
// rates (from consecutive counter readings; a counter that went down — a restart — gives no rate for that point)
// and local/remote log bytes. A target gone from the list is dropped with its history, so memory is bounded by
// the target list's cap × maxPoints.
import type { MetricsTarget } from './metrics-targets';
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

export interface MetricsTargetState extends MetricsTarget {
  points: MetricsPoint[];
  /** Why the last scrape failed, null when it worked. */
  lastError: string | null;
}

export type FetchText = (url: string) => Promise<string>;

/** Where the targets come from (MetricsTargets; a stub in tests). resolve() must not throw. */
export interface TargetSource {
  readonly configured: boolean;
  resolve(): Promise<MetricsTarget[]>;
}

interface Target extends MetricsTarget {
  points: RingBuffer<MetricsPoint>;
  last: Reading | null;
  lastError: string | null;
}

export class MetricsSampler extends PeriodicSampler {
  /** This round's targets by URL, in the source's order. */
  private targets = new Map<string, Target>();

  constructor(
    private readonly source: TargetSource,
    private readonly fetchText: FetchText,
    private readonly opts: { maxPoints: number; now?: () => number },
  ) {
    super();
  }

  /** Whether any target is configured (explicit URLs or a discovery port). */
  get configured(): boolean {
    return this.source.configured;
  }

  protected async round(): Promise<void> {
    const next = new Map<string, Target>();
    for (const t of await this.source.resolve()) {
      const known = this.targets.get(t.url);
      next.set(t.url, known ? { ...known, nodeId: t.nodeId } : { ...t, points: new RingBuffer(this.opts.maxPoints), last: null, lastError: null });
    }
    this.targets = next;
    await Promise.all([...next.values()].map((t) => this.scrape(t)));
  }

  private async scrape(target: Target): Promise<void> {
    const { url } = target;
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
    return [...this.targets.values()].map((t) => ({ url: t.url, nodeId: t.nodeId, points: t.points.toArray(), lastError: t.lastError }));
  }

  override start(intervalMs: number): void {
    if (this.configured) super.start(intervalMs);
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
