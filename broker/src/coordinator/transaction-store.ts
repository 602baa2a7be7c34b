// Persistence of transaction state in the internal compacted topic __transaction_state: a transactional id lives
// in partition hash(id) % partitions (the rule groups use), so its writes are ordered in one log and compaction
// keeps its latest state. The coordinator epoch of an id is the leader epoch of its partition.
import type { ReplicaManager } from '../cluster/replica-manager';
import type { Logger } from '../logger';
import { InternalTopicLog } from './internal-topic-log';
import { decodeTransactionRecord, encodeTransactionRecord, type TransactionLogValue } from './transaction-log-records';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** What the transaction coordinator needs from storage (TransactionStore; an in-memory fake in unit tests). */
export interface TransactionPersistence {
  readonly numPartitions: number;
  partitionFor(transactionalId: string): number;
  /** The partition's leader epoch as hosted now (the coordinator takes its epoch from the election instead). */
  coordinatorEpoch(partition: number): number;
  /** Writes the state (null: a tombstone) of one transactional id; resolves once in the log. */
  write(transactionalId: string, value: TransactionLogValue | null): Promise<void>;
  /** Every decodable record of one partition, in log order (read from this broker's replica). */
  load(partition: number): AsyncIterable<{ transactionalId: string; value: TransactionLogValue | null }>;
}

export class TransactionStore implements TransactionPersistence {
  private readonly log: InternalTopicLog;

  constructor(replicas: ReplicaManager, numPartitions: number, opts: { logger: Logger; onUndecodable?: () => void }) {
    this.log = new InternalTopicLog(replicas, TRANSACTION_STATE_TOPIC, numPartitions, opts);
  }

  get numPartitions(): number {
    return this.log.numPartitions;
  }

  partitionFor(transactionalId: string): number {
    return this.log.partitionFor(transactionalId);
  }

  coordinatorEpoch(partition: number): number {
    return this.log.leaderEpoch(partition);
  }

  write(transactionalId: string, value: TransactionLogValue | null): Promise<void> {
    return this.log.append(this.partitionFor(transactionalId), [encodeTransactionRecord(transactionalId, value)]);
  }

  async *load(p: number): AsyncGenerator<{ transactionalId: string; value: TransactionLogValue | null }> {
    for await (const { header, records, skipRecord } of this.log.readPartition(p)) {
      if (header.isControl) continue;
      for (const r of records) {
        try {
          if (!r.key) throw new Error('record without a key');
          const rec = decodeTransactionRecord(r.key, r.value);
          if (rec) yield rec;
        } catch (err) {
          skipRecord(r.offset, err);
        }
      }
    }
  }
}
