// Transaction markers as Kafka writes them: a control batch (attributes isControl + isTransactional) from the
// transaction's producer id and epoch, no sequence, holding one uncompressed record whose key is the
// ControlRecordType {version int16 = 0, type int16: 0 = ABORT, 1 = COMMIT} and whose value is the EndTxnMarker
// {version int16 = 0, coordinatorEpoch int32}. Consumers skip control batches; the log reads their type to end
// the producer's transaction and, for ABORT, to index the aborted range.
import { buildRecordBatch, firstRecord } from '../protocol/records';

export const ControlRecordType = { ABORT: 0, COMMIT: 1 } as const;

const CONTROL_RECORD_VERSION = 0;
const END_TXN_MARKER_VERSION = 0;

export interface TxnMarker {
  /** The transaction's producer id (int64; ids stay below 2^53, so a number is exact). */
  producerId: number | bigint;
  producerEpoch: number;
  /** The epoch of the transaction coordinator that decided the outcome (fences markers of older coordinators). */
  coordinatorEpoch: number;
  commit: boolean;
}

/** The control batch of a marker, offsets and leader epoch left for the log to assign. */
export function buildControlBatch(marker: TxnMarker, timestamp: number): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(CONTROL_RECORD_VERSION, 0);
  key.writeInt16BE(marker.commit ? ControlRecordType.COMMIT : ControlRecordType.ABORT, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(END_TXN_MARKER_VERSION, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return buildRecordBatch({
    producerId: Number(marker.producerId),
    producerEpoch: marker.producerEpoch,
    baseSequence: -1,
    timestamp,
    isTransactional: true,
    isControl: true,
    records: [{ key, value }],
  });
}

/**
 * The marker in the control batch at `pos` in `buf`: its ControlRecordType (ABORT or COMMIT) and coordinator
 * epoch (-1 if its value is unreadable); null when the batch holds no marker key (an unknown control type is
 * not a transaction marker). Never throws.
 */
export function parseMarker(buf: Buffer, pos: number): { type: number; coordinatorEpoch: number } | null {
  try {
    const r = firstRecord(buf, pos);
    if (!r?.key || r.key.length < 4) return null;
    const type = r.key.readInt16BE(2);
    if (type !== ControlRecordType.ABORT && type !== ControlRecordType.COMMIT) return null;
    return { type, coordinatorEpoch: r.value && r.value.length >= 6 ? r.value.readInt32BE(2) : -1 };
  } catch {
    return null;
  }
}

/** The ControlRecordType of the marker at `pos` (ABORT or COMMIT), null for anything else. Never throws. */
export function controlTypeOf(buf: Buffer, pos: number): number | null {
  return parseMarker(buf, pos)?.type ?? null;
}

/** Whether the control batch at `pos` is an ABORT marker. Never throws. */
export function isAbortMarker(buf: Buffer, pos: number): boolean {
  return controlTypeOf(buf, pos) === ControlRecordType.ABORT;
}
