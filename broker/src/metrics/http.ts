// The broker's HTTP endpoint for Prometheus and Kubernetes probes:
//   GET /metrics  exposition text
//   GET /healthz  200 while the process can answer at all (liveness)
//   GET /readyz   200 once the broker says it is ready to serve, else 503 with the reason (readiness)
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createLogger } from '../logger';
import type { BrokerMetrics } from './registry';

/** Owned by the broker; read on every /readyz. */
export interface Readiness {
  readonly ready: boolean;
  /** Why the broker is not ready (e.g. "starting", "shutting down"). */
  readonly reason: string;
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

const logger = createLogger('metrics');

function metricsApp(metrics: BrokerMetrics, readiness: Readiness): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => {
    try {
      const body = await metrics.scrape();
      res.set('Content-Type', metrics.contentType).send(body);
    } catch (err) {
      logger.error('scrape failed', { err });
      res.status(500).type('text/plain').send(`scrape failed: ${(err as Error).message}\n`);
    }
  });
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/readyz', (_req, res) => {
    if (readiness.ready) res.type('text/plain').send('ready\n');
    else res.status(503).type('text/plain').send(`not ready: ${readiness.reason}\n`);
  });
  return app;
}

/** Listens on host:port (0 = any free port) and resolves once listening. */
export function startMetricsServer(host: string, port: number, metrics: BrokerMetrics, readiness: Readiness): Promise<MetricsServer> {
  return new Promise((resolve, reject) => {
    const server = metricsApp(metrics, readiness).listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      server.on('error', (err) => logger.error('metrics server error', { err }));
      const bound = (server.address() as AddressInfo).port;
      logger.info('metrics server listening', { host, port: bound });
      resolve({
        port: bound,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // Scrapers keep connections alive; without this close() would wait for them to time out.
            server.closeAllConnections();
          }),
      });
    });
  });
}
