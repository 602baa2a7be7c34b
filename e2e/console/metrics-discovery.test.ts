// Broker metrics discovery end to end: the console (its own process) is given no /metrics URL, only the brokers'
// metrics port (STRATA_CONSOLE_METRICS_PORT); it finds the broker through Metadata, scrapes
// http://<advertised host>:<port>/metrics, and the brokers page lists the target under its node id and serves
// chart series labelled "node 1" with sampled points.
import { strict as assert } from 'node:assert';
import { BrokerProcess } from '../helpers/broker-process';
import { waitFor } from '../helpers/util';
import { ConsoleProcess } from './console-process';
import type { ChartPayload } from '../../console/api';

describe('web console: broker metrics discovered from Metadata (broker process, console process)', function () {
  this.timeout(120_000);
  let broker: BrokerProcess;
  let consoleProcess: ConsoleProcess | undefined;

  before(async () => {
    broker = await BrokerProcess.start({ name: 'console-metrics', nodeId: 1 });
  });

  after(async () => {
    await consoleProcess?.stop();
    await broker?.cleanup();
  });

  it('scrapes every broker in Metadata at the metrics port and labels its series by node id', async () => {
    consoleProcess = await ConsoleProcess.start({
      STRATA_BROKERS: broker.bootstrap,
      STRATA_CONSOLE_METRICS_PORT: String(broker.metricsPort),
      STRATA_CONSOLE_SAMPLE_INTERVAL_MS: '200',
    });
    const c = consoleProcess;
    const series = async (key: string) => (await (await fetch(`${c.url}/api/metrics/${key}`)).json()) as ChartPayload;

    // Two scrapes give a request rate (the console's own Metadata requests are traffic too).
    const requests = await waitFor(
      async () => {
        const s = await series('requests');
        const node1 = s.datasets.find((d) => d.label === 'node 1');
        return node1 && node1.data.filter((p) => p.y !== null).length >= 2 ? s : false;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'two request-rate points for node 1' },
    );
    assert.deepEqual(requests.datasets.map((d) => d.label), ['node 1'], 'one broker, one series, named by node id');
    assert.deepEqual((await series('bytesOut')).datasets.map((d) => d.label), ['node 1'], 'every chart names it the same way');

    const page = await (await fetch(`${c.url}/brokers`)).text();
    assert.doesNotMatch(page, /id="metrics-not-configured"/);
    const targets = /<table id="metrics-targets">([\s\S]*?)<\/table>/.exec(page)?.[1];
    assert.ok(targets, 'the brokers page lists the metrics targets');
    const row = [...targets.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]);
    assert.equal(row.length, 4, 'one target');
    assert.deepEqual([row[0], row[1], row[3]], [`http://${broker.host}:${broker.metricsPort}/metrics`, '1', 'ok']);
  });
});
