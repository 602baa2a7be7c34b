// What the cleaner of a compacted log does with transactions, as Kafka's cleaner does:
//  - records of aborted transactions are neither mapped (they must not shadow a committed value of their key)
//    nor kept; a producer's last batch is kept as an empty batch so its producer state stays rebuildable;
//  - committed transactional records are compacted like any others;
//  - a marker (control batch) stays while any data of its transaction does, and also until a cleaning has passed
//    it and it is older than delete.retention.ms (the tombstone rule), so that a consumer that read the data
//    before the cleaning still finds the marker; then it goes, with its .txnindex entry;
//  - the cleaner never goes past the last stable offset (the log hands it segments below the LSO only).
// Aborted ranges come from the .txnindex files, one source segment at a time, never from a scan of the data.
import type { BatchHeader } from '../protocol/records';
import type { AbortedTxn } from './transaction-index';

/** Aborted transactions of one segment, by producer: is a data batch part of one? */
export class AbortedRanges {
  private readonly byProducer = new Map<number, AbortedTxn[]>();

  constructor(readonly entries: readonly AbortedTxn[]) {
    for (const e of entries) {
      const list = this.byProducer.get(e.producerId);
      if (list) list.push(e);
      else this.byProducer.set(e.producerId, [e]);
    }
  }

  /** A transactional data batch written inside an aborted transaction of its producer (before that abort's marker). */
  covers(h: BatchHeader): boolean {
    if (!h.isTransactional || h.isControl) return false;
    return this.byProducer.get(h.producerId)?.some((e) => e.firstOffset <= h.baseOffset && h.baseOffset < e.lastOffset) ?? false;
  }

  /** The entry of the ABORT marker at `markerOffset`, if this segment's aborts include it. */
  entryOfMarker(markerOffset: number): AbortedTxn | undefined {
    return this.entries.find((e) => e.lastOffset === markerOffset);
  }
}

/** State carried across the groups of one cleaning, in offset order: which producers' transactions kept data. */
export class TransactionCleaning {
  private readonly withData = new Set<number>();

  constructor(
    /** Markers below this offset were seen by an earlier cleaning. */
    private readonly cleanBefore: number,
    /** Markers at or before this time (now - delete.retention.ms) may go once their transaction is empty. */
    private readonly cutoffMs: number,
  ) {}

  /** A data batch of an open (not yet decided here) transaction was kept. */
  keptData(h: BatchHeader): void {
    if (h.isTransactional && !h.isControl) this.withData.add(h.producerId);
  }

  /**
   * Reaches the marker `h`: whether it stays (`keepWhole`: the producer's last batch), and, when it stays only
   * for its age, its timestamp (the cleaning to come that may drop it).
   */
  marker(h: BatchHeader, keepWhole: boolean): { keep: boolean; pendingMs: number | null } {
    const hadData = this.withData.delete(h.producerId);
    if (hadData || keepWhole) return { keep: true, pendingMs: null };
    const expired = h.baseOffset < this.cleanBefore && h.maxTimestamp <= this.cutoffMs;
    return expired ? { keep: false, pendingMs: null } : { keep: true, pendingMs: h.maxTimestamp };
  }
}
