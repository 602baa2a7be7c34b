// Topic summaries (topic list, the console's topic table) from Metadata partitions.
import { strict as assert } from 'node:assert';
import { summarize } from '../topics';

describe('admin topic summaries', () => {
  it('counts partitions, the replication factor, under-replicated and offline partitions', () => {
    const p = (partition: number, leader: number, replicas: number[], isr: number[]) => ({ partition, errorCode: 0, leader, leaderEpoch: 0, replicas, isr, offlineReplicas: [] });
    const s = summarize({ name: 't', topicId: 'id', isInternal: false, errorCode: 0, partitions: [p(0, 1, [1, 2, 3], [1, 2, 3]), p(1, 2, [2, 3, 1], [2]), p(2, -1, [3, 1, 2], [])] });
    assert.deepEqual(s, { name: 't', topicId: 'id', isInternal: false, partitions: 3, replicationFactor: 3, underReplicatedPartitions: 2, offlinePartitions: 1 });
    assert.equal(summarize({ name: 'e', topicId: 'id', isInternal: true, errorCode: 0, partitions: [] }).replicationFactor, 0);
  });
});
