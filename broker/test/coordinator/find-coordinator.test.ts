// FindCoordinator in a cluster: the coordinator of a key is the leader of its internal topic partition, named
// with its endpoint on the listener the request came in on; COORDINATOR_NOT_AVAILABLE when that partition has
// no leader or its leader is fenced. Batched keys (v4+) and the single-key form (v0–3).
import { strict as assert } from 'assert';
import findCoordinator from '../../src/handlers/find-coordinator';
import type { BrokerServices } from '../../src/services';
import { MetadataImage } from '../../src/cluster/metadata-image';
import { coordinatorPartition } from '../../src/coordinator/internal-topic-log';
import { ErrorCode } from '../../src/protocol/errors';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../../src/protocol/schema/types';
import { testRequestContext } from '../security/context';

const PARTITIONS = 3;

function endpoints(nodeId: number) {
  return [
    { listener: 'PLAINTEXT', host: `broker-${nodeId}`, port: 9092, securityProtocol: 'PLAINTEXT' },
    { listener: 'INTERNAL', host: `internal-${nodeId}`, port: 9094, securityProtocol: 'PLAINTEXT' },
  ];
}

/** Brokers 1–3; __consumer_offsets led by broker 2, __transaction_state without a leader. */
function image(): MetadataImage {
  const img = new MetadataImage();
  for (const nodeId of [1, 2, 3]) img.apply({ type: 'broker', nodeId, host: `broker-${nodeId}`, port: 9092, rack: null, endpoints: endpoints(nodeId) });
  const topics: Array<[string, string, number]> = [
    ['__consumer_offsets', 'offsets-id', 2],
    ['__transaction_state', 'txn-id', -1],
  ];
  for (const [name, topicId, leader] of topics) {
    img.apply({ type: 'topic', name, topicId });
    for (let partition = 0; partition < PARTITIONS; partition++) img.apply({ type: 'partition', topicId, partition, leader, leaderEpoch: 4, replicas: [1, 2, 3], isr: [1, 2, 3] });
  }
  return img;
}

async function find(img: MetadataImage, req: Partial<FindCoordinatorRequest>, apiVersion: number, listenerName = 'PLAINTEXT'): Promise<FindCoordinatorResponse> {
  const partitionFor = (key: string) => coordinatorPartition(key, PARTITIONS);
  // The internal topics exist in these images: creation on first need is not what is tested here.
  const internalTopics = { ensure: () => Promise.resolve() };
  const services = { image: img, nodeId: 1, groups: { partitionFor }, transactions: { partitionFor }, internalTopics } as unknown as BrokerServices;
  const ctx = testRequestContext(services, { apiVersion, listenerName });
  return (await findCoordinator.handle({ key: '', keyType: 0, coordinatorKeys: [], ...req }, ctx))!;
}

describe('FindCoordinator in a cluster', () => {
  it('names the leader of the group\'s __consumer_offsets partition, with its endpoint on the request\'s listener', async () => {
    const img = image();
    const v6 = await find(img, { keyType: 0, coordinatorKeys: ['g1', 'g2'] }, 6);
    assert.deepEqual(
      v6.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.host, c.port]),
      [
        ['g1', ErrorCode.NONE, 2, 'broker-2', 9092],
        ['g2', ErrorCode.NONE, 2, 'broker-2', 9092],
      ],
    );
    const internal = await find(img, { keyType: 0, coordinatorKeys: ['g1'] }, 4, 'INTERNAL');
    assert.deepEqual([internal.coordinators[0].host, internal.coordinators[0].port], ['internal-2', 9094]);
    const v0 = await find(img, { keyType: 0, key: 'g1' }, 0);
    assert.deepEqual([v0.errorCode, v0.nodeId, v0.host, v0.port], [ErrorCode.NONE, 2, 'broker-2', 9092]);
  });

  it('answers COORDINATOR_NOT_AVAILABLE when the partition has no leader or its leader is fenced', async () => {
    const img = image();
    const txn = await find(img, { keyType: 1, key: 'tx' }, 3);
    assert.deepEqual([txn.errorCode, txn.nodeId], [ErrorCode.COORDINATOR_NOT_AVAILABLE, -1]);
    img.apply({ type: 'broker-fence', nodeId: 2, fenced: true });
    const fenced = await find(img, { keyType: 0, coordinatorKeys: ['g1'] }, 6);
    assert.deepEqual([fenced.coordinators[0].errorCode, fenced.coordinators[0].nodeId], [ErrorCode.COORDINATOR_NOT_AVAILABLE, -1]);
  });

  it('follows the leader as it moves', async () => {
    const img = image();
    const p = coordinatorPartition('g1', PARTITIONS);
    img.apply({ type: 'partition', topicId: 'offsets-id', partition: p, leader: 3, leaderEpoch: 5, replicas: [1, 2, 3], isr: [1, 3] });
    const moved = await find(img, { keyType: 0, coordinatorKeys: ['g1'] }, 6);
    assert.deepEqual([moved.coordinators[0].nodeId, moved.coordinators[0].host], [3, 'broker-3']);
  });
});
