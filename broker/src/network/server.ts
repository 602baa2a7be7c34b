// One Kafka listener: accepts TCP (or, for SSL/SASL_SSL, TLS) connections and hands each to a Connection;
// beyond max.connections a new socket is closed at once (logged and counted), so the number of connections is
// bounded by the broker. TLS connections become Connections once their handshake is done, with the client
// certificate's subject as principal; the certificate is swapped for new connections when the PEM files change.
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Logger } from '../logger';
import { Connection, type ConnectionOptions } from './connection';
import { ANONYMOUS, type KafkaPrincipal } from '../security/principal';
import type { Authenticator } from '../security/authenticator';
import { peerPrincipalName, secureContextOptions, tlsServerOptions, type ClientAuth, type TlsContextProvider } from '../security/tls-context';

export interface ServerOptions extends Omit<ConnectionOptions, 'onClose' | 'authenticator'> {
  host: string;
  port: number;
  /** Serve TLS with this certificate source and client-certificate policy. */
  tls?: { provider: TlsContextProvider; clientAuth: ClientAuth };
  /** Each TLS handshake's outcome (a refused or untrusted client certificate is a failure). */
  onTlsHandshake?: (result: 'success' | 'failure') => void;
  /** Builds each connection's authenticator; `principal` is the TLS client certificate's (ANONYMOUS without). */
  createAuthenticator?: (close: (reason: string) => void, principal: KafkaPrincipal) => Authenticator;
  /** max.connections: open connections past which new ones are refused. */
  maxConnections: number;
  onConnectionOpened?: () => void;
  onConnectionClosed?: (reason: string | null) => void;
  /** A socket closed on accept, with the reason (e.g. max.connections reached). */
  onConnectionRejected?: (reason: string) => void;
}

export class BrokerServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private unsubscribe: (() => void) | null = null;

  private constructor(
    private readonly opts: ServerOptions,
    private readonly logger: Logger,
  ) {
    const t = opts.tls;
    if (t) {
      const server = tls.createServer(tlsServerOptions(t.provider, t.clientAuth), (socket) => this.acceptTls(socket));
      this.unsubscribe = t.provider.subscribe((m) => server.setSecureContext(secureContextOptions(m)));
      server.on('tlsClientError', (err, socket) => {
        logger.info('TLS handshake failed', { remote: `${socket.remoteAddress}:${socket.remotePort}`, error: err.message });
        opts.onTlsHandshake?.('failure');
      });
      this.server = server;
    } else {
      this.server = net.createServer((socket) => this.accept(socket, ANONYMOUS));
    }
  }

  static async listen(opts: ServerOptions, logger: Logger): Promise<BrokerServer> {
    const s = new BrokerServer(opts, logger);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(opts.port, opts.host, () => {
        s.server.off('error', reject);
        resolve();
      });
    });
    s.server.on('error', (err) => logger.error('listener error', { err }));
    return s;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** A TLS connection whose handshake completed: its client certificate (if any) names the principal. */
  private acceptTls(socket: tls.TLSSocket): void {
    let principal = ANONYMOUS;
    try {
      const dn = peerPrincipalName(socket);
      if (dn !== null) principal = { type: 'User', name: dn };
      this.logger.debug('TLS connection', { remote: `${socket.remoteAddress}:${socket.remotePort}`, principal: `${principal.type}:${principal.name}` });
    } catch (err) {
      this.logger.warn('refusing connection', { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason: (err as Error).message });
      socket.on('error', () => undefined);
      socket.destroy();
      this.opts.onConnectionRejected?.('client certificate not trusted');
      this.opts.onTlsHandshake?.('failure');
      return;
    }
    this.opts.onTlsHandshake?.('success');
    this.accept(socket, principal);
  }

  private accept(socket: net.Socket, principal: KafkaPrincipal): void {
    if (this.connections.size >= this.opts.maxConnections) {
      const reason = `max connections (${this.opts.maxConnections}) reached`;
      this.logger.warn('refusing connection', { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason });
      socket.on('error', () => undefined); // a reset from the peer while we close is expected
      socket.destroy();
      this.opts.onConnectionRejected?.(reason);
      return;
    }
    this.opts.onConnectionOpened?.();
    const create = this.opts.createAuthenticator;
    const conn = new Connection(socket, {
      ...this.opts,
      authenticator: create ? (close) => create(close, principal) : undefined,
      onClose: (reason) => {
        this.connections.delete(conn);
        this.opts.onConnectionClosed?.(reason);
      },
    });
    this.connections.add(conn);
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.connections]) c.close(null);
    await closed;
  }
}
