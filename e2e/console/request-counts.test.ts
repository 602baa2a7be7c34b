// How many Kafka requests one console page view sends, counted by the broker itself: a Strata broker process's
// strata_requests_total{api=…} on /metrics, read before and after each view. The console app runs in this process
// with its lag and metrics samplers not started, so the page is the only thing talking to the broker and the
// counts are exact (a broker counts a request before its response is written, so nothing is still in flight).
// Each page is viewed once first so the console's connections are open (their ApiVersions are not the page's).
import { strict as assert } from 'node:assert';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterClient } from '../../admin/cluster-client';
import { produceRecords } from '../../admin/records';
import { createTopic } from '../../admin/topics';
import { createApp } from '../../console/app';
import { loadSettings } from '../../console/config';
import type { ConsoleContext } from '../../console/context';
import { buildContext } from '../../console/main';
import { BrokerProcess } from '../helpers/broker-process';

const TOPIC = 'orders';
const PARTITIONS = 2;

/** strata_requests_total by API name. */
async function requestCounts(broker: BrokerProcess): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const m of (await broker.metricsText()).matchAll(/^strata_requests_total\{api="([^"]+)"\} (\d+)$/gm)) counts.set(m[1]!, Number(m[2]));
  return counts;
}

describe('console page views: Kafka requests per view (broker request counters)', function () {
  this.timeout(120_000);
  let broker: BrokerProcess;
  let ctx: ConsoleContext;
  let server: Server;
  let base: string;

  /** The page, and the requests (by API, those sent at least once) that one GET of `path` made the broker handle. */
  async function view(path: string): Promise<{ body: string; requests: Record<string, number> }> {
    const before = await requestCounts(broker);
    const res = await fetch(base + path);
    const body = await res.text();
    assert.equal(res.status, 200, `${path}: ${body}`);
    const after = await requestCounts(broker);
    return { body, requests: Object.fromEntries([...after].map(([api, n]) => [api, n - (before.get(api) ?? 0)]).filter(([, d]) => d !== 0)) };
  }

  before(async () => {
    broker = await BrokerProcess.start({ name: 'console-requests', autoCreateTopics: false });
    const cc = new ClusterClient({ bootstrap: [broker.bootstrap] });
    try {
      await createTopic(cc, { name: TOPIC, partitions: PARTITIONS, replicationFactor: 1, configs: { 'remote.storage.enable': 'true' } });
      for (let p = 0; p < PARTITIONS; p++) await produceRecords(cc, TOPIC, [{ value: Buffer.from('a'), partition: p }, { value: Buffer.from('b'), partition: p }]);
    } finally {
      await cc.close();
    }
    ctx = buildContext(loadSettings({ STRATA_BROKERS: broker.bootstrap }));
    server = await new Promise((resolve) => {
      const s = createApp(ctx).listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
    await ctx?.cluster.close();
    await broker?.cleanup();
  });

  it('the overview asks Metadata once (cluster, topic summaries and the brokers to list groups on)', async () => {
    await view('/');
    const { body, requests } = await view('/');
    assert.deepEqual(requests, { Metadata: 1, ListGroups: 1 });
    assert.match(body, /Partitions<\/dt>\s*<dd>2</, 'the topic summaries were counted');
  });

  it('a topic page shares one Metadata and one EARLIEST/LATEST lookup between the description and the tier status', async () => {
    await view(`/topics/${TOPIC}`);
    const { body, requests } = await view(`/topics/${TOPIC}`);
    // ListOffsets: EARLIEST, LATEST, EARLIEST_LOCAL and LATEST_TIERED, one request each (one leader); DescribeConfigs:
    // the topic's configs, whose remote.storage.enable also tells the tier status whether the topic is tiered.
    assert.deepEqual(requests, { Metadata: 1, ListOffsets: 4, DescribeConfigs: 1, DescribeLogDirs: 1 });
    // The tier columns were filled (a tier status that failed would leave them '–' and send fewer requests).
    assert.equal(body.match(/<td>0–1<\/td>/g)?.length, PARTITIONS, `each partition's local range 0–1:\n${body}`);
  });
});
