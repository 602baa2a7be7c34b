// Client quotas: Kafka's entity precedence, filters, input checks, and the sampled-rate throttle computation,
// driven by a manual clock so the numbers are exact.
import { strict as assert } from 'node:assert';
import { MetadataImage } from '../../src/cluster/metadata-image';
import {
  checkQuotaValue,
  entityFromWire,
  quotaFilterError,
  quotaFilterMatches,
  resolveQuota,
  MATCH_DEFAULT,
  MATCH_EXACT,
  MATCH_SPECIFIED,
  PRODUCER_BYTE_RATE,
  QuotaInputError,
  type QuotaEntity,
} from '../../src/security/client-quotas';
import { QuotaManager, SampledRate } from '../../src/security/quota-manager';
import { ManualClock } from '../manual-clock';
import type { Session } from '../../src/security/authorizer';

function imageWith(entries: Array<[QuotaEntity, number]>): MetadataImage {
  const image = new MetadataImage();
  for (const [entity, value] of entries) image.apply({ type: 'client-quota', entity, key: PRODUCER_BYTE_RATE, value });
  return image;
}

const session = (name: string): Session => ({ principal: { type: 'User', name }, host: '127.0.0.1' });

describe('client quota entities', () => {
  it('resolves in Kafka order: user+client, user+default client, user, default user+client, …, client, default client', () => {
    const all: Array<[QuotaEntity, number]> = [
      [{ user: 'alice', clientId: 'app' }, 1],
      [{ user: 'alice', clientId: null }, 2],
      [{ user: 'alice' }, 3],
      [{ user: null, clientId: 'app' }, 4],
      [{ user: null, clientId: null }, 5],
      [{ user: null }, 6],
      [{ clientId: 'app' }, 7],
      [{ clientId: null }, 8],
    ];
    for (let i = 0; i < all.length; i++) {
      const image = imageWith(all.slice(i));
      assert.equal(resolveQuota(image.quotas, PRODUCER_BYTE_RATE, 'alice', 'app')?.limit, i + 1, `with entries from #${i + 1}`);
    }
    assert.equal(resolveQuota(new MetadataImage().quotas, PRODUCER_BYTE_RATE, 'alice', 'app'), null);
  });

  it('a user-level quota is shared by all the user\'s client ids; a default one applies to each user apart', () => {
    const shared = imageWith([[{ user: 'alice' }, 100]]);
    assert.equal(resolveQuota(shared.quotas, PRODUCER_BYTE_RATE, 'alice', 'a')!.sensorKey, resolveQuota(shared.quotas, PRODUCER_BYTE_RATE, 'alice', 'b')!.sensorKey);
    const dflt = imageWith([[{ user: null }, 100]]);
    assert.notEqual(resolveQuota(dflt.quotas, PRODUCER_BYTE_RATE, 'alice', 'a')!.sensorKey, resolveQuota(dflt.quotas, PRODUCER_BYTE_RATE, 'bob', 'a')!.sensorKey);
  });

  it('checks entities and values as Kafka does', () => {
    assert.deepEqual(entityFromWire([{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }]), { user: 'alice', clientId: null });
    assert.throws(() => entityFromWire([]), QuotaInputError);
    assert.throws(() => entityFromWire([{ entityType: 'user', entityName: 'a' }, { entityType: 'user', entityName: 'b' }]), /Duplicate/);
    assert.throws(() => entityFromWire([{ entityType: 'galaxy', entityName: 'a' }]), /Unhandled/);
    assert.throws(() => entityFromWire([{ entityType: 'ip', entityName: '1.2.3.4' }]), /not supported/);
    assert.throws(() => entityFromWire([{ entityType: 'user', entityName: 'x'.repeat(2000) }]), /limited/);
    checkQuotaValue('producer_byte_rate', 1024, false);
    checkQuotaValue('request_percentage', 12.5, false);
    assert.throws(() => checkQuotaValue('producer_byte_rate', 1.5, false), /whole/);
    assert.throws(() => checkQuotaValue('consumer_byte_rate', -1, false), /positive/);
    assert.throws(() => checkQuotaValue('consumer_byte_rate', Number.NaN, false), /positive/);
    assert.throws(() => checkQuotaValue('bogus', 1, false), /Invalid configuration key/);
    checkQuotaValue('producer_byte_rate', 0, true);
  });

  it('filters: exact, default, specified; strict excludes extra parts', () => {
    const e = { user: 'alice', clientId: 'app' };
    assert.equal(quotaFilterMatches([{ entityType: 'user', matchType: MATCH_EXACT, match: 'alice' }], false, e), true);
    assert.equal(quotaFilterMatches([{ entityType: 'user', matchType: MATCH_EXACT, match: 'alice' }], true, e), false);
    assert.equal(quotaFilterMatches([{ entityType: 'user', matchType: MATCH_DEFAULT, match: null }], false, e), false);
    assert.equal(quotaFilterMatches([{ entityType: 'client-id', matchType: MATCH_SPECIFIED, match: null }], false, e), true);
    assert.equal(quotaFilterMatches([], false, e), true);
    assert.ok(quotaFilterError([{ entityType: 'user', matchType: 9, match: null }]));
    assert.ok(quotaFilterError([{ entityType: 'user', matchType: MATCH_EXACT, match: null }]));
    assert.ok(quotaFilterError([{ entityType: 'planet', matchType: MATCH_DEFAULT, match: null }]));
    assert.ok(quotaFilterError([{ entityType: 'user', matchType: MATCH_DEFAULT, match: null }, { entityType: 'user', matchType: MATCH_DEFAULT, match: null }]));
  });
});

describe('quota throttling', () => {
  it('measures a rate over the sampled window, counting at least windowNum-1 windows', () => {
    const r = new SampledRate(11, 1000);
    r.record(10_000, 0);
    // One burst at t=0: measured over 10 s, not over 0 ms.
    assert.equal(r.measure(0).rate, 1000);
    r.record(10_000, 5000);
    assert.equal(r.measure(5000).rate, 2000);
    // After 11 s without use the samples are obsolete.
    assert.equal(r.measure(20_000).rate, 0);
  });

  it('throttles by (rate - bound) / bound * window, nothing within the quota, and bounds the throttle', async () => {
    const clock = new ManualClock(0);
    const throttles: number[] = [];
    const image = imageWith([[{ user: 'alice' }, 1000]]);
    const q = new QuotaManager(image, { windowNum: 11, windowSizeMs: 1000, clock, onThrottle: (_k, ms) => throttles.push(ms) });
    // 10 s window: 10,000 bytes is exactly the quota.
    assert.equal(q.record(PRODUCER_BYTE_RATE, session('alice'), 'a', 10_000), 0);
    // 5,000 more: rate 1,500/s, 50 % over: half the 10 s window.
    assert.equal(q.record(PRODUCER_BYTE_RATE, session('alice'), 'b', 5_000), 5000);
    assert.deepEqual(throttles, [5000]);
    // bob has no quota.
    assert.equal(q.record(PRODUCER_BYTE_RATE, session('bob'), 'a', 1e9), 0);
    // A huge burst is throttled at most one full window (11 s).
    assert.equal(q.record(PRODUCER_BYTE_RATE, session('alice'), 'a', 1e9), 11_000);
    await clock.advance(30_000);
    assert.equal(q.record(PRODUCER_BYTE_RATE, session('alice'), 'a', 100), 0, 'old usage has left the window');
  });

  it('unrecord takes usage back (a throttled fetch sent nothing)', () => {
    const clock = new ManualClock(0);
    const q = new QuotaManager(imageWith([[{ clientId: null }, 1000]]), { windowNum: 11, windowSizeMs: 1000, clock });
    assert.ok(q.record(PRODUCER_BYTE_RATE, session('x'), 'c', 20_000) > 0);
    q.unrecord(PRODUCER_BYTE_RATE, session('x'), 'c', 20_000);
    assert.equal(q.record(PRODUCER_BYTE_RATE, session('x'), 'c', 1000), 0);
  });
});
