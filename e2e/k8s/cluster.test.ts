// Kubernetes for real (issue 13): the operator and the brokers run in pods on a single-node cluster with real
// containers (e2e/k8s/node.sh: containerd + runc, kubelet, kube-proxy, CoreDNS), from images built here
// (e2e/k8s/images.sh), as a user would run them: helm install → StrataCluster + StrataTopic → produce and
// consume from a client pod (bootstrap Service) and from the host (pod IPs) → tiered segments in the bucket
// (moto on the node address) → broker pod deleted under a steady producer → spec.config roll → helm upgrade →
// StrataCluster deleted (PVCs retained) → helm uninstall. The node is torn down whatever the outcome and the
// last step checks the machine got back every setting the node changed.
//
// Cluster mode does not exist yet: the cluster runs with brokers: 1 (so a roll or a pod deletion means the
// cluster is briefly unavailable and the producer sees errors, which the suite records); RF=3, zero-error rolls,
// scaling and disposable brokers wait for it.
import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import type { Producer } from 'kafkajs';
import { KafkaClient } from '../../broker/src/protocol/client';
import { ApiKey } from '../../broker/src/protocol/apis';
import type { DescribeConfigsResponse } from '../../broker/src/protocol/schema/types';
import { MotoServer } from '../helpers/moto';
import { ROOT, waitFor } from '../../operator/e2e/harness';
import { buildImages, NODE_IP, startNode, type Images, type KubeNode } from './harness';

const CHART = path.join(ROOT, 'charts', 'strata-operator');
const RELEASE = 'strata-operator';
const OP_NS = 'strata-system';
const NS = 'default';
const CLUSTER = 'demo';
const TOPIC = 'events';
const BUCKET = 'strata-k8s';
const SEGMENT_BYTES = 64 * 1024;
const POD0 = `${CLUSTER}-broker-0`;
const BROKER_SELECTOR = `app.kubernetes.io/instance=${CLUSTER},app.kubernetes.io/component=broker`;

/** Timings reported at the end of the run (ms unless named otherwise). */
const timings: Record<string, number | string> = {};

describe('Kubernetes for real: operator and brokers in pods (e2e/k8s)', function () {
  this.timeout(120_000);
  let images: Images;
  let node: KubeNode | undefined;
  let moto: MotoServer | undefined;
  const k = () => node!;

  before(async function () {
    this.timeout(40 * 60_000);
    let t = Date.now();
    images = await buildImages();
    timings.imagesBuildMs = Date.now() - t;
    t = Date.now();
    node = await startNode();
    timings.nodeStartMs = Date.now() - t;
    t = Date.now();
    await node.importImages();
    timings.imagesImportMs = Date.now() - t;
    await node.addLocalVolumes(3);
    // The bucket's server listens on the node address, which pods reach (127.0.0.1 would be their own).
    moto = await MotoServer.start({ host: NODE_IP, buckets: [BUCKET] });
  });

  after(async function () {
    this.timeout(300_000);
    if (moto) await moto.stop();
    if (node) {
      const t = Date.now();
      await node.stop();
      timings.nodeTeardownMs = Date.now() - t;
    }
    console.log(`    timings: ${JSON.stringify(timings)}`);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !node) return;
    const pods = await node.kubectl(['get', 'pods', '-A', '-o', 'wide'], { allowFail: true });
    const events = await node.kubectl(['get', 'events', '-A', '--sort-by=.lastTimestamp'], { allowFail: true });
    const op = await node.kubectl(['logs', '-n', OP_NS, `deployment/${RELEASE}`, '--tail=40'], { allowFail: true });
    const br = await node.kubectl(['logs', '-n', NS, POD0, '--tail=40'], { allowFail: true });
    console.log(`--- pods\n${pods.stdout}\n--- events\n${events.stdout.split('\n').slice(-30).join('\n')}\n--- operator\n${op.stdout}${op.stderr}`
      + `\n--- broker\n${br.stdout}${br.stderr}\n--- kubelet\n${node.processLog('kubelet', 20)}`);
  });

  const apply = (docs: object[]) => k().kubectl(['apply', '-f', '-'], { input: docs.map((d) => stringify(d)).join('---\n') });
  const get = (kindAndName: string[], ns = NS) => k().getJson(kindAndName, ns);
  const condition = (obj: any, type: string) => (obj?.status?.conditions ?? []).find((c: any) => c.type === type);
  const brokerPod = () => get(['pod', POD0]);
  const podIp = async () => (await brokerPod())?.status?.podIP as string;

  const clusterReady = (timeoutMs = 180_000) => waitFor('StrataCluster Ready', async () => {
    const c = await get(['stratacluster', CLUSTER]);
    return condition(c, 'Ready')?.status === 'True' && c.status.observedGeneration === c.metadata.generation ? c : undefined;
  }, timeoutMs, 500);

  const clusterSpec = (config: Record<string, string | number | boolean>) => ({
    apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', metadata: { name: CLUSTER, namespace: NS },
    spec: {
      brokers: 1,
      storage: { size: '1Gi' },
      objectStore: { bucket: BUCKET, endpoint: moto!.endpoint, pathStyle: true, credentialsSecret: { name: `${CLUSTER}-s3` } },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } },
      config,
    },
  });

  it('helm install with the local operator image: the operator pod becomes Ready and holds its Lease', async () => {
    const t = Date.now();
    const [opRepo, opTag] = images.operator.split(/:(?=[^:]+$)/);
    const [brRepo, brTag] = images.broker.split(/:(?=[^:]+$)/);
    await k().helm(['install', RELEASE, CHART, '-n', OP_NS, '--create-namespace', '--wait', '--timeout', '120s',
      '--set', `image.repository=${opRepo}`, '--set', `image.tag=${opTag}`, '--set', 'image.pullPolicy=Never',
      '--set', `brokerImage.repository=${brRepo}`, '--set', `brokerImage.tag=${brTag}`], { timeoutMs: 150_000 });
    const pod = await waitFor('operator pod Ready', async () => {
      const pods = (await k().getJson(['pods', '-l', `app.kubernetes.io/name=${RELEASE}`], OP_NS))?.items ?? [];
      return pods.find((p: any) => condition(p, 'Ready')?.status === 'True');
    }, 60_000);
    const lease = await waitFor('operator Lease held', async () => {
      const l = await k().getJson(['lease', RELEASE], OP_NS);
      return l?.spec?.holderIdentity ? l : undefined;
    }, 60_000);
    assert.strictEqual(lease.spec.holderIdentity, pod.metadata.name);
    assert.strictEqual(pod.spec.containers[0].image, images.operator);
    timings.operatorReadyMs = Date.now() - t;
  });

  it('a StrataCluster and a StrataTopic: cluster Ready, the broker pod runs the real broker, the topic exists with its configs', async () => {
    const t = Date.now();
    await apply([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${CLUSTER}-s3`, namespace: NS }, stringData: { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' } },
      clusterSpec({ 'log.retention.check.interval.ms': 5000 }),
      {
        apiVersion: 'strata.dev/v1alpha1', kind: 'StrataTopic', metadata: { name: TOPIC, namespace: NS, labels: { 'strata.dev/cluster': CLUSTER } },
        spec: { partitions: 2, replicas: 1, config: { 'segment.bytes': SEGMENT_BYTES, 'retention.ms': 86_400_000 } },
      },
    ]);
    await clusterReady();
    timings.clusterReadyMs = Date.now() - t;
    const pod = await brokerPod();
    assert.strictEqual(pod.spec.containers[0].image, images.broker);
    assert.strictEqual(pod.status.phase, 'Running');
    await waitFor('StrataTopic Ready', async () => condition(await get(['stratatopic', TOPIC]), 'Ready')?.status === 'True', 60_000);
    timings.topicReadyMs = Date.now() - t;
    const admin = await KafkaClient.connect({ host: await podIp(), port: 9092, clientId: 'k8s-e2e' });
    try {
      const res = await admin.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, 4, {
        resources: [{ resourceType: 2, resourceName: TOPIC, configurationKeys: ['segment.bytes', 'retention.ms'] }],
        includeSynonyms: false, includeDocumentation: false,
      });
      const r = res.results[0]!;
      assert.strictEqual(r.errorCode, 0);
      const cfg = Object.fromEntries(r.configs.map((c) => [c.name, c.value]));
      assert.deepStrictEqual(cfg, { 'segment.bytes': String(SEGMENT_BYTES), 'retention.ms': '86400000' });
    } finally { admin.close(); }
  });
});
