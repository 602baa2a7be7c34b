// Client quota enforcement as Kafka's ClientQuotaManager does it (KIP-13, KIP-219). Each (quota, user, client id)
// the governing entity names has a sensor: a rate sampled over `windowNum` windows of `windowSizeMs`
// (quota.window.num, quota.window.size.seconds). Usage is recorded first; when the measured rate exceeds the
// bound the throttle time is what brings it back: (rate - bound) / bound * measured window, at most one full
// window. The handler puts it in throttle_time_ms and the connection then mutes the channel for that long
// (network/connection.ts), so a client that ignores the hint still cannot exceed its quota.
import type { Clock } from '../clock';
import type { MetadataImage } from '../cluster/metadata-image';
import { resolveQuota, type QuotaKey, type ResolvedQuota } from './client-quotas';
import type { Session } from './authorizer';

export interface QuotaManagerOptions {
  windowNum: number;
  windowSizeMs: number;
  clock: Clock;
  /** Called with each throttle decision > 0 (metrics). */
  onThrottle?: (key: QuotaKey, throttleMs: number) => void;
}

/**
 * Sensors kept at most. Client ids are chosen by clients, so this bounds the memory one client cycling through
 * ids can take; idle sensors (a full window without use) are dropped first, then the oldest.
 */
const MAX_SENSORS = 100_000;

interface Sample {
  start: number;
  value: number;
}

/** Kafka's SampledStat Rate: a ring of samples, each covering one window from its first record. */
export class SampledRate {
  private readonly samples: Sample[] = [];
  private current = 0;
  lastUsed = 0;

  constructor(
    private readonly windowNum: number,
    private readonly windowSizeMs: number,
  ) {}

  record(value: number, now: number): void {
    this.lastUsed = now;
    let s = this.samples[this.current];
    if (!s) {
      s = { start: now, value: 0 };
      this.samples[this.current] = s;
    } else if (now - s.start >= this.windowSizeMs) {
      this.current = (this.current + 1) % this.windowNum;
      s = this.samples[this.current] ?? { start: now, value: 0 };
      s.start = now;
      s.value = 0;
      this.samples[this.current] = s;
    }
    s.value += value;
  }

  /** Rate per second over the samples still in the window, and the length of that window in ms. */
  measure(now: number): { rate: number; windowMs: number } {
    const full = this.windowNum * this.windowSizeMs;
    let sum = 0;
    let oldest = now;
    for (const s of this.samples) {
      if (!s) continue;
      if (now - s.start >= full) {
        // Obsolete: its whole span is out of the window.
        s.value = 0;
        s.start = now;
        continue;
      }
      sum += s.value;
      oldest = Math.min(oldest, s.start);
    }
    // As Kafka: the window counts as at least windowNum - 1 full windows, so a first burst is not measured over
    // a few milliseconds.
    let windowMs = now - oldest;
    const minWindowMs = (this.windowNum - 1) * this.windowSizeMs;
    if (windowMs < minWindowMs) windowMs = minWindowMs;
    windowMs = Math.max(windowMs, 1);
    return { rate: (sum * 1000) / windowMs, windowMs };
  }
}

export class QuotaManager {
  private readonly sensors = new Map<string, SampledRate>();
  /** Resolutions by (key, user, client id) for the image's current quotas: one lookup per request, not eight. */
  private resolved = new Map<string, ResolvedQuota | null>();
  private resolvedVersion = -1;

  constructor(
    private readonly image: Pick<MetadataImage, 'quotas' | 'quotaVersion'>,
    private readonly opts: QuotaManagerOptions,
  ) {}

  /**
   * Records `amount` (bytes, or request-thread milliseconds as percent) against the quota governing the session and
   * client id; returns the throttle time in ms (0 within quota or when no quota applies).
   */
  record(key: QuotaKey, session: Session, clientId: string | null, amount: number): number {
    if (this.image.quotas.size === 0) return 0;
    const quota = this.resolve(key, session, clientId);
    if (!quota) return 0;
    const now = this.opts.clock.now();
    const sensor = this.sensor(quota.sensorKey, now);
    sensor.record(amount, now);
    const { rate, windowMs } = sensor.measure(now);
    if (rate <= quota.limit) return 0;
    const throttleMs = Math.min(Math.round(((rate - quota.limit) / quota.limit) * windowMs), this.opts.windowNum * this.opts.windowSizeMs);
    if (throttleMs > 0) this.opts.onThrottle?.(key, throttleMs);
    return throttleMs;
  }

  /** Takes back a recording (Fetch answers empty when throttled, so its bytes were never sent; as Kafka). */
  unrecord(key: QuotaKey, session: Session, clientId: string | null, amount: number): void {
    const quota = this.resolve(key, session, clientId);
    if (quota) this.sensors.get(quota.sensorKey)?.record(-amount, this.opts.clock.now());
  }

  private resolve(key: QuotaKey, session: Session, clientId: string | null): ResolvedQuota | null {
    if (this.resolvedVersion !== this.image.quotaVersion || this.resolved.size >= MAX_SENSORS) {
      this.resolved = new Map();
      this.resolvedVersion = this.image.quotaVersion;
    }
    const id = JSON.stringify([key, session.principal.name, clientId ?? '']);
    let quota = this.resolved.get(id);
    if (quota === undefined) {
      quota = resolveQuota(this.image.quotas, key, session.principal.name, clientId ?? '');
      this.resolved.set(id, quota);
    }
    return quota;
  }

  get sensorCount(): number {
    return this.sensors.size;
  }

  private sensor(key: string, now: number): SampledRate {
    let s = this.sensors.get(key);
    if (s) return s;
    if (this.sensors.size >= MAX_SENSORS) this.evict(now);
    s = new SampledRate(this.opts.windowNum, this.opts.windowSizeMs);
    this.sensors.set(key, s);
    return s;
  }

  private evict(now: number): void {
    const idle = this.opts.windowNum * this.opts.windowSizeMs;
    for (const [k, s] of this.sensors) if (now - s.lastUsed >= idle) this.sensors.delete(k);
    // Still full: drop the oldest-created tenth (Map iteration order).
    if (this.sensors.size >= MAX_SENSORS) {
      let n = Math.ceil(MAX_SENSORS / 10);
      for (const k of this.sensors.keys()) {
        if (n-- <= 0) break;
        this.sensors.delete(k);
      }
    }
  }
}
