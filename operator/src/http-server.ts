// The operator's HTTP endpoint: /healthz (liveness) and /metrics (Prometheus).
import type { Server } from 'node:http';
import express from 'express';
import type { OperatorMetrics } from './operator-metrics';

export function startHttpServer(port: number, metrics: OperatorMetrics, healthy: () => boolean, host = '0.0.0.0'): Promise<Server> {
  const app = express();
  app.get('/healthz', (_req, res) => {
    if (healthy()) res.type('text/plain').send('ok\n');
    else res.status(503).type('text/plain').send('unhealthy\n');
  });
  app.get('/metrics', (_req, res) => {
    metrics.registry.metrics().then(
      (text) => res.type(metrics.registry.contentType).send(text),
      (err: Error) => res.status(500).type('text/plain').send(err.message),
    );
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', reject);
  });
}
