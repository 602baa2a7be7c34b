// Consumer-group lag over time for the group page's chart. Every interval it lists the groups and records each
// one's total lag in a per-group ring buffer. Memory is bounded: at most maxGroups groups (the first by name),
// maxPoints points each, and a group that no longer appears in the listing is dropped.
import { RingBuffer } from './ring-buffer';
import { PeriodicSampler } from './periodic-sampler';

export interface LagPoint {
  /** ms since the epoch */
  t: number;
  lag: number;
}

export interface LagSource {
  groupIds(): Promise<string[]>;
  /** Total lag of the group, or null when it cannot be computed right now. */
  totalLag(groupId: string): Promise<number | null>;
}

export interface LagSamplerOptions {
  maxPoints: number;
  maxGroups: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export class LagSampler extends PeriodicSampler {
  private readonly history = new Map<string, RingBuffer<LagPoint>>();

  constructor(
    private readonly source: LagSource,
    private readonly opts: LagSamplerOptions,
  ) {
    super();
  }

  protected async round(): Promise<void> {
    const now = this.opts.now ?? Date.now;
    let ids: string[];
    try {
      ids = [...new Set(await this.source.groupIds())].sort().slice(0, this.opts.maxGroups);
    } catch (err) {
      this.opts.onError?.(err);
      return;
    }
    const seen = new Set(ids);
    for (const id of [...this.history.keys()]) if (!seen.has(id)) this.history.delete(id);
    for (const id of ids) {
      let lag: number | null;
      try {
        lag = await this.source.totalLag(id);
      } catch (err) {
        this.opts.onError?.(err);
        continue;
      }
      if (lag === null) continue;
      let h = this.history.get(id);
      if (!h) this.history.set(id, (h = new RingBuffer(this.opts.maxPoints)));
      h.push({ t: now(), lag });
    }
  }

  points(groupId: string): LagPoint[] {
    return this.history.get(groupId)?.toArray() ?? [];
  }

  latest(groupId: string): LagPoint | undefined {
    return this.history.get(groupId)?.last();
  }

  trackedGroups(): string[] {
    return [...this.history.keys()];
  }
}
