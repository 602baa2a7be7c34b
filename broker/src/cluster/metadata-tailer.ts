// Keeps this broker's metadata image current with the shared metadata log (CLUSTER.md "Metadata propagation"):
// it catches up every metadataPollIntervalMs (one GET of the next position; missing = nothing new) and at once on
// poke(). Whenever entries were applied (by this tailer or by a Controller operation catching up after a conflict)
// the onChange listeners run, one batch at a time; their errors are logged, never thrown.
import { systemClock, type Clock, type TimerHandle } from '../clock';
import { createLogger, type Logger } from '../logger';
import type { MetadataImage } from './metadata-image';
import type { MetadataLog } from './metadata-log';

export interface MetadataTailerOptions {
  pollIntervalMs: number;
  clock?: Clock;
  logger?: Logger;
}

export class MetadataTailer {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly listeners: Array<() => Promise<void>> = [];
  private timer: TimerHandle | null = null;
  private running = false;
  /** The catch-up in progress (poke and the poll share it) and whether another must follow it. */
  private catching: Promise<void> | null = null;
  private again = false;
  /** Whether the latest catch-up failed (the object store is unreachable). */
  private failing = false;
  /** The listener run in progress, and whether entries arrived during it (one more run then covers them all). */
  private notifying: Promise<void> = Promise.resolve();
  private dirty = false;
  private readonly onApplied = () => this.changed();

  constructor(
    private readonly log: MetadataLog,
    private readonly image: MetadataImage,
    private readonly opts: MetadataTailerOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? createLogger('metadata-tailer');
    log.on('applied', this.onApplied);
  }

  onChange(listener: () => Promise<void>): void {
    this.listeners.push(listener);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.log.off('applied', this.onApplied);
  }

  /** Catches up now; resolves once every entry written before the call is applied and the listeners ran. */
  async poke(): Promise<void> {
    if (this.catching) {
      // The catch-up in flight may have read past the end before the entry we are asked about landed.
      this.again = true;
      await this.catching;
    } else {
      await this.catchUp();
    }
    await this.notifying;
  }

  private catchUp(): Promise<void> {
    this.catching ??= (async () => {
      try {
        do {
          this.again = false;
          await this.log.catchUp(this.image);
        } while (this.again);
        if (this.failing) this.logger.info('metadata catch-up works again');
        this.failing = false;
      } catch (err) {
        // Logged once per outage, not at every poll.
        if (!this.failing) this.logger.warn('metadata catch-up failed; retrying at every poll', { err });
        this.failing = true;
      } finally {
        this.catching = null;
      }
    })();
    return this.catching;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.catchUp().finally(() => this.schedule());
    }, this.opts.pollIntervalMs);
    this.timer.unref();
  }

  /** Entries were applied: run the listeners once for everything applied so far. */
  private changed(): void {
    if (this.dirty) return; // a run is already queued and will see these entries too
    this.dirty = true;
    this.notifying = this.notifying.then(async () => {
      this.dirty = false;
      for (const l of this.listeners) {
        try {
          await l();
        } catch (err) {
          this.logger.error('a metadata change listener failed', { err });
        }
      }
    });
  }
}
