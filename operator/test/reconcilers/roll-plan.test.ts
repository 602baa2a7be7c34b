import { strict as assert } from 'node:assert';
import { healthFromMetadata } from '../../src/cluster-health';
import { REASON_SCALE_DOWN_BLOCKED, healthStatus, scaleDownBlocker, underReplicatedCondition } from '../../src/reconcilers/cluster-checks';
import { planRoll, stepBlocker } from '../../src/reconcilers/roll-plan';

const base = { replicas: 3, templateChanged: false, currentPartition: 0, settled: true, updated: 3, ready: 3 };

type Md = Parameters<typeof healthFromMetadata>[0];
const part = (replicaNodes: number[], isrNodes: number[]) => ({ replicaNodes, isrNodes }) as Md['topics'][number]['partitions'][number];
function metadata(partitions: Array<ReturnType<typeof part>>, controllerId = 1): Md {
  return {
    brokers: [{ nodeId: 2 }, { nodeId: 0 }, { nodeId: 1 }] as Md['brokers'],
    controllerId,
    topics: [{ partitions: partitions.slice(0, 2) }, { partitions: partitions.slice(2) }] as Md['topics'],
  };
}

describe('operator: roll plan', () => {
  it('is idle without a template change or a partition', () => {
    assert.deepEqual(planRoll(base), { rolling: false, partition: 0 });
  });
  it('starts a new template from the highest broker at once', () => {
    assert.deepEqual(planRoll({ ...base, templateChanged: true, ready: 2 }), { rolling: true, hold: 3, step: 2 });
    assert.deepEqual(planRoll({ ...base, replicas: 1, templateChanged: true }), { rolling: true, hold: 1, step: 0 });
  });
  it('steps down only when the previous step is done: settled, brokers above updated, all ready', () => {
    assert.deepEqual(planRoll({ ...base, currentPartition: 2, updated: 1 }), { rolling: true, hold: 2, step: 1 });
    assert.deepEqual(planRoll({ ...base, currentPartition: 2, updated: 0 }), { rolling: true, hold: 2, step: undefined });
    assert.deepEqual(planRoll({ ...base, currentPartition: 2, updated: 1, ready: 2 }), { rolling: true, hold: 2, step: undefined });
    assert.deepEqual(planRoll({ ...base, currentPartition: 2, updated: 1, settled: false }), { rolling: true, hold: 2, step: undefined });
    assert.deepEqual(planRoll({ ...base, currentPartition: 3, updated: 0 }), { rolling: true, hold: 3, step: 2 }, 'a held roll starts when all are ready');
  });
  it('clamps a partition above the remaining brokers', () => {
    assert.deepEqual(planRoll({ ...base, replicas: 2, currentPartition: 3, updated: 0, ready: 2 }), { rolling: true, hold: 2, step: 1 });
  });
  it('restarts a ready broker of a multi-broker cluster only with zero under-replicated partitions', () => {
    assert.equal(stepBlocker({ replicas: 3, underReplicated: 0, brokerReady: true }), undefined);
    assert.match(stepBlocker({ replicas: 3, underReplicated: 4, brokerReady: true })!, /4 partition\(s\) are under-replicated/);
    assert.match(stepBlocker({ replicas: 3, underReplicated: new Error('ECONNREFUSED'), brokerReady: true })!, /cannot ask.*ECONNREFUSED/);
  });
  it('restarts a broker that is not ready, or the only broker, without asking', () => {
    assert.equal(stepBlocker({ replicas: 3, underReplicated: 4, brokerReady: false }), undefined);
    assert.equal(stepBlocker({ replicas: 1, underReplicated: new Error('down'), brokerReady: true }), undefined);
  });
});

describe('operator: cluster health', () => {
  it('counts partitions whose ISR is smaller than their replicas, and replicas per broker', () => {
    const h = healthFromMetadata(metadata([part([0, 1, 2], [0, 1, 2]), part([1, 2, 0], [1, 2]), part([2, 0, 1], [2]), part([2], [2])], 0));
    assert.equal(h.underReplicated, 2);
    assert.deepEqual(h.brokers, [0, 1, 2]);
    assert.equal(h.controllerId, 0);
    assert.deepEqual([...h.replicasPerBroker].sort(), [[0, 3], [1, 3], [2, 4]]);
    assert.deepEqual(healthStatus(h), { underReplicatedPartitions: 2, controllerId: 0 });
    assert.deepEqual(healthStatus(new Error('x')), {});
    assert.deepEqual(healthStatus(healthFromMetadata(metadata([], -1))), { underReplicatedPartitions: 0 }, 'no controller id when there is none');
  });
  it('sets UnderReplicated from the answer, Unknown when the cluster was not or could not be asked', () => {
    const c = (partitions: Array<ReturnType<typeof part>>) => underReplicatedCondition(healthFromMetadata(metadata(partitions)));
    assert.deepEqual([c([part([0, 1], [0, 1])]).status, c([part([0, 1], [0, 1])]).reason], ['False', 'AllInSync']);
    assert.deepEqual([c([part([0, 1], [1])]).status, c([part([0, 1], [1])]).reason], ['True', 'UnderReplicatedPartitions']);
    assert.equal(underReplicatedCondition(undefined).status, 'Unknown');
    assert.equal(underReplicatedCondition(new Error('refused')).reason, 'ClusterUnreachable');
  });
  it('refuses a scale-down while the removed brokers hold replicas, or when it cannot check', () => {
    const h = healthFromMetadata(metadata([part([0, 1, 2], [0, 1, 2]), part([1, 2], [1, 2]), part([0, 1], [0, 1])]));
    const blocked = scaleDownBlocker(2, 3, h)!;
    assert.equal(blocked.reason, REASON_SCALE_DOWN_BLOCKED);
    assert.match(blocked.message, /broker 2: 2\b.*move them to brokers 0-1 first/);
    assert.match(scaleDownBlocker(1, 3, h)!.message, /broker 1: 3, broker 2: 2/);
    const off = healthFromMetadata(metadata([part([0, 1], [0, 1]), part([1, 0], [1, 0])]));
    assert.equal(scaleDownBlocker(2, 3, off), undefined, 'nothing on broker 2');
    assert.match(scaleDownBlocker(2, 3, new Error('timeout'))!.message, /cannot check that broker 2 hold.*timeout/);
    assert.match(scaleDownBlocker(2, 3, undefined)!.message, /no broker is ready/);
    assert.equal(scaleDownBlocker(3, 3, undefined), undefined, 'not a scale-down');
  });
});
