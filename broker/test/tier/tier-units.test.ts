import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RetryStoppedError, StopSignal, backoffDelay, retry } from '../../src/tier/backoff';
import { RateLimiter } from '../../src/tier/rate-limiter';
import { Semaphore } from '../../src/tier/semaphore';
import { ChunkCache } from '../../src/tier/chunk-cache';
import { parseTierKey, segmentObjectPrefix, partitionPrefix, uuidTime, uuidv7 } from '../../src/tier/remote-keys';
import { ManifestStore } from '../../src/tier/remote-manifest';
import { LocalObjectStore } from '../../src/tier/local-object-store';
import { StaleWriterError, errorCause } from '../../src/tier/store-errors';
import { slowDown } from './tier-helpers';
import { ManualClock } from '../manual-clock';

describe('tiered storage: building blocks', () => {
  let root: string;
  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-tier-unit-'));
  });
  afterEach(() => fsp.rm(root, { recursive: true, force: true, maxRetries: 3 }));

  it('backoff: full jitter under a capped exponential', () => {
    assert.equal(backoffDelay(1, 100, 1000, () => 0.999), 99);
    assert.equal(backoffDelay(3, 100, 1000, () => 0.999), 399);
    assert.equal(backoffDelay(20, 100, 1000, () => 0.999), 999);
    assert.equal(backoffDelay(5, 100, 1000, () => 0), 0);
  });

  it('backoff: retries until success, stops on non-retryable errors and on stop()', async () => {
    let calls = 0;
    const seen: number[] = [];
    const v = await retry(
      async () => {
        if (++calls < 4) throw slowDown();
        return 'ok';
      },
      { baseMs: 1, maxMs: 4, onError: (_e, attempt) => seen.push(attempt) },
    );
    assert.equal(v, 'ok');
    assert.deepEqual(seen, [1, 2, 3]);
    await assert.rejects(retry(async () => Promise.reject(new TypeError('bad')), { retryable: (e) => !(e instanceof TypeError) }), TypeError);
    await assert.rejects(retry(async () => Promise.reject(new Error('x')), { maxAttempts: 2, baseMs: 1 }), /x/);
    const signal = new StopSignal();
    const forever = retry(async () => Promise.reject(new Error('down')), { baseMs: 10_000, maxMs: 10_000, signal, random: () => 0.9 });
    setTimeout(() => signal.stop(), 10);
    await assert.rejects(forever, RetryStoppedError);
  });

  it('classifies store errors by cause', () => {
    assert.equal(errorCause(slowDown()), 'throttled');
    assert.equal(errorCause(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 500 } })), 'server');
    assert.equal(errorCause(Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'connection');
    assert.equal(errorCause(Object.assign(new Error('x'), { name: 'TimeoutError' })), 'timeout');
    assert.equal(errorCause(new Error('?')), 'other');
  });

  it('rate limiter: a token bucket that holds uploads to the configured bytes/s', async () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(20_000, undefined, clock); // bucket of 20 kB, 20 kB/s
    await limiter.take(20_000); // the initial burst: at once
    let done = false;
    const rest = limiter.take(10_000).then(() => limiter.take(10_000)).then(() => (done = true)); // 0.5 s + 0.5 s of refill
    await clock.advance(999);
    assert.equal(done, false, 'still waiting after 999 ms');
    await clock.advance(1);
    await rest;
    assert.equal(done, true, 'done at 1000 ms');
    const unlimited = new RateLimiter(0, undefined, clock);
    await unlimited.take(1e12); // no timer involved: resolves without the clock moving
  });

  it('keys: v7 uuids carry their creation time; keys parse back', () => {
    const u = uuidv7(1_700_000_000_123);
    assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(uuidTime(u), 1_700_000_000_123);
    const prefix = partitionPrefix('c', 'T1', 3);
    const seg = segmentObjectPrefix(prefix, 42, 7, u);
    assert.equal(seg, `c/topics/T1/3/00000000000000000042-7-${u}`);
    const parsed = parseTierKey('c', seg + '.timeindex')!;
    assert.deepEqual([parsed.topicId, parsed.partition, parsed.kind, parsed.segmentPrefix, parsed.createdMs], ['T1', 3, 'segment', seg, 1_700_000_000_123]);
    assert.equal(parseTierKey('c', 'c/topics/T1/3/manifest.json')!.kind, 'manifest');
    assert.equal(parseTierKey('c', 'c/metadata/log/1'), null);
  });

  it('manifest: conditional writes; a stale copy reloads, an older leader epoch is fenced', async () => {
    const store = new LocalObjectStore(path.join(root, 'bucket'));
    const a = new ManifestStore(store, 'c/topics/T/0/manifest.json', 'T', 0);
    const b = new ManifestStore(store, 'c/topics/T/0/manifest.json', 'T', 0);
    await a.load();
    await b.load();
    await a.update(1, (m) => ({ ...m, logStartOffset: 5 }));
    // b's copy is stale: its write fails, it reloads and applies its change to the fresh manifest.
    const after = await b.update(1, (m) => ({ ...m, logStartOffset: m.logStartOffset + 1 }));
    assert.equal(after.logStartOffset, 6);
    await b.update(2, (m) => m);
    await assert.rejects(a.update(1, (m) => ({ ...m, logStartOffset: 100 })), StaleWriterError);
    const stored = new ManifestStore(store, 'c/topics/T/0/manifest.json', 'T', 0);
    assert.equal((await stored.load()).logStartOffset, 6);
  });

  it('chunk cache: memory LRU over a disk LRU, one load for concurrent misses, bounded sizes', async () => {
    const cache = new ChunkCache({ chunkBytes: 100, memoryBytes: 250, diskBytes: 300, diskDir: path.join(root, 'cache') });
    let loads = 0;
    const load = async (start: number, end: number) => {
      loads++;
      await new Promise((r) => setTimeout(r, 5));
      return Buffer.alloc(end - start + 1, start / 100);
    };
    const [x, y] = await Promise.all([cache.get('k', 0, load), cache.get('k', 0, load)]);
    assert.equal(loads, 1);
    assert.ok(x.equals(y));
    for (let i = 1; i < 6; i++) await cache.get('k', i, load);
    assert.equal(loads, 6);
    const s = cache.stats();
    assert.ok(s.memoryBytes <= 250 && s.diskBytes <= 300, JSON.stringify(s));
    await new Promise((r) => setTimeout(r, 20)); // spills are written in the background
    // Chunk 3 fell out of memory but is still on disk: no load.
    const c3 = await cache.get('k', 3, load);
    assert.equal(loads, 6);
    assert.equal(c3[0], 3);
    assert.ok(cache.stats().diskHits >= 1);
    // Chunk 0 fell out of both tiers.
    await cache.get('k', 0, load);
    assert.equal(loads, 7);
    await cache.idle();
    await cache.invalidate('k');
    assert.equal(cache.stats().memoryBytes, 0);
    assert.equal(cache.stats().diskBytes, 0);
  });

  it('semaphore: at most `limit` holders; waiters get slots in order as they are released', async () => {
    const sem = new Semaphore(2);
    const order: number[] = [];
    const r1 = await sem.acquire();
    const r2 = await sem.acquire();
    const third = sem.acquire().then((r) => (order.push(3), r));
    const fourth = sem.acquire().then((r) => (order.push(4), r));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, []);
    assert.equal(sem.inUse, 2);
    r1();
    r1(); // a second release of the same slot is ignored
    const r3 = await third;
    assert.deepEqual(order, [3]);
    r2();
    const r4 = await fourth;
    assert.deepEqual(order, [3, 4]);
    r3();
    r4();
    assert.equal(sem.inUse, 0);
  });
});
