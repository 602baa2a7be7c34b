// Idempotent producers of one partition (Kafka's ProducerStateManager): per producer id, its epoch and the
// last five batches it wrote. A client's batches are checked against it before offsets are assigned, so a
// retried batch is answered with its original offsets instead of being written twice, and a sequence gap or
// a stale epoch is refused with nothing written. Only batch headers are read.
//
// Transactions: a producer's first transactional batch opens its transaction (at that batch's offset) and a
// marker (control batch) written by the coordinator ends it. A decided transaction stays "unstable" until its
// marker is in the file, so that no read_committed reader sees its data before the abort is indexed. The
// first offset of the earliest open or unstable transaction bounds the last stable offset.
import { ErrorCode } from '../protocol/errors';
import type { BatchHeader } from '../protocol/records';
import { LogError } from './log-error';

/** Batches remembered per producer: clients keep at most five requests in flight per partition. */
export const CACHED_BATCHES_PER_PRODUCER = 5;
/** producer.id.expiration.ms: a producer silent for this long is forgotten. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 24 * 3600 * 1000;

const NO_EPOCH = -1;
const NO_SEQUENCE = -1;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** The batch's max timestamp as stored (the broker's time under LogAppendTime). */
  readonly timestamp: number;
}

/**
 * One producer as snapshots store it: [producerId, epoch, lastTimestamp, batches as tuples, first offset of its
 * open transaction or -1, coordinator epoch of its last marker or -1] (the last two are absent in older files).
 */
export type ProducerSnapshotEntry =
  | [number, number, number, Array<[number, number, number, number, number]>]
  | [number, number, number, Array<[number, number, number, number, number]>, number, number];

/** A transaction ended by a marker at `lastOffset`. */
export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  /** The marker's offset. */
  lastOffset: number;
}

/** The sequence number of a batch's last record; sequences wrap from INT32_MAX to 0. */
export function lastSequenceOf(h: BatchHeader): number {
  const seq = h.baseSequence + h.lastOffsetDelta;
  return seq > INT32_MAX ? seq - INT32_MAX - 1 : seq;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === INT32_MAX);
}

export class ProducerEntry {
  epoch = NO_EPOCH;
  /** Oldest first, at most CACHED_BATCHES_PER_PRODUCER; emptied when the epoch changes. */
  batches: BatchMetadata[] = [];
  /** Broker time of the last write (or of the load that found it): expiry counts from here. */
  lastTimestamp = 0;
  /** Not yet in the manager's map: created by a check whose append has not happened. */
  pending = true;
  /** First offset of the producer's open transaction, -1 when none is open. */
  txnFirstOffset = -1;
  /** Coordinator epoch of the last marker written for this producer (fences markers of older coordinators). */
  coordinatorEpoch = -1;

  constructor(readonly producerId: number) {}

  get lastSeq(): number {
    return this.batches.length > 0 ? this.batches[this.batches.length - 1].lastSeq : NO_SEQUENCE;
  }

  findDuplicate(h: BatchHeader): BatchMetadata | undefined {
    if (h.producerEpoch !== this.epoch) return undefined;
    const lastSeq = lastSequenceOf(h);
    return this.batches.find((b) => b.firstSeq === h.baseSequence && b.lastSeq === lastSeq);
  }

  record(h: BatchHeader, firstOffset: number, lastOffset: number, timestamp: number, now: number): void {
    if (h.producerEpoch !== this.epoch) {
      this.epoch = h.producerEpoch;
      this.batches = [];
    }
    this.lastTimestamp = now;
    if (h.isControl) return; // transaction markers carry no sequence
    this.batches.push({ firstSeq: h.baseSequence, lastSeq: lastSequenceOf(h), firstOffset, lastOffset, timestamp });
    if (this.batches.length > CACHED_BATCHES_PER_PRODUCER) this.batches.shift();
  }
}

/** The outcome of checking a payload: the entry of each batch (null without a producer id), to record once offsets exist. */
export interface ProducerAppend {
  kind: 'append';
  entries: Array<ProducerEntry | null>;
}

/** Every batch of the payload was written before: nothing is written and the original offsets are the answer. */
export interface DuplicateAppend {
  kind: 'duplicate';
  firstOffset: number;
  lastOffset: number;
  timestamp: number;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Open transactions: producer id → first offset, in first-offset order (offsets are handed out in order). */
  private readonly ongoing = new Map<number, number>();
  /** Decided transactions whose marker is not yet in the file, in marker order. */
  private unstable: CompletedTxn[] = [];

  constructor(readonly expirationMs = DEFAULT_PRODUCER_ID_EXPIRATION_MS) {}

  get size(): number {
    return this.producers.size;
  }

  get(producerId: number): Readonly<ProducerEntry> | undefined {
    return this.producers.get(producerId);
  }

  /**
   * Checks a payload's batches in order, each against the state the earlier ones leave, without changing
   * anything. `verify` is for clients' batches: epoch, sequence and duplicate checks; trusted batches (replay,
   * the broker's own writes) are only tracked. Null when no batch has a producer id. Throws LogError.
   */
  check(batches: ReadonlyArray<{ header: BatchHeader }>, verify: boolean): ProducerAppend | DuplicateAppend | null {
    let entries: Array<ProducerEntry | null> | null = null;
    let firstDuplicate: BatchMetadata | undefined;
    let lastDuplicate: BatchMetadata | undefined;
    let duplicates = 0;
    for (let i = 0; i < batches.length; i++) {
      const h = batches[i].header;
      if (h.producerId < 0) {
        if (duplicates > 0) throw mixedDuplicates(i);
        continue;
      }
      entries ??= new Array<ProducerEntry | null>(batches.length).fill(null);
      const prior = previousBatchOf(batches, i, h.producerId);
      const entry = prior >= 0 ? entries[prior]! : (this.producers.get(h.producerId) ?? new ProducerEntry(h.producerId));
      entries[i] = entry;
      if (!verify) continue;
      // Only a payload of retries is a retry: one that was written went to the log whole.
      if (duplicates === i) {
        const duplicate = entry.findDuplicate(h);
        if (duplicate) {
          firstDuplicate ??= duplicate;
          lastDuplicate = duplicate;
          duplicates++;
          continue;
        }
        if (duplicates > 0) throw mixedDuplicates(i);
      }
      // An earlier batch of this payload is the producer's latest once written.
      const ph = prior >= 0 ? batches[prior].header : null;
      checkSequence(h, ph ? ph.producerEpoch : entry.epoch, ph ? lastSequenceOf(ph) : entry.lastSeq);
      if (!h.isTransactional && entry.txnFirstOffset >= 0 && h.producerEpoch === entry.epoch) {
        throw new LogError(ErrorCode.INVALID_TXN_STATE, `producer ${h.producerId} wrote a non-transactional batch during its open transaction`);
      }
    }
    if (firstDuplicate && lastDuplicate) {
      return { kind: 'duplicate', firstOffset: firstDuplicate.firstOffset, lastOffset: lastDuplicate.lastOffset, timestamp: lastDuplicate.timestamp };
    }
    return entries ? { kind: 'append', entries } : null;
  }

  /**
   * Records batch `i` of a checked payload at the offsets it was given. For a marker, returns the transaction
   * it ended (now unstable until markersWritten passes it), or null if the producer had none open here.
   */
  record(append: ProducerAppend, i: number, h: BatchHeader, firstOffset: number, lastOffset: number, timestamp: number, now: number): CompletedTxn | null {
    const entry = append.entries[i];
    if (!entry) return null;
    if (entry.pending) {
      entry.pending = false;
      this.producers.set(entry.producerId, entry);
    }
    entry.record(h, firstOffset, lastOffset, timestamp, now);
    return this.trackTransaction(entry, h, firstOffset, lastOffset, true);
  }

  /**
   * Tracks a batch read back from the log at open (no checks: it was accepted when written). Returns the
   * transaction a marker ended, as record() does; replayed markers are already in the file, so never unstable.
   */
  replay(h: BatchHeader, now: number): CompletedTxn | null {
    let entry = this.producers.get(h.producerId);
    if (!entry) {
      entry = new ProducerEntry(h.producerId);
      entry.pending = false;
      this.producers.set(h.producerId, entry);
    }
    const lastOffset = h.baseOffset + h.lastOffsetDelta;
    entry.record(h, h.baseOffset, lastOffset, h.maxTimestamp, now);
    return this.trackTransaction(entry, h, h.baseOffset, lastOffset, false);
  }

  // ---- Transactions.

  private trackTransaction(entry: ProducerEntry, h: BatchHeader, firstOffset: number, lastOffset: number, markerPending: boolean): CompletedTxn | null {
    if (!h.isTransactional) return null;
    if (!h.isControl) {
      if (entry.txnFirstOffset < 0) {
        entry.txnFirstOffset = firstOffset;
        this.ongoing.set(entry.producerId, firstOffset);
      }
      return null;
    }
    if (entry.txnFirstOffset < 0) return null; // a marker for a transaction that wrote nothing here (or a retry)
    const completed = { producerId: entry.producerId, firstOffset: entry.txnFirstOffset, lastOffset };
    entry.txnFirstOffset = -1;
    this.ongoing.delete(entry.producerId);
    if (markerPending) this.unstable.push(completed);
    return completed;
  }

  /**
   * Kafka's checks of a transaction marker before it is written: a marker from an older producer epoch
   * (INVALID_PRODUCER_EPOCH) or from an older coordinator (TRANSACTION_COORDINATOR_FENCED) is refused.
   */
  checkMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number): void {
    const entry = this.producers.get(producerId);
    if (!entry) return;
    if (entry.epoch !== NO_EPOCH && producerEpoch < entry.epoch) {
      throw new LogError(ErrorCode.INVALID_PRODUCER_EPOCH, `marker epoch ${producerEpoch} of producer ${producerId} is older than the current epoch ${entry.epoch}`);
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      throw new LogError(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `marker of producer ${producerId} from coordinator epoch ${coordinatorEpoch}, older than ${entry.coordinatorEpoch}`,
      );
    }
  }

  /** Records a marker's coordinator epoch once it is accepted. */
  noteCoordinatorEpoch(producerId: number, coordinatorEpoch: number): void {
    const entry = this.producers.get(producerId);
    if (entry) entry.coordinatorEpoch = Math.max(entry.coordinatorEpoch, coordinatorEpoch);
  }

  /** Markers below `endOffset` are in the file: their transactions are stable. */
  markersWritten(endOffset: number): void {
    let n = 0;
    while (n < this.unstable.length && this.unstable[n].lastOffset < endOffset) n++;
    if (n > 0) this.unstable = this.unstable.slice(n);
  }

  /** First offset of the earliest open transaction, or -1. */
  firstOngoingOffset(): number {
    for (const first of this.ongoing.values()) return first;
    return -1;
  }

  /** First offset of the earliest transaction not yet stable (open, or decided with its marker unwritten), or -1. */
  firstUnstableOffset(): number {
    let first = this.firstOngoingOffset();
    for (const t of this.unstable) if (first < 0 || t.firstOffset < first) first = t.firstOffset;
    return first;
  }

  /** Open transactions (metrics). */
  get openTransactions(): number {
    return this.ongoing.size;
  }

  /** Rebuilds the first-offset order of open transactions from the entries (after a restore or a rollback). */
  private reindexOngoing(): void {
    this.ongoing.clear();
    const open = [...this.producers.values()].filter((e) => e.txnFirstOffset >= 0).sort((a, b) => a.txnFirstOffset - b.txnFirstOffset);
    for (const e of open) this.ongoing.set(e.producerId, e.txnFirstOffset);
  }

  /**
   * Forgets batches at or past `endOffset` (appends refused after a failed write). A producer left with no
   * batch is forgotten: the partition then takes its next batch wherever its sequence is, as for a new
   * producer, so a retry of a refused batch is never refused as out of order.
   */
  truncateFrom(endOffset: number): void {
    // Transactions whose marker was refused are open again; those whose first batch was refused never opened.
    for (const t of this.unstable) {
      const entry = t.lastOffset >= endOffset ? this.producers.get(t.producerId) : undefined;
      if (entry) entry.txnFirstOffset = t.firstOffset;
    }
    this.unstable = this.unstable.filter((t) => t.lastOffset < endOffset);
    for (const entry of this.producers.values()) if (entry.txnFirstOffset >= endOffset) entry.txnFirstOffset = -1;
    for (const [id, entry] of this.producers) {
      const kept = entry.batches.filter((b) => b.lastOffset < endOffset);
      if (kept.length === entry.batches.length) continue;
      entry.batches = kept;
      if (kept.length === 0 && entry.txnFirstOffset < 0) this.producers.delete(id);
    }
    this.reindexOngoing();
  }

  /** Forgets producers that wrote nothing for producer.id.expiration.ms (never one with an open transaction). Returns how many. */
  removeExpired(now: number): number {
    let removed = 0;
    for (const [id, entry] of this.producers) {
      if (now - entry.lastTimestamp >= this.expirationMs && entry.txnFirstOffset < 0) {
        this.producers.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /** A copy of the state, JSON-ready (batch metadata is immutable, so this is the only copy needed). */
  snapshot(): ProducerSnapshotEntry[] {
    const out: ProducerSnapshotEntry[] = [];
    for (const e of this.producers.values()) {
      const batches = e.batches.map((b): [number, number, number, number, number] => [b.firstSeq, b.lastSeq, b.firstOffset, b.lastOffset, b.timestamp]);
      out.push([e.producerId, e.epoch, e.lastTimestamp, batches, e.txnFirstOffset, e.coordinatorEpoch]);
    }
    return out;
  }

  /** Replaces the state with a snapshot's. */
  restore(entries: ProducerSnapshotEntry[]): void {
    this.producers.clear();
    this.unstable = [];
    for (const [producerId, epoch, lastTimestamp, batches, txnFirstOffset, coordinatorEpoch] of entries) {
      const entry = new ProducerEntry(producerId);
      entry.pending = false;
      entry.epoch = epoch;
      entry.lastTimestamp = lastTimestamp;
      entry.txnFirstOffset = txnFirstOffset ?? -1;
      entry.coordinatorEpoch = coordinatorEpoch ?? -1;
      entry.batches = batches.map(([firstSeq, lastSeq, firstOffset, lastOffset, timestamp]) => ({ firstSeq, lastSeq, firstOffset, lastOffset, timestamp }));
      this.producers.set(producerId, entry);
    }
    this.reindexOngoing();
  }
}

/** Index of the last batch before `i` from the same producer, or -1. Payloads hold a handful of batches. */
function previousBatchOf(batches: ReadonlyArray<{ header: BatchHeader }>, i: number, producerId: number): number {
  for (let j = i - 1; j >= 0; j--) if (batches[j].header.producerId === producerId) return j;
  return -1;
}

/** Kafka's rules for a batch that is not a duplicate, given the producer's epoch and last sequence. */
function checkSequence(h: BatchHeader, epoch: number, lastSeq: number): void {
  if (h.baseSequence < 0) {
    throw new LogError(ErrorCode.INVALID_RECORD, `invalid sequence number ${h.baseSequence} in a batch of producer ${h.producerId}`);
  }
  // A producer the partition does not know (new, or expired) starts wherever it is.
  if (epoch === NO_EPOCH) return;
  if (h.producerEpoch < epoch) {
    throw new LogError(ErrorCode.INVALID_PRODUCER_EPOCH, `epoch ${h.producerEpoch} of producer ${h.producerId} is older than the current epoch ${epoch}`);
  }
  if (h.producerEpoch > epoch) {
    if (h.baseSequence !== 0) {
      throw new LogError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `producer ${h.producerId} began epoch ${h.producerEpoch} at sequence ${h.baseSequence}, not 0`,
      );
    }
    return;
  }
  if (!inSequence(lastSeq, h.baseSequence)) {
    throw new LogError(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
      `out of order sequence number for producer ${h.producerId} at epoch ${epoch}: ${h.baseSequence} (last appended ${lastSeq})`,
    );
  }
}

function mixedDuplicates(i: number): LogError {
  return new LogError(ErrorCode.INVALID_RECORD, `batch ${i} of the payload mixes retried batches with new ones; send them separately`);
}
