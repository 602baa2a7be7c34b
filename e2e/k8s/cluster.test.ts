// Kubernetes for real (issue 13): the operator and the brokers run in pods on a single-node cluster with real
// containers (e2e/k8s/node.sh: containerd + runc, kubelet, kube-proxy, CoreDNS), from images built here
// (e2e/k8s/images.sh), as a user would run them: helm install → StrataCluster + StrataTopic → produce and
// consume from a client pod (bootstrap Service) and from the host (pod IPs) → the chart's web console answers
// through its Service → tiered segments in the bucket (moto on the node address) → broker pod deleted under a
// steady producer → spec.config roll → helm upgrade → StrataCluster deleted (PVCs retained) → helm uninstall.
// The node is torn down whatever the outcome and the last step checks the machine got back every setting the
// node changed.
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
const HOST_RECORDS = 2000;
/** The i-th record kcat produces from the host: ~190 bytes, so 2000 of them fill several 64 KiB segments. */
const hostRecord = (i: number) => `host-${i}-${'x'.repeat(180)}`;
const BROKER_SELECTOR = `app.kubernetes.io/instance=${CLUSTER},app.kubernetes.io/component=broker`;
const CONSOLE_SELECTOR = `app.kubernetes.io/name=strata-console,app.kubernetes.io/instance=${RELEASE}`;

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
    if (node) await node.stop();   // no-op when the last test tore it down
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

  /** Runs a one-shot pod (non-root, read-only root filesystem) to completion; its phase and logs, then deletes it. */
  const runPod = async (name: string, image: string, command: string[]): Promise<{ phase: string; logs: string }> => {
    await apply([{
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS },
      spec: {
        restartPolicy: 'Never', enableServiceLinks: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{
          name: 'client', image, imagePullPolicy: 'Never', command,
          securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        }],
      },
    }]);
    const done = await waitFor(`pod ${name} finished`, async () => {
      const p = await get(['pod', name]);
      return ['Succeeded', 'Failed'].includes(p?.status?.phase) ? p : undefined;
    }, 90_000, 500);
    const logs = (await k().kubectl(['logs', name, '-n', NS])).stdout.trim();
    await k().kubectl(['delete', 'pod', name, '-n', NS, '--wait=false']);
    return { phase: done.status.phase, logs };
  };

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

  const bootstrapSvc = `${CLUSTER}-bootstrap.${NS}.svc:9092`;
  /** Every value in the topic, read from the host through the broker pod's IP (kcat, all partitions). */
  let lastConsumed: Array<{ partition: number; offset: number; value: string }> = [];
  const consumeAll = async (): Promise<string[]> => {
    const r = await k().kcat(['-C', '-b', `${await podIp()}:9092`, '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\n'], { timeoutMs: 120_000 });
    lastConsumed = r.stdout.split('\n').filter(Boolean).map((l) => {
      const [p, o, ...v] = l.split(' ');
      return { partition: Number(p), offset: Number(o), value: v.join(' ') };
    });
    return lastConsumed.map((c) => c.value);
  };
  /** Per partition: first and last offset read and how many records (for failure messages). */
  const consumedSummary = () => {
    const by = new Map<number, { first: number; last: number; n: number; host: number }>();
    for (const c of lastConsumed) {
      const e = by.get(c.partition) ?? { first: c.offset, last: c.offset, n: 0, host: 0 };
      e.first = Math.min(e.first, c.offset); e.last = Math.max(e.last, c.offset); e.n++;
      if (c.value.startsWith('host-')) e.host++;
      by.set(c.partition, e);
    }
    return JSON.stringify(Object.fromEntries(by));
  };

  it('a client pod produces and consumes through the bootstrap Service (kcat in the pod)', async () => {
    const { phase, logs } = await runPod('kcat-client', images.kcat, ['sh', '-c',
      `seq 1 100 | sed 's/^/pod-/' | kcat -P -b ${bootstrapSvc} -t ${TOPIC} -X acks=all `
      + `&& kcat -C -b ${bootstrapSvc} -t ${TOPIC} -o beginning -e -q -f '%s\\n' | grep -c '^pod-'`]);
    assert.strictEqual(phase, 'Succeeded', `client pod: ${logs}`);
    assert.strictEqual(logs, '100');
  });

  it('the web console from the chart (helm upgrade, console.enabled): its pod runs without an API token and answers through its Service', async () => {
    const t = Date.now();
    await k().helm(['upgrade', RELEASE, CHART, '-n', OP_NS, '--reuse-values', '--set', 'console.enabled=true',
      '--set', `console.brokers=${bootstrapSvc}`, '--wait', '--timeout', '120s'], { timeoutMs: 150_000 });
    // --wait returns once the console pod is Ready: its readiness probe (/readyz) reached the cluster.
    const pods = (await k().getJson(['pods', '-l', CONSOLE_SELECTOR], OP_NS))?.items ?? [];
    assert.strictEqual(pods.length, 1);
    const pod = pods[0];
    assert.strictEqual(condition(pod, 'Ready')?.status, 'True');
    assert.strictEqual(pod.spec.containers[0].image, images.operator);
    assert.strictEqual(pod.spec.automountServiceAccountToken, false);
    assert.ok(!(pod.spec.volumes ?? []).some((v: any) => v.projected), 'no service account token volume');
    timings.consoleReadyMs = Date.now() - t;
    // From a client pod (the operator image has node), through the Service's DNS name.
    const base = `http://${RELEASE}-console.${OP_NS}.svc:8080`;
    const script = `(async () => { for (const p of ['/readyz', '/healthz', '/']) { const r = await fetch('${base}' + p); `
      + `console.log(p, r.status, r.headers.get('content-type')); } })().catch((e) => { console.error(e); process.exit(1); })`;
    const { phase, logs } = await runPod('console-client', images.operator, ['node', '-e', script]);
    assert.strictEqual(phase, 'Succeeded', `console client pod: ${logs}`);
    const lines = logs.split('\n');
    assert.match(lines[0]!, /^\/readyz 200 /, logs);
    assert.match(lines[1]!, /^\/healthz 200 /, logs);
    assert.match(lines[2]!, /^\/ 200 text\/html/, logs);
  });

  it('kcat on the host produces and consumes through the broker pod IP; closed segments appear in the bucket', async () => {
    const ip = await podIp();
    // ~200 KB per partition over 64 KiB segments: several closed segments to tier.
    const lines = Array.from({ length: HOST_RECORDS }, (_, i) => hostRecord(i));
    // Batches under the topic's 64 KiB segments (the broker refuses a batch larger than a segment).
    await k().kcat(['-P', '-b', `${ip}:9092`, '-t', TOPIC, '-X', 'acks=all', '-X', 'batch.size=32768'], { input: lines.join('\n') + '\n' });
    const got = await consumeAll();
    assert.strictEqual(got.filter((v) => v.startsWith('pod-')).length, 100);
    assert.deepStrictEqual(new Set(got.filter((v) => v.startsWith('host-'))), new Set(lines));
    const t = Date.now();
    // Keys: <prefix = namespace/cluster>/<clusterId>/topics/<topicId>/<partition>/<baseOffset>-….log (tier/remote-keys.ts).
    let seen: string[] = [];
    await waitFor('tiered segments in the bucket', async () => {
      seen = await moto!.listKeys(BUCKET, `${NS}/${CLUSTER}/`);
      return seen.filter((key) => key.includes('/topics/') && key.endsWith('.log')).length >= 2;
    }, 120_000, 1000).catch((err: Error) => { throw new Error(`${err.message}; keys: ${seen.join(', ')}`); });
    timings.firstTieredSegmentsMs = Date.now() - t;
  });

  it('kubectl logs of a broker shows structured start-up lines; /metrics of the broker pod answers from the host', async () => {
    const logs = (await k().kubectl(['logs', POD0, '-n', NS])).stdout.split('\n').filter(Boolean);
    const json = logs.slice(0, 20).map((l) => { try { return JSON.parse(l); } catch { return undefined; } });
    assert.ok(json.length > 0 && json.every((j) => j && typeof j === 'object' && 'level' in j), `start-up lines are JSON with a level:\n${logs.slice(0, 20).join('\n')}`);
    assert.ok(logs.slice(0, 40).some((l) => l.includes('9092')), 'a start-up line names the Kafka port');
    const res = await fetch(`http://${await podIp()}:9644/metrics`);
    assert.strictEqual(res.status, 200);
    const text = await res.text();
    assert.match(text, /^# TYPE strata_\w+/m);
  });

  /** Sends one record at a time (acks=all) until stopped; keeps the acknowledged values and counts the sends that
   *  failed (errors) and the errors KafkaJS logged while retrying on its own (retriedErrors). */
  function steadyProducer(prefix: string): { acked: string[]; errors: number; retriedErrors: number; stop(): Promise<void> } {
    const state = { acked: [] as string[], errors: 0, retriedErrors: 0, stop: async () => {} };
    let stopped = false;
    let producer: Producer | undefined;
    const loop = (async () => {
      // The bootstrap Service's ClusterIP: kube-proxy routes the host's connections too, whatever the pod IP.
      const svc = await get(['service', `${CLUSTER}-bootstrap`]);
      producer = k().kafka(`${svc.spec.clusterIP}:9092`, `steady-${prefix}`, () => { state.retriedErrors++; })
        .producer({ allowAutoTopicCreation: false });
      let connected = false;
      for (let i = 0; !stopped; i++) {
        const value = `${prefix}-${i}`;
        try {
          if (!connected) { await producer.connect(); connected = true; }
          await producer.send({ topic: TOPIC, acks: -1, messages: [{ value }] });
          state.acked.push(value);
        } catch {
          state.errors++;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    })();
    state.stop = async () => { stopped = true; await loop; await producer?.disconnect().catch(() => undefined); };
    return state;
  }
  const ackedAtLeast = (p: { acked: string[] }, n: number, what: string) =>
    waitFor(what, async () => p.acked.length >= n, 120_000, 200);

  it('a broker pod deleted under a steady producer comes back with its PersistentVolume; no acknowledged record is lost', async () => {
    const before = await brokerPod();
    const claim = before.spec.volumes.find((v: any) => v.name === 'data').persistentVolumeClaim.claimName;
    const pvBefore = (await get(['pvc', claim])).spec.volumeName;
    const producer = steadyProducer('steady');
    try {
      await ackedAtLeast(producer, 20, 'records acknowledged before the deletion');
      const t = Date.now();
      await k().kubectl(['delete', 'pod', POD0, '-n', NS, '--wait=false']);
      const after = await waitFor('broker pod back and Ready', async () => {
        const p = await brokerPod();
        return p && p.metadata.uid !== before.metadata.uid && condition(p, 'Ready')?.status === 'True' ? p : undefined;
      }, 180_000, 250);
      timings.podRecoveryMs = Date.now() - t;
      const n = producer.acked.length;
      await ackedAtLeast(producer, n + 20, 'records acknowledged after the pod came back');
      assert.strictEqual(after.spec.volumes.find((v: any) => v.name === 'data').persistentVolumeClaim.claimName, claim);
      assert.strictEqual((await get(['pvc', claim])).spec.volumeName, pvBefore, 'same PersistentVolume');
    } finally { await producer.stop(); }
    timings.produceErrorsDuringPodDeletion = `${producer.errors} failed sends, ${producer.retriedErrors} errors retried by the client, ${producer.acked.length} acked`;
    const got = new Set(await consumeAll());
    const lost = producer.acked.filter((v) => !got.has(v));
    assert.deepStrictEqual(lost, [], `acknowledged records lost (of ${producer.acked.length})`);
    for (const v of ['pod-1', 'pod-100', hostRecord(0), hostRecord(HOST_RECORDS - 1)]) {
      assert.ok(got.has(v), `${v.slice(0, 12)} survived the restart; read ${consumedSummary()}`);
    }
  });

  it('a spec.config change rolls the broker and the cluster returns to Ready (produce errors recorded)', async () => {
    const before = await brokerPod();
    const hashBefore = (await get(['stratacluster', CLUSTER])).status.configHash;
    const producer = steadyProducer('roll');
    try {
      await ackedAtLeast(producer, 20, 'records acknowledged before the roll');
      const t = Date.now();
      await apply([clusterSpec({ 'log.retention.check.interval.ms': 6000 })]);
      const c = await waitFor('roll finished', async () => {
        const cl = await get(['stratacluster', CLUSTER]);
        const p = await brokerPod();
        return condition(cl, 'Ready')?.status === 'True' && cl.status.configHash !== hashBefore
          && p && p.metadata.uid !== before.metadata.uid && condition(p, 'Ready')?.status === 'True' ? cl : undefined;
      }, 240_000, 500);
      timings.rollMs = Date.now() - t;
      const p = await brokerPod();
      assert.strictEqual(p.metadata.annotations['strata.dev/config-hash'], c.status.configHash);
      const cm = await get(['configmap', `${CLUSTER}-config`]);
      assert.match(cm.data['strata.yaml'], /logRetentionCheckIntervalMs: 6000/);
      const n = producer.acked.length;
      await ackedAtLeast(producer, n + 20, 'records acknowledged after the roll');
    } finally { await producer.stop(); }
    timings.produceErrorsDuringRoll = `${producer.errors} failed sends, ${producer.retriedErrors} errors retried by the client, ${producer.acked.length} acked`;
    const got = new Set(await consumeAll());
    assert.deepStrictEqual(producer.acked.filter((v) => !got.has(v)), [], 'acknowledged records lost in the roll');
  });

  it('the console answers /readyz again after the broker restarts above (it reconnects to the cluster)', async () => {
    // Asked directly (the pod's Ready condition lags the probe by up to failureThreshold × period).
    const pods = (await k().getJson(['pods', '-l', CONSOLE_SELECTOR], OP_NS))?.items ?? [];
    assert.strictEqual(pods.length, 1);
    const url = `http://${pods[0].status.podIP}:8080/readyz`;
    const t = Date.now();
    let last = '';
    await waitFor('console /readyz 200 after the broker restarts', async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      last = `${res.status} ${(await res.text()).trim()}`;
      return res.status === 200;
    }, 60_000, 1000).catch((err: Error) => { throw new Error(`${err.message}; last answer: ${last}`); });
    timings.consoleReadyAfterRollMs = Date.now() - t;
  });

  it('helm upgrade to a changed chart (CRD change included) rolls the operator, which takes the Lease again', async () => {
    const tmp = fs.mkdtempSync(path.join(k().dir, 'chart-'));
    const chart = path.join(tmp, 'strata-operator');
    fs.cpSync(CHART, chart, { recursive: true });
    const f = path.join(chart, 'files', 'crds', 'strata.dev_stratatopics.yaml');
    const marker = 'Number of partitions. May grow, never shrink.';
    const text = fs.readFileSync(f, 'utf8');
    assert.ok(text.includes(marker), 'fixture text present in the CRD');
    fs.writeFileSync(f, text.replace(marker, `${marker} (upgraded)`));
    const oldPods = ((await k().getJson(['pods', '-l', `app.kubernetes.io/name=${RELEASE}`], OP_NS))?.items ?? []).map((p: any) => p.metadata.name);
    const t = Date.now();
    await k().helm(['upgrade', RELEASE, chart, '-n', OP_NS, '--reuse-values', '--set', 'logLevel=debug', '--wait', '--timeout', '120s'], { timeoutMs: 150_000 });
    const crd = await k().getJson(['crd', 'stratatopics.strata.dev']);
    assert.strictEqual(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.partitions.description, `${marker} (upgraded)`);
    const lease = await waitFor('the new operator pod holds the Lease', async () => {
      const l = await k().getJson(['lease', RELEASE], OP_NS);
      return l?.spec?.holderIdentity && !oldPods.includes(l.spec.holderIdentity) ? l : undefined;
    }, 90_000);
    const pod = await k().getJson(['pod', lease.spec.holderIdentity], OP_NS);
    assert.strictEqual(pod.spec.containers[0].env.find((e: any) => e.name === 'STRATA_LOG_LEVEL').value, 'debug');
    timings.helmUpgradeMs = Date.now() - t;
    await clusterReady(60_000);
  });

  it('deleting the StrataCluster removes its pods and objects; the PVC is retained (documented policy)', async () => {
    await k().kubectl(['delete', 'stratatopic', TOPIC, '-n', NS, '--timeout=60s']);
    await k().kubectl(['delete', 'stratacluster', CLUSTER, '-n', NS, '--timeout=60s']);
    await waitFor('owned objects garbage-collected', async () => {
      for (const o of [['statefulset', `${CLUSTER}-broker`], ['service', `${CLUSTER}-bootstrap`], ['service', `${CLUSTER}-brokers`],
        ['configmap', `${CLUSTER}-config`], ['poddisruptionbudget', `${CLUSTER}-broker`]]) {
        if (await get(o)) return false;
      }
      return ((await k().getJson(['pods', '-l', BROKER_SELECTOR], NS))?.items ?? []).length === 0;
    }, 120_000, 500);
    const pvcs = (await k().getJson(['pvc', '-l', `strata.dev/cluster=${CLUSTER}`], NS)).items;
    assert.deepStrictEqual(pvcs.map((p: any) => p.metadata.name), [`data-${POD0}`], 'PVC kept, found by the cluster label');
  });

  it('helm uninstall removes the operator and the console and keeps the CRDs', async () => {
    await k().helm(['uninstall', RELEASE, '-n', OP_NS, '--wait', '--timeout', '90s']);
    assert.strictEqual(await k().getJson(['deployment', RELEASE], OP_NS), undefined);
    assert.strictEqual(await k().getJson(['deployment', `${RELEASE}-console`], OP_NS), undefined);
    await waitFor('operator pods gone', async () => ((await k().getJson(['pods', '-l', `app.kubernetes.io/name=${RELEASE}`], OP_NS))?.items ?? []).length === 0, 60_000);
    for (const c of ['strataclusters.strata.dev', 'stratatopics.strata.dev', 'stratausers.strata.dev']) assert.ok(await k().getJson(['crd', c]), `${c} kept`);
  });

  it('tearing the node down restores the machine (links, nft tables, iptables, sysctls, mounts, cgroups, processes)', async function () {
    this.timeout(300_000);
    await moto!.stop();
    moto = undefined;
    const t = Date.now();
    await k().stop();
    timings.nodeTeardownMs = Date.now() - t;
    assert.strictEqual(k().leftovers, '', 'node.sh stop reported what it did not restore');
    assert.ok(!fs.existsSync(k().dir), 'state dir removed');
  });
});
