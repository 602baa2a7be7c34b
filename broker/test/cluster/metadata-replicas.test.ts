// Metadata as replication shows it: each partition's leader, epoch, replicas and ISR from the image; replicas on
// fenced brokers listed as offline; a partition without a leader answers LEADER_NOT_AVAILABLE; fenced brokers are
// left out of the broker list.
import { strict as assert } from 'node:assert';
import metadata from '../../src/handlers/metadata';
import { MetadataImage } from '../../src/cluster/metadata-image';
import { createLogger, setLogLevel } from '../../src/logger';
import { ErrorCode } from '../../src/protocol/errors';
import type { BrokerServices } from '../../src/services';
import { testRequestContext } from '../security/context';

setLogLevel((process.env.STRATA_LOG_LEVEL as 'debug' | undefined) ?? 'error');
const logger = createLogger('metadata-replicas-test');

describe('cluster: Metadata shows replication state', () => {
  it('lists leaders, replicas, ISR and offline (fenced) replicas; no leader is LEADER_NOT_AVAILABLE', async () => {
    const image = new MetadataImage();
    image.apply({ type: 'cluster', clusterId: 'c' });
    for (const nodeId of [1, 2, 3]) image.apply({ type: 'broker', nodeId, host: '127.0.0.1', port: 9090 + nodeId, rack: null, incarnationId: `i${nodeId}`, fenced: false });
    image.apply({ type: 'broker-fence', nodeId: 3, fenced: true });
    image.apply({ type: 'topic', name: 't', topicId: 'AAAAAAAAAAAAAAAAAAAAAw' });
    image.apply({ type: 'partition', topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partition: 0, leader: 2, leaderEpoch: 4, replicas: [1, 2, 3], isr: [1, 2] });
    image.apply({ type: 'partition', topicId: 'AAAAAAAAAAAAAAAAAAAAAw', partition: 1, leader: -1, leaderEpoch: 7, replicas: [3], isr: [3] });
    const services = { image, logger, nodeId: 1, replicas: { isOffline: () => false }, topics: { enabled: false } } as unknown as BrokerServices;
    const ctx = testRequestContext(services, { apiVersion: 12 });
    const res = (await metadata.handle({ topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, ctx))!;
    assert.deepEqual(res.brokers.map((b) => b.nodeId).sort(), [1, 2], 'the fenced broker is not listed');
    const [p0, p1] = res.topics[0].partitions;
    assert.deepEqual(
      { errorCode: p0.errorCode, leader: p0.leaderId, epoch: p0.leaderEpoch, replicas: p0.replicaNodes, isr: p0.isrNodes, offline: p0.offlineReplicas },
      { errorCode: ErrorCode.NONE, leader: 2, epoch: 4, replicas: [1, 2, 3], isr: [1, 2], offline: [3] },
    );
    assert.deepEqual({ errorCode: p1.errorCode, leader: p1.leaderId, offline: p1.offlineReplicas }, { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leader: -1, offline: [3] });
  });
});
