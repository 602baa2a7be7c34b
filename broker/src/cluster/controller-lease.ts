// The controller lease (CLUSTER.md "Controller role"): the object `<cluster>/metadata/controller` holds
// {nodeId, epoch, renewals[, resigned]}. The holder rewrites it with putIfMatch every leaseMs/3, counted from the
// start of the previous renewal (the renewal count makes every write's content, and so its etag, new). Every other
// broker watches the object's etag: when it has not changed for leaseMs on the watcher's OWN monotonic clock, the
// holder is presumed dead and the watcher takes the lease with putIfMatch(observed etag, epoch + 1) — exactly one
// watcher wins. No clocks need to agree: the holder acts as controller only within 2/3 leaseMs of starting its
// latest successful renewal, and a watcher starts counting only after that renewal completed, so their windows
// never overlap unless a clock runs 1.5x slow. A renewal may so take up to leaseMs/3 (a slow object store, a
// loaded disk under the local store's fsync) without the controller ever becoming inactive.
//
// A new holder claims its epoch in the metadata log (Controller.claimController) before it is active. The lease is
// taken at once when the object is absent, was resigned (a clean shutdown), or names this very node (its previous
// life crashed), so a single broker never waits leaseMs to become controller.
import { EventEmitter } from 'node:events';
import { monotonicClock, type Clock, type TimerHandle } from '../clock';
import { createLogger, type Logger } from '../logger';
import type { ObjectStore } from '../tier/object-store';

/** How long after starting its latest successful renewal the holder may act as controller, as a share of leaseMs. */
const ACTIVE_SHARE = 2 / 3;

/** The lease object's content. */
interface LeaseBody {
  nodeId: number;
  epoch: number;
  /** Renewals by this holder: makes every write's etag new. */
  renewals: number;
  /** Written by resign(): the holder handed the lease over; anyone may take it at once. */
  resigned?: boolean;
}

export interface ControllerLeaseOptions {
  store: ObjectStore;
  /** The lease object's key (`<cluster>/metadata/controller`). */
  key: string;
  nodeId: number;
  leaseMs: number;
  /** Records the won epoch in the metadata log (Controller.claimController); must succeed before the lease is active. */
  claim: (epoch: number) => Promise<void>;
  /** The highest controller epoch this broker has seen in the metadata log (a new lease's epoch is above it). */
  knownEpoch: () => number;
  /** Monotonic clock (tests inject a manual one). */
  clock?: Clock;
  logger?: Logger;
}

export class ControllerLease extends EventEmitter<{ elected: [epoch: number]; deposed: [epoch: number] }> {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private timer: TimerHandle | null = null;
  private running = false;
  /** What we wrote last while holding the lease, and when (local clock) the write that made it started. */
  private held: { etag: string; body: LeaseBody; renewedAt: number } | null = null;
  /** Whether the held epoch is recorded in the metadata log (the lease is then active). */
  private claimed = false;
  /** The lease object as this broker last saw it while not holding it, and since when it has not changed. */
  private observed: { etag: string; body: LeaseBody; since: number } | null = null;
  /** After stepDown: no taking the lease before this time (local monotonic clock). */
  private quietUntil = 0;
  /** Whether renewals are taking long enough to lapse the active window (logged once per slow spell). */
  private slow = false;

  constructor(private readonly opts: ControllerLeaseOptions) {
    super();
    this.clock = opts.clock ?? monotonicClock;
    this.logger = opts.logger ?? createLogger('controller-lease');
  }

  /** Starts renewing or watching; resolves after the first attempt (a lone broker holds the lease by then). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.tick();
  }

  /** Stops renewing or watching. Releases nothing: others take over after leaseMs (or use resign()). */
  stop(): void {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Stops and hands the lease over at once: the object is rewritten as resigned, so a watcher takes it at its next look. */
  async resign(): Promise<void> {
    this.stop();
    const held = this.held;
    if (!held) return;
    try {
      await this.opts.store.putIfMatch(this.opts.key, encode({ ...held.body, renewals: held.body.renewals + 1, resigned: true }), held.etag);
      this.logger.info('resigned the controller lease', { epoch: held.body.epoch });
    } catch (err) {
      this.logger.warn('could not resign the controller lease; others take it over when it expires', { err });
    }
    this.lose();
  }

  /**
   * Hands the lease over (written as resigned, so a watcher takes it at once) but keeps watching, and does not take
   * it again for `cooldownMs`: the holder suspects it is cut off from the other brokers, which should lead instead.
   */
  async stepDown(cooldownMs: number): Promise<void> {
    this.quietUntil = this.clock.now() + cooldownMs;
    const held = this.held;
    if (!held) return;
    this.lose();
    try {
      await this.opts.store.putIfMatch(this.opts.key, encode({ ...held.body, renewals: held.body.renewals + 1, resigned: true }), held.etag);
      this.logger.warn('stepped down as controller', { epoch: held.body.epoch, cooldownMs });
    } catch (err) {
      this.logger.warn('could not hand the controller lease over; others take it over when it expires', { err });
    }
  }

  /** Holds the lease, has claimed its epoch, and started its latest successful renewal less than 2/3 leaseMs ago (on the local clock). */
  isActive(): boolean {
    const held = this.held;
    return this.running && held !== null && this.claimed && this.clock.now() - held.renewedAt < this.activeMs && !this.superseded(held.body.epoch);
  }

  /**
   * The metadata log already names a newer controller epoch: another broker took the lease over, though this one
   * could still write it (it resumed after a pause mid-renewal, past the key lock's stale time).
   */
  private superseded(epoch: number): boolean {
    return this.opts.knownEpoch() > epoch;
  }

  private get activeMs(): number {
    return this.opts.leaseMs * ACTIVE_SHARE;
  }

  private get intervalMs(): number {
    return Math.max(1, Math.floor(this.opts.leaseMs / 3));
  }

  /** The held lease's epoch, or -1. */
  get epoch(): number {
    return this.held?.body.epoch ?? -1;
  }

  /** The lease holder as last seen (this broker when it holds it); null when there is none or it resigned. */
  current(): { nodeId: number; epoch: number } | null {
    const body = this.held?.body ?? this.observed?.body;
    return body && !body.resigned ? { nodeId: body.nodeId, epoch: body.epoch } : null;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const began = this.clock.now();
    try {
      if (this.held) await this.renew();
      else await this.watch();
    } catch (err) {
      // Object store trouble: keep trying; while renewals fail, isActive turns false by itself.
      this.logger.warn('controller lease: object store request failed', { err });
    }
    // The holder renews on a cadence from each renewal's start, so a slow renewal does not also delay the next
    // one (it starts at once when overdue); a watcher just looks again an interval later.
    this.schedule(this.held ? Math.max(1, began + this.intervalMs - this.clock.now()) : this.intervalMs);
  }

  private async renew(): Promise<void> {
    const held = this.held!;
    if (this.superseded(held.body.epoch)) {
      this.logger.warn('deposed: the metadata log names a newer controller epoch', { epoch: held.body.epoch, newer: this.opts.knownEpoch() });
      this.lose();
      await this.watch();
      return;
    }
    const started = this.clock.now();
    const body = { ...held.body, renewals: held.body.renewals + 1 };
    const written = await this.opts.store.putIfMatch(this.opts.key, encode(body), held.etag);
    if (!this.running || this.held !== held) return; // stopped or resigned meanwhile
    if (!written) {
      this.logger.warn('lost the controller lease: another broker took it over', { epoch: held.body.epoch });
      this.lose();
      await this.watch(); // learn the new holder now (current() answers it)
      return;
    }
    this.noteRenewalTime(this.clock.now() - started);
    this.held = { etag: written.etag, body, renewedAt: started };
    if (!this.claimed) await this.claim();
  }

  /** Warns (once per spell) while renewals take longer than the cadence leaves room for: the controller then lapses. */
  private noteRenewalTime(ms: number): void {
    const tooSlow = ms > this.activeMs - this.intervalMs;
    if (tooSlow && !this.slow) {
      this.logger.warn('controller lease renewals are slow: the controller is inactive between them (the object store answers too slowly for controllerLeaseMs)', {
        renewalMs: ms,
        leaseMs: this.opts.leaseMs,
      });
    } else if (!tooSlow && this.slow) this.logger.info('controller lease renewals are fast again', { renewalMs: ms });
    this.slow = tooSlow;
  }

  private async watch(): Promise<void> {
    const { store, key, nodeId, leaseMs } = this.opts;
    if (this.clock.now() < this.quietUntil) return; // stepped down: the others take it first
    const head = await store.head(key);
    if (!head) {
      await this.take(null, this.opts.knownEpoch() + 1);
      return;
    }
    if (this.observed?.etag !== head.etag) {
      let body: LeaseBody;
      try {
        body = JSON.parse((await store.get(key)).toString('utf8')) as LeaseBody;
      } catch (err) {
        if ((err as Error).name === 'ObjectNotFoundError') return; // deleted meanwhile: next look creates it
        throw err;
      }
      // Read after the head: if it changed in between, the etag is the older one and taking over fails safely.
      this.observed = { etag: head.etag, body, since: this.clock.now() };
    }
    const { body, since, etag } = this.observed;
    if (body.resigned || body.nodeId === nodeId || this.clock.now() - since >= leaseMs) {
      await this.take(etag, Math.max(body.epoch, this.opts.knownEpoch()) + 1);
    }
  }

  /** Takes the lease with `epoch` (creating the object when `etag` is null), then claims the epoch. */
  private async take(etag: string | null, epoch: number): Promise<void> {
    const { store, key, nodeId } = this.opts;
    const started = this.clock.now();
    const body: LeaseBody = { nodeId, epoch, renewals: 0 };
    const written = etag === null ? await store.putIfAbsent(key, encode(body)) : await store.putIfMatch(key, encode(body), etag);
    if (!written || !this.running) return; // another broker was faster; the next look sees it
    this.held = { etag: written.etag, body, renewedAt: started };
    this.observed = null;
    this.logger.info('took the controller lease', { epoch, previous: etag === null ? 'none' : 'expired or resigned' });
    await this.claim();
  }

  private async claim(): Promise<void> {
    const epoch = this.held!.body.epoch;
    try {
      await this.opts.claim(epoch);
    } catch (err) {
      this.logger.warn('could not record the controller epoch in the metadata log; retrying at the next renewal', { epoch, err });
      return;
    }
    if (this.held?.body.epoch !== epoch) return;
    this.claimed = true;
    this.logger.info('active controller', { nodeId: this.opts.nodeId, epoch });
    this.emit('elected', epoch);
  }

  private lose(): void {
    const held = this.held;
    const wasActive = this.claimed;
    this.held = null;
    this.claimed = false;
    this.observed = null;
    if (held && wasActive) this.emit('deposed', held.body.epoch);
  }
}

function encode(body: LeaseBody): Buffer {
  return Buffer.from(JSON.stringify(body));
}
