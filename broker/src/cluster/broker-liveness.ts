// The controller's heartbeat table (CLUSTER.md "Brokers"): runs on every broker but decides only while this
// broker holds the controller lease. It records each broker's last heartbeat on this process's own monotonic
// clock and
// - fences a registered, unfenced broker not heard from for brokerSessionTimeoutMs (Controller.fenceBrokers:
//   its leaderships move, it leaves the ISRs);
// - grants a grace period (everyone counts as just heard from) when it becomes the lease holder (a new lease
//   epoch) and after a local pause (a tick later than leaseMs/2: this process, not the brokers, stopped), so it
//   never fences brokers for heartbeats it was not there to receive. Heartbeats refused while the lease lapsed
//   (a slow renewal; the epoch is still ours) are still counted as heard: the brokers were there;
// - unfences a fenced but registered broker on its next heartbeat;
// - runs controlled shutdown for a broker whose heartbeat says wantShutDown, answering shouldShutDown once it
//   holds nothing another broker could take over;
// - every preferredElectionIntervalMs (auto.leader.rebalance.enable), gives partitions back to their preferred
//   replica once it is alive and in the ISR again (a broker that returned and caught up leads its share again);
// - fences only while it hears from a majority of the REGISTERED brokers (itself included, fenced ones counted)
//   when 3 or more are registered: a controller cut off from the other brokers (but not from the object store,
//   which keeps its lease alive) would otherwise fence all of them and take every leadership nobody can reach. It
//   hands the lease over instead, so a broker on the majority side takes it and fences the cut-off one. Counting
//   the fenced ones keeps the cut-off controller from fencing its peers one by one as their sessions expire a
//   tick apart (the majority of those left shrinking each time). As with a Kafka controller quorum, 3 brokers
//   with 2 gone fence nobody. (A cluster of two cannot tell a dead peer from a partition; it fences as before.)
import type { Clock, TimerHandle } from '../clock';
import { createLogger, type Logger } from '../logger';
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { BrokerHeartbeatRequest, BrokerHeartbeatResponse } from '../protocol/schema/types';
import type { MetadataImage } from './metadata-image';

/** The controller lease as liveness sees it: may this broker make controller decisions now? */
export interface LeaseView {
  isActive(): boolean;
  /** The epoch of the lease this broker holds, or -1. */
  readonly epoch: number;
  /** Hands the lease over and does not take it back for `cooldownMs` (this broker seems cut off from the others). */
  stepDown?(cooldownMs: number): Promise<void>;
}

/** The controller operations liveness decides (cluster/controller.ts). */
export interface LivenessController {
  fenceBrokers(ids: readonly number[]): Promise<void>;
  unfenceBroker(id: number): Promise<void>;
  shutDownBroker(id: number): Promise<{ pending: number }>;
  cancelShutdown(id: number): void;
  electLeaders(type: 'preferred', partitions: null): Promise<ReadonlyArray<{ topic: string; partition: number; error: unknown }>>;
}

export interface HeartbeatInput {
  brokerId: number;
  wantShutDown: boolean;
}

export interface HeartbeatOutcome {
  errorCode: ErrorCode;
  isFenced: boolean;
  shouldShutDown: boolean;
}

export interface BrokerLivenessOptions {
  image: Pick<MetadataImage, 'brokers'>;
  controller: LivenessController;
  lease: LeaseView;
  /** A monotonic clock (tests: a manual one). */
  clock: Clock;
  sessionTimeoutMs: number;
  leaseMs: number;
  /** Preferred leader election this often while holding the lease; 0 = never (auto.leader.rebalance.enable off). */
  preferredElectionIntervalMs?: number;
  /** Reads the metadata log up to its end (a heartbeat can arrive before the sender's registration is applied here). */
  catchUp?: () => Promise<void>;
  logger?: Logger;
}

export class BrokerLiveness {
  /** Per broker, when its session last started or was refreshed (a grace period counts): decides fencing. */
  private readonly lastHeard = new Map<number, number>();
  /** Per broker, when a heartbeat of its really arrived (grace periods do not count): decides hearsMajority. */
  private readonly lastBeat = new Map<number, number>();
  /** The registration (broker epoch) each lastHeard entry belongs to: a new registration starts a new session. */
  private readonly sessionOf = new Map<number, number>();
  private readonly tickMs: number;
  private readonly logger: Logger;
  private timer: TimerHandle | null = null;
  /** When the pending tick was scheduled: a tick much later than tickMs after it means this process paused. */
  private scheduledAt = 0;
  /** The lease epoch this table last decided under (-1: none); a new epoch starts with a grace period. */
  private activeEpoch = -1;
  /** The fencing write in flight, so ticks never stack writes. */
  private fencing: Promise<void> | null = null;
  /** Per broker, the unfence or shutdown write in flight: heartbeats arriving meanwhile do not start another. */
  private readonly inFlight = new Map<number, Promise<HeartbeatOutcome>>();
  /** When the last preferred election ran (or this broker became the controller). */
  private lastPreferredElection = 0;

  constructor(private readonly opts: BrokerLivenessOptions) {
    // Often enough to fence within ~a quarter session of the deadline and to notice a pause of leaseMs/2.
    this.tickMs = Math.max(10, Math.floor(Math.min(opts.sessionTimeoutMs, opts.leaseMs) / 4));
    this.logger = opts.logger ?? createLogger('liveness');
  }

  start(): void {
    if (this.timer) return;
    this.schedule();
  }

  stop(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.scheduledAt = this.opts.clock.now();
    this.timer = this.opts.clock.setTimeout(() => {
      void this.tick().finally(() => {
        if (this.timer) this.schedule();
      });
    }, this.tickMs);
    this.timer.unref();
  }

  /** One pass: grace on becoming active or after a pause, else fence the brokers whose session expired. */
  async tick(): Promise<void> {
    const now = this.opts.clock.now();
    const lateMs = now - this.scheduledAt - this.tickMs;
    if (lateMs > this.opts.leaseMs / 2 && this.activeEpoch !== -1) {
      this.logger.warn('this process paused: every broker gets a new session before anyone is fenced', { lateMs });
      this.activeEpoch = -1;
    }
    if (!this.opts.lease.isActive()) {
      // Lost (another epoch comes next) or lapsed between two renewals (the same epoch resumes, sessions intact).
      if (this.opts.lease.epoch !== this.activeEpoch) this.activeEpoch = -1;
      return;
    }
    const epoch = this.opts.lease.epoch;
    if (epoch !== this.activeEpoch) {
      this.activeEpoch = epoch;
      this.lastPreferredElection = now;
      this.lastHeard.clear();
      for (const b of this.opts.image.brokers.values()) {
        this.lastHeard.set(b.nodeId, now);
        this.sessionOf.set(b.nodeId, b.epoch);
      }
      return;
    }
    const expired: number[] = [];
    for (const b of this.opts.image.brokers.values()) {
      // A fenced broker has no session; one that is unfenced again (registered anew, or unfenced on a heartbeat)
      // starts a new one, rather than being fenced again for its silence before.
      if (b.fenced) {
        this.lastHeard.delete(b.nodeId);
        continue;
      }
      const heard = this.lastHeard.get(b.nodeId);
      // A broker fenced and registered again between two ticks never looked fenced here: its new registration
      // (broker epoch) still starts a new session rather than inheriting the silence of its previous life.
      if (heard === undefined || this.sessionOf.get(b.nodeId) !== b.epoch) {
        this.lastHeard.set(b.nodeId, now);
        this.sessionOf.set(b.nodeId, b.epoch);
      } else if (now - heard > this.opts.sessionTimeoutMs) expired.push(b.nodeId);
    }
    for (const id of this.lastHeard.keys()) {
      if (this.opts.image.brokers.has(id)) continue;
      this.lastHeard.delete(id);
      this.sessionOf.delete(id);
    }
    for (const id of this.lastBeat.keys()) if (!this.opts.image.brokers.has(id)) this.lastBeat.delete(id);
    const interval = this.opts.preferredElectionIntervalMs ?? 0;
    if (expired.length === 0 && interval > 0 && now - this.lastPreferredElection >= interval) {
      this.lastPreferredElection = now;
      await this.electPreferred();
    }
    if (expired.length === 0 || this.fencing) return;
    let unfenced = 0;
    for (const b of this.opts.image.brokers.values()) if (!b.fenced) unfenced++;
    if (!this.isMajority(unfenced - expired.length)) {
      this.logger.warn('hearing from no majority of the brokers: not fencing them, handing the controller lease over (this broker may be cut off)', {
        silent: expired.join(','),
        heard: unfenced - expired.length,
        registered: this.opts.image.brokers.size,
      });
      this.activeEpoch = -1; // a new grace period if the lease comes back
      await this.opts.lease.stepDown?.(2 * this.opts.leaseMs);
      return;
    }
    this.logger.warn('fencing brokers whose heartbeats stopped', { brokers: expired.join(','), sessionTimeoutMs: this.opts.sessionTimeoutMs });
    this.fencing = this.opts.controller.fenceBrokers(expired).catch((err) => this.logger.error('fencing failed; retrying on the next tick', { err }));
    try {
      await this.fencing;
    } finally {
      this.fencing = null;
    }
  }

  private async electPreferred(): Promise<void> {
    try {
      const moved = (await this.opts.controller.electLeaders('preferred', null)).filter((r) => !r.error);
      if (moved.length > 0) this.logger.info('gave partitions back to their preferred leaders', { partitions: moved.length });
    } catch (err) {
      this.logger.warn('preferred leader election failed; retrying at the next interval', { err });
    }
  }

  /**
   * Whether this broker, as controller, hears from a majority of the registered brokers (always true when it is
   * not the active controller, or with fewer than 3). A leader cut off from the others must not shrink ISRs to
   * itself (it writes them to the object store, which it still reaches): the partition would go offline when it is
   * fenced. Only heartbeats that arrived count, not a grace period: a cut-off broker that takes the lease again
   * after its cool-down has heard nobody.
   */
  hearsMajority(): boolean {
    if (!this.opts.lease.isActive()) return true;
    const now = this.opts.clock.now();
    let heard = 0;
    for (const b of this.opts.image.brokers.values()) {
      const at = this.lastBeat.get(b.nodeId);
      if (!b.fenced && at !== undefined && now - at <= this.opts.sessionTimeoutMs) heard++;
    }
    return this.isMajority(heard);
  }

  /** The one majority rule (see the file comment): `heard` brokers are more than half the registered ones, or fewer than 3 are registered. */
  private isMajority(heard: number): boolean {
    const registered = this.opts.image.brokers.size;
    return registered < 3 || heard * 2 > registered;
  }

  /** Handles one BrokerHeartbeat (the caller checked the lease and authorization). */
  async heartbeat(req: HeartbeatInput): Promise<HeartbeatOutcome> {
    if (!this.opts.image.brokers.has(req.brokerId)) await this.opts.catchUp?.().catch(() => undefined);
    const b = this.opts.image.brokers.get(req.brokerId);
    if (!b) return { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, isFenced: true, shouldShutDown: false };
    this.heardFrom(req.brokerId);
    if (!req.wantShutDown) this.opts.controller.cancelShutdown(req.brokerId);
    if (!req.wantShutDown && !b.fenced) return Promise.resolve({ errorCode: ErrorCode.NONE, isFenced: false, shouldShutDown: false });
    const running = this.inFlight.get(req.brokerId);
    if (running) return running.then((r) => ({ ...r, shouldShutDown: r.shouldShutDown && req.wantShutDown }));
    const decide = async (): Promise<HeartbeatOutcome> => {
      try {
        if (req.wantShutDown) {
          const { pending } = await this.opts.controller.shutDownBroker(req.brokerId);
          if (pending === 0) this.logger.info('broker may finish its controlled shutdown', { broker: req.brokerId });
          return { errorCode: ErrorCode.NONE, isFenced: this.isFenced(req.brokerId), shouldShutDown: pending === 0 };
        }
        await this.opts.controller.unfenceBroker(req.brokerId);
        this.logger.info('unfenced a broker that heartbeats again', { broker: req.brokerId });
        return { errorCode: ErrorCode.NONE, isFenced: this.isFenced(req.brokerId), shouldShutDown: false };
      } catch (err) {
        if (err instanceof KafkaError) return { errorCode: err.code, isFenced: this.isFenced(req.brokerId), shouldShutDown: false };
        this.logger.warn('a heartbeat decision failed; the broker will ask again', { broker: req.brokerId, err });
        return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, isFenced: this.isFenced(req.brokerId), shouldShutDown: false };
      }
    };
    const p = decide().finally(() => this.inFlight.delete(req.brokerId));
    this.inFlight.set(req.brokerId, p);
    return p;
  }

  /**
   * A heartbeat this broker refused (NOT_CONTROLLER) while its lease lapsed: the sender is alive, so its session
   * goes on when the same lease becomes active again. Unknown brokers are ignored.
   */
  heardWhileInactive(brokerId: number): void {
    if (this.opts.image.brokers.has(brokerId)) this.heardFrom(brokerId);
  }

  private heardFrom(brokerId: number): void {
    const now = this.opts.clock.now();
    this.lastHeard.set(brokerId, now);
    this.lastBeat.set(brokerId, now);
  }

  private isFenced(id: number): boolean {
    return this.opts.image.brokers.get(id)?.fenced ?? true;
  }
}

/**
 * This broker's answer to a BrokerHeartbeat (from another broker over the wire, or from itself): NOT_CONTROLLER
 * unless it holds the lease, else the liveness table's. isCaughtUp: we do not track metadata lag per broker, so
 * an answered heartbeat says yes.
 */
export async function answerHeartbeat(
  lease: LeaseView | undefined,
  liveness: Pick<BrokerLiveness, 'heartbeat' | 'heardWhileInactive'>,
  req: BrokerHeartbeatRequest,
): Promise<BrokerHeartbeatResponse> {
  if (!lease?.isActive()) {
    liveness.heardWhileInactive(req.brokerId);
    return refusedHeartbeat(ErrorCode.NOT_CONTROLLER);
  }
  const outcome = await liveness.heartbeat({ brokerId: req.brokerId, wantShutDown: req.wantShutDown });
  return { throttleTimeMs: 0, isCaughtUp: outcome.errorCode === ErrorCode.NONE, ...outcome };
}

export function refusedHeartbeat(errorCode: ErrorCode): BrokerHeartbeatResponse {
  return { throttleTimeMs: 0, errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false };
}
