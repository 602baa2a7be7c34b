// Kafka refuses records without a key on a compacted topic (INVALID_RECORD): compaction could never drop them.
// Checking needs the records decoded, compressed ones decompressed, so it runs only for compacted topics and
// asynchronously. The gate keeps appends in call order around it: while any check is pending, every append
// of the log waits for its turn in one chain.
import { ErrorCode } from '../protocol/errors';
import { DecodedBatch, decodeBatches } from '../protocol/records';
import { LogError } from './log-error';

/** Rejects when a data batch of the payload holds a record without a key. */
export async function checkKeys(records: Buffer): Promise<void> {
  let batches: DecodedBatch[];
  try {
    batches = await decodeBatches(records);
  } catch {
    return; // malformed or unreadable: batch validation reports it with the right code
  }
  for (const b of batches) {
    if (!b.header.isControl && b.records.some((r) => r.key === null)) {
      throw new LogError(ErrorCode.INVALID_RECORD, 'Compacted topic cannot accept message without key');
    }
  }
}

export class AppendGate {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /**
   * Null when the append may go ahead at once (no check, none pending). Otherwise a promise that settles on
   * the append's turn, rejecting if its check failed; the caller awaits it at once and then calls leave().
   * Turns follow call order: a turn starts from the previous one settling, and the previous append's own
   * await on that promise was registered first, so it runs (synchronously, up to its first await) before.
   */
  admit(check: (() => Promise<void>) | null): Promise<void> | null {
    if (!check && this.waiting === 0) return null;
    const checked = check ? check() : Promise.resolve(); // checks run in parallel; only turns are ordered
    checked.catch(() => undefined); // a failure surfaces through the turn, maybe after this rejects
    const turn = this.tail.then(
      () => checked,
      () => checked,
    );
    this.tail = turn;
    this.waiting++;
    return turn;
  }

  leave(): void {
    this.waiting--;
  }
}
