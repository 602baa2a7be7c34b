// Per-topic cost metrics and structured logs of a real broker process (local object store, tiering on small
// segments): KafkaJS produces, the closed segments are uploaded, their local copies deleted, and a consumer reads
// them back from the object store; /metrics then shows object-store requests by topic name, the topic's remote and
// local bytes, a non-zero estimated monthly cost, and the data directory's free space. The figures are printed
// (the issue asks for the cost of a sample workload).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { createKafka } from './helpers/kafkajs';
import { fetchWithoutGroup } from './helpers/kafkajs-fetch';
import { useBroker } from './helpers/suite';
import { seededBytes, uniqueName, waitFor } from './helpers/util';

const SEGMENT_BYTES = 16 * 1024;
const RECORDS = 400;
const RECORD_BYTES = 1024;

/** Every sample of `name` on a /metrics page, as `{labels} value` pairs keyed by the label text ('' without labels). */
function samples(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`^${name}(\\{[^}]*\\})? (\\S+)$`, 'gm');
  for (const m of text.matchAll(re)) out.set(m[1] ?? '', Number(m[2]));
  return out;
}

describe('per-topic cost metrics and structured logs (broker process, local object store, KafkaJS)', function () {
  this.timeout(120_000);
  const ref = useBroker({ name: 'metrics-cost', extraArgs: ['--log-retention-check-interval-ms', '200', '--log-format', 'json', '--s3-secret-access-key', 'NotReallyASecretButLongEnough'] });
  const topic = uniqueName('cost');
  const metric = async (name: string, labels = '') => samples(await ref.broker.metricsText(), name).get(labels);

  it('counts object-store requests by topic name and estimates the topic\'s monthly cost', async () => {
    const kafka = createKafka(ref.broker.bootstrap, 'metrics-cost');
    const admin = kafka.admin();
    await admin.connect();
    try {
      const configs = { 'segment.bytes': String(SEGMENT_BYTES), 'remote.storage.enable': 'true', 'local.retention.ms': '200', 'local.retention.bytes': '1' };
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: Object.entries(configs).map(([name, value]) => ({ name, value })) }] });
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer();
    await producer.connect();
    try {
      for (let i = 0; i < RECORDS; i += 10) {
        await producer.send({ topic, messages: Array.from({ length: 10 }, (_, j) => ({ value: seededBytes(i + j, RECORD_BYTES) })) });
      }
    } finally {
      await producer.disconnect();
    }
    const put = `{operation="put",topic="${topic}"}`;
    await waitFor(async () => ((await metric('strata_object_store_requests_total', put)) ?? 0) > 0 && ((await metric('strata_topic_remote_bytes', `{topic="${topic}"}`)) ?? 0) > 0, {
      timeoutMs: 30_000,
      what: `segments of ${topic} uploaded`,
    });
    // Local copies of uploaded segments go (local.retention.*), so reading from offset 0 GETs from the object store.
    await waitFor(
      async () => {
        const text = await ref.broker.metricsText();
        const local = samples(text, 'strata_topic_local_bytes').get(`{topic="${topic}"}`) ?? Infinity;
        return local < 2 * SEGMENT_BYTES;
      },
      { timeoutMs: 30_000, what: `local segments of ${topic} deleted after upload` },
    );
    const read = await fetchWithoutGroup(kafka, topic, new Map([[0, BigInt(RECORDS)]]), { timeoutMs: 30_000 });
    assert.equal(read.get(0)!.length, RECORDS);

    const text = await ref.broker.metricsText();
    const requests = samples(text, 'strata_object_store_requests_total');
    const ofTopic = [...requests].filter(([l]) => l.includes(`topic="${topic}"`));
    assert.ok((requests.get(put) ?? 0) > 0, `PUTs of ${topic}: ${JSON.stringify(ofTopic)}`);
    assert.ok((requests.get(`{operation="get",topic="${topic}"}`) ?? 0) > 0, `GETs of ${topic}: ${JSON.stringify(ofTopic)}`);
    assert.ok((requests.get('{operation="putIfAbsent",topic="_metadata"}') ?? 0) > 0, 'metadata log writes are labelled _metadata');
    const remote = samples(text, 'strata_topic_remote_bytes').get(`{topic="${topic}"}`)!;
    const local = samples(text, 'strata_topic_local_bytes').get(`{topic="${topic}"}`)!;
    assert.ok(remote >= SEGMENT_BYTES, `remote bytes ${remote}`);
    assert.ok(local >= 0 && local < remote, `local bytes ${local} (tiered segments deleted locally)`);
    const cost = samples(text, 'strata_topic_estimated_monthly_cost_dollars');
    const component = (c: string) => cost.get(`{topic="${topic}",component="${c}"}`)!;
    for (const c of ['storage', 'requests', 'egress']) assert.ok(component(c) > 0, `${c} cost ${component(c)}`);
    const total = samples(text, 'strata_estimated_monthly_cost_dollars').get('')!;
    assert.ok(total >= component('storage') + component('requests') + component('egress'), `total ${total}`);
    const free = samples(text, 'strata_log_dir_free_bytes').get('')!;
    const size = samples(text, 'strata_log_dir_size_bytes').get('')!;
    assert.ok(free > 0 && size >= free, `log dir free ${free} of ${size}`);

    console.log(
      `      sample workload: ${RECORDS} × ${RECORD_BYTES} B records, ${SEGMENT_BYTES / 1024} KiB segments, read back once from the object store\n` +
        `      object-store requests of the topic: ${ofTopic.map(([l, n]) => `${/operation="(\w+)"/.exec(l)![1]}=${n}`).join(' ')}\n` +
        `      remote ${remote} B, local ${local} B; estimated $/month: storage ${component('storage').toExponential(3)}, ` +
        `requests ${component('requests').toFixed(4)}, egress ${component('egress').toFixed(4)}; broker total ${total.toFixed(4)}`,
    );
  });

  it('writes JSON log lines with component and connection context, and never the S3 secret key', async () => {
    const lines = fs.readFileSync(ref.broker.logPath, 'utf8').split('\n').filter((l) => l.startsWith('{'));
    assert.ok(lines.length > 0, 'no JSON log lines');
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of entries) for (const k of ['time', 'level', 'component', 'msg']) assert.ok(k in e, `${k} missing in ${JSON.stringify(e)}`);
    assert.ok(entries.some((e) => e.msg === 'broker started' && e.component === 'broker'));
    // A request of a version the broker does not serve closes its connection: the line names the peer and the request.
    const clientId = 'cost-e2e-client';
    const header = Buffer.alloc(10 + clientId.length);
    header.writeInt16BE(0, 0); // Produce
    header.writeInt16BE(99, 2);
    header.writeInt32BE(4242, 4);
    header.writeInt16BE(clientId.length, 8);
    header.write(clientId, 10);
    const frame = Buffer.concat([Buffer.alloc(4), header, Buffer.alloc(1)]);
    frame.writeInt32BE(frame.length - 4, 0);
    const socket = net.connect(ref.broker.port, ref.broker.host);
    socket.on('error', () => undefined);
    socket.write(frame);
    const closed = await waitFor(
      () =>
        fs.readFileSync(ref.broker.logPath, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
          .find((e) => e.msg === 'closing connection' && e.correlationId === 4242),
      { timeoutMs: 10_000, what: 'the closing connection log line' },
    );
    socket.destroy();
    assert.equal(closed.component, 'broker/network');
    assert.match(String(closed.remote), /^127\.0\.0\.1:\d+$/);
    assert.deepEqual([closed.api, closed.apiVersion, closed.clientId], ['Produce', 99, clientId]);
    // (The test helper's own first line quotes the command line, flags and all; only the broker's lines count.)
    assert.ok(!lines.some((l) => l.includes('NotReallyASecretButLongEnough')), 'the secret key was logged');
  });
});
