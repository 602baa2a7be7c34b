import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '../../src/config';
import { LocalObjectStore } from '../../src/tier/local-object-store';
import { KeyLocks, PLACE, STALE_MS } from '../../src/tier/key-lock';
import { runObjectStoreConformance } from './object-store-conformance';

const roots = new Map<LocalObjectStore, string>();

/** The pid of a process that has already exited. */
function exitedPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['-e', ''], (err) => (err ? reject(err) : resolve(child.pid!)));
  });
}

runObjectStoreConformance(
  'LocalObjectStore',
  async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-los-'));
    const store = new LocalObjectStore(root);
    roots.set(store, root);
    return store;
  },
  async (store) => {
    await fs.rm(roots.get(store as LocalObjectStore)!, { recursive: true, force: true });
    roots.delete(store as LocalObjectStore);
  },
  { childConfig: (store) => ({ ...loadConfig([], {}), objectStoreType: 'local', objectStoreDir: roots.get(store as LocalObjectStore)! }) },
);

describe('LocalObjectStore', () => {
  let root: string;
  let store: LocalObjectStore;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-los-'));
    store = new LocalObjectStore(root);
  });
  afterEach(() => fs.rm(root, { recursive: true, force: true }));

  it('stores key a/b/c as the file <root>/a/b/c', async () => {
    await store.put('a/b/c', Buffer.from('hello'));
    assert.equal(await fs.readFile(path.join(root, 'a', 'b', 'c'), 'utf8'), 'hello');
  });

  it('uses the MD5 of the content as etag, like S3 single-part uploads', async () => {
    const { etag } = await store.put('k', Buffer.from('content'));
    assert.equal(etag, createHash('md5').update('content').digest('hex'));
  });

  for (const [key, problem] of [
    ['', 'empty key'],
    ['/etc/passwd', 'absolute path'],
    ['a//b', 'empty path segment'],
    ['a/', 'empty path segment'],
    ['../escape', '"." or ".." segment'],
    ['a/../../escape', '"." or ".." segment'],
    ['a/./b', '"." or ".." segment'],
    ['.tmp/x', '".tmp" is reserved'],
    ['a\0b', 'NUL character'],
  ]) {
    it(`rejects key ${JSON.stringify(key)} (${problem})`, async () => {
      const message = `invalid object key ${JSON.stringify(key)}: ${problem}`;
      await assert.rejects(store.put(key, Buffer.from('x')), { message });
      await assert.rejects(store.get(key), { message });
      await assert.rejects(store.putIfAbsent(key, Buffer.from('x')), { message });
      await assert.rejects(store.delete(['ok', key]), { message });
    });
  }

  it('leaves no temp files behind, whether a conditional write wins or loses', async () => {
    await store.put('x', Buffer.from('1'));
    await Promise.all([store.putIfAbsent('y', Buffer.from('a')), store.putIfAbsent('y', Buffer.from('b'))]);
    await store.putIfMatch('x', Buffer.from('2'), 'stale');
    assert.deepEqual((await fs.readdir(path.join(root, '.tmp'))).filter((n) => n !== 'locks'), []);
    assert.deepEqual(await fs.readdir(path.join(root, '.tmp', 'locks')), [], 'every key lock released');
    assert.deepEqual(await store.list(''), ['x', 'y']);
  });

  it('removes directories emptied by delete but keeps the root', async () => {
    await store.put('t/0/seg', Buffer.from('x'));
    await store.put('t/1/seg', Buffer.from('x'));
    await store.delete(['t/0/seg']);
    assert.deepEqual((await fs.readdir(path.join(root, 't'))).sort(), ['1']);
    await store.delete(['t/1/seg']);
    assert.deepEqual((await fs.readdir(root)).filter((n) => n !== '.tmp'), []);
  });

  it('survives deletes racing with writes into the same directory', async () => {
    const rounds = Array.from({ length: 50 }, async (_, i) => {
      await store.put(`dir/a${i}`, Buffer.from('x'));
      await Promise.all([store.delete([`dir/a${i}`]), store.put(`dir/b${i}`, Buffer.from('y'))]);
    });
    await Promise.all(rounds);
    assert.equal((await store.list('dir/')).length, 50);
  });

  it('serializes conditional writes across store instances over the same directory', async () => {
    const other = new LocalObjectStore(root);
    const { etag } = await store.put('lease', Buffer.from('0'));
    const results = await Promise.all([
      store.putIfMatch('lease', Buffer.from('a'), etag),
      other.putIfMatch('lease', Buffer.from('b'), etag),
      store.putIfMatch('lease', Buffer.from('c'), etag),
      other.putIfMatch('lease', Buffer.from('d'), etag),
    ]);
    assert.equal(results.filter((r) => r !== null).length, 1);
  });

  it('has exactly one putIfAbsent winner among processes (hard links, not the in-process lock)', async () => {
    const modulePath = require.resolve('../../src/tier/local-object-store');
    const script = `new (require(${JSON.stringify(modulePath)}).LocalObjectStore)(process.argv[1])
      .putIfAbsent('metadata/log/00000000000000000000', Buffer.from(String(process.pid)))
      .then((r) => process.stdout.write(r ? 'won' : 'lost'))`;
    const run = () =>
      new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['-e', script, root], (err, stdout) => (err ? reject(err) : resolve(stdout))),
      );
    const outcomes = await Promise.all(Array.from({ length: 6 }, run));
    assert.deepEqual(outcomes.filter((o) => o === 'won').length, 1, outcomes.join(','));
    assert.deepEqual(outcomes.filter((o) => o === 'lost').length, 5);
  });

  it('breaks a key lock left by a dead process once it is stale, and waits on a fresh one', async () => {
    const { etag } = await store.put('lease', Buffer.from('0'));
    const lock = path.join(root, '.tmp', 'locks', createHash('sha1').update('lease').digest('hex'));
    await fs.writeFile(lock, '999999\n'); // a holder that never releases
    let done = false;
    const write = store.putIfMatch('lease', Buffer.from('1'), etag).finally(() => (done = true));
    // Waits while the lock is fresh: a second write must not slip past it.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'wrote while another process held the key lock');
    const old = new Date(Date.now() - STALE_MS - 1000);
    await fs.utimes(lock, old, old); // the holder died long ago
    assert.ok(await write);
    assert.equal((await store.get('lease')).toString(), '1');
    assert.deepEqual(await fs.readdir(path.join(root, '.tmp', 'locks')), []);
  });

  it('breaks at once a key lock whose holder on this host was killed (kill -9 mid-write), never one of a live holder', async () => {
    const dir = path.join(root, 'locks');
    const locks = new KeyLocks(dir, 3_600_000); // no breaking by age within this test
    await fs.mkdir(dir, { recursive: true });
    const lock = path.join(dir, createHash('sha1').update('lease').digest('hex'));
    // A live holder (the test's parent process) keeps the key: the write waits.
    await fs.writeFile(lock, `${process.ppid} ${PLACE}\n`);
    let done = false;
    const write = locks.with('lease', async () => 'written').finally(() => (done = true));
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'broke the lock of a live process');
    // The same lock, now naming a process that has exited: broken at once (age would take an hour here).
    await fs.writeFile(lock, `${await exitedPid()} ${PLACE}\n`);
    assert.equal(await write, 'written');
    assert.deepEqual(await fs.readdir(dir), [], 'the broken lock and ours are gone');
  });

  it('never shows a reader half of an object being replaced', async () => {
    const a = Buffer.alloc(1 << 20, 'a');
    const b = Buffer.alloc(1 << 20, 'b');
    await store.put('big', a);
    const writes = Array.from({ length: 10 }, (_, i) => store.put('big', i % 2 ? a : b));
    const reads = Array.from({ length: 30 }, () => store.get('big'));
    for (const body of await Promise.all(reads)) {
      assert.equal(body.length, a.length);
      assert.ok(body.equals(a) || body.equals(b), 'read a mix of two versions');
    }
    await Promise.all(writes);
  });

  it('treats a key that is a directory of other keys as missing', async () => {
    await store.put('parent/child', Buffer.from('x'));
    assert.equal(await store.head('parent'), null);
    await assert.rejects(store.get('parent'), { name: 'ObjectNotFoundError' });
    await store.delete(['parent']);
    assert.deepEqual(await store.list(''), ['parent/child']);
  });

  it('works on a root directory that does not exist yet', async () => {
    const fresh = new LocalObjectStore(path.join(root, 'not', 'yet'));
    assert.deepEqual(await fresh.list(''), []);
    assert.equal(await fresh.head('k'), null);
    await fresh.put('k', Buffer.from('v'));
    assert.deepEqual(await fresh.list(''), ['k']);
  });
});
