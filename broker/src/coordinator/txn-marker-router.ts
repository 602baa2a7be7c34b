// Where the transaction coordinator's markers go: a partition this broker leads gets its marker through the
// local leader append path (TxnMarkerAppender); a partition led by another broker gets a WriteTxnMarkers
// request (api 27) sent to that leader over the inter-broker listener. Any failure (no leader, leader moved,
// connection lost, the leader's error code) is thrown, and the coordinator retries the marker until it is
// written or its partition is gone (TransactionCoordinator.complete).
import { ApiKey } from '../protocol/apis';
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { KafkaClient } from '../protocol/client';
import type { WriteTxnMarkersResponse } from '../protocol/schema/types';
import type { MetadataImage } from '../cluster/metadata-image';
import type { TxnMarker } from '../log/control-batch';
import type { TxnMarkerWriter } from './transaction-coordinator';

/** A client per remote broker over the inter-broker listener (cluster/broker-clients.ts, liveness slice). */
export interface BrokerClientSource {
  client(nodeId: number): Promise<KafkaClient>;
}

/** WriteTxnMarkers versions this broker sends (v1 is flexible); the highest the leader also serves is used. */
const MAX_VERSION = 1;

export class TxnMarkerRouter implements TxnMarkerWriter {
  constructor(
    private readonly local: TxnMarkerWriter,
    private readonly image: MetadataImage,
    private readonly nodeId: number,
    /** null until the inter-broker clients are wired: markers for other leaders then fail (and are retried). */
    private readonly clients: BrokerClientSource | null,
  ) {}

  async write(topic: string, partition: number, marker: TxnMarker): Promise<void> {
    const leader = this.image.topicsByName.get(topic)?.partitions[partition]?.leader ?? -1;
    if (leader === this.nodeId) return this.local.write(topic, partition, marker);
    if (leader < 0) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} has no leader`);
    if (!this.clients) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${topic}-${partition} is led by broker ${leader}, and no inter-broker client is configured`);
    const client = await this.clients.client(leader);
    await client.apiVersions();
    const version = client.pickVersion(ApiKey.WriteTxnMarkers, MAX_VERSION);
    const res = await client.request<WriteTxnMarkersResponse>(ApiKey.WriteTxnMarkers, version, {
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
