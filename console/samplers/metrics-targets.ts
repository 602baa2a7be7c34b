// Which /metrics endpoints the metrics sampler scrapes: the explicitly configured URLs, plus, when a metrics
// port is set, http://<host>:<port>/metrics of every broker the cluster's Metadata lists (hosts as the brokers
// advertise them; on Kubernetes the operator advertises each pod's DNS name). Asked once per sampling round,
// so brokers that join are picked up and brokers that leave drop out. The list is capped (explicit URLs
// first, then brokers by node id), because its length bounds the sampler's memory and the Metadata answer
// comes from outside.

export interface MetricsTarget {
  url: string;
  /** The broker's node id when the target was discovered from Metadata, null for an explicit URL. */
  nodeId: number | null;
}

export interface AdvertisedBroker {
  nodeId: number;
  host: string;
}

export interface MetricsTargetOptions {
  /** Explicit /metrics URLs (STRATA_CONSOLE_METRICS_URLS). */
  urls: readonly string[];
  /** Port of every broker's /metrics (STRATA_CONSOLE_METRICS_PORT); null: no discovery. */
  port: number | null;
  /** The brokers in the cluster's Metadata; only called when port is set. */
  brokers: () => Promise<AdvertisedBroker[]>;
  maxTargets: number;
  onError?: (err: unknown) => void;
}

/** `http://host:port/metrics`, with an IPv6 literal in brackets. */
export function brokerMetricsUrl(host: string, port: number): string {
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/metrics`;
}

export class MetricsTargets {
  /** The brokers of the last Metadata that answered: a failing Metadata request keeps them (and their history). */
  private discovered: MetricsTarget[] = [];

  constructor(private readonly opts: MetricsTargetOptions) {}

  /** Whether there is anything to scrape at all (else the sampler never runs and the page says so). */
  get configured(): boolean {
    return this.opts.urls.length > 0 || this.opts.port !== null;
  }

  /** This round's targets: explicit URLs first, then discovered brokers by node id; no URL twice; capped. */
  async resolve(): Promise<MetricsTarget[]> {
    const { port } = this.opts;
    if (port !== null) {
      try {
        const brokers = [...(await this.opts.brokers())].sort((a, b) => a.nodeId - b.nodeId);
        this.discovered = brokers.slice(0, this.opts.maxTargets).map((b) => ({ url: brokerMetricsUrl(b.host, port), nodeId: b.nodeId }));
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
    const byUrl = new Map<string, MetricsTarget>();
    for (const url of this.opts.urls) byUrl.set(url, { url, nodeId: null });
    for (const t of this.discovered) {
      // An explicit URL that is also a broker's discovered one is scraped once, labelled with the node id.
      if (byUrl.has(t.url) || byUrl.size < this.opts.maxTargets) byUrl.set(t.url, t);
    }
    return [...byUrl.values()].slice(0, this.opts.maxTargets);
  }
}
