// S3ObjectStore against a real S3-compatible server process (moto in server mode, over HTTP on loopback):
// the shared ObjectStore conformance suite, then what only S3 has: multipart uploads above the threshold
// (with preconditions on CompleteMultipartUpload), list pagination with a small page size, batched deletes,
// key prefixes, conditional-write races between separate clients, error causes through the fault proxy
// (500, 503 SlowDown, stalls past the timeout, connections dropped mid-upload and mid-GET), the factory's
// validation, and the instrumented decorator.
import { strict as assert } from 'node:assert';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from '../broker/src/config';
import { InstrumentedObjectStore } from '../broker/src/tier/instrumented-object-store';
import { createObjectStore } from '../broker/src/tier/object-store-factory';
import { ObjectNotFoundError } from '../broker/src/tier/object-store';
import { LocalObjectStore } from '../broker/src/tier/local-object-store';
import { ObjectStoreError, S3ObjectStore, type S3ObjectStoreOptions } from '../broker/src/tier/s3-object-store';
import { runObjectStoreConformance } from '../broker/test/tier/object-store-conformance';
import { FaultProxy } from './helpers/fault-proxy';
import { MOTO_ACCESS_KEY, MOTO_REGION, MOTO_SECRET_KEY, MotoServer } from './helpers/moto';

const BUCKET = 'strata-conformance';
const MiB = 1024 * 1024;

describe('S3ObjectStore on moto (real S3-compatible server over HTTP)', function () {
  this.timeout(120_000);
  let moto: MotoServer;
  const stores: S3ObjectStore[] = [];

  function makeS3(opts: Partial<S3ObjectStoreOptions> = {}, endpoint = moto.endpoint): S3ObjectStore {
    const s = new S3ObjectStore({
      bucket: BUCKET,
      endpoint,
      region: MOTO_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
      requestTimeoutMs: 10_000,
      ...opts,
    });
    stores.push(s);
    return s;
  }

  before(async () => {
    moto = await MotoServer.start({ buckets: [BUCKET] });
  });

  after(async () => {
    for (const s of stores) s.destroy();
    await moto?.stop();
  });

  runObjectStoreConformance(
    'S3ObjectStore (moto)',
    async () => makeS3(),
    async () => undefined,
    {
      childConfig: () => ({
        ...loadConfig([], {}),
        objectStoreType: 's3',
        s3Endpoint: moto.endpoint,
        s3Region: MOTO_REGION,
        s3Bucket: BUCKET,
        s3PathStyle: true,
        s3AccessKeyId: MOTO_ACCESS_KEY,
        s3SecretAccessKey: MOTO_SECRET_KEY,
      }),
    },
  );

  describe('S3-specific behaviour', () => {
    const ns = () => `s3-${randomUUID()}/`;

    it('uploads bodies above the threshold as multipart, reads them whole and by ranges across parts', async () => {
      const store = makeS3({ multipartThresholdBytes: 6 * MiB, partSizeBytes: 5 * MiB });
      const key = `${ns()}big.log`;
      const body = randomBytes(13 * MiB + 123);
      const { etag } = await store.put(key, body);
      assert.match(etag, /-3$/, `a 3-part upload has a multipart etag, got ${etag}`);
      assert.deepEqual(await store.head(key), { size: body.length, etag });
      const back = await store.get(key);
      assert.equal(createHash('sha256').update(back).digest('hex'), createHash('sha256').update(body).digest('hex'));
      const r = { start: 5 * MiB - 10, end: 5 * MiB + 10 };
      assert.deepEqual(await store.get(key, r), body.subarray(r.start, r.end + 1));
      assert.deepEqual(await store.get(key, { start: body.length - 5, end: body.length + 100 }), body.subarray(body.length - 5));
      assert.deepEqual(await moto.openMultipartUploads(BUCKET), [], 'no multipart upload left open');
    });

    it('putFile sends a large file as a multipart upload with at most two parts read and in flight at a time', async () => {
      const partSize = 5 * MiB;
      const store = makeS3({ partSizeBytes: partSize });
      // Every command the store sends, with the size of its body and how many were in flight at once.
      const sent: Array<{ command: string; bodyBytes: number }> = [];
      let inFlight = 0;
      let maxInFlight = 0;
      const send = store.client.send.bind(store.client) as (c: unknown) => Promise<unknown>;
      Object.assign(store.client, {
        send: async (command: { constructor: { name: string }; input: { Body?: unknown } }) => {
          const body = command.input.Body;
          sent.push({ command: command.constructor.name, bodyBytes: Buffer.isBuffer(body) || body instanceof Uint8Array ? body.length : 0 });
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          try {
            return await send(command);
          } finally {
            inFlight--;
          }
        },
      });
      const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-s3-putfile-'));
      try {
        const body = randomBytes(3 * partSize + 4321);
        const file = path.join(dir, 'segment.log');
        await fsp.writeFile(file, Buffer.concat([body, randomBytes(1000)])); // bytes past `length` stay local
        const fh = await fsp.open(file, 'r');
        const key = `${ns()}seg.log`;
        const { etag } = await store.putFile(key, fh, body.length).finally(() => fh.close());
        assert.match(etag, /-4$/, `a 4-part upload, got etag ${etag}`);
        assert.deepEqual(
          sent.map((x) => x.command),
          ['CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand'],
        );
        assert.ok(sent.every((x) => x.bodyBytes <= partSize), `no request body above one part: ${sent.map((x) => x.bodyBytes).join(',')}`);
        assert.ok(maxInFlight <= 2, `at most two parts in flight (${maxInFlight})`);
        assert.ok((await store.get(key)).equals(body));
        // Up to one part: a single PutObject.
        sent.length = 0;
        await fsp.writeFile(file, body.subarray(0, partSize));
        const small = await fsp.open(file, 'r');
        await store.putFile(`${key}.small`, small, partSize).finally(() => small.close());
        assert.deepEqual(sent.map((x) => x.command), ['PutObjectCommand']);
        assert.deepEqual(await moto.openMultipartUploads(BUCKET), [], 'no multipart upload left open');
      } finally {
        await fsp.rm(dir, { recursive: true, force: true });
      }
    });

    it('applies putIfAbsent to multipart uploads (aborting the loser) and putIfMatch to large bodies', async () => {
      const store = makeS3({ multipartThresholdBytes: 6 * MiB, partSizeBytes: 5 * MiB });
      const key = `${ns()}big-cond.log`;
      const a = randomBytes(11 * MiB);
      const b = randomBytes(11 * MiB);
      const won = await store.putIfAbsent(key, a);
      assert.ok(won);
      assert.equal(await store.putIfAbsent(key, b), null);
      assert.equal(await store.putIfMatch(key, b, 'not-the-etag'), null);
      assert.deepEqual(await store.get(key, { start: 0, end: 99 }), a.subarray(0, 100));
      const next = await store.putIfMatch(key, b, won.etag);
      assert.ok(next);
      assert.deepEqual(await store.get(key, { start: 0, end: 99 }), b.subarray(0, 100));
      assert.equal((await store.head(key))?.etag, next.etag);
      assert.deepEqual(await moto.openMultipartUploads(BUCKET), [], 'losing uploads are aborted');
    });

    it('lists every key through many pages (page size 7) and deletes in batches (batch size 10)', async () => {
      const store = makeS3({ listPageSize: 7, deleteBatchSize: 10 });
      const p = ns();
      const keys = Array.from({ length: 53 }, (_, i) => `${p}k/${String(i).padStart(4, '0')}`);
      await Promise.all(keys.map((k) => store.put(k, Buffer.from(k))));
      assert.deepEqual(await store.list(`${p}k/`), keys);
      await store.delete([...keys.slice(0, 35), `${p}k/missing`, keys[0]]);
      assert.deepEqual(await store.list(`${p}k/`), keys.slice(35));
      await store.delete(keys);
      assert.deepEqual(await store.list(p), []);
    });

    it('keeps every key under the configured prefix and sees only its own keys', async () => {
      const cluster = `cluster-${randomUUID().slice(0, 8)}`;
      const a = makeS3({ prefix: cluster });
      const b = makeS3({ prefix: `${cluster}-other/` });
      await a.put('topics/x/0/seg.log', Buffer.from('a'));
      await b.put('topics/x/0/seg.log', Buffer.from('b'));
      assert.deepEqual(await moto.listKeys(BUCKET, cluster), [`${cluster}-other/topics/x/0/seg.log`, `${cluster}/topics/x/0/seg.log`]);
      assert.deepEqual(await a.list(''), ['topics/x/0/seg.log']);
      assert.equal((await a.get('topics/x/0/seg.log')).toString(), 'a');
      await a.delete(['topics/x/0/seg.log']);
      assert.deepEqual(await b.list(''), ['topics/x/0/seg.log']);
    });

    it('has exactly one winner among writers on separate clients (If-None-Match, If-Match)', async () => {
      const writers = Array.from({ length: 8 }, () => makeS3());
      const key = `${ns()}race`;
      for (let round = 0; round < 3; round++) {
        const res = await Promise.all(writers.map((w, i) => w.putIfAbsent(`${key}-${round}`, Buffer.from(`w${i}`))));
        assert.equal(res.filter((r) => r !== null).length, 1, `round ${round}: one putIfAbsent winner`);
      }
      let { etag } = await writers[0].put(key, Buffer.from('v0'));
      for (let round = 1; round <= 3; round++) {
        const res = await Promise.all(writers.map((w, i) => w.putIfMatch(key, Buffer.from(`v${round}-${i}`), etag)));
        const winners = res.flatMap((r, i) => (r ? [i] : []));
        assert.equal(winners.length, 1, `round ${round}: one putIfMatch winner`);
        assert.equal((await writers[1].get(key)).toString(), `v${round}-${winners[0]}`);
        etag = res[winners[0]]!.etag;
      }
    });

    it('surfaces a missing bucket as an ObjectStoreError with the HTTP status as cause', async () => {
      const store = makeS3({ bucket: 'no-such-bucket-here' });
      await assert.rejects(store.put('k', Buffer.from('x')), (e: unknown) => e instanceof ObjectStoreError && e.cause === '404' && !e.retryable);
      await assert.rejects(store.list(''), (e: unknown) => e instanceof ObjectStoreError && e.cause === '404');
    });

    it('surfaces a refused connection with cause "refused"', async () => {
      const store = makeS3({}, 'http://127.0.0.1:1');
      await assert.rejects(store.head('k'), (e: unknown) => e instanceof ObjectStoreError && e.cause === 'refused' && e.retryable);
    });
  });

  describe('through the fault proxy', () => {
    let proxy: FaultProxy;
    let store: S3ObjectStore;
    let p: string;

    before(async () => {
      proxy = await FaultProxy.start(moto.port);
      store = makeS3({ requestTimeoutMs: 1000, multipartThresholdBytes: 6 * MiB, partSizeBytes: 5 * MiB }, proxy.endpoint);
    });
    after(() => proxy?.stop());
    beforeEach(() => {
      p = `faults-${randomUUID()}/`;
      proxy.clearFaults();
      proxy.resetCounts();
    });

    it('passes everything through and counts requests by method', async () => {
      await store.put(`${p}a`, Buffer.from('hello'));
      assert.equal((await store.get(`${p}a`)).toString(), 'hello');
      await store.head(`${p}a`);
      assert.equal(proxy.counts.PUT, 1);
      assert.equal(proxy.counts.GET, 1);
      assert.equal(proxy.counts.HEAD, 1);
    });

    it('500 InternalError → cause "500", retryable; the object is not written', async () => {
      proxy.setFaults({ kind: 'status', status: 500, methods: ['PUT'], times: 1 });
      await assert.rejects(store.put(`${p}x`, Buffer.from('x')), (e: unknown) => e instanceof ObjectStoreError && e.cause === '500' && e.retryable && e.status === 500);
      assert.equal(await store.head(`${p}x`), null);
      await store.put(`${p}x`, Buffer.from('x')); // fault used up
    });

    it('503 SlowDown → cause "SlowDown" (code SlowDown, status 503)', async () => {
      proxy.setFaults({ kind: 'slowdown', methods: ['GET'], times: 1 });
      await store.put(`${p}x`, Buffer.from('x'));
      await assert.rejects(store.get(`${p}x`), (e: unknown) => e instanceof ObjectStoreError && e.cause === 'SlowDown' && e.code === 'SlowDown' && e.status === 503);
    });

    it('a stall past the request timeout → cause "timeout" soon after the timeout', async () => {
      proxy.setFaults({ kind: 'stall', methods: ['HEAD'], times: 1 });
      const t0 = Date.now();
      await assert.rejects(store.head(`${p}x`), (e: unknown) => e instanceof ObjectStoreError && e.cause === 'timeout' && e.code === 'ETIMEDOUT');
      const took = Date.now() - t0;
      assert.ok(took >= 900 && took < 5000, `timed out after ${took} ms with a 1000 ms timeout`);
      assert.equal(await store.head(`${p}x`), null); // the next request goes through
    });

    it('a connection dropped mid-upload → cause "reset"; nothing is stored; a multipart upload is aborted', async () => {
      proxy.setFaults({ kind: 'drop-request', methods: ['PUT'], afterBytes: 64 * 1024, times: 1 });
      await assert.rejects(store.put(`${p}small`, randomBytes(1 * MiB)), (e: unknown) => e instanceof ObjectStoreError && e.cause === 'reset' && e.retryable);
      assert.equal(await store.head(`${p}small`), null);
      // Multipart: the second UploadPart is dropped; the upload must be aborted, not left open.
      proxy.setFaults({ kind: 'drop-request', methods: ['PUT'], path: /partNumber=2/, afterBytes: 1 * MiB, times: 1 });
      await assert.rejects(store.put(`${p}big`, randomBytes(12 * MiB)), (e: unknown) => e instanceof ObjectStoreError && e.cause === 'reset');
      assert.equal(await store.head(`${p}big`), null);
      assert.deepEqual((await moto.openMultipartUploads(BUCKET)).filter((u) => u.includes(p)), []);
    });

    it('a connection dropped mid-GET → cause "reset", never a short body', async () => {
      const body = randomBytes(256 * 1024);
      await store.put(`${p}obj`, body);
      proxy.setFaults({ kind: 'drop-response', methods: ['GET'], afterBytes: 100 * 1024, times: 2 });
      await assert.rejects(store.get(`${p}obj`), (e: unknown) => e instanceof ObjectStoreError && e.cause === 'reset');
      await assert.rejects(store.get(`${p}obj`, { start: 1000, end: 200_999 }), (e: unknown) => e instanceof ObjectStoreError && e.cause === 'reset');
      assert.deepEqual(await store.get(`${p}obj`), body);
    });

    it('InstrumentedObjectStore reports each operation with its latency and error cause', async () => {
      const seen: Array<{ op: string; seconds: number; cause?: string }> = [];
      const inst = new InstrumentedObjectStore(store, (op, seconds, cause) => seen.push({ op, seconds, cause }));
      await inst.put(`${p}i`, Buffer.from('x'));
      assert.equal(await inst.putIfAbsent(`${p}i`, Buffer.from('y')), null); // a lost race is an answer, not an error
      await assert.rejects(inst.get(`${p}missing`), ObjectNotFoundError);
      proxy.setFaults({ kind: 'slowdown', methods: ['GET'], times: 1 });
      await assert.rejects(inst.get(`${p}i`));
      await inst.list(p);
      assert.deepEqual(
        seen.map((s) => [s.op, s.cause]),
        [['put', undefined], ['putIfAbsent', undefined], ['get', 'NotFound'], ['get', 'SlowDown'], ['list', undefined]],
      );
      assert.ok(seen.every((s) => s.seconds > 0 && s.seconds < 10));
    });
  });

  describe('createObjectStore', () => {
    const base = (args: string[]) => loadConfig(args, {});

    it('builds a LocalObjectStore by default and an S3ObjectStore for --object-store-type s3', async () => {
      assert.ok(createObjectStore(base(['--object-store-dir', '/tmp/x'])) instanceof LocalObjectStore);
      const cfg = base([
        '--object-store-type', 's3', '--s3-endpoint', moto.endpoint, '--s3-bucket', BUCKET, '--s3-path-style', 'true',
        '--s3-access-key-id', 'test', '--s3-secret-access-key', 'test', '--s3-prefix', 'factory',
      ]);
      const s3 = createObjectStore(cfg);
      assert.ok(s3 instanceof S3ObjectStore);
      stores.push(s3);
      await s3.put('k', Buffer.from('v'));
      assert.ok((await moto.listKeys(BUCKET, 'factory/')).includes('factory/k'));
    });

    it('refuses s3 without a bucket, naming the key', () => {
      assert.throws(() => createObjectStore(base(['--object-store-type', 's3'])), (e: unknown) => e instanceof ConfigError && /s3Bucket/.test(e.message) && /--s3-bucket/.test(e.message));
    });

    it('refuses half a key pair, naming the missing key', () => {
      assert.throws(
        () => createObjectStore(base(['--object-store-type', 's3', '--s3-bucket', 'b-1', '--s3-access-key-id', 'abc'])),
        (e: unknown) => e instanceof ConfigError && /s3SecretAccessKey/.test(e.message),
      );
    });
  });
});
