// The broker side of liveness: a BrokerHeartbeat to the current controller every brokerHeartbeatIntervalMs.
// - selfFenced(): no successful heartbeat (answered, no error, not fenced) for brokerSessionTimeoutMs. By then
//   the controller has fenced this broker and moved its leaderships, so it must refuse produce (a paused or
//   partitioned leader never acknowledges after its fencing). Registration counts as the first success.
// - shutDown(): controlled shutdown; heartbeats say wantShutDown until the controller answers shouldShutDown
//   (it moved this broker's leaderships away) or the timeout passes.
import { withDeadline, type Clock, type TimerHandle } from '../clock';
import { createLogger, type Logger } from '../logger';
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/apis';
import type { BrokerHeartbeatRequest, BrokerHeartbeatResponse } from '../protocol/schema/types';
import { answerHeartbeat, type BrokerLiveness, type LeaseView } from './broker-liveness';
import type { BrokerClients } from './broker-clients';

export type HeartbeatTransport = (controllerId: number, req: BrokerHeartbeatRequest) => Promise<BrokerHeartbeatResponse>;

/**
 * Heartbeats to another broker go over the inter-broker listener; to this broker itself (a single broker, or
 * the controller's own) straight to its liveness table, so a single broker needs no connection to itself.
 */
export function heartbeatTransport(selfId: number, lease: LeaseView, liveness: Pick<BrokerLiveness, 'heartbeat' | 'heardWhileInactive'>, clients: Pick<BrokerClients, 'request'>): HeartbeatTransport {
  return (controllerId, req) =>
    controllerId === selfId ? answerHeartbeat(lease, liveness, req) : clients.request<BrokerHeartbeatResponse>(controllerId, ApiKey.BrokerHeartbeat, 1, req);
}

export interface HeartbeatSenderOptions {
  nodeId: number;
  /** The current controller's node id (-1: none known yet). */
  controllerId: () => number;
  send: HeartbeatTransport;
  /** Monotonic clock (tests: a manual one). */
  clock: Clock;
  intervalMs: number;
  sessionTimeoutMs: number;
  /** This broker's metadata log position (CurrentMetadataOffset). */
  metadataOffset?: () => number;
  logger?: Logger;
}

export class HeartbeatSender {
  private timer: TimerHandle | null = null;
  private lastSuccess: number;
  /** When a heartbeat last succeeded at ANOTHER broker (the controller's own heartbeats prove no connectivity); -∞ until one does. */
  private lastRemoteSuccess = Number.NEGATIVE_INFINITY;
  private wantShutDown = false;
  private shouldShutDown = false;
  private inFlight: Promise<void> | null = null;
  private failures = 0;
  private readonly logger: Logger;
  private readonly shutdownWaiters = new Set<() => void>();

  constructor(private readonly opts: HeartbeatSenderOptions) {
    this.lastSuccess = opts.clock.now();
    this.logger = opts.logger ?? createLogger('heartbeat');
  }

  start(): void {
    if (this.timer) return;
    this.lastSuccess = this.opts.clock.now();
    this.schedule(0);
  }

  stop(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.shutdownWaiters) w();
  }

  /**
   * A heartbeat to another broker (the controller) succeeded within `withinMs`: this broker reaches the cluster.
   * A leader asks before shrinking an ISR, so one cut off from the others never shrinks it to itself.
   */
  reachedControllerWithin(withinMs: number): boolean {
    return this.opts.clock.now() - this.lastRemoteSuccess <= withinMs;
  }

  /** No successful heartbeat for the session timeout: the controller has (or will have) fenced this broker. */
  selfFenced(): boolean {
    return this.opts.clock.now() - this.lastSuccess > this.opts.sessionTimeoutMs;
  }

  /**
   * Controlled shutdown: resolves once the controller answered shouldShutDown, or after `timeoutMs` (the broker
   * stops anyway; its remaining leaderships move when it is fenced).
   */
  shutDown(timeoutMs: number): Promise<boolean> {
    this.wantShutDown = true;
    if (this.shouldShutDown) return Promise.resolve(true);
    if (!this.timer) return Promise.resolve(false); // never started: nobody knows this broker as serving
    return new Promise<boolean>((resolve) => {
      const finish = () => {
        this.opts.clock.clearTimeout(deadline);
        this.shutdownWaiters.delete(finish);
        resolve(this.shouldShutDown);
      };
      const deadline = this.opts.clock.setTimeout(finish, timeoutMs);
      this.shutdownWaiters.add(finish);
      if (this.timer) {
        // Ask now rather than at the next interval.
        this.opts.clock.clearTimeout(this.timer);
        this.schedule(0);
      }
    });
  }

  private schedule(delayMs: number): void {
    this.timer = this.opts.clock.setTimeout(() => {
      const run = (this.inFlight ??= this.beat().finally(() => (this.inFlight = null)));
      void run.finally(() => {
        if (this.timer && !this.shouldShutDown) this.schedule(this.opts.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const controllerId = this.opts.controllerId();
    if (controllerId < 0) return;
    const sentAt = this.opts.clock.now();
    try {
      // Given up on after half a session: a controller that stopped answering (dead, or cut off with its packets
      // dropped) must not hold up heartbeats to the one that takes over, which would otherwise hear nobody for
      // its first session and step down as if it were the one cut off.
      const waitMs = Math.max(1, Math.floor(this.opts.sessionTimeoutMs / 2));
      const request = this.opts.send(controllerId, {
        brokerId: this.opts.nodeId,
        brokerEpoch: -1,
        currentMetadataOffset: this.opts.metadataOffset?.() ?? 0,
        wantFence: false,
        wantShutDown: this.wantShutDown,
      });
      request.catch(() => undefined); // its late failure, after the deadline, is of no interest
      const res = await withDeadline(this.opts.clock, request, waitMs, `no answer from controller ${controllerId} within ${waitMs} ms`);
      if (res.errorCode !== ErrorCode.NONE) throw new Error(`controller ${controllerId} answered error ${res.errorCode}`);
      if (!res.isFenced) {
        this.lastSuccess = Math.max(this.lastSuccess, sentAt);
        if (controllerId !== this.opts.nodeId) this.lastRemoteSuccess = Math.max(this.lastRemoteSuccess, sentAt);
      }
      if (this.failures > 0) this.logger.info('heartbeats reach the controller again', { controller: controllerId, failed: this.failures });
      this.failures = 0;
      if (this.wantShutDown && res.shouldShutDown) {
        this.shouldShutDown = true;
        for (const w of [...this.shutdownWaiters]) w();
      }
    } catch (err) {
      if (this.failures++ === 0) this.logger.warn('heartbeat to the controller failed', { controller: controllerId, err });
    }
  }
}
