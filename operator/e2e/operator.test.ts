// The operator process (compiled operator/src/main.ts) against a real kube-apiserver: leader election
// on a Lease, /healthz and /metrics, a StrataCluster reconciled into its ConfigMap, Services,
// StatefulSet and PodDisruptionBudget with controller owner references, status conditions and
// observedGeneration, a config change that changes the StatefulSet's pod template (the roll), drift
// repair, garbage collection through owner references (needs kube-controller-manager; skipped when
// it is not built), graceful shutdown.
//
// With kube-controller-manager (garbage collector + StatefulSet controller) the broker Pods are
// created but never scheduled (no scheduler, no kubelet); a fake kubelet in the test marks them
// Running/Ready, which makes the cluster Ready and the one-broker-at-a-time roll observable.
import * as assert from 'assert';
import { stringify } from 'yaml';
import { BrokerProcess } from '../../e2e/helpers/broker-process';
import { KafkaClient } from '../../broker/src/protocol/client';
import { ApiKey } from '../../broker/src/protocol/apis';
import type { CreatePartitionsResponse, DescribeConfigsResponse, MetadataResponse } from '../../broker/src/protocol/schema/types';
import { freePort, installCrds, requireBinaries, Proc, showOperatorOnFailure, startControllerManager, startFakeKubelet, startOperator, useApiServer, waitFor } from './harness';

const NS = 'default';
const CLUSTER = 'demo';

const OWNED: Array<[string, string]> = [
  ['configmap', `${CLUSTER}-config`],
  ['service', `${CLUSTER}-brokers`],
  ['service', `${CLUSTER}-bootstrap`],
  ['statefulset', `${CLUSTER}-broker`],
  ['poddisruptionbudget', `${CLUSTER}-broker`],
];

describe('operator against a real kube-apiserver', function () {
  this.timeout(60_000);
  const k = useApiServer();
  let operator: Proc | undefined;
  let kcm: Proc | undefined;
  let metricsPort = 0;
  let clusterUid = '';
  let broker: BrokerProcess | undefined;

  before(async function () {
    this.timeout(120_000);
    requireBinaries(['kube-controller-manager']);
    await installCrds(k.api);
    kcm = startControllerManager(k.api, ['garbagecollector', 'namespace', 'serviceaccount', 'statefulset']);
    metricsPort = await freePort();
    // A real Strata broker stands in for the cluster's bootstrap Service (no pods run here): the operator's
    // bootstrap override maps the cluster's address to it, as for any operator run outside the cluster network.
    broker = await BrokerProcess.start({ name: 'operator-e2e', autoCreateTopics: false });
    operator = await startOperator(k.api, broker.bootstrap, {
      STRATA_METRICS_PORT: String(metricsPort),
      STRATA_LEADER_ELECTION: 'true',
      STRATA_LEADER_ELECTION_LEASE: 'strata-operator',
      STRATA_RESYNC_SECONDS: '300',
    });
  });

  let kubelet: ReturnType<typeof startFakeKubelet> | undefined;
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

  const httpGet = async (p: string) => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}${p}`);
    return { status: res.status, body: await res.text() };
  };

  it('serves /healthz and takes the leader-election Lease', async () => {
    await waitFor('/healthz 200', async () => operator!.running && (await httpGet('/healthz')).status === 200, 30_000);
    const lease = await waitFor('Lease held', async () => {
      const l = await k.api.getJson(['lease', 'strata-operator'], NS);
      return l?.spec?.holderIdentity ? l : undefined;
    }, 30_000);
    assert.strictEqual(lease.spec.holderIdentity, 'e2e-operator');
  });

  it('reconciles a StrataCluster into owned ConfigMap, Services, StatefulSet and PDB', async () => {
    await k.api.kubectl(['apply', '-f', '-'], {
      input: stringify({
        apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', metadata: { name: CLUSTER, namespace: NS },
        spec: { brokers: 3, storage: { size: '1Gi' }, objectStore: { bucket: 'strata-test' } },
      }),
    });
    clusterUid = (await k.api.getJson(['stratacluster', CLUSTER], NS)).metadata.uid;
    for (const [kind, name] of OWNED) {
      const obj = await waitFor(`${kind}/${name}`, () => k.api.getJson([kind, name], NS), 30_000);
      const refs = obj.metadata.ownerReferences ?? [];
      assert.strictEqual(refs.length, 1, `${kind}/${name} ownerReferences: ${JSON.stringify(refs)}`);
      assert.deepStrictEqual(
        { apiVersion: refs[0].apiVersion, kind: refs[0].kind, name: refs[0].name, uid: refs[0].uid, controller: refs[0].controller },
        { apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', name: CLUSTER, uid: clusterUid, controller: true },
        `${kind}/${name}`);
      const withFields = JSON.parse((await k.api.kubectl(['get', kind, name, '-n', NS, '-o', 'json', '--show-managed-fields'])).stdout);
      const managers = (withFields.metadata.managedFields ?? []).map((m: any) => `${m.manager}/${m.operation}`);
      assert.ok(managers.includes('strata-operator/Apply'), `${kind}/${name} server-side applied by strata-operator: ${managers}`);
    }
    const sts = await k.api.getJson(['statefulset', `${CLUSTER}-broker`], NS);
    assert.strictEqual(sts.spec.replicas, 3);
    assert.strictEqual(sts.spec.serviceName, `${CLUSTER}-brokers`);
    assert.ok(sts.spec.volumeClaimTemplates?.length >= 1, 'PVC template');
    const headless = await k.api.getJson(['service', `${CLUSTER}-brokers`], NS);
    assert.strictEqual(headless.spec.clusterIP, 'None');
  });

  it('writes status conditions and observedGeneration', async () => {
    const c = await waitFor('status with conditions', async () => {
      const o = await k.api.getJson(['stratacluster', CLUSTER], NS);
      return o?.status?.observedGeneration === o.metadata.generation && o.status.conditions?.length ? o : undefined;
    }, 30_000);
    const types = c.status.conditions.map((x: any) => x.type);
    assert.ok(types.includes('Ready'), `conditions: ${JSON.stringify(c.status.conditions)}`);
    const ready = c.status.conditions.find((x: any) => x.type === 'Ready');
    assert.strictEqual(ready.status, 'False', 'no broker pod is ready yet (no kubelet)');
    assert.ok(ready.reason, 'Ready has a reason');
  });

  const getCluster = () => k.api.getJson(['stratacluster', CLUSTER], NS);
  const readyCond = (c: any) => (c?.status?.conditions ?? []).find((x: any) => x.type === 'Ready');
  const hashOf = async () => (await k.api.getJson(['statefulset', `${CLUSTER}-broker`], NS)).spec.template.metadata?.annotations?.['strata.dev/config-hash'];

  it('becomes Ready once its broker pods are ready (StatefulSet controller + fake kubelet)', async function () {
    await waitFor('3 broker pods created by the StatefulSet controller', async () => {
      const pods = await k.api.getJson(['pods', '-l', `strata.dev/cluster=${CLUSTER}`], NS);
      return pods.items.length === 3;
    }, 30_000).catch(async (e) => {
      const ev = await k.api.kubectl(['get', 'events', '-n', NS, '--sort-by=.lastTimestamp'], { allowFail: true });
      throw new Error(`${e.message}\n--- events\n${ev.stdout.split('\n').slice(-15).join('\n')}\n--- kube-controller-manager\n${kcm!.tail(20)}`);
    });
    kubelet = startFakeKubelet(k.api, NS, `strata.dev/cluster=${CLUSTER}`, 500);
    const c = await waitFor('Ready=True', async () => {
      const o = await getCluster();
      return readyCond(o)?.status === 'True' ? o : undefined;
    }, 45_000);
    assert.strictEqual(readyCond(c).reason, 'AllBrokersReady');
    assert.strictEqual(c.status.readyBrokers, 3);
    assert.strictEqual(c.status.configHash, await hashOf());
  });

  it('a config change rolls the brokers one at a time, highest ordinal first, each after the previous is ready', async function () {
    this.timeout(120_000);
    const podsNow = async () => (await k.api.getJson(['pods', '-l', `strata.dev/cluster=${CLUSTER}`], NS)).items as any[];
    const uidBefore = new Map((await podsNow()).map((p) => [p.metadata.name as string, p.metadata.uid as string]));
    assert.strictEqual(uidBefore.size, 3);
    const hashBefore = await hashOf();
    const cmBefore = JSON.stringify((await k.api.getJson(['configmap', `${CLUSTER}-config`], NS)).data);
    await k.api.kubectl(['patch', 'stratacluster', CLUSTER, '-n', NS, '--type=merge', '-p', JSON.stringify({ spec: { config: { 'log.segment.bytes': 1048576 } } })]);
    const replacedAt = new Map<string, number>();
    let maxUnready = 0;
    let sawRolling = false;
    const c = await waitFor('roll finished', async () => {
      const pods = await podsNow();
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      const ready = live.filter((p) => (p.status?.conditions ?? []).some((x: any) => x.type === 'Ready' && x.status === 'True'));
      maxUnready = Math.max(maxUnready, 3 - ready.length);
      for (const p of live) {
        if (uidBefore.get(p.metadata.name) !== p.metadata.uid && !replacedAt.has(p.metadata.name)) replacedAt.set(p.metadata.name, Date.now());
      }
      for (const n of uidBefore.keys()) if (!live.some((p) => p.metadata.name === n) && !replacedAt.has(n)) replacedAt.set(n, Date.now());
      const o = await getCluster();
      if (readyCond(o)?.reason === 'RollingUpdate') sawRolling = true;
      return replacedAt.size === 3 && ready.length === 3 && readyCond(o)?.status === 'True' && o.status.configHash !== hashBefore ? o : undefined;
    }, 100_000, 150);
    const order = [...replacedAt.entries()].sort((a, b) => a[1] - b[1]).map(([n]) => n);
    assert.deepStrictEqual(order, [`${CLUSTER}-broker-2`, `${CLUSTER}-broker-1`, `${CLUSTER}-broker-0`], 'replacement order');
    assert.ok(maxUnready <= 1, `at most one broker down at a time (saw ${maxUnready})`);
    assert.ok(sawRolling, 'Ready=False reason RollingUpdate was reported during the roll');
    assert.strictEqual(c.status.configHash, await hashOf());
    assert.notStrictEqual(c.status.configHash, hashBefore);
    assert.notStrictEqual(JSON.stringify((await k.api.getJson(['configmap', `${CLUSTER}-config`], NS)).data), cmBefore);
    const sts = await k.api.getJson(['statefulset', `${CLUSTER}-broker`], NS);
    assert.strictEqual(sts.spec.updateStrategy.rollingUpdate?.partition ?? 0, 0);
    assert.strictEqual(sts.status.updatedReplicas, 3);
  });

  it('repairs drift promptly: a deleted owned Service or ConfigMap is recreated (owned-object watch, not the resync)', async () => {
    // STRATA_RESYNC_SECONDS is 300 here and the cluster is Ready (no readiness polling), so only a
    // watch on the owned objects can bring them back within 15 s.
    for (const [kind, name] of [['service', `${CLUSTER}-bootstrap`], ['configmap', `${CLUSTER}-config`]]) {
      const uid = (await k.api.getJson([kind, name], NS)).metadata.uid;
      await k.api.kubectl(['delete', kind, name, '-n', NS, '--wait=false']);
      await waitFor(`${kind}/${name} recreated`, async () => {
        const o = await k.api.getJson([kind, name], NS);
        return o && o.metadata.uid !== uid && !o.metadata.deletionTimestamp ? o : undefined;
      }, 15_000);
    }
  });

  it('serves /metrics', async () => {
    const m = await httpGet('/metrics');
    assert.strictEqual(m.status, 200);
    assert.match(m.body, /^strata_operator_reconcile_total\{[^}]*kind="StrataCluster"[^}]*result="success"[^}]*\} [1-9]/m);
    assert.match(m.body, /^# TYPE strata_operator_reconcile_errors_total counter/m);
    assert.match(m.body, /^strata_operator_reconcile_duration_seconds_count\{[^}]*kind="StrataCluster"[^}]*\} [1-9]/m);
    assert.match(m.body, /^# TYPE strata_operator_queue_depth gauge/m);
    assert.match(m.body, /^strata_operator_leader 1$/m);
  });

  it('reconciles a StrataTopic on a real broker: create with configs, grow, report outside growth, delete through the finalizer', async function () {
    this.timeout(90_000);
    const admin = await KafkaClient.connect({ host: broker!.host, port: broker!.port, clientId: 'operator-e2e' });
    try {
      const onBroker = async () => {
        const md = await admin.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'orders' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        const t = md.topics[0];
        return t.errorCode === 0 ? t : undefined;
      };
      const applyTopic = (partitions: number) =>
        k.api.kubectl(['apply', '-f', '-'], {
          input: stringify({
            apiVersion: 'strata.dev/v1alpha1', kind: 'StrataTopic',
            metadata: { name: 'orders', namespace: NS, labels: { 'strata.dev/cluster': CLUSTER } },
            spec: { partitions, replicas: 1, config: { 'retention.ms': '3600000' } },
          }),
        });
      const readyOf = async () => readyCond(await k.api.getJson(['stratatopic', 'orders'], NS));

      await applyTopic(3);
      await waitFor('topic with 3 partitions on the broker', async () => (await onBroker())?.partitions.length === 3, 30_000);
      const cfg = await admin.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
        resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false,
      });
      assert.strictEqual(cfg.results[0].configs[0].value, '3600000');
      const st = await waitFor('Ready topic with its id', async () => {
        const t = await k.api.getJson(['stratatopic', 'orders'], NS);
        return readyCond(t)?.status === 'True' && t.status?.topicId ? t : undefined;
      }, 30_000);
      assert.strictEqual(st.status.topicId, (await onBroker())!.topicId);

      await applyTopic(5);
      await waitFor('grown to 5 partitions on the broker', async () => (await onBroker())?.partitions.length === 5, 30_000);

      // Partitions added outside the operator cannot be taken back: reported, never "fixed" by deleting anything.
      const grown = await admin.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, { topics: [{ name: 'orders', count: 7, assignments: null }], timeoutMs: 30000, validateOnly: false });
      assert.strictEqual(grown.results[0].errorCode, 0);
      await k.api.kubectl(['annotate', 'stratatopic', 'orders', '-n', NS, `e2e/poke=${Date.now()}`, '--overwrite']);
      const refused = await waitFor('decrease reported in status', async () => {
        const r = await readyOf();
        return r?.status === 'False' ? r : undefined;
      }, 30_000);
      assert.match(`${refused.reason} ${refused.message}`, /[Pp]artition/);
      assert.strictEqual((await onBroker())!.partitions.length, 7);

      await k.api.kubectl(['delete', 'stratatopic', 'orders', '-n', NS, '--wait=false']);
      await waitFor('topic deleted from the broker', async () => (await onBroker()) === undefined, 30_000);
      await waitFor('StrataTopic gone (finalizer removed)', async () => (await k.api.getJson(['stratatopic', 'orders'], NS)) === undefined, 30_000);
    } finally {
      await admin.close();
    }
  });

  it('deleting the StrataCluster garbage-collects its objects (owner references, kube-controller-manager)', async function () {
    await k.api.kubectl(['delete', 'stratacluster', CLUSTER, '-n', NS, '--wait=false']);
    for (const [kind, name] of OWNED) {
      await waitFor(`${kind}/${name} garbage-collected`, async () => (await k.api.getJson([kind, name], NS)) === undefined, 45_000)
        .catch((e) => { throw new Error(`${e.message}\n--- kube-controller-manager\n${kcm!.tail(30)}`); });
    }
  });

  it('shuts down gracefully on SIGTERM', async () => {
    const code = await operator!.stop(15_000);
    assert.strictEqual(code, 0, operator!.tail(20));
  });
});
