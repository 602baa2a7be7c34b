import { strict as assert } from 'node:assert';
import { CostMeter, DEFAULT_PRICES, MONTH_SECONDS, estimateMonthlyCost, requestClass, type PriceTable } from '../../src/metrics/cost-model';
import { ManualClock } from '../manual-clock';

const GIB = 2 ** 30;
const HOUR = 3_600_000;
/** Round prices so the expected figures are easy to check by hand. */
const PRICES: PriceTable = { storagePerGbMonth: 0.02, putPerThousand: 5, getPerThousand: 0.5, egressPerGb: 0.1 };
const close = (actual: number, expected: number) => assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, expected), `${actual} != ${expected}`);

describe('cost model', () => {
  it('defaults to the AWS S3 Standard us-east-1 list prices', () => {
    assert.deepEqual(DEFAULT_PRICES, { storagePerGbMonth: 0.023, putPerThousand: 0.005, getPerThousand: 0.0004, egressPerGb: 0.09 });
  });

  it('bills writes and listings as PUT-class, reads and heads as GET-class, deletes as free', () => {
    for (const op of ['put', 'putIfAbsent', 'putIfMatch', 'list']) assert.equal(requestClass(op), 'put', op);
    for (const op of ['get', 'head']) assert.equal(requestClass(op), 'get', op);
    assert.equal(requestClass('delete'), 'free');
  });

  it('storage is remote GiB × price; requests and egress extrapolate the observed rate to 30 days', () => {
    const e = estimateMonthlyCost(PRICES, { remoteBytes: 10 * GIB, puts: 3600, gets: 7200, egressBytes: GIB, spanSeconds: 3600 });
    close(e.storage, 0.2);
    // 1 PUT/s and 2 GET/s for a month.
    close(e.requests, ((1 * 5 + 2 * 0.5) / 1000) * MONTH_SECONDS);
    close(e.egress, (0.1 / 3600) * MONTH_SECONDS);
  });

  it('does not extrapolate from less than a minute', () => {
    const burst = estimateMonthlyCost(PRICES, { remoteBytes: 0, puts: 10, gets: 0, egressBytes: 0, spanSeconds: 1 });
    const minute = estimateMonthlyCost(PRICES, { remoteBytes: 0, puts: 10, gets: 0, egressBytes: 0, spanSeconds: 60 });
    close(burst.requests, minute.requests);
  });

  describe('CostMeter', () => {
    it('rates requests per topic since start, then over a sliding window of one to two windows', async () => {
      const clock = new ManualClock();
      const meter = new CostMeter(PRICES, clock, HOUR);
      for (let i = 0; i < 360; i++) meter.record('orders', 'put');
      meter.record('orders', 'delete');
      await clock.advance(HOUR / 2);
      // 360 PUTs in half an hour = 0.2/s.
      close(meter.estimates(new Map()).get('orders')!.requests, (0.2 * 5 * MONTH_SECONDS) / 1000);
      await clock.advance(HOUR); // 1.5 h: the first window is now the previous one; rate over 1.5 h
      close(meter.estimates(new Map()).get('orders')!.requests, ((360 / 5400) * 5 * MONTH_SECONDS) / 1000);
      await clock.advance(HOUR); // 2.5 h: the window holding the PUTs has slid out
      assert.equal(meter.estimates(new Map()).get('orders'), undefined);
    });

    it('forgets everything after a gap longer than two windows', async () => {
      const clock = new ManualClock();
      const meter = new CostMeter(PRICES, clock, HOUR);
      meter.record('a', 'get', GIB);
      await clock.advance(5 * HOUR);
      assert.equal(meter.estimates(new Map()).size, 0);
    });

    it('counts GET bytes as egress and reports topics that only hold remote bytes', async () => {
      const clock = new ManualClock();
      const meter = new CostMeter(PRICES, clock, HOUR);
      meter.record('a', 'get', GIB);
      await clock.advance(HOUR);
      const all = meter.estimates(new Map([['b', 2 * GIB]]));
      close(all.get('a')!.egress, (0.1 / 3600) * MONTH_SECONDS);
      close(all.get('a')!.requests, ((0.5 / 1000) / 3600) * MONTH_SECONDS);
      assert.deepEqual(all.get('b'), { storage: 0.04, requests: 0, egress: 0 });
    });

    it('drops a removed topic', () => {
      const meter = new CostMeter(PRICES, new ManualClock(), HOUR);
      meter.record('a', 'put');
      meter.remove('a');
      assert.equal(meter.estimates(new Map()).size, 0);
    });
  });
});
