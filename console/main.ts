// strata-console: the web console as its own process. Reads its settings from the environment, connects to the cluster lazily through the admin library, starts the lag and metrics samplers and
// serves HTTP until SIGTERM/SIGINT. Bad settings: a message and exit code 2, before anything listens.
import type { Server } from 'node:http';
import { loadSettings, MAX_METRICS_URLS, SettingsError, SETTINGS, type ConsoleSettings } from './config';
import { createApp } from './app';
import type { ConsoleContext } from './context';
import { AdminError, ClusterClient, clusterClientOptions, describeGroup, listGroups } from './data';
import { LagSampler } from './samplers/lag-sampler';
import { boundedFetchText, MetricsSampler } from './samplers/metrics-sampler';
import { MetricsTargets } from './samplers/metrics-targets';
import { Csrf } from './security';

/** Points kept per group and per metrics target: a day at the default 15 s interval would be 5760; keep 2 h. */
const MAX_POINTS = 480;
const MAX_GROUPS = 1000;
const MAX_METRICS_BYTES = 8 << 20;

export function buildContext(settings: ConsoleSettings): ConsoleContext {
  const cluster = new ClusterClient(clusterClientOptions(settings.connection, 'strata-console'));
  const lag = new LagSampler(
    {
      groupIds: async () => (await listGroups(cluster)).map((g) => g.groupId),
      totalLag: async (id) => (await describeGroup(cluster, id)).totalLag,
    },
    { maxPoints: MAX_POINTS, maxGroups: MAX_GROUPS },
  );
  const targets = new MetricsTargets({
    urls: settings.metricsUrls,
    port: settings.metricsPort,
    brokers: async () => (await cluster.metadata([])).brokers,
    maxTargets: MAX_METRICS_URLS,
  });
  const metrics = new MetricsSampler(targets, boundedFetchText(MAX_METRICS_BYTES, Math.min(10_000, settings.sampleIntervalMs)), { maxPoints: MAX_POINTS });
  return { settings, cluster, lag, metrics, csrf: new Csrf() };
}

function usage(): string {
  return `usage: strata-console (configured by environment variables)\nSettings:\n${SETTINGS.map((s) => `  ${s.env.padEnd(34)} ${s.help}`).join('\n')}\n`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage());
    return;
  }
  if (argv.length > 0) {
    process.stderr.write(`strata-console: unexpected argument "${argv[0]}": settings come from environment variables\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  let settings: ConsoleSettings;
  let ctx: ConsoleContext;
  try {
    settings = loadSettings(process.env);
    // Also reads the TLS files and checks the SASL pairing (clusterClientOptions), now rather than on the first page view.
    ctx = buildContext(settings);
  } catch (err) {
    if (err instanceof SettingsError || err instanceof AdminError) {
      process.stderr.write(`strata-console: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  const app = createApp(ctx);
  const server: Server = app.listen(settings.port, settings.host);
  server.on('error', (err) => {
    process.stderr.write(`strata-console: cannot listen on ${settings.host}:${settings.port}: ${err.message}\n`);
    process.exit(1);
  });
  server.on('listening', () => {
    const a = server.address();
    const port = typeof a === 'object' && a ? a.port : settings.port;
    process.stdout.write(`strata-console listening on http://${settings.host}:${port} (brokers ${settings.connection.brokers}, ${settings.writeEnabled ? 'writes enabled' : 'read-only'})\n`);
  });
  ctx.lag.start(settings.sampleIntervalMs);
  ctx.metrics.start(settings.sampleIntervalMs);
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void Promise.all([ctx.lag.stop(), ctx.metrics.stop()]).finally(() => void ctx.cluster.close());
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`strata-console: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
