// What a read_committed fetch needs besides the data: the transactions aborted in the range it returns, found
// in the .txnindex files of the segments from the one holding the fetch offset onwards (an abort is indexed in
// the segment of its marker, which follows its data), stopping as soon as an entry shows that everything below
// the range's end was decided. Only index files are read, never the log.
import type { CompletedTxn } from './producer-state';
import type { AbortedTxn, TransactionIndex } from './transaction-index';

/** The index entry of a transaction an ABORT marker ended; `firstOngoing` is the earliest transaction still open (-1). */
export function abortedEntry(txn: CompletedTxn, firstOngoing: number): AbortedTxn {
  return {
    producerId: txn.producerId,
    firstOffset: txn.firstOffset,
    lastOffset: txn.lastOffset,
    lastStableOffset: firstOngoing >= 0 ? Math.min(firstOngoing, txn.lastOffset + 1) : txn.lastOffset + 1,
  };
}

/**
 * Adds to `out` the aborted transactions of `segments[from..]` (in offset order, `from` holding `fetchOffset`)
 * that overlap [fetchOffset, upperBoundOffset). Returns true when the search is complete. Segments without
 * aborts (the usual case: every read_committed fetch comes here) cost a size check, no I/O.
 */
export async function collectAbortedTxns(
  segments: ReadonlyArray<{ txnIndex: TransactionIndex; isDeleted: boolean }>,
  from: number,
  fetchOffset: number,
  upperBoundOffset: number,
  out: AbortedTxn[],
): Promise<boolean> {
  for (let i = from; i < segments.length; i++) {
    const seg = segments[i];
    if (seg.isDeleted || seg.txnIndex.sizeBytes === 0) continue;
    if (await seg.txnIndex.collect(fetchOffset, upperBoundOffset, out)) return true;
  }
  return false;
}

/** The wire form of a fetch response's aborted_transactions. */
export function toFetchAborted(txns: readonly AbortedTxn[]): Array<{ producerId: number; firstOffset: number }> {
  return txns.map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
}
