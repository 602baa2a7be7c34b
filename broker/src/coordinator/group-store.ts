// Persistence of groups and committed offsets in the internal compacted topic __consumer_offsets.
// A group lives in partition hash(group) % partitions (Kafka's rule, with Java's String.hashCode), so its
// writes are ordered in one log and compaction keeps only the latest value per key.
// Loading never fails on content: a batch or record that cannot be decoded (disk corruption, a version this
// broker does not know how to read) is logged, counted and skipped, so one bad record cannot stop start-up.
import { buildRecordBatch, decodeRecords, readBatchOffsets, RECORD_BATCH_HEADER_SIZE, type DecodedRecord } from '../protocol/records';
import type { ReplicaManager } from '../cluster/replica-manager';
import { createLogger, type Logger } from '../logger';
import { decodeOffsetsRecord, encodeOffsetsRecord, type OffsetsRecord } from './offsets-records';

export const OFFSETS_TOPIC = '__consumer_offsets';
const LOAD_READ_BYTES = 1024 * 1024;
/** Skipped records logged one by one per partition and load; the rest only in the partition's summary. */
const LOGGED_SKIPS_PER_PARTITION = 10;

export interface GroupStoreOptions {
  logger?: Logger;
  /** Called for every batch or record skipped on load because it could not be decoded (a metric). */
  onUndecodable?: () => void;
}

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
  private readonly logger: Logger;

  constructor(
    private readonly replicas: ReplicaManager,
    readonly numPartitions: number,
    private readonly opts: GroupStoreOptions = {},
  ) {
    this.logger = opts.logger ?? createLogger('groups');
  }

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

  /** Every decodable record of every partition, in log order per partition (groups never span partitions). */
  async *load(): AsyncGenerator<OffsetsRecord> {
    for (let p = 0; p < this.numPartitions; p++) {
      const topicId = this.replicas.topicIdOf(OFFSETS_TOPIC);
      if (topicId !== undefined && this.replicas.isOffline(topicId, p)) continue; // its groups answer KAFKA_STORAGE_ERROR
      const log = this.replicas.get(OFFSETS_TOPIC, p).log;
      let skipped = 0;
      const skip = (offset: number, what: string, err: unknown): void => {
        if (++skipped <= LOGGED_SKIPS_PER_PARTITION) {
          this.logger.warn(`skipping an undecodable ${what} of ${OFFSETS_TOPIC}`, { partition: p, offset, err: (err as Error)?.message ?? String(err) });
        }
        this.opts.onUndecodable?.();
      };
      let offset = log.logStartOffset;
      while (offset < log.logEndOffset) {
        const { records, nextOffset } = await log.read(offset, LOAD_READ_BYTES, { minOneMessage: true });
        if (records.length === 0) break;
        for (const batch of eachBatch(records)) {
          let decoded: DecodedRecord[];
          try {
            decoded = await decodeRecords(batch.bytes);
          } catch (err) {
            skip(batch.baseOffset, 'batch', err);
            continue;
          }
          for (const r of decoded) {
            const rec = decodeRecord(r, (err) => skip(r.offset, 'record', err));
            if (rec) yield rec;
          }
        }
        if (nextOffset <= offset) break;
        offset = nextOffset;
      }
      if (skipped > 0) this.logger.warn(`skipped undecodable entries of ${OFFSETS_TOPIC} while loading`, { partition: p, skipped });
    }
  }
}

/** One record as an OffsetsRecord; null when it is of a kind this broker does not load (see decodeOffsetsRecord) or undecodable (reported). */
function decodeRecord(r: DecodedRecord, undecodable: (err: unknown) => void): OffsetsRecord | null {
  if (!r.key) {
    undecodable(new Error('record without a key'));
    return null;
  }
  try {
    return decodeOffsetsRecord(r.key, r.value);
  } catch (err) {
    undecodable(err);
    return null;
  }
}

/**
 * The batches of a read, one by one, so that one undecodable batch costs only itself. Where the headers stop
 * framing batches, the rest of the read comes as one piece (which then fails to decode and is reported).
 */
function* eachBatch(records: Buffer): Generator<{ baseOffset: number; bytes: Buffer }> {
  let pos = 0;
  while (pos < records.length) {
    const b = pos + RECORD_BATCH_HEADER_SIZE <= records.length ? readBatchOffsets(records, pos) : null;
    const framed = b !== null && b.size >= RECORD_BATCH_HEADER_SIZE && pos + b.size <= records.length;
    const end = framed ? pos + b.size : records.length;
    yield { baseOffset: b?.baseOffset ?? -1, bytes: records.subarray(pos, end) };
    pos = end;
  }
}
