// The console's express app: probes, static files, pages and the two write actions, all on a ConsoleContext.
// Errors from the admin library become a page with the message and an HTTP status from the error's kind.
import * as path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { lagChart, metricsChart } from './api';
import type { ConsoleContext } from './context';
import { AdminError, type AdminErrorKind } from './data';
import { html, type Html } from './html';
import { layout, type NavKey } from './layout';
import { brokersPage } from './pages/brokers';
import { groupPage, groupsPage, resetOffsetsAction } from './pages/groups';
import { messagesPage } from './pages/messages';
import { overviewPage } from './pages/overview';
import { tierPage } from './pages/tier';
import { createTopicAction, topicPage, topicsPage } from './pages/topics';
import { basicAuth, securityHeaders } from './security';

const STATUS_OF_KIND: Record<AdminErrorKind, number> = { usage: 400, invalid: 400, 'not-found': 404, exists: 409, auth: 403, unavailable: 503, failed: 502 };

/** Where static files are: console/static in the source tree, the compiled browser script, Chart.js's UMD build. */
export interface StaticPaths {
  css: string;
  script: string;
  chartJs: string;
}

export function defaultStaticPaths(): StaticPaths {
  // This file compiles to <root>/dist/console/app.js.
  const root = path.resolve(__dirname, '..', '..');
  return {
    css: path.join(root, 'console', 'static', 'console.css'),
    script: path.join(root, 'dist', 'console', 'web', 'charts.js'),
    chartJs: path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js'),
  };
}

export function createApp(ctx: ConsoleContext, files: StaticPaths = defaultStaticPaths()): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders());

  app.get('/healthz', (_req, res) => void res.type('text/plain').send('ok\n'));
  app.get('/readyz', (_req, res) => {
    ctx.cluster.metadata([]).then(
      () => void res.type('text/plain').send('ok\n'),
      (err: unknown) => void res.status(503).type('text/plain').send(`cluster unreachable: ${AdminError.from(err).message}\n`),
    );
  });

  app.use(basicAuth(ctx.settings.auth, new Set(['/healthz', '/readyz'])));
  const staticFile = (file: string, type: string) => (_req: Request, res: Response) => void res.type(type).sendFile(file, { maxAge: 3_600_000 });
  app.get('/static/console.css', staticFile(files.css, 'text/css'));
  app.get('/static/console.js', staticFile(files.script, 'application/javascript'));
  app.get('/static/chart.umd.js', staticFile(files.chartJs, 'application/javascript'));

  const page = (active: NavKey, title: (req: Request) => string, body: (req: Request) => Promise<Html>) => (req: Request, res: Response, next: NextFunction) => {
    body(req).then(
      (b) => void res.type('html').send(layout({ title: title(req), active, writeEnabled: ctx.settings.writeEnabled, body: b }).text),
      (err: unknown) => next(err),
    );
  };
  const param = (req: Request, name: string) => String(req.params[name]);

  app.get('/', page('overview', () => 'Overview', () => overviewPage(ctx)));
  app.get('/topics', page('topics', () => 'Topics', (req) => topicsPage(ctx, req)));
  app.get('/topics/:name', page('topics', (req) => `Topic ${param(req, 'name')}`, (req) => topicPage(ctx, param(req, 'name'))));
  app.get('/topics/:name/messages', page('topics', (req) => `Messages of ${param(req, 'name')}`, (req) => messagesPage(ctx, param(req, 'name'), req)));
  app.get('/groups', page('groups', () => 'Consumer groups', () => groupsPage(ctx)));
  app.get('/groups/:id', page('groups', (req) => `Group ${param(req, 'id')}`, (req) => groupPage(ctx, param(req, 'id'), req)));
  app.get('/tier', page('tier', () => 'Tiered storage', () => tierPage(ctx)));
  app.get('/brokers', page('brokers', () => 'Brokers', () => brokersPage(ctx)));

  app.get('/api/groups/:id/lag', (req, res) => void res.json(lagChart(ctx, param(req, 'id'))));
  app.get('/api/metrics/:series', (req, res) => {
    const c = metricsChart(ctx, param(req, 'series'));
    if (c) res.json(c);
    else res.status(404).json({ error: `unknown series ${param(req, 'series')}` });
  });

  // Write actions: body size capped, then writes-enabled + CSRF (403), then the action; success redirects.
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  const guard = ctx.csrf.guard(ctx.settings.writeEnabled);
  const action = (run: (req: Request) => Promise<string>) => (req: Request, res: Response, next: NextFunction) => {
    run(req).then((to) => res.redirect(303, to), next);
  };
  app.post('/topics', form, guard, action((req) => createTopicAction(ctx, req)));
  app.post('/groups/:id/reset-offsets', form, guard, action((req) => resetOffsetsAction(ctx, param(req, 'id'), req)));

  app.use((_req: Request, res: Response) => void res.status(404).type('html').send(errorPage(ctx, 404, 'No such page.').text));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = AdminError.from(err);
    // express's own errors (a too-large form body) carry their HTTP status.
    const status = (err as { status?: number }).status ?? STATUS_OF_KIND[e.kind];
    res.status(status).type('html').send(errorPage(ctx, status, e.message).text);
  });
  return app;
}

function errorPage(ctx: ConsoleContext, status: number, message: string): Html {
  return layout({ title: `Error ${status}`, active: 'overview', writeEnabled: ctx.settings.writeEnabled, body: html`<p class="error" id="error">${message}</p>` });
}
