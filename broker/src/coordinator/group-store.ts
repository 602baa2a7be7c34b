// Persistence of groups and committed offsets in the internal compacted topic __consumer_offsets.
// A group lives in partition hash(group) % partitions (Kafka's rule, with Java's String.hashCode), so its
// writes are ordered in one log and compaction keeps only the latest value per key.
import { buildRecordBatch, decodeRecords } from '../protocol/records';
import type { ReplicaManager } from '../cluster/replica-manager';
import { decodeOffsetsRecord, encodeOffsetsRecord, type OffsetsRecord } from './offsets-records';

export const OFFSETS_TOPIC = '__consumer_offsets';
const LOAD_READ_BYTES = 1024 * 1024;

/** Java's String.hashCode, so a group maps to the same partition as on Apache Kafka. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** What the coordinator needs from storage (GroupStore; an in-memory fake in unit tests). */
export interface GroupPersistence {
  partitionFor(groupId: string): number;
  append(groupId: string, records: OffsetsRecord[]): Promise<void>;
  load(): AsyncIterable<OffsetsRecord>;
}

export class GroupStore implements GroupPersistence {
  constructor(
    private readonly replicas: ReplicaManager,
    readonly numPartitions: number,
  ) {}

  partitionFor(groupId: string): number {
    // Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 rather than staying negative.
    const h = javaStringHash(groupId);
    return (h === -2147483648 ? 0 : Math.abs(h)) % this.numPartitions;
  }

  /** Appends the records of one group as one batch; resolves once written to the log. */
  async append(groupId: string, records: OffsetsRecord[]): Promise<void> {
    if (records.length === 0) return;
    const batch = buildRecordBatch({ records: records.map(encodeOffsetsRecord) });
    await this.replicas.appendInternal(OFFSETS_TOPIC, this.partitionFor(groupId), batch);
  }

  /** Every record of every partition, in log order per partition (groups never span partitions). */
  async *load(): AsyncGenerator<OffsetsRecord> {
    for (let p = 0; p < this.numPartitions; p++) {
      const topicId = this.replicas.topicIdOf(OFFSETS_TOPIC);
      if (topicId !== undefined && this.replicas.isOffline(topicId, p)) continue; // its groups answer KAFKA_STORAGE_ERROR
      const log = this.replicas.get(OFFSETS_TOPIC, p).log;
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const { records, nextOffset } = await log.read(offset, LOAD_READ_BYTES, { minOneMessage: true });
        if (records.length === 0) break;
        for (const r of await decodeRecords(records)) {
          if (!r.key) continue;
          const rec = decodeOffsetsRecord(r.key, r.value);
          if (rec) yield rec;
        }
        offset = nextOffset;
      }
    }
  }
}
