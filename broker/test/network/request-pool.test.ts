// The broker-wide request pool (queued.max.request.bytes): the pool itself (reserve, wait in arrival order,
// release), and connections using it: a frame's size is reserved at its size prefix, reading pauses while the
// pool cannot grant it, and every byte comes back when the request is handled or the connection closes.
import { strict as assert } from 'node:assert';
import { RequestMemoryPool, type PoolWaiter } from '../../src/network/request-pool';
import { apiVersionsHandler, apiVersionsRequest, blockedApiVersions, open, settle, type Harness } from './harness';

/** A size prefix announcing `size` payload bytes, followed by `sent` of them. */
function partialFrame(size: number, sent: number): Buffer {
  const b = Buffer.alloc(4 + sent);
  b.writeInt32BE(size, 0);
  return b;
}

function waiter(bytes: number, grants: number[]): PoolWaiter {
  return { bytes, granted: () => grants.push(bytes) };
}

/** Payload bytes of one ApiVersions request frame (what the pool reserves for it). */
const API_VERSIONS_BYTES = apiVersionsRequest(1).length - 4;

describe('request pool', () => {
  describe('RequestMemoryPool', () => {
    it('grants what fits, queues what does not and grants it on release', () => {
      const pool = new RequestMemoryPool(100);
      const grants: number[] = [];
      assert.equal(pool.reserve(waiter(60, grants)), true);
      assert.equal(pool.reserve(waiter(50, grants)), false);
      assert.deepEqual([pool.used, pool.waiting], [60, 1]);
      pool.release(60);
      assert.deepEqual(grants, [50]);
      assert.deepEqual([pool.used, pool.waiting], [50, 0]);
      pool.release(50);
      assert.equal(pool.used, 0);
    });

    it('grants in arrival order: a small request does not overtake a large one that waits', () => {
      const pool = new RequestMemoryPool(100);
      const grants: number[] = [];
      pool.reserve(waiter(60, grants));
      assert.equal(pool.reserve(waiter(90, grants)), false);
      assert.equal(pool.reserve(waiter(20, grants)), false, 'fits, but the large one waits ahead');
      pool.release(60);
      assert.deepEqual(grants, [90]);
      pool.release(90);
      assert.deepEqual(grants, [90, 20]);
    });

    it('a cancelled waiter at the head lets the ones behind it in', () => {
      const pool = new RequestMemoryPool(100);
      const grants: number[] = [];
      pool.reserve(waiter(60, grants));
      const big = waiter(90, grants);
      pool.reserve(big);
      pool.reserve(waiter(30, grants));
      pool.cancel(big);
      assert.deepEqual(grants, [30]);
      assert.deepEqual([pool.used, pool.waiting], [90, 0]);
    });

    it('refuses a request larger than the whole pool', () => {
      const pool = new RequestMemoryPool(100);
      assert.equal(pool.tooLarge(101), true);
      assert.equal(pool.tooLarge(100), false);
      assert.throws(() => pool.reserve(waiter(101, [])), RangeError);
    });
  });

  describe('connections sharing a pool', () => {
    const withPool = (pool: RequestMemoryPool, h = apiVersionsHandler()): Harness => open([h], { pool });

    it('reserves a frame at its size prefix and releases it once the response is queued', async () => {
      const pool = new RequestMemoryPool(1 << 20);
      const { handler, release } = blockedApiVersions();
      const h = withPool(pool, handler);
      h.socket.emit('data', partialFrame(1000, 10));
      assert.equal(pool.used, 1000, 'reserved before the body arrived');
      h.socket.destroy();
      assert.equal(pool.used, 0);

      const h2 = withPool(pool, handler);
      h2.socket.emit('data', apiVersionsRequest(1));
      await settle();
      assert.equal(pool.used, API_VERSIONS_BYTES, 'held while handled');
      release();
      await settle();
      assert.equal(h2.socket.responses().length, 1);
      assert.equal(pool.used, 0);
    });

    it('read-ahead frames stay reserved until each is handled', async () => {
      const pool = new RequestMemoryPool(1 << 20);
      const { handler, release } = blockedApiVersions();
      const h = withPool(pool, handler);
      h.socket.emit('data', Buffer.concat([apiVersionsRequest(1), apiVersionsRequest(2), apiVersionsRequest(3)]));
      await settle();
      assert.equal(pool.used, 3 * API_VERSIONS_BYTES);
      release();
      await settle();
      assert.equal(h.socket.responses().length, 3);
      assert.equal(pool.used, 0);
    });

    it('a connection whose frame does not fit stops reading, is not idle, and goes on once space is freed', async () => {
      const pool = new RequestMemoryPool(API_VERSIONS_BYTES);
      const { handler, release } = blockedApiVersions();
      const first = withPool(pool, handler);
      first.socket.emit('data', apiVersionsRequest(1));
      await settle();
      const second = open([apiVersionsHandler()], { pool, idleTimeoutMs: 5000 });
      second.socket.emit('data', apiVersionsRequest(2));
      await settle();
      assert.equal(second.socket.paused, true, 'reading paused while waiting for the pool');
      assert.equal(pool.waiting, 1);
      assert.equal(second.requests.length, 0);
      second.socket.emit('timeout');
      assert.deepEqual(second.closes, [], 'waiting for the broker is not idleness');

      release();
      await settle();
      assert.equal(first.socket.responses().length, 1);
      assert.equal(second.socket.responses().length, 1, 'served once the first request released its bytes');
      assert.equal(second.socket.paused, false);
      assert.deepEqual([pool.used, pool.waiting], [0, 0]);
    });

    it('gives everything back when a connection closes mid-frame, while waiting, or on a failing request', async () => {
      const pool = new RequestMemoryPool(1000);
      const stalled = withPool(pool);
      stalled.socket.emit('data', partialFrame(800, 100));
      const waiting = withPool(pool);
      waiting.socket.emit('data', partialFrame(500, 0));
      const behind = withPool(pool);
      behind.socket.emit('data', partialFrame(100, 0));
      assert.deepEqual([pool.used, pool.waiting], [800, 2]);
      waiting.socket.destroy(); // closed while waiting: its place in the queue is given up
      assert.deepEqual([pool.used, pool.waiting], [900, 0], 'the one behind it fits now');
      stalled.socket.emit('close'); // closed mid-frame
      assert.equal(pool.used, 100);
      behind.socket.emit('data', Buffer.alloc(100)); // completes a frame of an API not served: closes
      await settle();
      assert.deepEqual(behind.closes, ['unknown api key 0']);
      assert.deepEqual([pool.used, pool.waiting], [0, 0]);
    });

    it('serves waiters in arrival order', async () => {
      const pool = new RequestMemoryPool(1000);
      const a = withPool(pool);
      a.socket.emit('data', partialFrame(600, 0));
      const b = withPool(pool);
      b.socket.emit('data', partialFrame(990, 0));
      const c = withPool(pool);
      c.socket.emit('data', apiVersionsRequest(1)); // small enough to fit beside a, but b waits ahead
      await settle();
      assert.deepEqual([pool.used, pool.waiting], [600, 2]);
      assert.equal(c.socket.responses().length, 0);
      a.socket.destroy();
      await settle();
      assert.deepEqual([pool.used, pool.waiting], [990, 1], 'b first');
      b.socket.destroy();
      await settle();
      assert.equal(c.socket.responses().length, 1, 'then c');
      assert.deepEqual([pool.used, pool.waiting], [0, 0]);
    });

    it('refuses a frame larger than the whole pool with a logged close', () => {
      const pool = new RequestMemoryPool(1000);
      const h = withPool(pool);
      h.socket.emit('data', partialFrame(1001, 0));
      assert.equal(h.closes.length, 1);
      assert.match(String(h.closes[0]), /frame size 1001 exceeds queued\.max\.request\.bytes \(1000\)/);
      assert.ok(h.logs.some((l) => l.startsWith('closing connection') && l.includes('queued.max.request.bytes')), h.logs.join('\n'));
      assert.deepEqual([pool.used, pool.waiting], [0, 0]);
    });
  });
});
