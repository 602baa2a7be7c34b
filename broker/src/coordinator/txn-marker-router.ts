// Where the transaction coordinator's markers go: a partition this broker leads gets its marker through the
// local leader append path (TxnMarkerAppender); a partition led by another broker gets a WriteTxnMarkers
// request (api 27) sent to that leader over the inter-broker listener. Any failure (no leader, leader moved,
// connection lost, the leader's error code) is thrown, and the coordinator retries the marker until it is
// written or its partition is gone (TransactionCoordinator.complete).
import { ApiKey } from '../protocol/apis';
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { WriteTxnMarkersResponse } from '../protocol/schema/types';
import type { MetadataImage } from '../cluster/metadata-image';
import type { TxnMarker } from '../log/control-batch';
import type { TxnMarkerWriter } from './transaction-coordinator';

/**
 * Requests to other brokers over the inter-broker listener (BrokerClients, cluster/broker-clients.ts): at the
 * highest version both sides support up to maxVersion; throws when the broker is unreachable.
 */
export interface BrokerRequester {
  request<T>(nodeId: number, apiKey: number, maxVersion: number, body: object): Promise<T>;
}

/** The highest WriteTxnMarkers version this broker sends (v1 is flexible). */
const MAX_VERSION = 1;

export class TxnMarkerRouter implements TxnMarkerWriter {
  constructor(
    private readonly local: TxnMarkerWriter,
    private readonly image: MetadataImage,
    private readonly nodeId: number,
    /** null until the inter-broker clients are wired: markers for other leaders then fail (and are retried). */
    private readonly clients: BrokerRequester | null,
  ) {}

  async write(topic: string, partition: number, marker: TxnMarker): Promise<void> {
    const leader = this.image.topicsByName.get(topic)?.partitions[partition]?.leader ?? -1;
    if (leader === this.nodeId) return this.local.write(topic, partition, marker);
    if (leader < 0) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} has no leader`);
    if (!this.clients) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} is led by broker ${leader}, and no inter-broker client is configured`);
    const res = await this.clients.request<WriteTxnMarkersResponse>(leader, ApiKey.WriteTxnMarkers, MAX_VERSION, {
      markers: [
        {
          producerId: marker.producerId,
          producerEpoch: marker.producerEpoch,
          transactionResult: marker.commit,
          coordinatorEpoch: marker.coordinatorEpoch,
          topics: [{ name: topic, partitionIndexes: [partition] }],
        },
      ],
    });
    const code = res.markers[0]?.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code !== ErrorCode.NONE) throw new KafkaError(code, `broker ${leader} did not write the transaction marker for ${topic}-${partition}`);
  }
}
