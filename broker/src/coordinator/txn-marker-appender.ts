// Where transaction markers are appended, for the transaction coordinator and the WriteTxnMarkers handler alike:
// the partition log's control batch (ReplicaManager.appendTxnMarker), and, for a partition of __consumer_offsets,
// the group coordinator's pending transactional offsets of that partition become committed (COMMIT) or are
// dropped (ABORT) once the marker is in the log, as Kafka's onTransactionCompleted does.
import { KafkaError, type ErrorCode } from '../protocol/errors';
import type { ReplicaManager } from '../cluster/replica-manager';
import type { TxnMarker } from '../log/control-batch';
import type { GroupCoordinator } from './group-coordinator';
import { OFFSETS_TOPIC } from './group-store';
import type { TxnMarkerWriter } from './transaction-coordinator';

export class TxnMarkerAppender implements TxnMarkerWriter {
  constructor(
    private readonly replicas: ReplicaManager,
    private readonly groups: GroupCoordinator,
  ) {}

  /** Appends the marker; the partition's error code when it could not be. */
  async append(topic: string, partition: number, marker: TxnMarker): Promise<{ offset: number } | { errorCode: ErrorCode }> {
    const r = await this.replicas.appendTxnMarker(topic, partition, marker);
    if ('offset' in r && topic === OFFSETS_TOPIC) this.groups.completeTransaction(Number(marker.producerId), partition, marker.commit);
    return r;
  }

  /** As append(), throwing the error code as a KafkaError (the coordinator retries). */
  async write(topic: string, partition: number, marker: TxnMarker): Promise<void> {
    const r = await this.append(topic, partition, marker);
    if ('errorCode' in r) throw new KafkaError(r.errorCode, `transaction marker for ${topic}-${partition} not written`);
  }
}
