// The topic reconciler against a real Strata broker process over TCP (the fake is only Kubernetes).
import { strict as assert } from 'node:assert';
import { ApiKey } from '../../../broker/src/protocol/apis';
import { KafkaClient } from '../../../broker/src/protocol/client';
import type {
  CreatePartitionsResponse,
  DescribeConfigsResponse,
  IncrementalAlterConfigsResponse,
  MetadataResponse,
} from '../../../broker/src/protocol/schema/types';
import { BrokerProcess } from '../../../e2e/helpers/broker-process';
import type { StrataCluster, StrataTopic } from '../../src/api';
import { findCondition } from '../../src/conditions';
import * as N from '../../src/naming';
import { TopicReconciler } from '../../src/reconcilers/topic';
import { resolveBootstrap, settingsFromEnv } from '../../src/settings';
import { FakeKube } from '../runtime/fake-kube';

const NS = 'team-a';
const ZERO = '00000000-0000-0000-0000-000000000000';
const topicRef = (name: string) => ({ apiVersion: N.CLUSTER_API_VERSION, kind: 'StrataTopic', namespace: NS, name });
const clusterRef = { apiVersion: N.CLUSTER_API_VERSION, kind: N.CLUSTER_KIND, namespace: NS, name: 'demo' };

function topic(name: string, spec: StrataTopic['spec'], cluster = 'demo'): StrataTopic {
  return { apiVersion: 'strata.dev/v1alpha1', kind: 'StrataTopic', metadata: { name, namespace: NS, labels: { [N.LABEL_CLUSTER]: cluster } }, spec };
}

describe('operator: topic reconciler against a real broker', function () {
  this.timeout(30_000);
  let broker: BrokerProcess;
  let admin: KafkaClient;

  before(async () => {
    broker = await BrokerProcess.start({ name: 'operator-topics', autoCreateTopics: false, logLevel: 'warn' });
    admin = await KafkaClient.connect({ host: broker.host, port: broker.port });
    await admin.apiVersions();
  });
  after(async () => {
    await admin?.close();
    await broker?.cleanup();
  });

  const setup = () => {
    const kube = new FakeKube();
    kube.seed<StrataCluster>({
      apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', metadata: { name: 'demo', namespace: NS },
      spec: { brokers: 1, storage: { size: '1Gi' }, objectStore: { bucket: 'bucket' } },
    });
    const r = new TopicReconciler(kube, { settings: { bootstrapOverrides: { demo: broker.bootstrap } }, retryMs: 5 });
    return { kube, r };
  };

  async function onBroker(name: string) {
    const md = await admin.request<MetadataResponse>(ApiKey.Metadata, 12, {
      topics: [{ topicId: ZERO, name }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false,
    });
    const t = md.topics[0]!;
    if (t.errorCode !== 0) return undefined;
    const cfg = await admin.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false,
    });
    const overrides = Object.fromEntries(cfg.results[0]!.configs.filter((c) => c.configSource === 1).map((c) => [c.name, c.value]));
    return { topicId: t.topicId, partitions: t.partitions.length, overrides };
  }

  const ready = (kube: FakeKube, name: string) => findCondition(kube.peek<StrataTopic>(topicRef(name))!.status?.conditions, 'Ready');

  it('creates, grows, alters, reverts outside changes, refuses a decrease and deletes through the finalizer', async () => {
    const { kube, r } = setup();
    kube.seed(topic('orders', { partitions: 2, replicas: 1, config: { 'retention.ms': 3600000, 'cleanup.policy': 'delete' } }));
    await r.reconcile(NS, 'orders');
    let t = await onBroker('orders');
    assert.ok(t, 'topic exists on the broker');
    assert.equal(t.partitions, 2);
    assert.deepEqual(t.overrides, { 'cleanup.policy': 'delete', 'retention.ms': '3600000' });
    let res = kube.peek<StrataTopic>(topicRef('orders'))!;
    assert.deepEqual(res.metadata.finalizers, [N.TOPIC_FINALIZER]);
    assert.equal(res.status!.topicId, t.topicId);
    assert.equal(res.status!.partitions, 2);
    assert.equal(res.status!.observedGeneration, 1);
    assert.equal(ready(kube, 'orders')!.status, 'True');

    // grow partitions and change configs
    kube.updateSpec(topicRef('orders'), { partitions: 4, replicas: 1, config: { 'retention.ms': 7200000 } });
    await r.reconcile(NS, 'orders');
    t = (await onBroker('orders'))!;
    assert.equal(t.partitions, 4);
    assert.deepEqual(t.overrides, { 'retention.ms': '7200000' }, 'cleanup.policy left the spec, so it is back to its default');
    assert.equal(kube.peek<StrataTopic>(topicRef('orders'))!.status!.observedGeneration, 2);

    // a change made outside is reverted
    const altered = await admin.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
      resources: [{ resourceType: 2, resourceName: 'orders', configs: [
        { name: 'retention.ms', configOperation: 0, value: '1000' },
        { name: 'max.message.bytes', configOperation: 0, value: '4096' },
      ] }],
      validateOnly: false,
    });
    assert.equal(altered.responses[0]!.errorCode, 0);
    assert.deepEqual((await onBroker('orders'))!.overrides, { 'max.message.bytes': '4096', 'retention.ms': '1000' });
    await r.reconcile(NS, 'orders');
    assert.deepEqual((await onBroker('orders'))!.overrides, { 'retention.ms': '7200000' });

    // partitions grown outside cannot be shrunk back: refused and reported, never applied
    const grown = await admin.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, {
      topics: [{ name: 'orders', count: 6, assignments: null }], timeoutMs: 10_000, validateOnly: false,
    });
    assert.equal(grown.results[0]!.errorCode, 0);
    await r.reconcile(NS, 'orders');
    const c = ready(kube, 'orders')!;
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'PartitionDecreaseRefused');
    assert.match(c.message!, /has 6 partitions but spec\.partitions is 4/);
    assert.equal((await onBroker('orders'))!.partitions, 6);
    assert.equal(kube.peek<StrataTopic>(topicRef('orders'))!.status!.partitions, 6);

    // the user follows the advice
    kube.updateSpec(topicRef('orders'), { partitions: 6, replicas: 1, config: { 'retention.ms': 7200000 } });
    await r.reconcile(NS, 'orders');
    assert.equal(ready(kube, 'orders')!.status, 'True');

    // deletion: the finalizer deletes the topic, then itself
    kube.userDelete(topicRef('orders'));
    res = kube.peek<StrataTopic>(topicRef('orders'))!;
    assert.ok(res.metadata.deletionTimestamp);
    await r.reconcile(NS, 'orders');
    assert.equal(kube.peek(topicRef('orders')), undefined, 'finalizer removed, object gone');
    assert.equal(await onBroker('orders'), undefined, 'topic deleted on the broker');
  });

  it('refuses replicas above the cluster\'s brokers without touching the broker', async () => {
    const { kube, r } = setup();
    kube.seed(topic('wide', { partitions: 1, replicas: 3 }));
    await r.reconcile(NS, 'wide');
    const c = ready(kube, 'wide')!;
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'ReplicasExceedBrokers');
    assert.match(c.message!, /at most 1/);
    assert.equal(await onBroker('wide'), undefined);
    assert.equal(kube.peek<StrataTopic>(topicRef('wide'))!.metadata.finalizers, undefined);
  });

  it('reports a config the broker rejects as InvalidConfig', async () => {
    const { kube, r } = setup();
    kube.seed(topic('badcfg', { partitions: 1, replicas: 1, config: { 'cleanup.policy': 'sometimes' } }));
    await r.reconcile(NS, 'badcfg');
    const c = ready(kube, 'badcfg')!;
    assert.equal(c.status, 'False');
    assert.equal(c.reason, 'InvalidConfig');
  });

  it('waits for a missing cluster, and releases the finalizer without a broker once the cluster is gone', async () => {
    const { kube, r } = setup();
    kube.seed(topic('orphan', { partitions: 1, replicas: 1 }, 'nope'));
    assert.deepEqual(await r.reconcile(NS, 'orphan'), { requeueAfterMs: 5 });
    assert.equal(ready(kube, 'orphan')!.reason, 'ClusterNotFound');

    kube.seed(topic('stranded', { partitions: 1, replicas: 1 }));
    await r.reconcile(NS, 'stranded');
    assert.ok(await onBroker('stranded'));
    kube.objects.clear(); // the namespace is going: the cluster is gone
    kube.seed({ ...topic('stranded', { partitions: 1, replicas: 1 }), metadata: { ...topic('stranded', { partitions: 1 }).metadata, finalizers: [N.TOPIC_FINALIZER] } });
    kube.userDelete(topicRef('stranded'));
    const unreachable = new TopicReconciler(kube, { settings: { bootstrapOverrides: { demo: '127.0.0.1:1' } } });
    await unreachable.reconcile(NS, 'stranded');
    assert.equal(kube.peek(topicRef('stranded')), undefined, 'finalizer released without talking to a broker');
    assert.ok(await onBroker('stranded'), 'the topic is left alone');
    void clusterRef;
  });

  it('retries (throws) and says so in status when the cluster exists but is unreachable', async () => {
    const { kube } = setup();
    kube.seed(topic('later', { partitions: 1, replicas: 1 }));
    const r = new TopicReconciler(kube, { settings: { bootstrapOverrides: { demo: '127.0.0.1:1' } }, timeoutMs: 2000 });
    await assert.rejects(r.reconcile(NS, 'later'), /cannot connect/);
    assert.equal(ready(kube, 'later')!.reason, 'ClusterUnreachable');
  });

  it('resolves bootstrap addresses from naming and overrides', () => {
    const s = settingsFromEnv({ STRATA_BOOTSTRAP_OVERRIDES: '{"demo":"127.0.0.1:19092"}' });
    assert.deepEqual(resolveBootstrap(s, 'demo', 'x'), { host: '127.0.0.1', port: 19092 });
    assert.deepEqual(resolveBootstrap(s, 'other', 'x'), { host: 'other-bootstrap.x.svc', port: 9092 });
    const one = settingsFromEnv({ STRATA_BOOTSTRAP_OVERRIDE: 'localhost:1234' });
    assert.deepEqual(resolveBootstrap(one, 'any', 'x'), { host: 'localhost', port: 1234 });
  });
});
