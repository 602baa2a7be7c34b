// The records of a client's batches are checked before they are appended, as Kafka's LogValidator does: their
// framing (so that no client can store a batch its consumers cannot read) and, on a compacted topic, that every
// record has a key (INVALID_RECORD otherwise: compaction could never drop it). Uncompressed batches are walked
// synchronously during validation (records.ts validateBatches); compressed ones must be decompressed, which is
// asynchronous, so their check runs here, before the append's turn. The gate keeps appends in call order
// around it: while any check is pending, every append of the log waits for its turn in one chain.
import '../protocol/compression'; // the codecs of compressed batches
import { CompressedRecordCheckOptions, RecordBatchError, ValidatedBatch, checkCompressedRecords } from '../protocol/records';
import { LogError } from './log-error';
import { Semaphore } from '../tier/semaphore';

/**
 * Compressed payloads checked at once, across every partition and connection. Each holds up to one decompressed
 * batch (at most the decompression limit, 64 MiB by default), so without this bound a few hundred connections
 * sending batches that inflate to just under the limit would hold gigabytes. Process-wide, like the libuv thread
 * pool the decompressions run on (4 threads by default).
 */
const CONCURRENT_CHECKS = 4;
const checks = new Semaphore(CONCURRENT_CHECKS);

/** Compressed payloads being checked right now (for tests and metrics). */
export function compressedChecksInFlight(): number {
  return checks.inUse;
}

/** Rejects with the Kafka error for the payload when a compressed batch's records do not pass (see records.ts). */
export async function checkRecords(records: Buffer, batches: ValidatedBatch[], opts: CompressedRecordCheckOptions): Promise<void> {
  await checks.run(async () => {
    try {
      await checkCompressedRecords(records, batches, opts);
    } catch (err) {
      throw asLogError(err);
    }
  });
}

/** A batch error as the log reports it (other errors unchanged). */
export function asLogError(err: unknown): unknown {
  return err instanceof RecordBatchError ? new LogError(err.code, err.message) : err;
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
