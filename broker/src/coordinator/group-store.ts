// Persistence of groups and committed offsets in the internal compacted topic __consumer_offsets.
// A group lives in partition hash(group) % partitions (Kafka's rule, with Java's String.hashCode), so its
// writes are ordered in one log and compaction keeps only the latest value per key.
// Offsets committed inside a transaction (TxnOffsetCommit) are written in a transactional batch of the
// producer; they count only once that partition's COMMIT marker follows them, so load() reports them and the
// markers as such and the coordinator replays them like it handles them at run time.
import type { ReplicaManager } from '../cluster/replica-manager';
import { createLogger, type Logger } from '../logger';
import { InternalTopicLog, type BatchProducer } from './internal-topic-log';
import { decodeOffsetsRecord, encodeOffsetsRecord, type OffsetsRecord } from './offsets-records';

export { javaStringHash } from './internal-topic-log';

export const OFFSETS_TOPIC = '__consumer_offsets';

export interface GroupStoreOptions {
  logger?: Logger;
  /** Called for every batch or record skipped on load because it could not be decoded (a metric). */
  onUndecodable?: () => void;
}

/** What load() yields: plain records, offsets pending in a producer's transaction, and that transaction's end. */
export type GroupLogEntry =
  | OffsetsRecord
  | { kind: 'txn-offset'; producerId: number; partition: number; record: Extract<OffsetsRecord, { kind: 'offset' }> }
  | { kind: 'txn-marker'; producerId: number; partition: number; commit: boolean };

/** What the coordinator needs from storage (GroupStore; an in-memory fake in unit tests). */
export interface GroupPersistence {
  readonly numPartitions: number;
  partitionFor(groupId: string): number;
  append(groupId: string, records: OffsetsRecord[]): Promise<void>;
  /** Appends offset records as a transactional batch of the producer (TxnOffsetCommit). */
  appendTransactional(groupId: string, records: OffsetsRecord[], producer: BatchProducer): Promise<void>;
  /** Every decodable entry of one partition, in log order (read from this broker's replica). */
  load(partition: number): AsyncIterable<GroupLogEntry>;
}

export class GroupStore implements GroupPersistence {
  private readonly log: InternalTopicLog;

  constructor(replicas: ReplicaManager, readonly numPartitions: number, opts: GroupStoreOptions = {}) {
    this.log = new InternalTopicLog(replicas, OFFSETS_TOPIC, numPartitions, { logger: opts.logger ?? createLogger('groups'), onUndecodable: opts.onUndecodable });
  }

  partitionFor(groupId: string): number {
    return this.log.partitionFor(groupId);
  }

  /** Appends the records of one group as one batch; resolves once written to the log. */
  append(groupId: string, records: OffsetsRecord[]): Promise<void> {
    return this.log.append(this.partitionFor(groupId), records.map(encodeOffsetsRecord));
  }

  appendTransactional(groupId: string, records: OffsetsRecord[], producer: BatchProducer): Promise<void> {
    return this.log.append(this.partitionFor(groupId), records.map(encodeOffsetsRecord), producer);
  }

  /** Every decodable entry of a partition, in log order (groups never span partitions). */
  async *load(p: number): AsyncGenerator<GroupLogEntry> {
    for await (const { header, records, marker, skipRecord } of this.log.readPartition(p)) {
      if (header.isControl) {
        if (marker) yield { kind: 'txn-marker', producerId: header.producerId, partition: p, commit: marker === 'commit' };
        continue;
      }
      for (const r of records) {
        let rec: OffsetsRecord | null;
        try {
          if (!r.key) throw new Error('record without a key');
          rec = decodeOffsetsRecord(r.key, r.value);
        } catch (err) {
          skipRecord(r.offset, err);
          continue;
        }
        if (!rec) continue; // a kind this broker does not load (see decodeOffsetsRecord)
        if (header.isTransactional && rec.kind === 'offset') yield { kind: 'txn-offset', producerId: header.producerId, partition: p, record: rec };
        else yield rec;
      }
    }
  }
}
