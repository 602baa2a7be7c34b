// The Kafka listener: accepts TCP connections and hands each to a Connection; beyond max.connections a new
// socket is closed at once (logged and counted), so the number of connections is bounded by the broker.
import * as net from 'node:net';
import type { Logger } from '../logger';
import { Connection, type ConnectionOptions } from './connection';

export interface ServerOptions extends Omit<ConnectionOptions, 'onClose'> {
  host: string;
  port: number;
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

  private constructor(
    private readonly opts: ServerOptions,
    private readonly logger: Logger,
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
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

  private accept(socket: net.Socket): void {
    if (this.connections.size >= this.opts.maxConnections) {
      const reason = `max connections (${this.opts.maxConnections}) reached`;
      this.logger.warn('refusing connection', { remote: `${socket.remoteAddress}:${socket.remotePort}`, reason });
      socket.on('error', () => undefined); // a reset from the peer while we close is expected
      socket.destroy();
      this.opts.onConnectionRejected?.(reason);
      return;
    }
    this.opts.onConnectionOpened?.();
    const conn = new Connection(socket, {
      ...this.opts,
      onClose: (reason) => {
        this.connections.delete(conn);
        this.opts.onConnectionClosed?.(reason);
      },
    });
    this.connections.add(conn);
  }

  /** Stops accepting and closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.connections]) c.close(null);
    await closed;
  }
}
