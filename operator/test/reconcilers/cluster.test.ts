import { strict as assert } from 'node:assert';
import type { V1StatefulSet } from '@kubernetes/client-node';
import type { StrataCluster } from '../../src/api';
import { findCondition } from '../../src/conditions';
import * as N from '../../src/naming';
import type { ClusterHealth } from '../../src/cluster-health';
import { ClusterReconciler, type ClusterReconcilerOptions } from '../../src/reconcilers/cluster';
import { FakeKube } from '../runtime/fake-kube';

const NS = 'kafka';
const clusterRef = (name = 'demo') => ({ apiVersion: N.CLUSTER_API_VERSION, kind: N.CLUSTER_KIND, namespace: NS, name });
const stsRef = (name = 'demo') => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: NS, name: N.brokerStatefulSetName(name) });

function cluster(name = 'demo', spec: Partial<StrataCluster['spec']> = {}): StrataCluster {
  return {
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'StrataCluster',
    metadata: { name, namespace: NS },
    spec: { brokers: 3, storage: { size: '1Gi' }, objectStore: { bucket: 'bucket-1' }, ...spec },
  };
}

/** What the StatefulSet controller would report: `updated` pods at the new revision, `ready` ready. */
function stsStatus(kube: FakeKube, ready: number, updated: number): void {
  const sts = kube.peek<V1StatefulSet & { metadata: { generation: number } }>(stsRef())!;
  kube.setStatus(stsRef(), { replicas: 3, readyReplicas: ready, updatedReplicas: updated, observedGeneration: sts.metadata.generation });
}

/** A cluster's answer to the health check: `underReplicated` partitions, replica counts per broker. */
function health(underReplicated = 0, replicasPerBroker: Record<number, number> = { 0: 4, 1: 4, 2: 4 }): ClusterHealth {
  return { brokers: [0, 1, 2], controllerId: 1, underReplicated, replicasPerBroker: new Map(Object.entries(replicasPerBroker).map(([k, v]) => [Number(k), v])) };
}

/** The reconciler with the cluster's health from `source.now` (an Error: the cluster cannot be reached). */
function newReconciler(kube: FakeKube, opts: ClusterReconcilerOptions = {}, source: { now: ClusterHealth | Error } = { now: health() }): ClusterReconciler {
  return new ClusterReconciler(kube, {
    clusterHealth: async () => {
      if (source.now instanceof Error) throw source.now;
      return source.now;
    },
    ...opts,
  });
}

/** Broker pods as the kubelet reports them (the reconciler reads the readiness of the next one to restart). */
function seedPods(kube: FakeKube, ready: boolean[]): void {
  ready.forEach((r, i) => kube.seed({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: N.brokerPodName('demo', i), namespace: NS },
    status: { conditions: [{ type: 'Ready', status: r ? 'True' : 'False' }] },
  }));
}

const partitionOf = (kube: FakeKube) => kube.peek<V1StatefulSet>(stsRef())!.spec!.updateStrategy!.rollingUpdate!.partition;
const statusOf = (kube: FakeKube) => kube.peek<StrataCluster>(clusterRef())!.status!;

describe('operator: cluster reconciler', () => {
  it('applies every object with owner references, skips the ServiceMonitor without its CRD, reports status', async () => {
    const kube = new FakeKube();
    kube.seed(cluster('demo', { metrics: { serviceMonitor: true } }));
    const r = newReconciler(kube, { pollMs: 5 });
    const res = await r.reconcile(NS, 'demo');
    assert.deepEqual(res, { requeueAfterMs: 5 });
    const applied = kube.writes.filter((w) => w.verb === 'apply').map((w) => w.ref.kind);
    assert.deepEqual(applied, ['ConfigMap', 'Service', 'Service', 'StatefulSet', 'PodDisruptionBudget']);
    const cm = kube.peek<{ metadata: { ownerReferences: Array<{ kind: string; uid: string; controller: boolean }> } }>(
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: N.brokerConfigMapName('demo') },
    )!;
    assert.equal(cm.metadata.ownerReferences[0]!.kind, 'StrataCluster');
    assert.equal(cm.metadata.ownerReferences[0]!.uid, kube.peek<StrataCluster>(clusterRef())!.metadata.uid);
    assert.equal(partitionOf(kube), 0);
    const st = statusOf(kube);
    assert.equal(st.observedGeneration, 1);
    assert.deepEqual(st.listeners, [{ name: 'plain', bootstrap: 'demo-bootstrap.kafka.svc:9092' }]);
    assert.equal(st.readyBrokers, 0);
    assert.equal(findCondition(st.conditions, 'Ready')!.status, 'False');
    assert.equal(findCondition(st.conditions, 'Ready')!.reason, 'BrokersNotReady');
    assert.equal(findCondition(st.conditions, 'Reconciling')!.status, 'True');
    assert.equal(findCondition(st.conditions, 'Degraded')!.status, 'False');

    // Brokers become ready: Ready=True, and the ServiceMonitor's absence is in the message; discovery asked once.
    stsStatus(kube, 3, 3);
    assert.equal(await r.reconcile(NS, 'demo'), undefined);
    const ready = findCondition(statusOf(kube).conditions, 'Ready')!;
    assert.equal(ready.status, 'True');
    assert.equal(ready.reason, 'AllBrokersReady');
    assert.match(ready.message!, /ServiceMonitor CRD is not installed/);
    assert.equal(statusOf(kube).readyBrokers, 3);
    assert.ok(statusOf(kube).configHash);
    assert.equal(kube.discoveryCalls, 1);
  });

  it('applies the ServiceMonitor when its CRD exists', async () => {
    const kube = new FakeKube();
    kube.kinds.add('monitoring.coreos.com/v1/ServiceMonitor');
    kube.seed(cluster('demo', { metrics: { serviceMonitor: true } }));
    await newReconciler(kube).reconcile(NS, 'demo');
    assert.ok(kube.writes.some((w) => w.verb === 'apply' && w.ref.kind === 'ServiceMonitor'));
  });

  it('rolls a config change one broker at a time, each waiting for readiness', async () => {
    const kube = new FakeKube();
    kube.seed(cluster('demo', { config: { 'log.segment.bytes': 1048576 } }));
    const r = newReconciler(kube, { pollMs: 5 });
    await r.reconcile(NS, 'demo');
    stsStatus(kube, 3, 3);
    await r.reconcile(NS, 'demo');
    const firstHash = statusOf(kube).configHash;

    kube.updateSpec(clusterRef(), { ...cluster().spec, config: { 'log.segment.bytes': 2097152 } });
    await r.reconcile(NS, 'demo');
    assert.equal(partitionOf(kube), 2, 'only the highest broker gets the new config first');
    let st = statusOf(kube);
    assert.equal(findCondition(st.conditions, 'Reconciling')!.reason, 'RollingUpdate');
    assert.equal(findCondition(st.conditions, 'Ready')!.status, 'False');
    assert.equal(st.configHash, firstHash, 'the brokers still run the old config');

    // broker 2 restarting: not ready yet → the partition stays
    stsStatus(kube, 2, 0);
    await r.reconcile(NS, 'demo');
    assert.equal(partitionOf(kube), 2);
    stsStatus(kube, 3, 1);
    await r.reconcile(NS, 'demo');
    assert.equal(partitionOf(kube), 1);
    stsStatus(kube, 2, 1);
    await r.reconcile(NS, 'demo');
    assert.equal(partitionOf(kube), 1);
    stsStatus(kube, 3, 2);
    await r.reconcile(NS, 'demo');
    assert.equal(partitionOf(kube), 0);
    stsStatus(kube, 3, 3);
    assert.equal(await r.reconcile(NS, 'demo'), undefined);
    st = statusOf(kube);
    assert.equal(findCondition(st.conditions, 'Ready')!.status, 'True');
    assert.equal(findCondition(st.conditions, 'Reconciling')!.status, 'False');
    assert.notEqual(st.configHash, firstHash);
    assert.equal(st.observedGeneration, 2);
  });

  it('reports unknown config keys as Degraded/InvalidConfig and still runs the cluster', async () => {
    const kube = new FakeKube();
    kube.seed(cluster('demo', { config: { 'no.such.setting': 'x', nodeId: 7 } }));
    await newReconciler(kube).reconcile(NS, 'demo');
    const d = findCondition(statusOf(kube).conditions, 'Degraded')!;
    assert.equal(d.status, 'True');
    assert.equal(d.reason, 'InvalidConfig');
    assert.match(d.message!, /no\.such\.setting/);
    assert.match(d.message!, /nodeId/);
    assert.ok(kube.peek(stsRef()), 'the StatefulSet is still applied');
  });

  it('turns an unusable name into a condition, not a crash, and creates nothing', async () => {
    const kube = new FakeKube();
    const long = `a${'b'.repeat(50)}`;
    kube.seed(cluster(long));
    await newReconciler(kube).reconcile(NS, long);
    const st = kube.peek<StrataCluster>(clusterRef(long))!.status!;
    assert.equal(findCondition(st.conditions, 'Degraded')!.reason, 'InvalidName');
    assert.equal(findCondition(st.conditions, 'Ready')!.status, 'False');
    assert.equal(kube.writes.filter((w) => w.verb === 'apply').length, 0);
  });

  it('reports a failed apply in Degraded and throws for a retry', async () => {
    const kube = new FakeKube();
    kube.seed(cluster());
    kube.failApplyOf = 'StatefulSet';
    await assert.rejects(newReconciler(kube).reconcile(NS, 'demo'), /injected failure/);
    const d = findCondition(statusOf(kube).conditions, 'Degraded')!;
    assert.equal(d.reason, 'ApplyFailed');
  });

  it('does nothing for a missing or deleting cluster', async () => {
    const kube = new FakeKube();
    await newReconciler(kube).reconcile(NS, 'gone');
    assert.equal(kube.writes.length, 0);
  });

  it('creates the operator\'s SASL credential once, lists every listener\'s bootstrap, and reports unservable listener combinations', async () => {
    const kube = new FakeKube();
    kube.seed(cluster('demo', {
      listeners: [
        { name: 'plain', port: 9092, tls: false },
        { name: 'scram', port: 9093, tls: true, tlsSecret: 'tls-a', sasl: ['SCRAM-SHA-512'] },
        { name: 'plainsasl', port: 9094, tls: true, tlsSecret: 'tls-b', sasl: ['PLAIN'] },
      ],
    }));
    const r = newReconciler(kube, { pollMs: 5 });
    await r.reconcile(NS, 'demo');
    const secretRef = { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: N.operatorCredentialsSecretName('demo') };
    const secret = kube.peek<{ data: Record<string, string>; metadata: { ownerReferences: Array<{ kind: string }> } }>(secretRef)!;
    assert.equal(Buffer.from(secret.data.username!, 'base64').toString(), 'strata-operator');
    assert.match(Buffer.from(secret.data.password!, 'base64').toString(), /^[A-Za-z0-9]{32}$/);
    assert.equal(secret.metadata.ownerReferences[0]!.kind, 'StrataCluster');
    await r.reconcile(NS, 'demo');
    assert.equal(kube.peek<typeof secret>(secretRef)!.data.password, secret.data.password, 'never regenerated');
    assert.equal(kube.writes.filter((w) => w.verb === 'create' && w.ref.kind === 'Secret').length, 1);
    const st = statusOf(kube);
    assert.deepEqual(st.listeners!.map((l) => l.bootstrap), ['demo-bootstrap.kafka.svc:9092', 'demo-bootstrap.kafka.svc:9093', 'demo-bootstrap.kafka.svc:9094']);
    const degraded = findCondition(st.conditions, 'Degraded')!;
    assert.equal(degraded.reason, 'ListenerConfig');
    assert.match(degraded.message!, /different Secrets \(tls-a, tls-b\)/);
  });

  describe('cluster mode', () => {
    const conditionOf = (kube: FakeKube, type: string) => findCondition(statusOf(kube).conditions, type)!;
    const applies = (kube: FakeKube) => kube.writes.filter((w) => w.verb === 'apply').length;
    const replicasOf = (kube: FakeKube) => kube.peek<V1StatefulSet>(stsRef())!.spec!.replicas;

    it('reports under-replicated partitions and the controller, and keeps looking until they are in sync', async () => {
      const kube = new FakeKube();
      kube.seed(cluster());
      const source = { now: health(2) as ClusterHealth | Error };
      const r = newReconciler(kube, { pollMs: 5 }, source);
      await r.reconcile(NS, 'demo');
      assert.equal(conditionOf(kube, 'UnderReplicated').status, 'Unknown', 'no broker ready yet: not asked');
      stsStatus(kube, 3, 3);
      assert.deepEqual(await r.reconcile(NS, 'demo'), { requeueAfterMs: 5 });
      assert.equal(statusOf(kube).underReplicatedPartitions, 2);
      assert.equal(statusOf(kube).controllerId, 1);
      assert.equal(conditionOf(kube, 'UnderReplicated').status, 'True');
      assert.equal(conditionOf(kube, 'Ready').status, 'True', 'every broker is ready');
      source.now = health(0);
      assert.equal(await r.reconcile(NS, 'demo'), undefined);
      assert.equal(statusOf(kube).underReplicatedPartitions, 0);
      assert.equal(conditionOf(kube, 'UnderReplicated').reason, 'AllInSync');
      source.now = new Error('connect ECONNREFUSED');
      assert.deepEqual(await r.reconcile(NS, 'demo'), { requeueAfterMs: 5 });
      assert.equal(conditionOf(kube, 'UnderReplicated').reason, 'ClusterUnreachable');
      assert.equal(statusOf(kube).underReplicatedPartitions, 0, 'the last answer stays');
    });

    it('restarts each ready broker only when no partition is under-replicated', async () => {
      const kube = new FakeKube();
      kube.seed(cluster());
      const source = { now: health(0) as ClusterHealth | Error };
      const r = newReconciler(kube, { pollMs: 5 }, source);
      await r.reconcile(NS, 'demo');
      stsStatus(kube, 3, 3);
      seedPods(kube, [true, true, true]);
      await r.reconcile(NS, 'demo');

      source.now = health(1);
      kube.updateSpec(clusterRef(), { ...cluster().spec, config: { 'log.segment.bytes': 2097152 } });
      await r.reconcile(NS, 'demo');
      assert.equal(partitionOf(kube), 3, 'the new template is held: no broker restarts while a partition is under-replicated');
      assert.match(conditionOf(kube, 'Reconciling').message!, /1 partition\(s\) are under-replicated/);
      stsStatus(kube, 3, 0); // the StatefulSet controller saw the new template: no pod below partition 3 to update
      source.now = new Error('timeout');
      await r.reconcile(NS, 'demo');
      assert.equal(partitionOf(kube), 3, 'nor while the cluster cannot be asked');
      source.now = health(0);
      await r.reconcile(NS, 'demo');
      assert.equal(partitionOf(kube), 2, 'broker 2 restarts');

      // broker 2 is back and ready but still catching up: broker 1 waits
      stsStatus(kube, 3, 1);
      source.now = health(3);
      await r.reconcile(NS, 'demo');
      assert.equal(partitionOf(kube), 2);
      source.now = health(0);
      await r.reconcile(NS, 'demo');
      assert.equal(partitionOf(kube), 1);
      stsStatus(kube, 3, 2);
      await r.reconcile(NS, 'demo');
      assert.equal(partitionOf(kube), 0);
      stsStatus(kube, 3, 3);
      assert.equal(await r.reconcile(NS, 'demo'), undefined);
      assert.equal(conditionOf(kube, 'Ready').status, 'True');
    });

    it('restarts a broker that is not ready even with under-replicated partitions (a config fix reaches a crash-looping broker)', async () => {
      const kube = new FakeKube();
      kube.seed(cluster());
      const r = newReconciler(kube, { pollMs: 5 }, { now: health(5) });
      await r.reconcile(NS, 'demo');
      stsStatus(kube, 2, 3);
      seedPods(kube, [true, true, false]);
      kube.updateSpec(clusterRef(), { ...cluster().spec, config: { 'log.segment.bytes': 2097152 } });
      await r.reconcile(NS, 'demo');
      assert.equal(partitionOf(kube), 2);
    });

    it('refuses a spec that cannot form a cluster: nothing is created, the conditions say what to change', async () => {
      const kube = new FakeKube();
      kube.seed(cluster('demo', { config: { objectStoreType: 'local' } }));
      assert.equal(await newReconciler(kube).reconcile(NS, 'demo'), undefined);
      assert.equal(applies(kube), 0);
      assert.equal(kube.peek(stsRef()), undefined);
      for (const type of ['Ready', 'Reconciling']) {
        assert.equal(conditionOf(kube, type).status, 'False');
        assert.equal(conditionOf(kube, type).reason, 'ObjectStoreNotShared');
      }
      assert.equal(conditionOf(kube, 'Degraded').status, 'True');
      assert.match(conditionOf(kube, 'Degraded').message!, /local object store would live on each pod's own volume/);
    });

    it('leaves a running cluster as it is when its spec becomes invalid', async () => {
      const kube = new FakeKube();
      kube.seed(cluster());
      const r = newReconciler(kube, { pollMs: 5 });
      await r.reconcile(NS, 'demo');
      stsStatus(kube, 3, 3);
      await r.reconcile(NS, 'demo');
      const before = applies(kube);
      kube.updateSpec(clusterRef(), { ...cluster().spec, config: { 'log.segment.bytes': 'huge', 'min.insync.replicas': 4 } });
      await r.reconcile(NS, 'demo');
      assert.equal(applies(kube), before, 'nothing applied');
      assert.equal(conditionOf(kube, 'Degraded').reason, 'InvalidConfigValue');
      assert.match(conditionOf(kube, 'Degraded').message!, /log\.segment\.bytes.*min\.insync\.replicas 4 is above default\.replication\.factor 3/);
      assert.equal(conditionOf(kube, 'Ready').status, 'True', 'the brokers still run the previous spec');
      assert.equal(conditionOf(kube, 'Reconciling').status, 'False');
    });

    it('refuses a scale-down while the removed brokers hold replicas, and applies it once they are moved', async () => {
      const kube = new FakeKube();
      kube.seed(cluster());
      const source = { now: health(0) as ClusterHealth | Error };
      const r = newReconciler(kube, { pollMs: 5 }, source);
      await r.reconcile(NS, 'demo');
      stsStatus(kube, 3, 3);
      await r.reconcile(NS, 'demo');
      const before = applies(kube);
      kube.updateSpec(clusterRef(), { ...cluster().spec, brokers: 2 });
      assert.deepEqual(await r.reconcile(NS, 'demo'), { requeueAfterMs: 5 }, 'looks again for the partitions to move');
      assert.equal(applies(kube), before, 'no change');
      assert.equal(replicasOf(kube), 3);
      assert.equal(conditionOf(kube, 'Degraded').reason, 'ScaleDownBlocked');
      assert.match(conditionOf(kube, 'Degraded').message!, /broker 2: 4.*move them to brokers 0-1 first/);
      assert.equal(conditionOf(kube, 'Ready').status, 'True', 'the three brokers still serve');

      source.now = new Error('timeout');
      await r.reconcile(NS, 'demo');
      assert.equal(replicasOf(kube), 3, 'not without asking the cluster');

      source.now = health(0, { 0: 6, 1: 6 });
      await r.reconcile(NS, 'demo');
      assert.equal(replicasOf(kube), 2);
      assert.equal(conditionOf(kube, 'Degraded').status, 'False');
    });
  });
});
