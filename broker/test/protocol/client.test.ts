// KafkaClient against a tiny in-test broker that answers from a handler table.
import * as assert from 'assert';
import * as net from 'net';
import { ApiKey } from '../../src/protocol/apis';
import { KafkaClient } from '../../src/protocol/client';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import { RequestHeaderInfo, decodeRequestBody, decodeRequestHeader, encodeResponseFrame } from '../../src/protocol/headers';
import type { MetadataRequest, MetadataResponse } from '../../src/protocol/schema/types';

/** A reply body, or one encoded as another version of the response, or null for no reply. */
type Reply = object | { asVersion: number; body: object } | null;
type Handler = (h: RequestHeaderInfo, body: Record<string, unknown>) => Reply | Promise<Reply>;

interface TestServer {
  port: number;
  received: RequestHeaderInfo[];
  sockets: net.Socket[];
  close(): Promise<void>;
}

/** Answers each frame in order. `trickle` writes responses byte by byte. */
async function startServer(handlers: Partial<Record<number, Handler>>, opts: { trickle?: boolean } = {}): Promise<TestServer> {
  const received: RequestHeaderInfo[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    let buffered = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        const h = decodeRequestHeader(frame);
        received.push(h);
        queue = queue.then(async () => {
          const reply = await handlers[h.apiKey]!(h, decodeRequestBody(h, frame));
          if (reply === null) return;
          const [version, body] = 'asVersion' in reply ? [reply.asVersion, reply.body] : [h.apiVersion, reply];
          const out = Buffer.concat(encodeResponseFrame(h.apiKey, version, h.correlationId, body));
          if (!opts.trickle) socket.write(out);
          else for (const byte of out) socket.write(Buffer.from([byte]));
        });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    received,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const apiVersionsOk = (): object => ({
  errorCode: 0,
  apiKeys: [
    { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 4 },
    { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 9 },
    { apiKey: ApiKey.Produce, minVersion: 3, maxVersion: 9 },
  ],
});

const metadataEcho: Handler = (_h, body) => {
  const req = body as unknown as MetadataRequest;
  return { controllerId: 1, topics: (req.topics ?? []).map((t) => ({ name: t.name, errorCode: 0, partitions: [] })) };
};

describe('KafkaClient', () => {
  let server: TestServer | undefined;
  let client: KafkaClient | undefined;

  afterEach(async () => {
    await client?.close();
    await server?.close();
    client = server = undefined;
  });

  it('negotiates api versions and picks the highest common one', async () => {
    server = await startServer({ [ApiKey.ApiVersions]: apiVersionsOk });
    client = await KafkaClient.connect({ host: '127.0.0.1', port: server.port, clientId: 'tester' });
    const versions = await client.apiVersions();
    assert.deepStrictEqual(versions.get(ApiKey.Metadata), { min: 0, max: 9 });
    assert.strictEqual(server.received[0].apiVersion, 4);
    assert.strictEqual(server.received[0].clientId, 'tester');
    assert.strictEqual(client.pickVersion(ApiKey.Metadata), 9);
    assert.strictEqual(client.pickVersion(ApiKey.Metadata, 4), 4);
    assert.throws(() => client!.pickVersion(ApiKey.Produce, 2), KafkaError);
    assert.throws(() => client!.pickVersion(ApiKey.Fetch), /does not support Fetch/);
    await client.apiVersions();
    assert.strictEqual(server.received.length, 1, 'cached');
  });

  it('steps down when the broker answers UNSUPPORTED_VERSION with a v0 body', async () => {
    server = await startServer({
      [ApiKey.ApiVersions]: (h) =>
        h.apiVersion <= 2
          ? apiVersionsOk()
          : // What Kafka brokers do for an ApiVersions version they do not know.
            { asVersion: 0, body: { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 }] } },
    });
    client = await KafkaClient.connect({ host: '127.0.0.1', port: server.port });
    const versions = await client.apiVersions();
    assert.deepStrictEqual(
      server.received.map((h) => h.apiVersion),
      [4, 2],
    );
    assert.deepStrictEqual(versions.get(ApiKey.Produce), { min: 3, max: 9 });
  });

  it('pipelines requests and matches responses by correlation id, across byte-by-byte frames', async () => {
    server = await startServer({ [ApiKey.Metadata]: metadataEcho }, { trickle: true });
    client = await KafkaClient.connect({ host: '127.0.0.1', port: server.port });
    const names = Array.from({ length: 20 }, (_, i) => `topic-${i}`);
    const results = await Promise.all(
      names.map((name, i) => client!.request<MetadataResponse>(ApiKey.Metadata, i % 2 === 0 ? 1 : 9, { topics: [{ name }] })),
    );
    assert.deepStrictEqual(
      results.map((r) => r.topics[0].name),
      names,
    );
    assert.strictEqual(new Set(server.received.map((h) => h.correlationId)).size, names.length);
  });

  it('sends requests without a response (acks=0) and keeps going', async () => {
    server = await startServer({ [ApiKey.Produce]: () => null, [ApiKey.Metadata]: metadataEcho });
    client = await KafkaClient.connect({ host: '127.0.0.1', port: server.port });
    await client.requestNoResponse(ApiKey.Produce, 7, { acks: 0, timeoutMs: 100, topicData: [] });
    const res = await client.request<MetadataResponse>(ApiKey.Metadata, 4, { topics: [{ name: 'x' }] });
    assert.strictEqual(res.topics[0].name, 'x');
    assert.deepStrictEqual(
      server.received.map((h) => h.apiKey),
      [ApiKey.Produce, ApiKey.Metadata],
    );
  });

  it('rejects every pending request when the connection drops', async () => {
    server = await startServer({ [ApiKey.Metadata]: () => new Promise<null>(() => undefined) });
    client = await KafkaClient.connect({ host: '127.0.0.1', port: server.port });
    const pending = [1, 2, 3].map(() => client!.request(ApiKey.Metadata, 1, { topics: [] }));
    while (server.received.length < 3) await new Promise((r) => setTimeout(r, 5));
    for (const s of server.sockets) s.destroy();
    for (const p of pending) await assert.rejects(p, /closed/);
    await assert.rejects(client.request(ApiKey.Metadata, 1, { topics: [] }), /closed/);
  });

  it('times out a request that gets no answer', async () => {
    server = await startServer({ [ApiKey.Metadata]: () => null });
    client = await KafkaClient.connect({ host: '127.0.0.1', port: server.port, timeoutMs: 50 });
    await assert.rejects(client.request(ApiKey.Metadata, 1, { topics: [] }), /Metadata v1 .* timed out after 50 ms/);
  });

  it('rejects encode errors without sending anything', async () => {
    server = await startServer({});
    client = await KafkaClient.connect({ host: '127.0.0.1', port: server.port });
    await assert.rejects(client.request(ApiKey.Metadata, 0, { topics: null }), /null is not allowed/);
    assert.strictEqual(server.received.length, 0);
  });

  it('fails to connect to a closed port', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await assert.rejects(KafkaClient.connect({ host: '127.0.0.1', port }), /cannot connect/);
  });
});
