// A real Prometheus server scrapes a broker process and the operator process every second while real clients
// work; the checks are PromQL over Prometheus's HTTP API, as a dashboard or an alert would ask them:
//  - broker: up, bytes and records in/out per topic, request rate and p99 latency per API from the histogram,
//    consumer-group lag per partition (0 once everything is consumed), log size per partition, tiered-storage
//    uploads (bytes, lag, object-store PUT latency) on a topic with small segments, per-topic remote/local bytes,
//    object-store requests by topic and the estimated monthly cost, log-dir free bytes, no offline partitions;
//  - operator (against etcd + kube-apiserver, reconciling a StrataTopic onto the broker): queue depth and
//    reconcile counts;
//  - every panel query of every dashboard in charts/strata-operator/files/dashboards parses and returns data
//    (template variables set to the workload's topic and group), and each label_values() variable offers them.
//
// Workload: a KafkaJS producer and kcat produce, a KafkaJS consumer group and kcat consume. Each step that a
// rate() must see as an increase waits until Prometheus has scraped the previous step, and the rate checks are
// evaluated at a fixed time just after the workload (once Prometheus has scraped past it), so no check depends
// on how long the machine took.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Admin, Consumer, Kafka } from 'kafkajs';
import { stringify } from 'yaml';
import { BrokerProcess } from './helpers/broker-process';
import { dashboardFiles, dashboardQueries, dashboardVariables, type DashboardQuery } from './helpers/dashboards';
import { createKafka } from './helpers/kafkajs';
import { kcatConsume, kcatProduce, requireKcat } from './helpers/kcat';
import { PrometheusServer, sampleValue, type Sample } from './helpers/prometheus';
import { repoRoot, sleep, uniqueName, waitFor } from './helpers/util';
import { freePort, Proc, requireBinaries, startApiServer, type ApiServer } from '../operator/e2e/harness';

const PARTITIONS = 3;
const SEGMENT_BYTES = 64 * 1024;
const KAFKAJS_RECORDS_PER_PARTITION = 200;
const KCAT_RECORDS = 100;
const TOTAL_RECORDS = PARTITIONS * KAFKAJS_RECORDS_PER_PARTITION + KCAT_RECORDS;
const VALUE = 'v'.repeat(1000);
const BROKER_JOB = 'strata-broker';
const OPERATOR_JOB = 'strata-operator';
const NS = 'default';
const OPERATOR_MAIN = path.join(repoRoot(), 'dist', 'operator', 'src', 'main.js');
const DASHBOARD_DIR = path.join(repoRoot(), 'charts', 'strata-operator', 'files', 'dashboards');

const q = JSON.stringify;
const values = (s: Sample[]) => s.map(sampleValue);
const byLabel = (s: Sample[], label: string) => new Map(s.map((x) => [x.metric[label], sampleValue(x)]));

describe('Prometheus scrapes the broker and the operator (real Prometheus server, real clients)', function () {
  this.timeout(120_000);
  const topic = uniqueName('prom-orders');
  const group = uniqueName('prom-group');
  const operatorTopic = uniqueName('prom-op');
  let broker: BrokerProcess | undefined;
  let api: ApiServer | undefined;
  let operator: Proc | undefined;
  let prom: PrometheusServer | undefined;
  let kafka: Kafka;
  let admin: Admin | undefined;
  let consumer: Consumer | undefined;
  /** Evaluation time (unix s) of the rate checks: just after the workload, scraped by Prometheus. */
  let at = 0;
  const p = () => prom!;

  before(async function () {
    this.timeout(420_000);
    requireKcat();
    requireBinaries(['etcd', 'kube-apiserver', 'kubectl']);
    assert.ok(fs.existsSync(OPERATOR_MAIN), `${OPERATOR_MAIN} is not built (npx tsc -p .)`);

    broker = await BrokerProcess.start({ name: 'prometheus', autoCreateTopics: false });
    api = await startApiServer();
    await api.kubectl(['apply', '--server-side', '-f', path.join(repoRoot(), 'crds')]);
    await api.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/stratatopics.strata.dev', 'crd/strataclusters.strata.dev'], { timeoutMs: 70_000 });
    const operatorPort = await freePort();
    operator = new Proc(process.execPath, [OPERATOR_MAIN], api.env({
      STRATA_BOOTSTRAP_OVERRIDE: broker.bootstrap,
      STRATA_METRICS_PORT: String(operatorPort),
      STRATA_LEADER_ELECTION: 'true',
      POD_NAME: 'prometheus-e2e-operator',
      POD_NAMESPACE: NS,
    }));
    prom = await PrometheusServer.start([
      { job: BROKER_JOB, targets: [`${broker.host}:${broker.metricsPort}`] },
      { job: OPERATOR_JOB, targets: [`127.0.0.1:${operatorPort}`] },
    ]);

    kafka = createKafka(broker.bootstrap, 'prometheus-e2e');
    admin = kafka.admin();
    await admin.connect();
    await runWorkload();

    // The operator reconciles a one-broker StrataCluster (the broker process stands in for its bootstrap Service)
    // and a StrataTopic onto it: real reconciles for its counters.
    const cluster = {
      apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', metadata: { name: 'prom', namespace: NS },
      spec: { brokers: 1, storage: { size: '1Gi' }, objectStore: { bucket: 'strata-test' } },
    };
    const strataTopic = {
      apiVersion: 'strata.dev/v1alpha1', kind: 'StrataTopic',
      metadata: { name: operatorTopic, namespace: NS, labels: { 'strata.dev/cluster': 'prom' } },
      spec: { partitions: 1, replicas: 1 },
    };
    await api.kubectl(['apply', '-f', '-'], { input: [cluster, strataTopic].map((o) => stringify(o)).join('---\n') });
    await waitFor(async () => (await admin!.listTopics()).includes(operatorTopic), { timeoutMs: 60_000, what: `the operator to create ${operatorTopic}` });

    at = Math.ceil(Date.now() / 1000) + 1;
    await p().waitScrapedAfter(BROKER_JOB, at);
  });

  /** Two steps per direction with a scrape between them, so each new counter series is seen increasing. */
  async function runWorkload(): Promise<void> {
    await admin!.createTopics({
      waitForLeaders: true,
      topics: [{
        topic,
        numPartitions: PARTITIONS,
        configEntries: [
          { name: 'segment.bytes', value: String(SEGMENT_BYTES) },
          { name: 'remote.storage.enable', value: 'true' },
        ],
      }],
    });
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (let part = 0; part < PARTITIONS; part++) {
        const messages = Array.from({ length: KAFKAJS_RECORDS_PER_PARTITION }, (_, i) => ({ partition: part, key: `k${i}`, value: VALUE }));
        for (let i = 0; i < messages.length; i += 50) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 50) });
      }
    } finally {
      await producer.disconnect();
    }
    await p().waitForSeries(`strata_bytes_in_total{topic=${q(topic)}}`, (s) => values(s)[0] > 0);
    // Batches of at most 20 records (20 KB), well under the 64 KiB segments, whatever librdkafka's linger collects.
    await kcatProduce(broker!.bootstrap, topic, Array.from({ length: KCAT_RECORDS }, () => VALUE), ['-X', 'batch.num.messages=20']);

    // The group consumes everything (KafkaJS commits after each batch), then kcat reads it all again.
    consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let consumed = 0;
    await consumer.run({ eachMessage: async () => void consumed++ });
    await waitFor(() => consumed >= TOTAL_RECORDS, { timeoutMs: 60_000, what: `the group to consume ${TOTAL_RECORDS} records (has ${consumed})` });
    await p().waitForSeries(`strata_bytes_out_total{topic=${q(topic)}}`, (s) => values(s)[0] > 0);
    const lines = await kcatConsume(broker!.bootstrap, topic, { timeoutMs: 60_000 });
    assert.equal(lines.length, TOTAL_RECORDS, 'kcat read every record');
  }

  after(async function () {
    this.timeout(60_000);
    const steps: Array<() => Promise<unknown>> = [
      async () => consumer?.disconnect(),
      async () => admin?.disconnect(),
      async () => prom?.stop(),
      async () => operator?.stop(),
      async () => api?.stop(),
      async () => broker?.stop(),
      async () => broker?.cleanup(),
    ];
    for (const step of steps) await step().catch((err: Error) => console.log(`[e2e] cleanup: ${err.message}`));
  });

  afterEach(function () {
    if (this.currentTest?.state !== 'failed') return;
    if (broker) console.log(`--- broker log tail\n${broker.logTail(30)}`);
    if (operator) console.log(`--- operator output tail\n${operator.tail(30)}`);
    if (prom) console.log(`--- prometheus log tail\n${prom.logTail(20)}`);
  });

  describe('broker series', function () {
    it('up == 1 for the broker and the operator', async () => {
      const up = await p().waitForSeries('up', (s) => s.length === 2 && values(s).every((v) => v === 1));
      assert.deepEqual(up.map((s) => s.metric.job).sort(), [BROKER_JOB, OPERATOR_JOB]);
    });

    it('bytes and records in and out per topic: rates > 0, totals match the workload', async () => {
      for (const dir of ['in', 'out']) {
        const rate = await p().query(`rate(strata_bytes_${dir}_total{topic=${q(topic)}}[1m])`, at);
        assert.equal(rate.length, 1, `one bytes-${dir} series for the topic: ${q(rate)}`);
        assert.ok(sampleValue(rate[0]) > 0, `bytes ${dir} rate at the end of the workload: ${q(rate)}`);
      }
      // In: every record once. Out: the group and kcat each read every record once (a refetch is allowed).
      await p().waitForSeries(`strata_messages_in_total{topic=${q(topic)}}`, (s) => values(s)[0] === TOTAL_RECORDS);
      await p().waitForSeries(`strata_messages_out_total{topic=${q(topic)}}`, (s) => values(s)[0] >= 2 * TOTAL_RECORDS);
      await p().waitForSeries(`strata_bytes_in_total{topic=${q(topic)}}`, (s) => values(s)[0] >= TOTAL_RECORDS * VALUE.length);
    });

    it('request rate per API and p99 latency from the histogram, for Produce and Fetch', async () => {
      const rates = byLabel(await p().query('sum by (api) (rate(strata_requests_total[1m]))', at), 'api');
      const p99 = byLabel(
        await p().query('histogram_quantile(0.99, sum by (le, api) (rate(strata_request_duration_seconds_bucket[1m])))', at),
        'api',
      );
      for (const a of ['Produce', 'Fetch']) {
        assert.ok((rates.get(a) ?? 0) > 0, `${a} request rate: ${q([...rates])}`);
        const v = p99.get(a);
        assert.ok(v !== undefined && Number.isFinite(v) && v > 0, `${a} p99 latency finite and > 0: ${q([...p99])}`);
        // Fetch long-polls up to the consumer's maxWaitTimeInMs (500 ms); nothing here takes seconds.
        assert.ok(v < 5, `${a} p99 latency ${v} s`);
      }
    });

    it('consumer-group lag per partition, 0 once everything is consumed', async () => {
      const lag = await p().waitForSeries(
        `strata_group_lag{group=${q(group)}, topic=${q(topic)}}`,
        (s) => s.length === PARTITIONS && values(s).every((v) => v === 0),
      );
      assert.deepEqual(lag.map((s) => s.metric.partition).sort(), ['0', '1', '2']);
      const members = await p().waitForSeries(`strata_group_members{group=${q(group)}}`, () => true);
      assert.equal(sampleValue(members[0]), 1);
    });

    it('log size and end offset per partition', async () => {
      const size = await p().waitForSeries(`strata_log_size_bytes{topic=${q(topic)}}`, (s) => s.length === PARTITIONS);
      for (const s of size) assert.ok(sampleValue(s) > 0, `log size of partition ${s.metric.partition}: ${s.value[1]}`);
      await p().waitForSeries(`sum(strata_log_end_offset{topic=${q(topic)}})`, (s) => values(s)[0] === TOTAL_RECORDS);
    });

    // `function`, not an arrow: in an arrow `this` is the suite, and mocha 11's Suite#timeout re-arms the timers of
    // every test of the suite, finished ones included, which then fail 180 s later as "done() called multiple times".
    it('tiered storage: bytes uploaded, upload lag per partition, object-store PUT latency', async function () {
      this.timeout(180_000);
      await p().waitForSeries(`sum(strata_tier_uploaded_bytes_total{topic=${q(topic)}})`, (s) => values(s)[0] > 0, { timeoutMs: 150_000 });
      const lag = await p().waitForSeries(`strata_tier_upload_lag_bytes{topic=${q(topic)}}`, (s) => s.length === PARTITIONS);
      for (const s of lag) assert.ok(sampleValue(s) >= 0, q(s));
      await p().waitForSeries(`strata_tier_upload_lag_segments{topic=${q(topic)}}`, (s) => s.length === PARTITIONS);
      await p().waitForSeries(`sum(strata_tier_remote_bytes{topic=${q(topic)}})`, (s) => values(s)[0] > 0);
      await p().waitForSeries('strata_object_store_request_duration_seconds_count{operation="put"}', (s) => values(s)[0] > 0);
      const putP99 = await p().waitForSeries(
        'histogram_quantile(0.99, sum by (le) (rate(strata_object_store_request_duration_seconds_bucket{operation="put"}[5m])))',
        (s) => Number.isFinite(values(s)[0]) && values(s)[0] > 0,
      );
      assert.ok(values(putP99)[0] < 10, `PUT p99 ${values(putP99)[0]} s`);
    });

    it('per-topic storage and cost: remote and local bytes, object-store requests by topic, estimated monthly cost', async function () {
      this.timeout(180_000);
      const t = `topic=${q(topic)}`;
      await p().waitForSeries(`strata_topic_remote_bytes{${t}}`, (s) => values(s)[0] > 0, { timeoutMs: 150_000 });
      await p().waitForSeries(`strata_topic_local_bytes{${t}}`, (s) => values(s)[0] > 0);
      await p().waitForSeries(`strata_object_store_requests_total{operation="put", ${t}}`, (s) => values(s)[0] > 0);
      const cost = byLabel(await p().waitForSeries(`strata_topic_estimated_monthly_cost_dollars{${t}}`, (s) => s.length === 3), 'component');
      assert.deepEqual([...cost.keys()].sort(), ['egress', 'requests', 'storage']);
      // About a MB stored: a positive price far below a cent a month. Requests: the burst of PUTs is a rate
      // extrapolated to a month, so only its sign and finiteness are a fact here.
      assert.ok(cost.get('storage')! > 0 && cost.get('storage')! < 0.01, `storage cost ${cost.get('storage')}`);
      assert.ok(cost.get('requests')! > 0 && Number.isFinite(cost.get('requests')), `requests cost ${cost.get('requests')}`);
      const free = await p().waitForSeries('strata_log_dir_free_bytes', () => true);
      assert.ok(values(free)[0] > 0, `log dir free bytes ${q(free)}`);
    });

    it('no offline partitions', async () => {
      const offline = await p().waitForSeries('strata_offline_partitions', () => true);
      assert.deepEqual(values(offline), [0]);
      const partitions = await p().waitForSeries('strata_partitions', () => true);
      assert.ok(values(partitions)[0] >= PARTITIONS, q(partitions));
    });
  });

  describe('operator series', function () {
    it('queue depth per kind and successful reconciles of the StrataTopic', async () => {
      const depth = await p().waitForSeries('strata_operator_queue_depth', (s) => s.some((x) => x.metric.kind === 'StrataTopic'));
      for (const s of depth) assert.ok(sampleValue(s) >= 0, q(s));
      await p().waitForSeries('strata_operator_reconcile_total{kind="StrataTopic", result="success"}', (s) => values(s)[0] > 0);
      await p().waitForSeries('strata_operator_reconcile_duration_seconds_count{kind="StrataTopic"}', (s) => values(s)[0] > 0);
      await p().waitForSeries('strata_operator_leader', (s) => values(s)[0] === 1);
    });
  });

  describe('dashboards', function () {
    it('every panel query of every dashboard parses and returns data', async function () {
      this.timeout(180_000);
      const files = dashboardFiles(DASHBOARD_DIR);
      assert.ok(files.length > 0, `no dashboards in ${path.relative(repoRoot(), DASHBOARD_DIR)}`);
      const vars = { topic, group, partition: '.*' };
      const queries = files.flatMap((f) => dashboardQueries(f, vars));
      // The variables' own queries (label_values(metric, label)) must offer the workload's topic and group.
      for (const v of files.flatMap((f) => dashboardVariables(f))) {
        const offered = (await p().query(`count by (${v.label}) (${v.metric})`)).map((s) => s.metric[v.label]);
        const want = vars[v.name as keyof typeof vars];
        assert.ok(want === undefined || offered.includes(want), `${v.file} variable ${v.name} offers ${q(offered)}, not ${want}`);
        assert.ok(offered.length > 0, `${v.file} variable ${v.name} (label_values(${v.metric}, ${v.label})) offers nothing`);
      }
      for (const f of files) assert.ok(queries.some((x) => x.file === path.basename(f)), `${path.basename(f)} has no panel queries`);

      // Parse errors are final; an empty result is retried until the deadline (a series may still be coming).
      // Error counters appear only on a first error, so the dashboards write `… or vector(0)` for them; no panel
      // is exempt.
      const describeQuery = (x: DashboardQuery) => `${x.file} / ${x.panel}: ${x.expr}`;
      const parseErrors: string[] = [];
      let pending: DashboardQuery[] = [];
      for (const x of queries) {
        const r = await p().queryRaw(x.expr);
        if (r.status !== 'success') parseErrors.push(`${describeQuery(x)} → ${r.errorType}: ${r.error}`);
        else pending.push(x);
      }
      assert.deepEqual(parseErrors, [], 'queries Prometheus rejects');
      const deadline = Date.now() + 60_000;
      while (pending.length > 0 && Date.now() < deadline) {
        const still: DashboardQuery[] = [];
        for (const x of pending) {
          const r = await p().queryRaw(x.expr);
          const n = r.data && Array.isArray(r.data.result) ? r.data.result.length : 0;
          if (r.status !== 'success' || (r.data?.resultType !== 'scalar' && n === 0)) still.push(x);
        }
        pending = still;
        if (pending.length > 0) await sleep(1000);
      }
      assert.deepEqual(pending.map(describeQuery), [], 'queries that returned no data (Grafana would show "No data")');
      console.log(`      ${queries.length} queries in ${files.length} dashboards, all with data`);
    });
  });
});
