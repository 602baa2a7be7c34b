// Leader side of replication for one partition (Kafka's Partition + Replica state): what each follower has
// fetched, the high watermark and ISR changes.
// - A follower's fetch offset is its log end offset (it asks for what it does not have yet).
// - It counts as caught up at time T when it fetched the leader's whole log as of T: a fetch at or past the
//   leader's end offset catches it up now; a fetch at or past the end offset the leader had at the follower's
//   previous fetch catches it up as of that previous fetch (Kafka's lastCaughtUpTimeMs rule).
// - HW = min log end offset over the ISR (the leader's own included); it only moves forward, and only once every
//   ISR member has fetched since this broker became leader (an unknown follower position holds it).
// - A follower outside the ISR whose position reached the HW (and this leader epoch's start offset) is added;
//   an ISR follower not caught up for replicaLagTimeMaxMs is removed, checked on a timer. Both are written as an
//   ISR change through `alterIsr` (the controller's AlterPartition: a partition record valid only under this
//   leader epoch); one change in flight at a time. The committed ISR comes back through `updateIsr` when the
//   image applies it; until then the HW keeps using the ISR it had (a shrink cannot advance the HW early).
import type { Clock, TimerHandle } from '../clock';
import type { Logger } from '../logger';

/** What the tracker needs of the leader's log. */
export interface LeaderLog {
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** Moves the HW forward (clamped to the log end); returns whether it moved. */
  updateHighWatermark(hw: number): boolean;
}

export interface FollowerStatesOptions {
  nodeId: number;
  log: LeaderLog;
  replicas: readonly number[];
  isr: readonly number[];
  /** The log end offset when this broker became leader: a follower must reach it before it joins the ISR. */
  leaderEpochStartOffset: number;
  replicaLagTimeMaxMs: number;
  clock: Clock;
  /** Writes an ISR change; resolves once committed (the image then calls updateIsr), rejects when refused. */
  alterIsr: (isr: number[]) => Promise<void>;
  /** Whether a replica may join the ISR (registered and not fenced). */
  isrEligible?: (nodeId: number) => boolean;
  /** An ISR change this leader wrote was committed (metrics). */
  onIsrChanged?: (kind: 'shrink' | 'expand') => void;
  logger: Logger;
}

interface Follower {
  /** Its log end offset as of its last fetch; -1 until it fetched from this leader. */
  logEndOffset: number;
  lastFetchTime: number;
  /** The leader's log end offset at that fetch. */
  lastFetchLeaderLogEndOffset: number;
  lastCaughtUpTime: number;
}

export interface FollowerView {
  nodeId: number;
  logEndOffset: number;
  lastCaughtUpTime: number;
  inSync: boolean;
}

export class FollowerStates {
  private readonly followers = new Map<number, Follower>();
  private isr: number[];
  private altering = false;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly opts: FollowerStatesOptions) {
    const now = opts.clock.now();
    this.isr = [...opts.isr];
    // ISR members get a full lag period from now before they can be dropped (they have not had a chance to fetch).
    for (const id of opts.replicas) {
      if (id === opts.nodeId) continue;
      this.followers.set(id, { logEndOffset: -1, lastFetchTime: 0, lastFetchLeaderLogEndOffset: -1, lastCaughtUpTime: this.isr.includes(id) ? now : 0 });
    }
  }

  /** Starts the periodic ISR shrink check (every half lag time, as Kafka's isr-expiration task). */
  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => {
      if (this.stopped) return;
      this.maybeShrinkIsr();
      this.timer = this.opts.clock.setTimeout(tick, Math.max(1, Math.floor(this.opts.replicaLagTimeMaxMs / 2))).unref();
    };
    this.timer = this.opts.clock.setTimeout(tick, Math.max(1, Math.floor(this.opts.replicaLagTimeMaxMs / 2))).unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  get currentIsr(): readonly number[] {
    return this.isr;
  }

  /** Whether `nodeId` is a follower of this partition (an assigned replica other than the leader). */
  isFollower(nodeId: number): boolean {
    return this.followers.has(nodeId);
  }

  /**
   * Records a follower's fetch at `fetchOffset` (its log end offset), then expands the ISR and advances the HW
   * as that allows. Returns false when `nodeId` is not a replica of this partition.
   */
  recordFetch(nodeId: number, fetchOffset: number): boolean {
    const f = this.followers.get(nodeId);
    if (!f) return false;
    const now = this.opts.clock.now();
    const leaderEnd = this.opts.log.logEndOffset;
    if (fetchOffset >= leaderEnd) f.lastCaughtUpTime = Math.max(f.lastCaughtUpTime, now);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpTime = Math.max(f.lastCaughtUpTime, f.lastFetchTime);
    f.lastFetchLeaderLogEndOffset = leaderEnd;
    f.lastFetchTime = now;
    f.logEndOffset = fetchOffset;
    this.maybeExpandIsr(nodeId, f);
    this.maybeAdvanceHighWatermark();
    return true;
  }

  /** The ISR the image committed (same leader epoch); the HW may move with it. */
  updateIsr(isr: readonly number[]): void {
    this.isr = [...isr];
    for (const id of this.isr) {
      const f = this.followers.get(id);
      // A member added by someone else (or re-added) gets a full lag period, as at leader election.
      if (f && f.lastCaughtUpTime === 0) f.lastCaughtUpTime = this.opts.clock.now();
    }
    this.maybeAdvanceHighWatermark();
  }

  /**
   * The replica set changed under the same leader epoch (a reassignment adds or removes replicas): new followers
   * start unknown and out of sync; removed ones are forgotten.
   */
  updateReplicas(replicas: readonly number[]): void {
    for (const id of replicas) {
      if (id !== this.opts.nodeId && !this.followers.has(id)) this.followers.set(id, { logEndOffset: -1, lastFetchTime: 0, lastFetchLeaderLogEndOffset: -1, lastCaughtUpTime: 0 });
    }
    for (const id of [...this.followers.keys()]) if (!replicas.includes(id)) this.followers.delete(id);
  }

  /** Called after the leader appends: with an ISR of just the leader the HW follows the log end. */
  maybeAdvanceHighWatermark(): boolean {
    let hw = this.opts.log.logEndOffset;
    for (const id of this.isr) {
      if (id === this.opts.nodeId) continue;
      const f = this.followers.get(id);
      if (!f || f.logEndOffset < 0) return false; // not heard from since this leader epoch began
      hw = Math.min(hw, f.logEndOffset);
    }
    return hw > this.opts.log.highWatermark && this.opts.log.updateHighWatermark(hw);
  }

  /** Followers for metrics (replication lag) and tests. */
  view(): FollowerView[] {
    return [...this.followers].map(([nodeId, f]) => ({ nodeId, logEndOffset: f.logEndOffset, lastCaughtUpTime: f.lastCaughtUpTime, inSync: this.isr.includes(nodeId) }));
  }

  /** Drops ISR followers that have not caught up within replicaLagTimeMaxMs. Returns those dropped. */
  maybeShrinkIsr(): number[] {
    if (this.altering) return [];
    const now = this.opts.clock.now();
    const lagging = this.isr.filter((id) => {
      const f = this.followers.get(id);
      return f !== undefined && now - f.lastCaughtUpTime > this.opts.replicaLagTimeMaxMs;
    });
    if (lagging.length === 0) return [];
    this.alter(this.isr.filter((id) => !lagging.includes(id)), 'shrink', lagging);
    return lagging;
  }

  private maybeExpandIsr(nodeId: number, f: Follower): void {
    if (this.altering || this.isr.includes(nodeId)) return;
    if (f.logEndOffset < this.opts.log.highWatermark || f.logEndOffset < this.opts.leaderEpochStartOffset) return;
    if (this.opts.isrEligible && !this.opts.isrEligible(nodeId)) return;
    this.alter([...this.isr, nodeId], 'expand', [nodeId]);
  }

  private alter(isr: number[], kind: 'shrink' | 'expand', changed: number[]): void {
    this.altering = true;
    this.opts.logger.info(`ISR ${kind}`, { from: this.isr, to: isr, replicas: changed });
    this.opts
      .alterIsr(isr)
      .then(() => this.opts.onIsrChanged?.(kind))
      .catch((err: unknown) => this.opts.logger.warn(`ISR ${kind} was not written`, { to: isr, error: err instanceof Error ? err.message : String(err) }))
      .finally(() => (this.altering = false));
  }
}
