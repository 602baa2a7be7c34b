// Leader election on a coordination.k8s.io/v1 Lease: acquire when free or expired, renew while leading,
// every write guarded by the Lease's resourceVersion (a conflict means someone else wrote first), and
// release on shutdown (holder cleared) so a successor need not wait for the lease to expire.
import { ApiError, isConflict, type KubeApi, type KubeObject } from './kube-client';

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  name: string;
  namespace: string;
  identity: string;
  leaseDurationSeconds?: number;
  /** How often the leader renews; default a third of the lease duration. */
  renewPeriodMs?: number;
  /** How often a follower retries; default the renew period. */
  retryPeriodMs?: number;
  now?: () => Date;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  log?: (msg: string) => void;
}

/** Lease timestamps are MicroTime. */
const microTime = (d: Date): string => d.toISOString().replace(/Z$/, '000Z');

export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly durationS: number;
  private readonly renewMs: number;
  private readonly retryMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.durationS = opts.leaseDurationSeconds ?? 15;
    this.renewMs = opts.renewPeriodMs ?? Math.max(200, Math.floor((this.durationS * 1000) / 3));
    this.retryMs = opts.retryPeriodMs ?? this.renewMs;
    this.now = opts.now ?? (() => new Date());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Starts trying (and, once leading, renewing) in the background. */
  start(): void {
    this.stopped = false;
    void this.loop();
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.opts.log?.(`leader election: ${(err as Error).message}`);
      ok = false;
    }
    if (this.stopped) return;
    if (ok && !this.leading) {
      this.leading = true;
      this.opts.log?.(`leader election: ${this.opts.identity} leads`);
      this.opts.onStartedLeading?.();
    } else if (!ok && this.leading) {
      this.leading = false;
      this.opts.log?.(`leader election: ${this.opts.identity} lost the lease`);
      this.opts.onStoppedLeading?.();
    }
    this.timer = setTimeout(() => void this.loop(), this.leading ? this.renewMs : this.retryMs);
  }

  private ref() {
    return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: this.opts.namespace, name: this.opts.name };
  }

  /** One round: true when this identity holds the lease afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    const lease = await this.api.get<Lease>(this.ref());
    if (!lease) {
      try {
        await this.api.create<Lease>({
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: {
            holderIdentity: this.opts.identity,
            leaseDurationSeconds: this.durationS,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        return true;
      } catch (err) {
        if (isConflict(err)) return false;
        throw err;
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const duration = (spec.leaseDurationSeconds ?? this.durationS) * 1000;
    const expired = holder === '' || renewed + duration < now.getTime();
    const mine = holder === this.opts.identity;
    if (!mine && !expired) return false;
    const next: Lease = {
      ...lease,
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      spec: {
        ...spec,
        holderIdentity: this.opts.identity,
        leaseDurationSeconds: this.durationS,
        renewTime: microTime(now),
        acquireTime: mine ? spec.acquireTime : microTime(now),
        leaseTransitions: mine ? spec.leaseTransitions ?? 0 : (spec.leaseTransitions ?? 0) + 1,
      },
    };
    try {
      await this.api.replace(next);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }

  /** Stops renewing and, when leading, clears the holder so another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (!this.leading) return;
    this.leading = false;
    try {
      const lease = await this.api.get<Lease>(this.ref());
      if (lease && lease.spec?.holderIdentity === this.opts.identity) {
        await this.api.replace<Lease>({
          ...lease,
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          spec: { ...lease.spec, holderIdentity: null, acquireTime: null, renewTime: null, leaseDurationSeconds: 1 },
        });
      }
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      this.opts.log?.(`leader election: release failed: ${err.message}`);
    }
  }
}
