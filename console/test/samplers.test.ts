import { strict as assert } from 'node:assert';
import { LagSampler } from '../samplers/lag-sampler';
import { MetricsSampler } from '../samplers/metrics-sampler';
import { MetricsTargets } from '../samplers/metrics-targets';
import { sumSeries } from '../samplers/prometheus-text';
import { RingBuffer } from '../samplers/ring-buffer';

describe('console samplers', () => {
  it('a ring buffer keeps only the newest `capacity` items, oldest first', () => {
    const r = new RingBuffer<number>(3);
    assert.deepEqual(r.toArray(), []);
    assert.equal(r.last(), undefined);
    for (let i = 1; i <= 7; i++) r.push(i);
    assert.equal(r.size, 3);
    assert.deepEqual(r.toArray(), [5, 6, 7]);
    assert.equal(r.last(), 7);
    assert.throws(() => new RingBuffer(0), RangeError);
  });

  it('lag history: bounded points per group, bounded groups, groups gone from the listing are evicted', async () => {
    let t = 0;
    let groups = ['a', 'b', 'c', 'd'];
    const sampler = new LagSampler(
      { groupIds: async () => groups, totalLag: async (id) => (id === 'c' ? null : id.charCodeAt(0) * 1000 + t) },
      { maxPoints: 5, maxGroups: 3, now: () => t },
    );
    for (t = 0; t < 12; t++) await sampler.sampleOnce();
    // Only the first 3 groups by name are tracked; 'c' never had a lag, so it has no history.
    assert.deepEqual(sampler.trackedGroups().sort(), ['a', 'b']);
    assert.deepEqual(sampler.points('a').map((p) => p.t), [7, 8, 9, 10, 11]);
    assert.equal(sampler.latest('b')?.lag, 98_000 + 11);
    assert.deepEqual(sampler.points('d'), []);
    groups = ['b'];
    await sampler.sampleOnce();
    assert.deepEqual(sampler.trackedGroups(), ['b']);
    assert.deepEqual(sampler.points('a'), []);
  });

  it('lag sampling survives a failing listing and a failing group', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const sampler = new LagSampler(
      {
        groupIds: async () => {
          if (fail) throw new Error('down');
          return ['ok', 'broken'];
        },
        totalLag: async (id) => {
          if (id === 'broken') throw new Error('no coordinator');
          return 5;
        },
      },
      { maxPoints: 10, maxGroups: 10, onError: (e) => errors.push(e) },
    );
    await sampler.sampleOnce();
    fail = false;
    await sampler.sampleOnce();
    assert.equal(errors.length, 2);
    assert.deepEqual(sampler.trackedGroups(), ['ok']);
  });

  it('parses only the wanted series from Prometheus text, summing over labels (quoted braces and spaces too)', () => {
    const text = [
      '# HELP strata_bytes_in_total Bytes in.',
      '# TYPE strata_bytes_in_total counter',
      'strata_bytes_in_total{topic="a"} 100',
      'strata_bytes_in_total{topic="we}ird \\"x\\" y"} 50 1700000000000',
      'strata_bytes_in_totalx 7',
      'strata_requests_total 3.5',
      'strata_requests_total{api="Fetch"} NaN',
      'other_metric 9',
      'strata_log_size_bytes{topic="a" 5',
    ].join('\n');
    const sums = sumSeries(text, new Set(['strata_bytes_in_total', 'strata_requests_total', 'strata_log_size_bytes', 'other_missing']));
    assert.deepEqual([...sums].sort(), [['strata_bytes_in_total', 150], ['strata_requests_total', 3.5]]);
  });

  it('metrics history: rates from consecutive readings, none across a counter reset, bounded per URL, errors kept', async () => {
    let t = 0;
    let bytesIn = 0;
    let down = false;
    const sampler = new MetricsSampler(
      new MetricsTargets({ urls: ['http://a/metrics'], port: null, brokers: () => assert.fail('no discovery without a port'), maxTargets: 8 }),
      async () => {
        if (down) throw new Error('connection refused');
        return `strata_bytes_in_total{topic="x"} ${bytesIn}\nstrata_log_size_bytes{topic="x",partition="0"} 10\nstrata_log_size_bytes{topic="x",partition="1"} 5\n`;
      },
      { maxPoints: 4, now: () => t },
    );
    for (const [time, value] of [[0, 0], [1000, 500], [2000, 1500], [3000, 100], [4000, 300]] as const) {
      t = time;
      bytesIn = value;
      await sampler.sampleOnce();
    }
    const [state] = sampler.state();
    assert.equal(state!.points.length, 4);
    assert.deepEqual(state!.points.map((p) => p.bytesInPerSec), [500, 1000, null, 200]);
    assert.deepEqual(state!.points.map((p) => p.localBytes), [15, 15, 15, 15]);
    assert.equal(state!.points[0]!.remoteBytes, null);
    assert.equal(state!.lastError, null);
    down = true;
    await sampler.sampleOnce();
    assert.match(sampler.state()[0]!.lastError!, /connection refused/);
    assert.equal(sampler.state()[0]!.points.length, 4);
  });
});
