// Consumer-group lag over time for the group page's chart. Every interval it lists the groups and records each
// one's total lag in a per-group ring buffer. Memory is bounded: at most maxGroups groups (the first by name),
// maxPoints points each, and a group that no longer appears in the listing is dropped.
import { RingBuffer } from './ring-buffer';

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

export class LagSampler {
  private readonly history = new Map<string, RingBuffer<LagPoint>>();
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly source: LagSource,
    private readonly opts: LagSamplerOptions,
  ) {}

  /** One round; a round still running is joined rather than overlapped. */
  sampleOnce(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async round(): Promise<void> {
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

  start(intervalMs: number): void {
    if (this.timer) return;
    void this.sampleOnce();
    this.timer = setInterval(() => void this.sampleOnce(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
