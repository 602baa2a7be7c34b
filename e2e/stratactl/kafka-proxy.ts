// A Kafka-protocol-aware TCP proxy in front of a one-broker cluster, to lose a response on purpose: it forwards
// every request to the broker, and for the request chosen by count (the n-th Produce, say) it lets the broker
// process it and then closes the client's connection instead of passing the answer back — the case of a
// connection dropped after the write, where only the client's retry logic decides whether records are lost or
// written twice. Nothing is random or timed, so a test knows exactly which request lost its answer.
// Metadata and FindCoordinator answers are rewritten to name the proxy as every broker, so clients that
// bootstrap through it keep talking through it (which is why it suits a one-broker cluster only).
import * as net from 'node:net';
import { ApiKey } from '../../broker/src/protocol/apis';
import { FrameReader } from '../../broker/src/protocol/frame-reader';
import { decodeRequestHeader, decodeResponse, encodeResponseFrame } from '../../broker/src/protocol/headers';
import type { FindCoordinatorResponse, MetadataResponse } from '../../broker/src/protocol/schema/types';

const MAX_FRAME_BYTES = 100 * 1024 * 1024;

interface DropRule {
  apiKey: number;
  /** The request of this api key, counted from 1 since the rule was set, whose answer is dropped. */
  nth: number;
  seen: number;
}

export class KafkaProxy {
  /** Requests forwarded, by api key. */
  readonly requests = new Map<number, number>();
  /** Answers dropped (connections closed in their place). */
  dropped = 0;
  private rules: DropRule[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  /** Listens on a free loopback port and forwards to `upstream` (host:port). */
  static async start(upstream: string): Promise<KafkaProxy> {
    const at = upstream.lastIndexOf(':');
    const server = net.createServer();
    const proxy = new KafkaProxy(server, upstream.slice(0, at), Number(upstream.slice(at + 1)));
    server.on('connection', (client) => proxy.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The n-th request of `apiKey` from now on reaches the broker, but its client connection closes instead of getting the answer. */
  dropAnswerOf(apiKey: number, nth: number): void {
    this.rules.push({ apiKey, nth, seen: 0 });
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.on('error', () => undefined); // a reset is how connections end here; the peer is destroyed below
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.upstreamPort, this.upstreamHost);
    this.track(client);
    this.track(upstream);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
    // correlation id → what was asked, and whether its answer is to be dropped
    const asked = new Map<number, { apiKey: number; apiVersion: number; drop: boolean }>();
    const requests = new FrameReader(MAX_FRAME_BYTES);
    const responses = new FrameReader(MAX_FRAME_BYTES);
    client.on('data', (data: Buffer) => {
      for (const frame of requests.push(data)) {
        const h = decodeRequestHeader(frame);
        this.requests.set(h.apiKey, (this.requests.get(h.apiKey) ?? 0) + 1);
        asked.set(h.correlationId, { apiKey: h.apiKey, apiVersion: h.apiVersion, drop: this.shouldDrop(h.apiKey) });
        upstream.write(sizePrefix(frame.length));
        upstream.write(frame);
      }
    });
    upstream.on('data', (data: Buffer) => {
      for (const frame of responses.push(data)) {
        const correlationId = frame.readInt32BE(0); // first in every response header version
        const req = asked.get(correlationId);
        asked.delete(correlationId);
        if (req?.drop) {
          // The broker has handled it (this is its answer): the client never learns how.
          this.dropped++;
          client.destroy();
          upstream.destroy();
          return;
        }
        const rewritten = req && this.rewrite(req.apiKey, req.apiVersion, correlationId, frame);
        if (rewritten) for (const chunk of rewritten) client.write(chunk);
        else {
          client.write(sizePrefix(frame.length));
          client.write(frame);
        }
      }
    });
  }

  private shouldDrop(apiKey: number): boolean {
    for (const r of this.rules) {
      if (r.apiKey !== apiKey) continue;
      if (++r.seen === r.nth) {
        this.rules = this.rules.filter((x) => x !== r);
        return true;
      }
    }
    return false;
  }

  /** Metadata and FindCoordinator answers naming the proxy instead of the broker; undefined for the rest. */
  private rewrite(apiKey: number, apiVersion: number, correlationId: number, frame: Buffer): Buffer[] | undefined {
    const here = { host: '127.0.0.1', port: this.port };
    if (apiKey === ApiKey.Metadata) {
      const { body } = decodeResponse<MetadataResponse>(apiKey, apiVersion, frame);
      body.brokers = body.brokers.map((b) => ({ ...b, ...here }));
      return encodeResponseFrame(apiKey, apiVersion, correlationId, body);
    }
    if (apiKey === ApiKey.FindCoordinator) {
      const { body } = decodeResponse<FindCoordinatorResponse>(apiKey, apiVersion, frame);
      const moved = { ...body, ...(body.nodeId >= 0 ? here : {}), coordinators: (body.coordinators ?? []).map((c) => ({ ...c, ...(c.nodeId >= 0 ? here : {}) })) };
      return encodeResponseFrame(apiKey, apiVersion, correlationId, moved);
    }
    return undefined;
  }
}

function sizePrefix(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
}
