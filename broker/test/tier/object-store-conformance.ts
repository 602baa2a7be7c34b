// The ObjectStore contract, run against every implementation (local directory now, S3 later). Each test
// works under its own random prefix, so the suite can share a bucket with other data.
import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ObjectNotFoundError, type ObjectStore } from '../../src/tier/object-store';
import type { ObjectStoreConfig } from '../../src/tier/object-store-factory';
import { counterKey, logKey, raceChildren, type Counter, type RaceTask } from './object-store-race';

const MiB = 1024 * 1024;

export interface ConformanceOptions {
  /** Size of the file streamed by putFile; must exceed one part (S3) / one copy chunk (local). Default 11 MiB. */
  largeFileBytes?: number;
  /** The configuration that makes another process's store see what `store` sees (for the cross-process races). */
  childConfig: (store: ObjectStore) => ObjectStoreConfig;
}

export function runObjectStoreConformance(
  name: string,
  makeStore: () => Promise<ObjectStore>,
  cleanup: (store: ObjectStore) => Promise<void>,
  opts: ConformanceOptions,
): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let store: ObjectStore;
    let ns: string; // this test's key prefix
    const k = (rest: string) => `${ns}${rest}`;
    const buf = (s: string) => Buffer.from(s);

    beforeEach(async () => {
      store = await makeStore();
      ns = `conformance-${randomUUID()}/`;
    });
    afterEach(() => cleanup(store));

    describe('put / get / head', () => {
      it('round-trips every byte value and reports size and the same etag as put', async () => {
        const body = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));
        const { etag } = await store.put(k('bin'), body);
        assert.ok(typeof etag === 'string' && etag.length > 0);
        assert.deepEqual(await store.get(k('bin')), body);
        assert.deepEqual(await store.head(k('bin')), { size: 512, etag });
      });

      it('stores an empty object', async () => {
        await store.put(k('empty'), Buffer.alloc(0));
        assert.equal((await store.get(k('empty'))).length, 0);
        assert.equal((await store.head(k('empty')))?.size, 0);
      });

      it('replaces an existing object and changes the etag', async () => {
        const first = await store.put(k('obj'), buf('one'));
        const second = await store.put(k('obj'), buf('two, longer'));
        assert.notEqual(first.etag, second.etag);
        assert.equal((await store.get(k('obj'))).toString(), 'two, longer');
        assert.equal((await store.head(k('obj')))?.etag, second.etag);
      });

      it('gives the same etag for the same content', async () => {
        const a = await store.put(k('a'), buf('same'));
        const b = await store.put(k('b'), buf('same'));
        assert.equal(a.etag, b.etag);
      });

      it('throws ObjectNotFoundError for a missing key and head gives null', async () => {
        await assert.rejects(store.get(k('missing')), (err: unknown) => err instanceof ObjectNotFoundError && err.key === k('missing'));
        await assert.rejects(store.get(k('missing'), { start: 0, end: 1 }), ObjectNotFoundError);
        assert.equal(await store.head(k('missing')), null);
      });

      it('keeps keys with dots, dashes, equals and long digit runs', async () => {
        const key = k('topics/t-1=x/0/00000000000000000042-3-abc.timeindex');
        await store.put(key, buf('x'));
        assert.equal((await store.get(key)).toString(), 'x');
      });
    });

    describe('putFile (streamed from an open file)', () => {
      let dir: string;
      beforeEach(async () => {
        dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-putfile-'));
      });
      afterEach(() => fsp.rm(dir, { recursive: true, force: true }));

      /** Writes `body` to a file and runs `fn` with it open. */
      async function withFile<T>(body: Buffer, fn: (fh: fsp.FileHandle) => Promise<T>): Promise<T> {
        const file = path.join(dir, randomUUID());
        await fsp.writeFile(file, body);
        const fh = await fsp.open(file, 'r');
        try {
          return await fn(fh);
        } finally {
          await fh.close();
        }
      }

      it('stores a file larger than one part, readable whole and by ranges across parts', async () => {
        const size = opts.largeFileBytes ?? 11 * MiB + 12345;
        const body = randomBytes(size);
        const { etag } = await withFile(body, (fh) => store.putFile(k('big.log'), fh, size));
        assert.ok(typeof etag === 'string' && etag.length > 0);
        assert.deepEqual(await store.head(k('big.log')), { size, etag });
        assert.ok((await store.get(k('big.log'))).equals(body), 'the whole object equals the file');
        const across = { start: 5 * MiB - 100, end: 8 * MiB + 100 };
        assert.ok((await store.get(k('big.log'), across)).equals(body.subarray(across.start, across.end + 1)));
      });

      it('stores only the first `length` bytes of a longer file, and an empty prefix', async () => {
        const body = randomBytes(4096);
        await withFile(body, async (fh) => {
          await store.putFile(k('prefix'), fh, 1000);
          await store.putFile(k('none'), fh, 0);
        });
        assert.ok((await store.get(k('prefix'))).equals(body.subarray(0, 1000)));
        assert.equal((await store.head(k('none')))?.size, 0);
      });

      it('refuses a file shorter than the length with RangeError and stores nothing', async () => {
        await assert.rejects(
          withFile(randomBytes(100), (fh) => store.putFile(k('short'), fh, 101)),
          RangeError,
        );
        assert.equal(await store.head(k('short')), null);
      });

      it('replaces an existing object', async () => {
        await store.put(k('obj'), buf('old'));
        const { etag } = await withFile(buf('new content'), (fh) => store.putFile(k('obj'), fh, 11));
        assert.equal((await store.get(k('obj'))).toString(), 'new content');
        assert.equal((await store.head(k('obj')))?.etag, etag);
      });
    });

    describe('ranged get', () => {
      const body = Buffer.from('0123456789');
      beforeEach(() => store.put(k('r'), body));

      it('returns inclusive ranges', async () => {
        assert.equal((await store.get(k('r'), { start: 2, end: 5 })).toString(), '2345');
        assert.equal((await store.get(k('r'), { start: 0, end: 0 })).toString(), '0');
        assert.equal((await store.get(k('r'), { start: 9, end: 9 })).toString(), '9');
        assert.equal((await store.get(k('r'), { start: 0, end: 9 })).toString(), '0123456789');
      });

      it('clips a range that runs past the end', async () => {
        assert.equal((await store.get(k('r'), { start: 7, end: 100 })).toString(), '789');
      });

      it('returns nothing for a range starting at or past the end', async () => {
        assert.equal((await store.get(k('r'), { start: 10, end: 20 })).length, 0);
      });

      it('rejects an inverted or negative range', async () => {
        await assert.rejects(store.get(k('r'), { start: 5, end: 4 }), RangeError);
        await assert.rejects(store.get(k('r'), { start: -1, end: 4 }), RangeError);
      });
    });

    describe('list', () => {
      it('lists every key under a prefix, sorted, and nothing outside it', async () => {
        const keys = ['a/2', 'a/1', 'a/b/c', 'a/b/a', 'ab/1', 'b/1', 'a0'];
        await Promise.all(keys.map((key) => store.put(k(key), buf(key))));
        assert.deepEqual(await store.list(k('a/')), [k('a/1'), k('a/2'), k('a/b/a'), k('a/b/c')]);
        assert.deepEqual(await store.list(k('')), [...keys].sort().map(k));
      });

      it('treats the prefix as a plain string prefix, not a directory', async () => {
        await Promise.all(['seg/0001.log', 'seg/0001.index', 'seg/0002.log', 'segments/x'].map((key) => store.put(k(key), buf(key))));
        assert.deepEqual(await store.list(k('seg/0001')), [k('seg/0001.index'), k('seg/0001.log')]);
        assert.deepEqual(await store.list(k('seg')), [k('seg/0001.index'), k('seg/0001.log'), k('seg/0002.log'), k('segments/x')]);
        assert.deepEqual(await store.list(k('seg/0001.log')), [k('seg/0001.log')]);
      });

      it('returns an empty list for a prefix nothing has', async () => {
        assert.deepEqual(await store.list(k('nothing/here/')), []);
      });

      it('is complete beyond one page of results (1100 keys)', async () => {
        const keys = Array.from({ length: 1100 }, (_, i) => k(`many/${String(i).padStart(5, '0')}`));
        for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((key) => store.put(key, buf('x'))));
        assert.deepEqual(await store.list(k('many/')), keys);
      });
    });

    describe('delete', () => {
      it('deletes several keys at once and tolerates missing ones', async () => {
        await store.put(k('d/1'), buf('1'));
        await store.put(k('d/2'), buf('2'));
        await store.put(k('d/3'), buf('3'));
        await store.delete([k('d/1'), k('d/2'), k('d/never')]);
        assert.deepEqual(await store.list(k('d/')), [k('d/3')]);
        assert.equal(await store.head(k('d/1')), null);
      });

      it('is idempotent and accepts an empty list', async () => {
        await store.put(k('x'), buf('x'));
        await store.delete([k('x')]);
        await store.delete([k('x')]);
        await store.delete([]);
        assert.equal(await store.head(k('x')), null);
      });

      it('lets a deleted key be created again', async () => {
        await store.put(k('p/q'), buf('1'));
        await store.delete([k('p/q')]);
        assert.notEqual(await store.putIfAbsent(k('p/q'), buf('2')), null);
        assert.equal((await store.get(k('p/q'))).toString(), '2');
      });
    });

    describe('putIfAbsent', () => {
      it('creates a missing key and refuses an existing one without changing it', async () => {
        const won = await store.putIfAbsent(k('c'), buf('first'));
        assert.ok(won);
        assert.equal((await store.head(k('c')))?.etag, won.etag);
        assert.equal(await store.putIfAbsent(k('c'), buf('second')), null);
        assert.equal((await store.get(k('c'))).toString(), 'first');
      });

      it('has exactly one winner among concurrent writers, and the object is the winner’s', async () => {
        const n = 20;
        const results = await Promise.all(Array.from({ length: n }, (_, i) => store.putIfAbsent(k('race'), buf(`writer-${i}`))));
        const winners = results.flatMap((r, i) => (r ? [i] : []));
        assert.equal(winners.length, 1);
        assert.equal((await store.get(k('race'))).toString(), `writer-${winners[0]}`);
      });

      it('gives sequential positions of a log exactly one writer each', async () => {
        // The metadata log's use: two writers race for each next position.
        for (let seq = 0; seq < 5; seq++) {
          const key = k(`log/${String(seq).padStart(20, '0')}`);
          const [a, b] = await Promise.all([store.putIfAbsent(key, buf('a')), store.putIfAbsent(key, buf('b'))]);
          assert.equal([a, b].filter((r) => r !== null).length, 1);
        }
        assert.equal((await store.list(k('log/'))).length, 5);
      });
    });

    describe('putIfMatch', () => {
      it('replaces when the etag matches and returns the new etag', async () => {
        const { etag } = await store.put(k('lease'), buf('epoch 1'));
        const next = await store.putIfMatch(k('lease'), buf('epoch 2'), etag);
        assert.ok(next);
        assert.equal((await store.get(k('lease'))).toString(), 'epoch 2');
        assert.equal((await store.head(k('lease')))?.etag, next.etag);
      });

      it('refuses a stale etag without changing the object', async () => {
        const { etag: stale } = await store.put(k('lease'), buf('epoch 1'));
        await store.put(k('lease'), buf('epoch 2'));
        assert.equal(await store.putIfMatch(k('lease'), buf('epoch 3'), stale), null);
        assert.equal((await store.get(k('lease'))).toString(), 'epoch 2');
      });

      it('refuses a missing key and does not create it', async () => {
        const { etag } = await store.put(k('other'), buf('x'));
        assert.equal(await store.putIfMatch(k('gone'), buf('y'), etag), null);
        assert.equal(await store.head(k('gone')), null);
      });

      it('refuses after the key was deleted', async () => {
        const { etag } = await store.put(k('lease'), buf('x'));
        await store.delete([k('lease')]);
        assert.equal(await store.putIfMatch(k('lease'), buf('y'), etag), null);
        assert.equal(await store.head(k('lease')), null);
      });

      it('has exactly one winner among concurrent writers holding the same etag', async () => {
        const { etag } = await store.put(k('cas'), buf('base'));
        const n = 10;
        const results = await Promise.all(Array.from({ length: n }, (_, i) => store.putIfMatch(k('cas'), buf(`writer-${i}`), etag)));
        const winners = results.flatMap((r, i) => (r ? [i] : []));
        assert.equal(winners.length, 1);
        assert.equal((await store.get(k('cas'))).toString(), `writer-${winners[0]}`);
      });

      it('supports a renew loop: each success hands the next etag on', async () => {
        let { etag } = await store.put(k('renew'), buf('0'));
        for (let i = 1; i <= 5; i++) {
          const r = await store.putIfMatch(k('renew'), buf(String(i)), etag);
          assert.ok(r);
          etag = r.etag;
        }
        assert.equal((await store.get(k('renew'))).toString(), '5');
      });
    });

    describe('conditional writes across processes', () => {
      const WRITERS = 4;
      const task = (i: number, kind: RaceTask['kind']): RaceTask => ({
        config: opts.childConfig(store),
        id: `w${i}`,
        ns,
        kind,
        positions: 40,
        increments: 8,
      });

      it('gives each log position exactly one putIfAbsent winner among processes, and the object is its', async () => {
        const results = await raceChildren(Array.from({ length: WRITERS }, (_, i) => task(i, 'absent')));
        for (let pos = 0; pos < 40; pos++) {
          const winners = results.flatMap((r, i) => (r.won.includes(pos) ? [i] : []));
          assert.equal(winners.length, 1, `position ${pos}: winners ${winners.join(',')}`);
          assert.equal((await store.get(logKey(ns, pos))).toString(), `w${winners[0]}`);
        }
      });

      it('loses no update among processes running putIfMatch read-modify-write cycles on one key', async () => {
        await store.put(counterKey(ns), buf(JSON.stringify({ n: 0, by: [] } satisfies Counter)));
        const results = await raceChildren(Array.from({ length: WRITERS }, (_, i) => task(i, 'cas')));
        const counter = JSON.parse((await store.get(counterKey(ns))).toString()) as Counter;
        assert.equal(counter.n, WRITERS * 8, 'every successful increment is in the counter');
        assert.equal(counter.by.length, counter.n);
        for (let i = 0; i < WRITERS; i++) {
          assert.equal(results[i].increments, 8);
          assert.equal(counter.by.filter((w) => w === `w${i}`).length, 8, `writer w${i}'s increments`);
        }
      });
    });
  });
}
