// Estimated monthly object-store cost per topic, from a price table and what the broker observed.
//
//   storage  = remote bytes now / 2^30 × price per GB-month           (S3 bills a "GB" as 2^30 bytes)
//   requests = (PUT-class rate × price per 1,000 PUTs + GET-class rate × price per 1,000 GETs) / 1,000 × MONTH
//   egress   = bytes read per second / 2^30 × price per GB × MONTH
//
// A rate is the count over a sliding window of one to two windows (default 1 h): counts go into the current
// window, which becomes the previous one when it is full, and rate = (previous + current) / time since the
// previous window began. Before the first window has passed, that is the count since start. The span is at
// least MIN_SPAN_MS, so a burst right after start does not extrapolate to an absurd month.
// MONTH is 30 days. S3 classes: PUT, COPY, POST and LIST are billed as PUT-class requests; GET, HEAD and the rest
// as GET-class; DELETE is free. A request is one ObjectStore call: a multipart segment upload (segments above the
// S3 part size) is a few more PUTs than counted, so the request figure is a lower bound there.
import type { Clock } from '../clock';

export const MONTH_SECONDS = 30 * 24 * 3600;
const GIB = 2 ** 30;
const MIN_SPAN_MS = 60_000;

/** USD prices; the defaults are AWS S3 Standard list prices in us-east-1 (aws.amazon.com/s3/pricing). */
export interface PriceTable {
  storagePerGbMonth: number;
  putPerThousand: number;
  getPerThousand: number;
  egressPerGb: number;
}

export const DEFAULT_PRICES: PriceTable = {
  storagePerGbMonth: 0.023,
  putPerThousand: 0.005,
  getPerThousand: 0.0004,
  egressPerGb: 0.09,
};

export type RequestClass = 'put' | 'get' | 'free';

/** The S3 billing class of an ObjectStore operation. */
export function requestClass(operation: string): RequestClass {
  switch (operation) {
    case 'put':
    case 'putIfAbsent':
    case 'putIfMatch':
    case 'list':
      return 'put';
    case 'delete':
      return 'free';
    default:
      return 'get';
  }
}

export interface CostEstimate {
  storage: number;
  requests: number;
  egress: number;
}

/** The pure formula above: figures observed over `spanSeconds` (and remote bytes now) → USD per month. */
export function estimateMonthlyCost(
  prices: PriceTable,
  observed: { remoteBytes: number; puts: number; gets: number; egressBytes: number; spanSeconds: number },
): CostEstimate {
  const perMonth = MONTH_SECONDS / Math.max(observed.spanSeconds, MIN_SPAN_MS / 1000);
  return {
    storage: (observed.remoteBytes / GIB) * prices.storagePerGbMonth,
    requests: ((observed.puts * prices.putPerThousand + observed.gets * prices.getPerThousand) / 1000) * perMonth,
    egress: (observed.egressBytes / GIB) * prices.egressPerGb * perMonth,
  };
}

interface Counts {
  puts: number;
  gets: number;
  egressBytes: number;
}

const zero = (): Counts => ({ puts: 0, gets: 0, egressBytes: 0 });

/** Object-store traffic per topic label over the sliding window described above. */
export class CostMeter {
  private current = new Map<string, Counts>();
  private previous = new Map<string, Counts>();
  private currentStart: number;
  private previousStart: number;

  constructor(
    private readonly prices: PriceTable,
    private readonly clock: Clock,
    private readonly windowMs = 3_600_000,
  ) {
    this.currentStart = this.previousStart = clock.now();
  }

  /** One object-store request for `topic`; `bytesRead` is the body size of a GET (egress). */
  record(topic: string, operation: string, bytesRead = 0): void {
    this.rotate();
    const cls = requestClass(operation);
    let c = this.current.get(topic);
    if (!c) this.current.set(topic, (c = zero()));
    if (cls === 'put') c.puts++;
    else if (cls === 'get') c.gets++;
    c.egressBytes += bytesRead;
  }

  /** The estimate of every topic seen in the window or holding remote bytes. */
  estimates(remoteBytes: ReadonlyMap<string, number>): Map<string, CostEstimate> {
    this.rotate();
    const spanSeconds = (this.clock.now() - this.previousStart) / 1000;
    const out = new Map<string, CostEstimate>();
    const topics = new Set([...remoteBytes.keys(), ...this.current.keys(), ...this.previous.keys()]);
    for (const t of topics) {
      const a = this.current.get(t) ?? zero();
      const b = this.previous.get(t) ?? zero();
      out.set(
        t,
        estimateMonthlyCost(this.prices, {
          remoteBytes: remoteBytes.get(t) ?? 0,
          puts: a.puts + b.puts,
          gets: a.gets + b.gets,
          egressBytes: a.egressBytes + b.egressBytes,
          spanSeconds,
        }),
      );
    }
    return out;
  }

  /** Forgets a deleted topic. */
  remove(topic: string): void {
    this.current.delete(topic);
    this.previous.delete(topic);
  }

  private rotate(): void {
    const now = this.clock.now();
    if (now - this.currentStart < this.windowMs) return;
    // A gap of more than a whole window leaves nothing worth keeping in the previous one.
    const skipped = now - this.currentStart >= 2 * this.windowMs;
    this.previous = skipped ? new Map() : this.current;
    this.previousStart = skipped ? now - this.windowMs : this.currentStart;
    this.current = new Map();
    this.currentStart = skipped ? now : this.currentStart + this.windowMs;
  }
}
