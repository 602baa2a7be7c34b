// Connection: per-request containment (a failing decode, handler or response encoding closes only that
// connection, with a reason), read-ahead bounded in frames and bytes, muting while responses sit unsent, and
// the idle timeout. A scripted socket stands in for TCP so how much is unsent, when it drains and when the
// idle timer fires are decided by the test, not by timing.
import { strict as assert } from 'node:assert';
import { ApiKey } from '../../src/protocol/apis';
import { decodeResponse } from '../../src/protocol/headers';
import { defineHandler, type ApiHandler } from '../../src/handlers/handler';
import { apiVersionsHandler, apiVersionsRequest, blockedApiVersions, connectionServices, frame, open, settle } from './harness';
import { MetadataImage } from '../../src/cluster/metadata-image';
import { PRODUCER_BYTE_RATE } from '../../src/security/client-quotas';

const joinRequest = (corr: number) =>
  frame(ApiKey.JoinGroup, 5, corr, { groupId: 'g', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [] });

/** JoinGroup answering with a member id of 40,000 bytes, which the encoder must refuse (Kafka's limit is 32767). */
const unencodableJoinHandler: ApiHandler = defineHandler({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  handle() {
    return { throttleTimeMs: 0, errorCode: 0, generationId: 1, protocolType: null, protocolName: 'range', leader: '', skipAssignment: false, memberId: 'm'.repeat(40_000), members: [] };
  },
});

describe('network connection', () => {
  describe('per-request containment', () => {
    it('a response the encoder refuses closes only that connection, with a logged reason', async () => {
      const handlers = [unencodableJoinHandler, apiVersionsHandler()];
      const bad = open(handlers);
      const good = open(handlers);
      bad.socket.emit('data', Buffer.concat([joinRequest(1), apiVersionsRequest(2)]));
      good.socket.emit('data', apiVersionsRequest(3));
      await settle();

      assert.equal(bad.socket.destroyed, true);
      assert.equal(bad.closes.length, 1);
      assert.match(bad.closes[0] ?? '', /^response encoding failed for JoinGroup v5: .*memberId.*too long/);
      assert.ok(bad.logs.some((l) => l.startsWith('response encoding failed')), 'the failure is logged');
      assert.deepEqual(bad.requests, [{ api: 'JoinGroup', errored: true }], 'counted as a failed request; the pipelined request is dropped');
      assert.equal(bad.socket.responses().length, 0, 'nothing half-written');

      assert.equal(good.socket.destroyed, false);
      const [res] = good.socket.responses();
      assert.equal(decodeResponse(ApiKey.ApiVersions, 0, res).correlationId, 3);
    });

    it('its log lines carry the peer and the request: api, version, correlation id, client id', async () => {
      const h = open([unencodableJoinHandler, apiVersionsHandler()]);
      h.socket.emit('data', joinRequest(7));
      await settle();
      const line = h.logs.find((l) => l.startsWith('closing connection'));
      assert.ok(line, h.logs.join('\n'));
      const fields = JSON.parse(line.slice('closing connection '.length)) as Record<string, unknown>;
      assert.equal(typeof fields.remote, 'string');
      assert.deepEqual(
        { api: fields.api, apiVersion: fields.apiVersion, correlationId: fields.correlationId, clientId: fields.clientId },
        { api: 'JoinGroup', apiVersion: 5, correlationId: 7, clientId: 'unit' },
      );
    });

    it('a handler that throws closes the connection with the reason', async () => {
      const h = open([
        defineHandler({
          apiKey: ApiKey.ApiVersions,
          minVersion: 0,
          maxVersion: 0,
          handle() {
            throw new Error('boom');
          },
        }),
      ]);
      h.socket.emit('data', apiVersionsRequest(1));
      await settle();
      assert.deepEqual(h.closes, ['internal error handling ApiVersions: boom']);
      assert.deepEqual(h.requests, [{ api: 'ApiVersions', errored: true }]);
    });

    it('aborts the request signal when the connection closes, so a long poll stops waiting', async () => {
      let signal: AbortSignal | undefined;
      const h = open([
        defineHandler({
          apiKey: ApiKey.ApiVersions,
          minVersion: 0,
          maxVersion: 0,
          handle(_req, ctx) {
            signal = ctx.signal;
            return new Promise((resolve) => ctx.signal!.addEventListener('abort', () => resolve(null)));
          },
        }),
      ]);
      h.socket.emit('data', apiVersionsRequest(1));
      await settle();
      assert.equal(signal?.aborted, false);
      h.socket.destroy(); // the client went away
      await settle();
      assert.equal(signal?.aborted, true);
      assert.deepEqual(h.closes, [null]);
      assert.equal(h.socket.responses().length, 0);
    });

    it('a malformed body closes the connection without calling the handler', async () => {
      let calls = 0;
      const h = open([unencodableJoinHandler, apiVersionsHandler(() => calls++)]);
      const f = joinRequest(1);
      h.socket.emit('data', Buffer.concat([Buffer.from([0, 0, 0, 20]), f.subarray(4, 24)])); // JoinGroup cut short
      await settle();
      assert.equal(h.closes.length, 1);
      assert.match(h.closes[0] ?? '', /^malformed JoinGroup v5 request/);
      assert.equal(calls, 0);
    });
  });

  describe('memory bounds', () => {
    it('stops reading and processing while more than maxUnsentBytes of responses are unsent, and resumes on drain', async () => {
      let calls = 0;
      // Each response is about 30 KB; the budget 40 KB: the second response takes it over.
      const mutes: boolean[] = [];
      const h = open([apiVersionsHandler(() => calls++, 30_000)], { maxUnsentBytes: 40_000, onMuted: (m) => mutes.push(m) });
      const frames = Array.from({ length: 10 }, (_, i) => apiVersionsRequest(i));
      h.socket.emit('data', Buffer.concat(frames));
      await settle();
      assert.equal(calls, 2, 'processing stops once the unsent budget is exceeded');
      assert.ok(h.socket.paused, 'reading is paused while muted');
      assert.deepEqual(mutes, [true]);
      assert.ok(h.socket.writableLength > 40_000 && h.socket.writableLength < 80_000, `unsent ${h.socket.writableLength}`);

      h.socket.drainAll();
      await settle();
      assert.equal(calls, 4, 'two more once the client read everything');
      for (let round = 0; round < 3; round++) {
        h.socket.drainAll();
        await settle();
      }
      assert.equal(calls, 10, 'two per drain');
      assert.ok(h.socket.paused, 'the last two responses are unsent: still muted');
      h.socket.drainAll();
      await settle();
      assert.equal(h.socket.paused, false);
      assert.deepEqual(mutes, [true, false, true, false, true, false, true, false, true, false], 'reported on each change');
      const ids = h.socket.responses().map((r) => decodeResponse(ApiKey.ApiVersions, 0, r).correlationId);
      assert.deepEqual(ids, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'every response, in order');
      assert.deepEqual(h.closes, []);
    });

    it('bounds read-ahead in bytes as well as in frames', async () => {
      const { handler: slow, release } = blockedApiVersions();
      const payload = apiVersionsRequest(1).length - 4; // queued frames are counted without their size prefix
      // Room for a hundred queued frames by count, two by bytes.
      const h = open([slow], { maxInflight: 100, maxInflightBytes: payload * 2 });
      h.socket.emit('data', apiVersionsRequest(1)); // taken by the handler, which blocks
      await settle();
      assert.equal(h.socket.paused, false);
      h.socket.emit('data', apiVersionsRequest(2));
      assert.equal(h.socket.paused, false, 'one queued frame is under the byte budget');
      h.socket.emit('data', apiVersionsRequest(3));
      assert.equal(h.socket.paused, true, 'two queued frames reach the byte budget');
      release();
      await settle();
      assert.equal(h.socket.paused, false, 'reading resumes as the queue empties');
      assert.equal(h.socket.responses().length, 3);
    });
  });

  describe('idle timeout', () => {
    it('closes a connection whose socket reports idleness, but not while a request is being handled', async () => {
      const { handler: longPoll, release } = blockedApiVersions();
      const h = open([longPoll], { idleTimeoutMs: 5000 });
      assert.equal(h.socket.timeoutMs, 5000, 'the socket timer is armed with connections.max.idle.ms');
      h.socket.emit('data', apiVersionsRequest(1));
      await settle();
      h.socket.emit('timeout');
      assert.deepEqual(h.closes, [], 'a request in progress is not idleness');
      release();
      await settle();
      assert.equal(h.socket.responses().length, 1);
      h.socket.emit('timeout');
      assert.deepEqual(h.closes, ['idle timeout: no traffic for 5000 ms (connections.max.idle.ms)']);
      assert.equal(h.socket.destroyed, true);
    });

    it('has no idle timer when connections.max.idle.ms is -1', () => {
      const h = open([apiVersionsHandler()], { idleTimeoutMs: -1 });
      assert.equal(h.socket.timeoutMs, 0);
      assert.equal(h.socket.listenerCount('timeout'), 0);
    });
  });

  describe('quota throttling', () => {
    it('a request that puts its client over a quota mutes the connection for the throttle time after its response', async () => {
      const image = new MetadataImage();
      image.apply({ type: 'client-quota', entity: { clientId: 'unit' }, key: PRODUCER_BYTE_RATE, value: 1000 });
      // Quota windows of 2 x 100 ms: a throttle is at most 200 ms.
      const services = connectionServices(image, 100);
      const handled: number[] = [];
      const heartbeat: ApiHandler = defineHandler({
        apiKey: ApiKey.Heartbeat,
        minVersion: 0,
        maxVersion: 4,
        handle(_req, ctx) {
          handled.push(performance.now());
          return { throttleTimeMs: ctx.recordQuota(PRODUCER_BYTE_RATE, 1_000_000), errorCode: 0 };
        },
      });
      const h = open([heartbeat], { services });
      const hb = (corr: number) => frame(ApiKey.Heartbeat, 4, corr, { groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null });
      h.socket.emit('data', Buffer.concat([hb(1), hb(2)]));
      await settle();
      assert.equal(handled.length, 1, 'the second request waits');
      assert.equal(h.socket.paused, true, 'reading is paused while muted');
      const first = decodeResponse<{ throttleTimeMs: number }>(ApiKey.Heartbeat, 4, h.socket.responses()[0]).body;
      assert.equal(first.throttleTimeMs, 200);
      // Wait (bounded) for the second request: it must not run before the throttle time has passed.
      const deadline = Date.now() + 10_000;
      while (handled.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(handled.length, 2, 'the second request ran once the throttle passed');
      assert.ok(handled[1] - handled[0] >= 190, `second request after ${handled[1] - handled[0]} ms`);
      h.conn.close(null);
    });
  });
});
