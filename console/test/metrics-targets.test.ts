import { strict as assert } from 'node:assert';
import { MetricsSampler } from '../samplers/metrics-sampler';
import { brokerMetricsUrl, MetricsTargets, type AdvertisedBroker } from '../samplers/metrics-targets';

/** A Metadata stand-in whose broker list the test changes between rounds, or makes fail. */
function metadataSource(initial: AdvertisedBroker[]) {
  const src = {
    brokers: initial,
    fail: false,
    calls: 0,
    list: async (): Promise<AdvertisedBroker[]> => {
      src.calls++;
      if (src.fail) throw new Error('metadata unavailable');
      return src.brokers;
    },
  };
  return src;
}

const broker = (nodeId: number) => ({ nodeId, host: `demo-broker-${nodeId}.demo-brokers.ns.svc` });
const urlOf = (nodeId: number) => `http://demo-broker-${nodeId}.demo-brokers.ns.svc:9644/metrics`;

describe('console metrics targets: discovery from Metadata', () => {
  it('builds http://<advertised host>:<port>/metrics, IPv6 literals in brackets', () => {
    assert.equal(brokerMetricsUrl('b-0.svc', 9644), 'http://b-0.svc:9644/metrics');
    assert.equal(brokerMetricsUrl('::1', 9644), 'http://[::1]:9644/metrics');
    assert.equal(brokerMetricsUrl('[::1]', 9644), 'http://[::1]:9644/metrics');
  });

  it('follows the brokers in Metadata round by round: joins are added, leavers evicted, ordered by node id', async () => {
    const md = metadataSource([broker(2), broker(0)]);
    const targets = new MetricsTargets({ urls: [], port: 9644, brokers: md.list, maxTargets: 8 });
    assert.equal(targets.configured, true);
    assert.deepEqual(await targets.resolve(), [{ url: urlOf(0), nodeId: 0 }, { url: urlOf(2), nodeId: 2 }]);
    md.brokers = [broker(0), broker(1), broker(2)];
    assert.deepEqual((await targets.resolve()).map((t) => t.nodeId), [0, 1, 2]);
    md.brokers = [broker(1)];
    assert.deepEqual(await targets.resolve(), [{ url: urlOf(1), nodeId: 1 }]);
    assert.equal(md.calls, 3, 'Metadata is asked once per round');
  });

  it('a failing Metadata request keeps the last known brokers (and reports the error)', async () => {
    const md = metadataSource([broker(0), broker(1)]);
    const errors: unknown[] = [];
    const targets = new MetricsTargets({ urls: [], port: 9644, brokers: md.list, maxTargets: 8, onError: (e) => errors.push(e) });
    const before = await targets.resolve();
    md.fail = true;
    assert.deepEqual(await targets.resolve(), before);
    assert.match(String(errors[0]), /metadata unavailable/);
  });

  it('explicit URLs come first and combine with discovery; a URL in both is scraped once, with its node id', async () => {
    const md = metadataSource([broker(1), broker(0)]);
    const targets = new MetricsTargets({ urls: ['http://extra:9100/metrics', urlOf(1)], port: 9644, brokers: md.list, maxTargets: 8 });
    assert.deepEqual(await targets.resolve(), [
      { url: 'http://extra:9100/metrics', nodeId: null },
      { url: urlOf(1), nodeId: 1 },
      { url: urlOf(0), nodeId: 0 },
    ]);
  });

  it('without a port nothing is discovered; with neither URLs nor port it is not configured', async () => {
    const md = metadataSource([broker(0)]);
    const explicit = new MetricsTargets({ urls: ['http://a/metrics'], port: null, brokers: md.list, maxTargets: 8 });
    assert.deepEqual(await explicit.resolve(), [{ url: 'http://a/metrics', nodeId: null }]);
    assert.equal(md.calls, 0);
    assert.equal(new MetricsTargets({ urls: [], port: null, brokers: md.list, maxTargets: 8 }).configured, false);
  });

  it('the target list is capped whatever Metadata returns: explicit URLs first, then the lowest node ids', async () => {
    const md = metadataSource(Array.from({ length: 1000 }, (_, i) => broker(999 - i)));
    const targets = new MetricsTargets({ urls: ['http://a/metrics', 'http://b/metrics'], port: 9644, brokers: md.list, maxTargets: 5 });
    const list = await targets.resolve();
    assert.equal(list.length, 5);
    assert.deepEqual(list.map((t) => t.nodeId), [null, null, 0, 1, 2]);
  });

  it('the sampler scrapes discovered brokers, labels them by node id, and drops a leaver’s history', async () => {
    const md = metadataSource([broker(0), broker(1)]);
    const scraped: string[] = [];
    let t = 0;
    const sampler = new MetricsSampler(
      new MetricsTargets({ urls: [], port: 9644, brokers: md.list, maxTargets: 8 }),
      async (url) => {
        scraped.push(url);
        return `strata_requests_total ${t / 1000}\n`;
      },
      { maxPoints: 3, now: () => t },
    );
    assert.deepEqual(sampler.state(), [], 'nothing before the first round');
    for (t = 1000; t <= 5000; t += 1000) await sampler.sampleOnce();
    assert.deepEqual(sampler.state().map((s) => [s.nodeId, s.url, s.points.length]), [[0, urlOf(0), 3], [1, urlOf(1), 3]]);
    assert.deepEqual(sampler.state()[0]!.points.map((p) => p.requestsPerSec), [1, 1, 1], 'rates from consecutive scrapes');

    md.brokers = [broker(1), broker(2)];
    scraped.length = 0;
    t += 1000;
    await sampler.sampleOnce();
    assert.deepEqual(scraped.sort(), [urlOf(1), urlOf(2)]);
    const state = sampler.state();
    assert.deepEqual(state.map((s) => [s.nodeId, s.points.length]), [[1, 3], [2, 1]], 'node 0 evicted, node 1 keeps its history, node 2 starts');
    assert.equal(state[1]!.points[0]!.requestsPerSec, null, 'no rate from a first reading');

    // Node 0 coming back starts afresh: its old history was dropped, not kept around.
    md.brokers = [broker(0)];
    await sampler.sampleOnce();
    assert.deepEqual(sampler.state().map((s) => [s.nodeId, s.points.length]), [[0, 1]]);
  });
});
