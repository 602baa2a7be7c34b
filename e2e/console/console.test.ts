// The web console end to end: a Strata broker process with real topics (keys, headers, JSON values, a record
// whose key and value are markup), a tiered topic (small segments uploaded to the object store), an idle group
// with lag and a live KafkaJS consumer group; the console as its own process (read-only, and a second one with
// writes enabled); headless Chromium (Debian's, through playwright-core) opens every page, checks what it
// shows, that the charts were drawn by Chart.js with data, and saves a screenshot of each page to
// e2e/console/screenshots/.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Consumer, Kafka } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ClusterClient } from '../../admin/cluster-client';
import { listOffsets, OffsetSpec, partitionKey } from '../../admin/offsets';
import { BrokerProcess } from '../helpers/broker-process';
import { createKafka } from '../helpers/kafkajs';
import { repoRoot, waitFor } from '../helpers/util';
import { ConsoleProcess } from './console-process';
import { MAX_LIMIT } from '../../console/pages/messages';

const CHROMIUM = process.env.STRATA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot(), 'e2e', 'console', 'screenshots');
const TIERED = 'orders';
const PLAIN = 'events';
const RECORDS = 120;
// An hour ago, whole seconds: recent enough for the default 7-day retention, and per-record times are exact.
const BASE_TS = Math.floor((Date.now() - 3_600_000) / 1000) * 1000;
const IDLE_GROUP = 'billing';
const LIVE_GROUP = 'live-readers';
const EVIL = '<img src=x onerror="window.__pwned=1">';
/** A group id with markup and a slash: escaped in pages, one encoded path segment in links. */
const ODD_GROUP = 'team/<b>ops</b> & co';

function orderValue(i: number): Buffer {
  return Buffer.from(JSON.stringify({ id: i, item: 'widget', qty: i % 7, note: 'x'.repeat(80) }));
}

describe('web console (broker process, console process, headless Chromium)', function () {
  this.timeout(240_000);
  let broker: BrokerProcess;
  let kafka: Kafka;
  let live: Consumer | undefined;
  let readOnly: ConsoleProcess;
  let writable: ConsoleProcess | undefined;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  async function open(base: string, pathAndQuery: string): Promise<void> {
    const res = await page.goto(base + pathAndQuery);
    assert.equal(res?.status(), 200, `${pathAndQuery}: ${await page.textContent('main').catch(() => '')}`);
  }
  async function shot(name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  }
  /** The cells of a table, row by row. */
  async function cells(selector: string): Promise<string[][]> {
    return page.$$eval(`${selector} tbody tr`, (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
  }
  /** Waits until Chart.js has drawn the canvas with at least `min` points in some dataset; returns the counts. */
  async function chartPoints(canvasId: string, min: number): Promise<number[]> {
    // A function, not a string: the console's CSP (no 'unsafe-eval') would refuse an evaluated string.
    const handle = await page.waitForFunction(
      ({ id, least }) => {
        // Runs in the page (no DOM types in this Node project).
        const w = globalThis as unknown as { Chart?: { getChart(el: unknown): { data: { datasets: Array<{ data: Array<{ y: number | null }> }> } } | undefined }; document: { getElementById(id: string): unknown } };
        const c = w.Chart?.getChart(w.document.getElementById(id));
        const n = c ? c.data.datasets.map((d) => d.data.filter((p) => p.y !== null).length) : [];
        return n.some((x) => x >= least) ? n : false;
      },
      { id: canvasId, least: min },
      { timeout: 30_000 },
    );
    return (await handle.jsonValue()) as number[];
  }

  before(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    broker = await BrokerProcess.start({ name: 'console', autoCreateTopics: false, extraArgs: ['--log-retention-check-interval-ms', '500'] });
    kafka = createKafka(broker.bootstrap, 'console-e2e');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: TIERED, numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '4096' }, { name: 'remote.storage.enable', value: 'true' }] },
        { topic: PLAIN, numPartitions: 3 },
      ],
    });
    const producer = kafka.producer();
    await producer.connect();
    // Batches of 10 records (~1.5 KiB) into 4 KiB segments: a dozen batches roll several segments.
    for (let b = 0; b < RECORDS; b += 10) {
      await producer.send({
        topic: TIERED,
        messages: Array.from({ length: 10 }, (_, j) => b + j).map((i) => ({
          key: `order-${i}`,
          value: orderValue(i),
          headers: { source: 'e2e', trace: `t-${i}` },
          timestamp: String(BASE_TS + i * 1000),
        })),
      });
    }
    await producer.send({ topic: PLAIN, messages: [{ key: EVIL, value: `${EVIL}</td></tr><script>window.__pwned=2</script>`, partition: 0 }] });
    await producer.send({ topic: PLAIN, messages: Array.from({ length: 30 }, (_, i) => ({ key: `e-${i}`, value: `event ${i}`, partition: i % 3 })) });
    await producer.disconnect();
    // An idle group that consumed the first 10 records: lag 50.
    await admin.setOffsets({ groupId: IDLE_GROUP, topic: TIERED, partitions: [{ partition: 0, offset: '10' }] });
    await admin.setOffsets({ groupId: ODD_GROUP, topic: PLAIN, partitions: [{ partition: 1, offset: '4' }] });
    await admin.disconnect();

    // A live group reading every record of `events`.
    live = kafka.consumer({ groupId: LIVE_GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await live.connect();
    await live.subscribe({ topic: PLAIN, fromBeginning: true });
    let consumed = 0;
    await live.run({ autoCommitInterval: 200, eachMessage: async () => void consumed++ });
    await waitFor(() => consumed >= 31, { timeoutMs: 60_000, what: 'the live group to read every record' });
    const groupAdmin = kafka.admin();
    await groupAdmin.connect();
    try {
      await waitFor(
        async () => {
          const [t] = await groupAdmin.fetchOffsets({ groupId: LIVE_GROUP, topics: [PLAIN] });
          return t!.partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0) === 31;
        },
        { timeoutMs: 30_000, what: 'the live group to commit every record' },
      );
    } finally {
      await groupAdmin.disconnect();
    }

    // Closed segments of the tiered topic reach the object store.
    const cc = new ClusterClient({ bootstrap: [broker.bootstrap] });
    try {
      await waitFor(
        async () => {
          const r = await listOffsets(cc, [{ topic: TIERED, partition: 0, spec: OffsetSpec.LATEST_TIERED }]);
          return (r.get(partitionKey(TIERED, 0))?.offset ?? -1) >= 0;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `tiered segments of ${TIERED}` },
      );
    } finally {
      await cc.close();
    }

    readOnly = await ConsoleProcess.start({
      STRATA_BROKERS: broker.bootstrap,
      STRATA_CONSOLE_SAMPLE_INTERVAL_MS: '300',
      STRATA_CONSOLE_METRICS_URLS: `http://127.0.0.1:${broker.metricsPort}/metrics`,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterEach(() => {
    assert.deepEqual(pageErrors.splice(0), [], 'errors in the browser');
  });

  after(async () => {
    await browser?.close();
    await readOnly?.stop();
    await writable?.stop();
    await live?.disconnect();
    await broker?.cleanup();
  });

  it('overview: cluster id, controller, brokers, topic/partition/group counts, under-replicated', async () => {
    await open(readOnly.url, '/');
    const facts = await page.$$eval('#overview dt', (dts) => Object.fromEntries(dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent])));
    assert.match(facts['Cluster id'] ?? '', /^\S{10,}$/);
    assert.equal(facts['Controller'], '1');
    assert.equal(facts['Brokers'], '1');
    assert.equal(facts['Topics'], '2');
    assert.equal(facts['Partitions'], '4');
    assert.equal(facts['Consumer groups'], '3');
    assert.equal(facts['Under-replicated partitions'], '0');
    assert.equal(await page.textContent('header .mode'), 'read-only');
    await shot('overview');
  });

  it('topics: every topic with partitions and replication; no create form when read-only', async () => {
    await open(readOnly.url, '/topics');
    const rows = await cells('#topics');
    assert.deepEqual(rows.map((r) => r.slice(0, 3)), [[PLAIN, '3', '1'], [TIERED, '1', '1']]);
    assert.equal(await page.$('form#create-topic'), null);
    await shot('topics');
  });

  it('topic: partitions with leader, replicas, ISR, offsets, local and remote ranges; configs', async () => {
    await open(readOnly.url, `/topics/${TIERED}`);
    const [p0] = await cells('#partitions');
    assert.deepEqual(p0!.slice(0, 6), ['0', '1', '1', '1', '0', String(RECORDS)]);
    assert.match(p0![6]!, new RegExp(`^\\d+–${RECORDS - 1}$`), 'local range ends at the last offset');
    assert.match(p0![7]!, /^0–\d+$/, 'remote range starts at 0');
    assert.match(p0![8]!, /^\d+(\.\d)? (B|KiB)$/, 'local bytes');
    assert.match(p0![9]!, /^\d+(\.\d)? (B|KiB)$/, 'remote bytes');
    const configs = Object.fromEntries((await cells('#configs')).map((r) => [r[0], r[1]]));
    assert.equal(configs['remote.storage.enable'], 'true');
    assert.equal(configs['segment.bytes'], '4096');
    await shot('topic');
  });

  it('message browser: text, JSON and hex, by offset and by timestamp, keys and headers, limit capped', async () => {
    await open(readOnly.url, `/topics/${TIERED}/messages?partition=0&offset=0&limit=5&format=text`);
    let rows = await cells('#messages');
    assert.equal(rows.length, 5);
    assert.equal(rows[0]![0], '0');
    assert.equal(rows[0]![1], new Date(BASE_TS).toISOString());
    assert.equal(rows[0]![2], 'order-0');
    assert.match(rows[0]![3]!, /source\s*e2e\s*trace\s*t-0/);
    assert.equal(rows[0]![4], orderValue(0).toString());
    await shot('messages-text');
    await Promise.all([page.waitForURL(/offset=5/), page.click('#next-page')]);
    assert.deepEqual((await cells('#messages')).map((r) => r[0]), ['5', '6', '7', '8', '9']);

    await open(readOnly.url, `/topics/${TIERED}/messages?partition=0&offset=3&limit=2&format=json`);
    rows = await cells('#messages');
    assert.deepEqual(rows.map((r) => r[0]), ['3', '4']);
    assert.deepEqual(JSON.parse(rows[0]![4]!), JSON.parse(orderValue(3).toString()));
    assert.ok(rows[0]![4]!.includes('\n'), 'pretty-printed JSON');
    await shot('messages-json');

    await open(readOnly.url, `/topics/${TIERED}/messages?partition=0&offset=7&limit=1&format=hex`);
    rows = await cells('#messages');
    assert.equal(rows[0]![2], Buffer.from('order-7').toString('hex'));
    assert.equal(rows[0]![4], orderValue(7).toString('hex'));
    await shot('messages-hex');

    // By timestamp: the first record at or after it.
    await open(readOnly.url, `/topics/${TIERED}/messages?partition=0&timestamp=${encodeURIComponent(new Date(BASE_TS + 42_500).toISOString())}&limit=1`);
    assert.equal((await cells('#messages'))[0]![0], '43');

    // The server caps the limit whatever the query says; reading from offset 0 of a tiered partition also
    // reads the segments back from the object store.
    await open(readOnly.url, `/topics/${TIERED}/messages?partition=0&offset=0&limit=1000000`);
    assert.equal((await cells('#messages')).length, MAX_LIMIT);
  });

  it('message browser: keys and values that are markup are shown as text, never run', async () => {
    await open(readOnly.url, `/topics/${PLAIN}/messages?partition=0&offset=0&limit=1`);
    const [row] = await cells('#messages');
    assert.equal(row![2], EVIL);
    assert.equal(row![4], `${EVIL}</td></tr><script>window.__pwned=2</script>`);
    assert.equal(await page.$('#messages img'), null);
    assert.equal(await page.$('#messages script'), null);
    assert.equal(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned), undefined);
  });

  it('groups: both groups with state; group page with members, per-partition lag and the lag chart', async () => {
    await open(readOnly.url, '/groups');
    const groups = Object.fromEntries((await cells('#groups')).map((r) => [r[0], r[1]]));
    assert.equal(groups[IDLE_GROUP], 'Empty');
    assert.equal(groups[LIVE_GROUP], 'Stable');
    assert.equal(groups[ODD_GROUP], 'Empty');
    assert.equal(await page.$('#groups b'), null, 'the group id is text, not markup');
    await shot('groups');
    await Promise.all([page.waitForURL(/\/groups\/team%2F/), page.click(`#groups a:text-is(${JSON.stringify(ODD_GROUP)})`)]);
    assert.equal(await page.textContent('h1'), `Group ${ODD_GROUP}`);
    assert.deepEqual((await cells('#offsets')).map((r) => r.slice(0, 3)), [[PLAIN, '1', '4']]);

    await open(readOnly.url, `/groups/${LIVE_GROUP}`);
    const members = await cells('#members');
    assert.equal(members.length, 1);
    assert.equal(members[0]![2], 'console-e2e');
    assert.equal(members[0]![4], `${PLAIN}: 0, 1, 2`, 'the member’s assignment');
    assert.deepEqual((await cells('#offsets')).map((r) => [r[0], r[1], r[4]]), [[PLAIN, '0', '0'], [PLAIN, '1', '0'], [PLAIN, '2', '0']]);
    await shot('group-live');

    // Several lag samples exist before the chart is checked (the console samples every 300 ms).
    await waitFor(async () => ((await (await fetch(`${readOnly.url}/api/groups/${IDLE_GROUP}/lag`)).json()) as { datasets: Array<{ data: unknown[] }> }).datasets[0]!.data.length >= 3, {
      timeoutMs: 30_000,
      what: 'three lag samples',
    });
    await open(readOnly.url, `/groups/${IDLE_GROUP}`);
    const offsets = await cells('#offsets');
    assert.deepEqual(offsets.map((r) => r.slice(0, 5)), [[TIERED, '0', '10', String(RECORDS), String(RECORDS - 10)]]);
    const points = await chartPoints('lag-chart', 3);
    assert.ok(points[0]! >= 3, `lag chart points: ${points}`);
    const lastLag = await page.evaluate(() => {
      const w = globalThis as unknown as { Chart: { getChart(el: unknown): { data: { datasets: Array<{ data: Array<{ y: number }> }> } } }; document: { getElementById(id: string): unknown } };
      const d = w.Chart.getChart(w.document.getElementById('lag-chart')).data.datasets[0]!.data;
      return d[d.length - 1]!.y;
    });
    assert.equal(lastLag, RECORDS - 10);
    assert.equal(await page.$('form#reset-offsets'), null, 'no reset form when read-only');
    await shot('group');
  });

  it('tier: per-partition status with the tiered topic’s remote range', async () => {
    await open(readOnly.url, '/tier');
    const rows = await cells('#tier');
    const orders = rows.find((r) => r[0] === TIERED)!;
    assert.ok(orders, `no row for ${TIERED}`);
    assert.equal(orders[1], '0');
    assert.equal(orders[3], '0');
    assert.match(orders[5]!, /^\d+$/, 'highest tiered offset');
    assert.equal(orders[6], String(RECORDS));
    assert.match(orders[8]!, /^0–\d+$/);
    assert.match(orders[9]!, /^\d+$/, 'upload lag in records');
    assert.match(orders[11]!, /^\d+(\.\d)? (B|KiB)$/, 'remote bytes');
    const events = rows.filter((r) => r[0] === PLAIN);
    assert.equal(events.length, 3);
    assert.ok(events.every((r) => r[8] === 'none'), 'the plain topic has nothing remote');
    await shot('tier');
  });

  it('brokers: the broker list and charts of the sampled /metrics', async () => {
    // Traffic while the console samples, until it has measured a non-zero bytes-in rate.
    const producer = kafka.producer();
    await producer.connect();
    try {
      await waitFor(
        async () => {
          await producer.send({ topic: PLAIN, messages: [{ value: 'traffic for the charts' }] });
          const series = (await (await fetch(`${readOnly.url}/api/metrics/bytesIn`)).json()) as { datasets: Array<{ data: Array<{ y: number | null }> }> };
          return series.datasets[0]!.data.filter((p) => p.y !== null && p.y > 0).length >= 2;
        },
        { timeoutMs: 30_000, intervalMs: 200, what: 'two non-zero bytes-in samples' },
      );
    } finally {
      await producer.disconnect();
    }
    await open(readOnly.url, '/brokers');
    const [b] = await cells('#brokers');
    assert.deepEqual(b, ['1', '127.0.0.1', String(broker.port), '–', 'controller']);
    const [target] = await cells('#metrics-targets');
    assert.deepEqual([target![1], target![3]], ['–', 'ok'], 'an explicit URL (no node id), scraped');
    assert.ok((await chartPoints('metrics-requests', 2))[0]! >= 2);
    assert.ok((await chartPoints('metrics-bytesIn', 2))[0]! >= 2);
    assert.ok((await chartPoints('metrics-localBytes', 1))[0]! >= 1);
    assert.equal(await page.$('#metrics-not-configured'), null);
    await shot('brokers');
  });

  it('read-only: the write routes answer 403 even from the page’s own origin', async () => {
    await open(readOnly.url, '/topics');
    const res = await page.request.post(`${readOnly.url}/topics`, { form: { name: 'sneaky' }, headers: { origin: readOnly.url } });
    assert.equal(res.status(), 403);
  });

  it('writes enabled: creates a topic and resets a group’s offsets through the forms', async () => {
    writable = await ConsoleProcess.start({ STRATA_BROKERS: broker.bootstrap, STRATA_CONSOLE_WRITE_ENABLED: 'true' });
    await open(writable.url, '/brokers');
    assert.ok(await page.$('#metrics-not-configured'), 'the brokers page says the metrics charts are not configured');

    await open(writable.url, '/topics');
    assert.equal(await page.textContent('header .mode'), 'writes enabled');
    await page.fill('form#create-topic input[name=name]', 'created-in-console');
    await page.fill('form#create-topic input[name=partitions]', '2');
    await shot('topics-create');
    await Promise.all([page.waitForURL(`${writable.url}/topics/created-in-console`), page.click('form#create-topic button')]);
    assert.deepEqual((await cells('#partitions')).map((r) => r[0]), ['0', '1']);
    await shot('topic-created');

    // A live group cannot be reset: the error is shown, nothing changes.
    await open(writable.url, `/groups/${LIVE_GROUP}`);
    await page.selectOption('form#reset-offsets select[name=to]', 'earliest');
    const refused = await Promise.all([page.waitForNavigation(), page.click('form#reset-offsets button')]).then(([r]) => r);
    assert.equal(refused?.status(), 400);
    assert.ok(await page.$('#error'));

    await open(writable.url, `/groups/${IDLE_GROUP}`);
    await page.selectOption('form#reset-offsets select[name=to]', 'offset');
    await page.fill('form#reset-offsets input[name=value]', '25');
    await Promise.all([page.waitForURL(/reset=/), page.click('form#reset-offsets button')]);
    assert.match((await page.textContent('#reset-done')) ?? '', new RegExp(`Offsets of ${TIERED} reset`));
    assert.deepEqual((await cells('#offsets')).map((r) => r.slice(0, 5)), [[TIERED, '0', '25', String(RECORDS), String(RECORDS - 25)]]);
    await shot('group-reset');

    // SIGTERM: the console closes its server and cluster connections and exits cleanly.
    assert.deepEqual(await writable.stop(), { code: 0, signal: null });
  });

  it('refuses bad settings at start-up with exit code 2 and a message naming the setting', async () => {
    const noBrokers = await ConsoleProcess.runToExit({});
    assert.equal(noBrokers.code, 2);
    assert.match(noBrokers.output, /^strata-console: STRATA_BROKERS is required/m);
    const badPort = await ConsoleProcess.runToExit({ STRATA_BROKERS: broker.bootstrap, STRATA_CONSOLE_PORT: 'eighty' });
    assert.equal(badPort.code, 2);
    assert.match(badPort.output, /STRATA_CONSOLE_PORT must be an integer from 0 to 65535, got "eighty"/);
    const missingCa = await ConsoleProcess.runToExit({ STRATA_BROKERS: broker.bootstrap, STRATA_TLS_CA: '/nonexistent/ca.pem' });
    assert.equal(missingCa.code, 2);
    assert.match(missingCa.output, /cannot read CA file \/nonexistent\/ca.pem/);
  });
});
