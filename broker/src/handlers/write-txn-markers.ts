// WriteTxnMarkers (key 27), v0–1 (v1 is flexible), as Kafka 4.x serves it: the transaction coordinator's
// request to write COMMIT/ABORT markers into every partition of a transaction. Each marker becomes a control
// batch in its partition's log (ReplicaManager.appendTxnMarker: durable, fenced by producer and coordinator
// epochs); every partition gets its own error code. All appends start in request order (offsets are assigned
// when an append starts) and are answered together. The transaction coordinator sends it to the leaders
// of partitions it does not lead itself (coordinator/txn-marker-router.ts). An inter-broker API: it needs CLUSTER_ACTION on the cluster (else
// CLUSTER_AUTHORIZATION_FAILED for every partition, nothing written), as in Kafka.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { WriteTxnMarkersRequest, WriteTxnMarkersResponse } from '../protocol/schema/types';
import { echoName } from '../cluster/topic-names';
import { defineHandler } from './handler';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';

export default defineHandler<WriteTxnMarkersRequest, WriteTxnMarkersResponse>({
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const markerLog = ctx.services.txnMarkers;
    const allowed = ctx.authorize(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME);
    const markers = req.markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({
        name: echoName(t.name),
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          result: !allowed
            ? Promise.resolve({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED })
            : markerLog.append(t.name, partitionIndex, {
                producerId: m.producerId,
                producerEpoch: m.producerEpoch,
                coordinatorEpoch: m.coordinatorEpoch,
                commit: m.transactionResult,
              }),
        })),
      })),
    }));
    const errorCodeOf = async (result: Promise<{ offset: number } | { errorCode: ErrorCode }>): Promise<number> => {
      const r = await result;
      return 'errorCode' in r ? r.errorCode : ErrorCode.NONE;
    };
    return {
      markers: await Promise.all(
        markers.map(async (m) => ({
          producerId: m.producerId,
          topics: await Promise.all(
            m.topics.map(async (t) => ({
              name: t.name,
              partitions: await Promise.all(t.partitions.map(async (p) => ({ partitionIndex: p.partitionIndex, errorCode: await errorCodeOf(p.result) }))),
            })),
          ),
        })),
      ),
    };
  },
});
