// Leader epoch → first offset written in that epoch, as Kafka's leader-epoch-checkpoint. Followers use it
// through OffsetForLeaderEpoch to find where their log diverges from the leader's.

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

export class LeaderEpochCache {
  private entries: EpochEntry[];

  constructor(entries: ReadonlyArray<readonly [number, number]> = []) {
    this.entries = entries.map(([epoch, startOffset]) => ({ epoch, startOffset }));
  }

  get latestEpoch(): number {
    return this.entries.length > 0 ? this.entries[this.entries.length - 1].epoch : UNDEFINED_EPOCH;
  }

  /** Records that `epoch` starts at `startOffset`; only a newer epoch at a later offset changes anything. */
  assign(epoch: number, startOffset: number): boolean {
    const latest = this.entries[this.entries.length - 1];
    if (epoch < 0 || (latest && (epoch <= latest.epoch || startOffset < latest.startOffset))) return false;
    this.entries.push({ epoch, startOffset });
    return true;
  }

  /** OffsetForLeaderEpoch: the largest epoch <= `epoch` and the offset where the next epoch starts (or the LEO). */
  endOffsetFor(epoch: number, logEndOffset: number): { leaderEpoch: number; endOffset: number } {
    const undefinedResult = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (epoch === UNDEFINED_EPOCH || this.entries.length === 0) return undefinedResult;
    if (epoch === this.latestEpoch) return { leaderEpoch: epoch, endOffset: logEndOffset };
    const higher = this.entries.findIndex((e) => e.epoch > epoch);
    if (higher < 0) return undefinedResult;
    // Below the first known epoch: its data is gone; point the follower at the first epoch we know.
    const leaderEpoch = higher === 0 ? epoch : this.entries[higher - 1].epoch;
    return { leaderEpoch, endOffset: this.entries[higher].startOffset };
  }

  /** Epoch of the leader that wrote `offset`, or -1. */
  epochForOffset(offset: number): number {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i].startOffset <= offset) return this.entries[i].epoch;
    }
    return UNDEFINED_EPOCH;
  }

  /** Forgets epochs starting at or after `endOffset` (the log was truncated there). */
  truncateFromEnd(endOffset: number): void {
    this.entries = this.entries.filter((e) => e.startOffset < endOffset);
  }

  /** The log now starts at `startOffset`: drop epochs entirely before it and clamp the one that covers it. */
  truncateFromStart(startOffset: number): void {
    const covering = this.entries.filter((e) => e.startOffset <= startOffset).pop();
    const rest = this.entries.filter((e) => e.startOffset > startOffset);
    this.entries = covering ? [{ epoch: covering.epoch, startOffset }, ...rest] : rest;
  }

  /** Replaces every entry (a log emptied, or epochs learnt from the bucket). */
  replace(entries: ReadonlyArray<readonly [number, number]>): void {
    this.entries = entries.map(([epoch, startOffset]) => ({ epoch, startOffset }));
  }

  toJSON(): Array<[number, number]> {
    return this.entries.map((e) => [e.epoch, e.startOffset]);
  }
}
