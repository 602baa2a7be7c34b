// Transaction markers go where the partition's leader is: this broker's own log, or WriteTxnMarkers to the
// leading broker; a partition without a leader, and the leader's error codes, fail the write (the coordinator
// retries).
import { strict as assert } from 'assert';
import { MetadataImage } from '../../src/cluster/metadata-image';
import { TxnMarkerRouter, type BrokerRequester } from '../../src/coordinator/txn-marker-router';
import { ApiKey } from '../../src/protocol/apis';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import type { TxnMarker } from '../../src/log/control-batch';
import { FakeMarkers } from './txn-helpers';

const marker: TxnMarker = { producerId: 9, producerEpoch: 2, coordinatorEpoch: 6, commit: true };

function image(leaders: number[]): MetadataImage {
  const img = new MetadataImage();
  img.apply({ type: 'topic', name: 'orders', topicId: 'orders-id' });
  leaders.forEach((leader, partition) => img.apply({ type: 'partition', topicId: 'orders-id', partition, leader, leaderEpoch: 1, replicas: [1, 2], isr: [1, 2] }));
  return img;
}

/** Inter-broker requests recorded; every partition is answered with `errorCode`. */
function clients(errorCode: ErrorCode) {
  const sent: Array<{ nodeId: number; apiKey: number; maxVersion: number; body: any }> = [];
  const source: BrokerRequester = {
    request: async <T>(nodeId: number, apiKey: number, maxVersion: number, body: any): Promise<T> => {
      sent.push({ nodeId, apiKey, maxVersion, body });
      return {
        markers: body.markers.map((m: any) => ({
          producerId: m.producerId,
          topics: m.topics.map((t: any) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex: number) => ({ partitionIndex, errorCode })) })),
        })),
      } as T;
    },
  };
  return { source, sent };
}

describe('transaction marker routing', () => {
  it('writes markers of partitions this broker leads locally and sends the others to their leaders', async () => {
    const local = new FakeMarkers();
    const { source, sent } = clients(ErrorCode.NONE);
    const router = new TxnMarkerRouter(local, image([1, 2]), 1, source);
    await router.write('orders', 0, marker);
    await router.write('orders', 1, marker);
    assert.deepEqual(local.written.map((w) => w.partition), [0]);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].nodeId, 2);
    assert.equal(sent[0].apiKey, ApiKey.WriteTxnMarkers);
    assert.deepEqual(sent[0].body.markers, [{ producerId: 9, producerEpoch: 2, transactionResult: true, coordinatorEpoch: 6, topics: [{ name: 'orders', partitionIndexes: [1] }] }]);
  });

  it("fails (to be retried) when the partition has no leader or the leader refuses the marker", async () => {
    const { source } = clients(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    const router = new TxnMarkerRouter(new FakeMarkers(), image([-1, 2]), 1, source);
    await assert.rejects(router.write('orders', 0, marker), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await assert.rejects(router.write('orders', 1, marker), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.TRANSACTION_COORDINATOR_FENCED);
  });
});
