// Record format of __transaction_state as Kafka writes it (TransactionLogKey v0 = transactional id,
// TransactionLogValue v0), so tools that read the topic understand it. A null value is a tombstone (an expired
// transactional id, removed by compaction). Encoded with the one generic codec from these hand-written specs
// (the definitions live in Kafka's transaction-coordinator module, not in the wire-protocol message set).
import { decode, encode, Reader, Writer, type MessageSpec } from '../protocol/codec';
import type { TxnState } from './transaction-state';

const ALL = { min: 0, max: 32767 };
const NEVER_FLEXIBLE = { min: 0, max: -1 };
const spec = (name: string, fields: MessageSpec['fields']): MessageSpec => ({ name, type: 'data', validVersions: ALL, flexibleVersions: NEVER_FLEXIBLE, fields });

const KeySpec = spec('TransactionLogKey', [{ name: 'transactionalId', type: 'string', versions: ALL }]);
const ValueSpec = spec('TransactionLogValue', [
  { name: 'producerId', type: 'int64', versions: ALL },
  { name: 'producerEpoch', type: 'int16', versions: ALL },
  { name: 'transactionTimeoutMs', type: 'int32', versions: ALL },
  { name: 'transactionStatus', type: 'int8', versions: ALL },
  {
    name: 'transactionPartitions',
    type: '[]PartitionsSchema',
    versions: ALL,
    nullableVersions: ALL,
    fields: [
      { name: 'topic', type: 'string', versions: ALL },
      { name: 'partitionIds', type: '[]int32', versions: ALL },
    ],
  },
  { name: 'transactionLastUpdateTimestampMs', type: 'int64', versions: ALL },
  { name: 'transactionStartTimestampMs', type: 'int64', versions: ALL },
]);

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

/** Kafka's TransactionState ids as stored in TransactionStatus. */
const STATUS: Record<TxnState, number> = { Empty: 0, Ongoing: 1, PrepareCommit: 2, PrepareAbort: 3, CompleteCommit: 4, CompleteAbort: 5, Dead: 6, PrepareEpochFence: 7 };
const STATE_OF = new Map(Object.entries(STATUS).map(([k, v]) => [v, k as TxnState]));

export interface TransactionLogValue {
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: Array<{ topic: string; partitions: number[] }>;
  lastUpdateMs: number;
  startMs: number;
}

interface RawValue {
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  transactionStatus: number;
  transactionPartitions: Array<{ topic: string; partitionIds: number[] }> | null;
  transactionLastUpdateTimestampMs: number;
  transactionStartTimestampMs: number;
}

function versioned(version: number, s: MessageSpec, value: object): Buffer {
  const w = new Writer();
  w.writeInt16(version);
  encode(s, version, value, w);
  return w.toBuffer();
}

export function encodeTransactionRecord(transactionalId: string, v: TransactionLogValue | null): { key: Buffer; value: Buffer | null } {
  const raw: RawValue | null = v && {
    producerId: v.producerId,
    producerEpoch: v.producerEpoch,
    transactionTimeoutMs: v.timeoutMs,
    transactionStatus: STATUS[v.state],
    transactionPartitions: v.partitions.map((t) => ({ topic: t.topic, partitionIds: t.partitions })),
    transactionLastUpdateTimestampMs: v.lastUpdateMs,
    transactionStartTimestampMs: v.startMs,
  };
  return { key: versioned(KEY_VERSION, KeySpec, { transactionalId }), value: raw && versioned(VALUE_VERSION, ValueSpec, raw) };
}

/** Decodes a record of __transaction_state; null for versions this broker does not know. Throws on corrupt bytes. */
export function decodeTransactionRecord(key: Buffer, value: Buffer | null): { transactionalId: string; value: TransactionLogValue | null } | null {
  const kr = new Reader(key);
  if (kr.readInt16() !== KEY_VERSION) return null;
  const { transactionalId } = decode<{ transactionalId: string }>(KeySpec, KEY_VERSION, kr);
  if (!value) return { transactionalId, value: null };
  const vr = new Reader(value);
  if (vr.readInt16() !== VALUE_VERSION) return null;
  const raw = decode<RawValue>(ValueSpec, VALUE_VERSION, vr);
  const state = STATE_OF.get(raw.transactionStatus);
  if (!state) throw new Error(`unknown transaction status ${raw.transactionStatus}`);
  return {
    transactionalId,
    value: {
      producerId: raw.producerId,
      producerEpoch: raw.producerEpoch,
      timeoutMs: raw.transactionTimeoutMs,
      state,
      partitions: (raw.transactionPartitions ?? []).map((t) => ({ topic: t.topic, partitions: t.partitionIds })),
      lastUpdateMs: raw.transactionLastUpdateTimestampMs,
      startMs: raw.transactionStartTimestampMs,
    },
  };
}
