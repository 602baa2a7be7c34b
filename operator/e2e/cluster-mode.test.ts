// Cluster mode through the operator process against a real kube-apiserver (with the StatefulSet controller and a
// fake kubelet marking pods ready): a StrataCluster with brokers: 3 becomes one StatefulSet whose pods carry their
// ordinal in the apps.kubernetes.io/pod-index label (the node id the broker reads) and advertise their own DNS
// names, one broker config with the cluster-mode defaults, and specs that cannot form a cluster are refused with
// conditions and create nothing. A real broker (node id 2) stands in for the cluster's bootstrap address, so the
// status (under-replicated partitions, controller) and the scale-down check come from real Metadata answers.
import * as assert from 'assert';
import { parse, stringify } from 'yaml';
import { BrokerProcess } from '../../e2e/helpers/broker-process';
import { ApiKey } from '../../broker/src/protocol/apis';
import { KafkaClient } from '../../broker/src/protocol/client';
import type { CreateTopicsResponse } from '../../broker/src/protocol/schema/types';
import { Proc, installCrds, requireBinaries, showOperatorOnFailure, startControllerManager, startFakeKubelet, startOperator, useApiServer, waitFor } from './harness';

const NS = 'default';
const CLUSTER = 'trio';
/** The stand-in broker's node id: the highest ordinal of a 3-broker cluster, so lowering brokers would remove it. */
const BROKER_NODE_ID = 2;

describe('operator cluster mode against a real kube-apiserver', function () {
  this.timeout(60_000);
  const k = useApiServer();
  let operator: Proc | undefined;
  let kcm: Proc | undefined;
  let kubelet: ReturnType<typeof startFakeKubelet> | undefined;
  let broker: BrokerProcess | undefined;

  before(async function () {
    this.timeout(120_000);
    requireBinaries(['kube-controller-manager']);
    await installCrds(k.api);
    kcm = startControllerManager(k.api, ['garbagecollector', 'namespace', 'serviceaccount', 'statefulset']);
    broker = await BrokerProcess.start({ name: 'operator-cluster-mode', autoCreateTopics: false, extraArgs: ['--node-id', String(BROKER_NODE_ID)] });
    operator = await startOperator(k.api, broker.bootstrap, { STRATA_RESYNC_SECONDS: '300' });
    kubelet = startFakeKubelet(k.api, NS, `strata.dev/cluster=${CLUSTER}`, 300);
  });

  after(async function () {
    this.timeout(30_000);
    if (kubelet) await kubelet.stop();
    if (operator) await operator.stop();
    if (kcm) await kcm.stop();
    if (broker) {
      await broker.stop();
      await broker.cleanup();
    }
  });

  showOperatorOnFailure(() => operator);

  const applyCluster = (name: string, spec: object) => k.api.kubectl(['apply', '-f', '-'], {
    input: stringify({ apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', metadata: { name, namespace: NS }, spec }),
  });
  const patchBrokers = (brokers: number) =>
    k.api.kubectl(['patch', 'stratacluster', CLUSTER, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { brokers } })]);
  const condition = (o: any, type: string) => (o?.status?.conditions ?? []).find((c: any) => c.type === type);
  const getCluster = (name = CLUSTER) => k.api.getJson(['stratacluster', name], NS);
  const sts = () => k.api.getJson(['statefulset', `${CLUSTER}-broker`], NS);
  const podsNow = async () => ((await k.api.getJson(['pods', '-l', `strata.dev/cluster=${CLUSTER}`], NS))?.items ?? []) as any[];

  it('brokers: 3 → one StatefulSet of 3 under the headless Service, node ids from the pod ordinal, per-pod DNS names, one shared config', async () => {
    await applyCluster(CLUSTER, { brokers: 3, storage: { size: '1Gi' }, objectStore: { bucket: 'strata-cluster' } });
    const s = await waitFor('StatefulSet', sts, 30_000);
    assert.strictEqual(s.spec.replicas, 3);
    assert.strictEqual(s.spec.serviceName, `${CLUSTER}-brokers`);
    const pod = s.spec.template.spec;
    assert.ok(pod.terminationGracePeriodSeconds * 1000 >= 30_000, 'the grace period covers the broker\'s shutdownTimeoutMs (30 s)');
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e]));
    assert.strictEqual(env.STRATA_NODE_ID.valueFrom.fieldRef.fieldPath, "metadata.labels['apps.kubernetes.io/pod-index']");
    assert.strictEqual(env.STRATA_ADVERTISED_HOST.value, `$(POD_NAME).${CLUSTER}-brokers.$(POD_NAMESPACE).svc`);

    const headless = await waitFor('headless Service', () => k.api.getJson(['service', `${CLUSTER}-brokers`], NS), 30_000);
    assert.strictEqual(headless.spec.clusterIP, 'None');
    assert.strictEqual(headless.spec.publishNotReadyAddresses, true);
    assert.ok(await k.api.getJson(['service', `${CLUSTER}-bootstrap`], NS), 'bootstrap Service');

    const cm = await waitFor('ConfigMap', () => k.api.getJson(['configmap', `${CLUSTER}-config`], NS), 30_000);
    const cfg = parse(cm.data['strata.yaml']);
    assert.deepStrictEqual(
      [cfg.clusterId, cfg.objectStoreType, cfg.s3Bucket, cfg.s3Prefix, cfg.defaultReplicationFactor, cfg.minInsyncReplicas],
      [CLUSTER, 's3', 'strata-cluster', `${NS}/${CLUSTER}`, 3, 2]);
    assert.ok(!('nodeId' in cfg), 'the node id is per pod, not in the shared file');

    // The real StatefulSet controller labels each pod with its ordinal: what STRATA_NODE_ID resolves to.
    const pods = await waitFor('3 broker pods', async () => { const p = await podsNow(); return p.length === 3 ? p : undefined; }, 30_000);
    const indexes = pods.map((p) => [p.metadata.name, p.metadata.labels['apps.kubernetes.io/pod-index']]).sort();
    assert.deepStrictEqual(indexes, [[`${CLUSTER}-broker-0`, '0'], [`${CLUSTER}-broker-1`, '1'], [`${CLUSTER}-broker-2`, '2']]);
    for (const p of pods) assert.strictEqual(p.spec.subdomain, `${CLUSTER}-brokers`, 'pod DNS <pod>.<headless>.<ns>.svc');
  });

  it('reports ready brokers, zero under-replicated partitions and the controller from the cluster', async () => {
    const c = await waitFor('Ready with health', async () => {
      const o = await getCluster();
      return condition(o, 'Ready')?.status === 'True' && condition(o, 'UnderReplicated')?.status === 'False' ? o : undefined;
    }, 45_000);
    assert.strictEqual(c.status.readyBrokers, 3);
    assert.strictEqual(c.status.underReplicatedPartitions, 0);
    assert.strictEqual(c.status.controllerId, BROKER_NODE_ID);
    assert.strictEqual(condition(c, 'UnderReplicated').reason, 'AllInSync');
  });

  it('refuses to lower brokers while the removed broker holds partition replicas; nothing changes', async () => {
    const admin = await KafkaClient.connect({ host: broker!.host, port: broker!.port, clientId: 'operator-e2e' });
    try {
      const res = await admin.request<CreateTopicsResponse>(ApiKey.CreateTopics, 7, {
        topics: [{ name: 'on-broker-2', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30000, validateOnly: false,
      });
      assert.strictEqual(res.topics[0].errorCode, 0);
    } finally {
      await admin.close();
    }
    const cmBefore = (await k.api.getJson(['configmap', `${CLUSTER}-config`], NS)).data;
    await patchBrokers(2);
    const c = await waitFor('ScaleDownBlocked', async () => {
      const o = await getCluster();
      return condition(o, 'Degraded')?.reason === 'ScaleDownBlocked' && o.status.observedGeneration === o.metadata.generation ? o : undefined;
    }, 30_000);
    assert.match(condition(c, 'Degraded').message, /replicas on the brokers being removed \(broker 2: \d+\).*move them/);
    assert.strictEqual(condition(c, 'Reconciling').status, 'False');
    assert.strictEqual((await sts()).spec.replicas, 3);
    assert.deepStrictEqual((await k.api.getJson(['configmap', `${CLUSTER}-config`], NS)).data, cmBefore, 'the config is not changed either');
  });

  it('scales up, and down again when the removed broker holds nothing', async () => {
    await patchBrokers(4);
    await waitFor('4 replicas', async () => (await sts()).spec.replicas === 4, 30_000);
    await waitFor('4 ready', async () => (await getCluster()).status?.readyBrokers === 4, 45_000);
    await patchBrokers(3);
    await waitFor('back to 3 replicas (broker 3 held no replicas)', async () => (await sts()).spec.replicas === 3, 30_000);
    const c = await waitFor('Degraded cleared', async () => {
      const o = await getCluster();
      return condition(o, 'Degraded')?.status === 'False' ? o : undefined;
    }, 30_000);
    assert.strictEqual(c.spec.brokers, 3);
  });

  it('refuses specs that cannot form a cluster with a condition and creates nothing', async () => {
    const cases: Array<[string, object, string]> = [
      ['local-store', { config: { objectStoreType: 'local' } }, 'ObjectStoreNotShared'],
      ['all-sasl', { listeners: [{ name: 'sasl', port: 9093, sasl: ['SCRAM-SHA-512'] }] }, 'NoInterBrokerListener'],
      ['rf-too-high', { brokers: 2, config: { 'default.replication.factor': 3 } }, 'ReplicationFactorTooHigh'],
      ['bad-value', { config: { 'log.segment.bytes': 'huge' } }, 'InvalidConfigValue'],
    ];
    for (const [name, over] of cases) {
      await applyCluster(name, { brokers: 3, storage: { size: '1Gi' }, objectStore: { bucket: 'strata-cluster' }, ...over });
    }
    for (const [name, , reason] of cases) {
      const c = await waitFor(`${name}: ${reason}`, async () => {
        const o = await getCluster(name);
        return condition(o, 'Degraded')?.reason === reason ? o : undefined;
      }, 30_000);
      assert.strictEqual(condition(c, 'Degraded').status, 'True');
      assert.strictEqual(condition(c, 'Ready').status, 'False');
      assert.strictEqual(condition(c, 'Ready').reason, reason);
      assert.ok(condition(c, 'Degraded').message.length > 40, 'a message that says what to change');
      assert.strictEqual(await k.api.getJson(['statefulset', `${name}-broker`], NS), undefined, `${name}: no StatefulSet`);
      assert.strictEqual(await k.api.getJson(['configmap', `${name}-config`], NS), undefined, `${name}: no ConfigMap`);
    }
  });
});
