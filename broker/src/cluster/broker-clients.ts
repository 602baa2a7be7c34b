// Connections to the other brokers of the cluster: one KafkaClient per remote broker, to its endpoint on the
// inter-broker listener (interBrokerListenerName; empty = the broker's first listener) as the metadata image
// lists it. A connection that fails is dropped and re-opened on a later request, after a capped exponential
// backoff (so a dead broker costs one failed connect per backoff, not one per request); a broker that leaves
// the image, or moves to another endpoint, has its connection closed (sync()). Used for heartbeats to the
// controller and by the replica fetchers.
import { readFileSync } from 'node:fs';
import type * as tls from 'node:tls';
import type { BrokerConfig } from '../config';
import { monotonicClock, type Clock } from '../clock';
import { createLogger, type Logger } from '../logger';
import { KafkaClient, type ClientOptions } from '../protocol/client';
import { KafkaError } from '../protocol/errors';
import { backoffDelay } from '../tier/backoff';
import type { MetadataImage } from './metadata-image';
import type { BrokerEndpoint } from './metadata-records';

export interface BrokerClientsOptions {
  image: Pick<MetadataImage, 'brokers'>;
  /** Listener to connect to ('' = each broker's first). */
  listenerName: string;
  clientId: string;
  /** TLS options for SSL endpoints. */
  tls?: () => tls.ConnectionOptions;
  /** Per-request timeout (ms). */
  requestTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Opens a connection (tests replace it). */
  connect?: (opts: ClientOptions) => Promise<KafkaClient>;
}

interface Peer {
  address: string;
  client: Promise<KafkaClient> | null;
  failures: number;
  retryAt: number;
}

export class BrokerUnavailableError extends Error {
  override readonly name = 'BrokerUnavailableError';
}

/** A broker's endpoint on `listenerName` ('' = its first endpoint, or host/port of records without endpoints). */
export function interBrokerEndpoint(b: { host: string; port: number; endpoints?: BrokerEndpoint[] }, listenerName: string): BrokerEndpoint | null {
  if (!b.endpoints || b.endpoints.length === 0) return listenerName === '' ? { listener: '', host: b.host, port: b.port, securityProtocol: 'PLAINTEXT' } : null;
  if (listenerName === '') return b.endpoints[0];
  return b.endpoints.find((e) => e.listener === listenerName) ?? null;
}

/** TLS options for connecting to other brokers: the configured CA verifies them, our certificate identifies us. */
export function interBrokerTls(config: Pick<BrokerConfig, 'sslCaLocation' | 'sslCertificateLocation' | 'sslKeyLocation'>): () => tls.ConnectionOptions {
  return () => ({
    ...(config.sslCaLocation ? { ca: readFileSync(config.sslCaLocation) } : {}),
    ...(config.sslCertificateLocation ? { cert: readFileSync(config.sslCertificateLocation) } : {}),
    ...(config.sslKeyLocation ? { key: readFileSync(config.sslKeyLocation) } : {}),
  });
}

export class BrokerClients {
  private readonly peers = new Map<number, Peer>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly opts: BrokerClientsOptions) {
    this.clock = opts.clock ?? monotonicClock;
    this.logger = opts.logger ?? createLogger('broker-clients');
  }

  /**
   * Sends one request to broker `nodeId` at the highest version both sides support (≤ maxVersion). Throws
   * BrokerUnavailableError while the broker is unknown, unreachable or backing off, or when the connection fails
   * or times out (it is then dropped); a KafkaError from the request itself (UNSUPPORTED_VERSION) keeps it.
   */
  async request<T>(nodeId: number, apiKey: number, maxVersion: number, body: object): Promise<T> {
    const peer = this.peer(nodeId);
    const client = await this.connection(nodeId, peer);
    try {
      return await client.request<T>(apiKey, client.pickVersion(apiKey, maxVersion), body);
    } catch (err) {
      if (err instanceof KafkaError) throw err;
      this.failed(nodeId, peer, client, err);
      throw new BrokerUnavailableError(`request to broker ${nodeId} (${peer.address}) failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Closes connections to brokers that left the image or whose inter-broker endpoint changed. */
  sync(): void {
    for (const [id, peer] of this.peers) {
      const b = this.opts.image.brokers.get(id);
      const e = b ? interBrokerEndpoint(b, this.opts.listenerName) : null;
      if (!e || `${e.host}:${e.port}` !== peer.address) this.drop(id, peer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = [...this.peers.values()].map((p) => p.client);
    this.peers.clear();
    await Promise.all(clients.map((c) => c?.then((k) => k.close()).catch(() => undefined)));
  }

  private peer(nodeId: number): Peer {
    if (this.closed) throw new BrokerUnavailableError('broker clients are closed');
    const b = this.opts.image.brokers.get(nodeId);
    if (!b) throw new BrokerUnavailableError(`broker ${nodeId} is not registered`);
    const e = interBrokerEndpoint(b, this.opts.listenerName);
    if (!e) throw new BrokerUnavailableError(`broker ${nodeId} has no listener ${this.opts.listenerName}`);
    if (e.securityProtocol.startsWith('SASL')) throw new BrokerUnavailableError(`broker ${nodeId}'s ${e.listener} listener needs SASL, which inter-broker connections do not support`);
    const address = `${e.host}:${e.port}`;
    let peer = this.peers.get(nodeId);
    if (peer && peer.address !== address) {
      this.drop(nodeId, peer);
      peer = undefined;
    }
    if (!peer) {
      peer = { address, client: null, failures: 0, retryAt: 0 };
      this.peers.set(nodeId, peer);
    }
    if (!peer.client) {
      const now = this.clock.now();
      if (now < peer.retryAt) throw new BrokerUnavailableError(`broker ${nodeId} (${address}) is unreachable; retrying in ${Math.ceil(peer.retryAt - now)} ms`);
      const connect = this.opts.connect ?? ((o: ClientOptions) => KafkaClient.connect(o));
      peer.client = connect({
        host: e.host,
        port: e.port,
        clientId: this.opts.clientId,
        timeoutMs: this.opts.requestTimeoutMs ?? 30_000,
        ...(e.securityProtocol === 'SSL' ? { tls: this.opts.tls?.() ?? {} } : {}),
      }).then(async (client) => {
        await client.apiVersions();
        return client;
      });
    }
    return peer;
  }

  private async connection(nodeId: number, peer: Peer): Promise<KafkaClient> {
    const pending = peer.client!;
    try {
      const client = await pending;
      peer.failures = 0;
      return client;
    } catch (err) {
      if (peer.client === pending) this.failed(nodeId, peer, null, err);
      throw new BrokerUnavailableError(`cannot reach broker ${nodeId} (${peer.address}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Drops a broken connection and schedules the next attempt after a backoff. */
  private failed(nodeId: number, peer: Peer, client: KafkaClient | null, err: unknown): void {
    peer.client = null;
    peer.failures++;
    const delay = backoffDelay(peer.failures, this.opts.backoffBaseMs ?? 100, this.opts.backoffMaxMs ?? 5_000);
    peer.retryAt = this.clock.now() + delay;
    void client?.close().catch(() => undefined);
    if (peer.failures === 1) this.logger.warn('connection to broker failed', { broker: nodeId, address: peer.address, err });
  }

  private drop(nodeId: number, peer: Peer): void {
    this.peers.delete(nodeId);
    void peer.client?.then((c) => c.close()).catch(() => undefined);
  }
}
