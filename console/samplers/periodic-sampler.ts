// What both samplers share: one round now and then one every interval; a round still running is joined, never
// overlapped (a slow cluster or scrape must not pile rounds up); stop() waits for the round in flight.
export abstract class PeriodicSampler {
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** One sampling round; must not throw for a failing source (record the error instead). */
  protected abstract round(): Promise<void>;

  sampleOnce(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = null;
    });
    return this.running;
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
