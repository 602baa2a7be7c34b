// Reading and writing a compacted internal topic that a coordinator keeps its state in (__consumer_offsets,
// __transaction_state): the key → partition rule, appending broker-built batches, and reading every batch of a
// partition back on load. Loading never fails on content: a batch or record that cannot be decoded (disk
// corruption, a version this broker cannot read) is logged, counted and skipped, so one bad record cannot stop
// start-up.
import { buildRecordBatch, decodeRecords, readBatchHeader, readBatchOffsets, RECORD_BATCH_HEADER_SIZE, type BatchHeader, type DecodedRecord, type RecordInput } from '../protocol/records';
import type { ReplicaManager } from '../cluster/replica-manager';
import type { Logger } from '../logger';
import { ControlRecordType, controlTypeOf } from '../log/control-batch';
import { ErrorCode, KafkaError } from '../protocol/errors';

const LOAD_READ_BYTES = 1024 * 1024;
/** Skipped records logged one by one per partition and load; the rest only in the partition's summary. */
const LOGGED_SKIPS_PER_PARTITION = 10;

/** Java's String.hashCode, so a key maps to the same partition as on Apache Kafka. */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's partitionFor: Utils.abs(hashCode) % partitions (Integer.MIN_VALUE maps to 0 rather than staying negative). */
export function coordinatorPartition(key: string, numPartitions: number): number {
  const h = javaStringHash(key);
  return (h === -2147483648 ? 0 : Math.abs(h)) % numPartitions;
}

/** The producer fields of a transactional batch a coordinator writes (TxnOffsetCommit). */
export interface BatchProducer {
  producerId: number;
  producerEpoch: number;
}

/**
 * What a failed coordinator write means to the coordinator's client, as Kafka maps it (GroupMetadataManager
 * storeGroup): leadership gone or the log broken → NOT_COORDINATOR (the client looks the coordinator up again);
 * not enough replicas or a replication timeout → COORDINATOR_NOT_AVAILABLE (it retries).
 */
export function coordinatorWriteError(err: unknown): KafkaError {
  const code = err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case ErrorCode.NOT_COORDINATOR:
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.FENCED_LEADER_EPOCH:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return new KafkaError(ErrorCode.NOT_COORDINATOR, message);
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, message);
    default:
      return new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, message);
  }
}

/** The error code a coordinator answers for a write that failed (coordinatorWriteError already applied by append). */
export function writeFailureCode(err: unknown): ErrorCode {
  return err instanceof KafkaError ? err.code : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

export interface InternalTopicLogOptions {
  logger: Logger;
  /** Called for every batch or record skipped on load because it could not be decoded (a metric). */
  onUndecodable?: () => void;
}

/** One decoded batch of an internal topic, with its header (transactional flag, producer id) and, for a transaction marker, its outcome. */
export interface InternalBatch {
  header: BatchHeader;
  records: DecodedRecord[];
  marker: 'commit' | 'abort' | null;
  /** Reports a record of this batch that the caller could not decode (counted with the partition's other skips). */
  skipRecord(offset: number, err: unknown): void;
}

export class InternalTopicLog {
  constructor(
    private readonly replicas: ReplicaManager,
    readonly topic: string,
    readonly numPartitions: number,
    private readonly opts: InternalTopicLogOptions,
  ) {}

  partitionFor(key: string): number {
    return coordinatorPartition(key, this.numPartitions);
  }

  /**
   * Appends records as one batch to a partition (transactional when `producer` is given) through the leader's
   * append path with acks=all: resolves once every in-sync replica has it (a single replica: once fsynced);
   * rejects with coordinatorWriteError's NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE.
   */
  async append(partition: number, records: RecordInput[], producer?: BatchProducer): Promise<void> {
    if (records.length === 0) return;
    const batch = buildRecordBatch({
      records,
      ...(producer && { producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: -1, isTransactional: true }),
    });
    try {
      await this.replicas.appendInternal(this.topic, partition, batch, { requiredAcks: -1 });
    } catch (err) {
      throw coordinatorWriteError(err);
    }
  }

  /** The leader epoch of a partition as hosted now (a coordinator's epoch is that of its partition). */
  leaderEpoch(partition: number): number {
    return this.replicas.get(this.topic, partition).leaderEpoch;
  }

  /** Every decodable batch of a partition, in log order; undecodable ones are reported and skipped. */
  async *readPartition(p: number): AsyncGenerator<InternalBatch> {
    const log = this.replicas.get(this.topic, p).log;
    let skipped = 0;
    const skip = (offset: number, what: string, err: unknown): void => {
      if (++skipped <= LOGGED_SKIPS_PER_PARTITION) {
        this.opts.logger.warn(`skipping an undecodable ${what} of ${this.topic}`, { partition: p, offset, err: (err as Error)?.message ?? String(err) });
      }
      this.opts.onUndecodable?.();
    };
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const { records, nextOffset } = await log.read(offset, LOAD_READ_BYTES, { minOneMessage: true });
      if (records.length === 0) break;
      for (const batch of eachBatch(records)) {
        let header: BatchHeader;
        let decoded: DecodedRecord[];
        try {
          header = readBatchHeader(batch.bytes, 0);
          decoded = await decodeRecords(batch.bytes);
        } catch (err) {
          skip(batch.baseOffset, 'batch', err);
          continue;
        }
        const type = header.isControl ? controlTypeOf(batch.bytes, 0) : null;
        const skipRecord = (offset: number, err: unknown) => skip(offset, 'record', err);
        yield { header, records: decoded, marker: type === null ? null : type === ControlRecordType.COMMIT ? 'commit' : 'abort', skipRecord };
      }
      if (nextOffset <= offset) break;
      offset = nextOffset;
    }
    if (skipped > 0) this.opts.logger.warn(`skipped undecodable entries of ${this.topic} while loading`, { partition: p, skipped });
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
