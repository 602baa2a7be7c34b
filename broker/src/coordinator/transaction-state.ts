// The state of one transactional id as the coordinator keeps it (Kafka's TransactionMetadata), and the
// transitions a state allows. Kept in memory, written to __transaction_state before every change takes effect.
//   Empty/CompleteCommit/CompleteAbort --AddPartitions/AddOffsets--> Ongoing --EndTxn--> PrepareCommit|PrepareAbort
//   Prepare* --markers written--> Complete*;  Ongoing --timeout or new producer--> PrepareAbort (epoch bumped)
import type { TransactionLogValue } from './transaction-log-records';

export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort' | 'Dead' | 'PrepareEpochFence';

/** The highest epoch a producer id may reach; at it a new producer id is allocated (Kafka's Short.MaxValue - 1). */
export const MAX_PRODUCER_EPOCH = 32766;

/** The states whose successor may begin a new transaction (AddPartitionsToTxn from these opens one). */
export function isIdle(state: TxnState): boolean {
  return state === 'Empty' || state === 'CompleteCommit' || state === 'CompleteAbort';
}

/** The states in which markers are being written: everything but InitProducerId/EndTxn retries waits. */
export function isPreparing(state: TxnState): boolean {
  return state === 'PrepareCommit' || state === 'PrepareAbort' || state === 'PrepareEpochFence';
}

export class TransactionMetadata {
  /** The epoch before the last bump (-1 if none): a KIP-360 InitProducerId retry names it. */
  lastProducerEpoch = -1;
  /** topic → partitions of the open (or completing) transaction. */
  readonly partitions = new Map<string, Set<number>>();

  constructor(
    readonly transactionalId: string,
    public producerId: number,
    public producerEpoch: number,
    public timeoutMs: number,
    public state: TxnState,
    public startMs: number,
    public lastUpdateMs: number,
  ) {}

  static fromLog(transactionalId: string, v: TransactionLogValue): TransactionMetadata {
    const m = new TransactionMetadata(transactionalId, v.producerId, v.producerEpoch, v.timeoutMs, v.state, v.startMs, v.lastUpdateMs);
    for (const t of v.partitions) m.partitions.set(t.topic, new Set(t.partitions));
    return m;
  }

  has(topic: string, partition: number): boolean {
    return this.partitions.get(topic)?.has(partition) ?? false;
  }

  partitionList(): Array<{ topic: string; partitions: number[] }> {
    return [...this.partitions].map(([topic, ps]) => ({ topic, partitions: [...ps].sort((a, b) => a - b) }));
  }

  /** The value to persist for this metadata with the given changes applied (the change is adopted once written). */
  next(change: Partial<TransactionLogValue>): TransactionLogValue {
    return {
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      timeoutMs: this.timeoutMs,
      state: this.state,
      partitions: this.partitionList(),
      lastUpdateMs: this.lastUpdateMs,
      startMs: this.startMs,
      ...change,
    };
  }

  /** Adopts a value that was written to __transaction_state. */
  apply(v: TransactionLogValue): void {
    if (v.producerEpoch !== this.producerEpoch || v.producerId !== this.producerId) this.lastProducerEpoch = v.producerId === this.producerId ? this.producerEpoch : -1;
    this.producerId = v.producerId;
    this.producerEpoch = v.producerEpoch;
    this.timeoutMs = v.timeoutMs;
    this.state = v.state;
    this.startMs = v.startMs;
    this.lastUpdateMs = v.lastUpdateMs;
    this.partitions.clear();
    for (const t of v.partitions) this.partitions.set(t.topic, new Set(t.partitions));
  }
}
