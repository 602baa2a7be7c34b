// The operator's entry point: settings from env, /healthz and /metrics, leader election (optional), then
// watches and reconcilers; SIGTERM/SIGINT stop the watches, let reconciles finish and release the lease.
import { KubeConfig } from '@kubernetes/client-node';
import { Controller } from './controller';
import { startHttpServer } from './http-server';
import { HttpKubeApi } from './kube-client';
import { LeaderElector } from './leader-election';
import { makeLogger } from './logger';
import { OperatorMetrics } from './operator-metrics';
import { ClusterReconciler } from './reconcilers/cluster';
import { TopicReconciler } from './reconcilers/topic';
import { UserReconciler } from './reconcilers/user';
import { settingsFromEnv } from './settings';

async function main(): Promise<void> {
  const settings = settingsFromEnv();
  const log = makeLogger(settings.logLevel);
  const kc = new KubeConfig();
  kc.loadFromDefault();
  const api = new HttpKubeApi(kc);
  const metrics = new OperatorMetrics({ defaultMetrics: true });
  const controller = new Controller({
    kc,
    api,
    metrics,
    log,
    namespaces: settings.watchNamespaces,
    resyncSeconds: settings.resyncSeconds,
    reconcilers: [
      new ClusterReconciler(api, { log, settings, ...(settings.brokerImage ? { defaultImage: settings.brokerImage } : {}) }),
      new TopicReconciler(api, { settings, log }),
      new UserReconciler(api, { settings, log }),
    ],
  });
  let fatal = false;
  const server = await startHttpServer(settings.metricsPort, metrics, () => !fatal);
  log.info(`operator ${settings.podName} serving /healthz and /metrics on :${settings.metricsPort}`);

  let started = false;
  const startController = () => {
    if (started) return;
    started = true;
    controller.start().catch((err: Error) => {
      log.error(`controller failed to start: ${err.message}`);
      fatal = true;
    });
  };
  const elector = settings.leaderElection
    ? new LeaderElector(api, {
        name: settings.leaseName,
        namespace: settings.podNamespace,
        identity: settings.podName,
        log: (m) => log.info(m),
        onStartedLeading: () => {
          metrics.leader.set(1);
          startController();
        },
        onStoppedLeading: () => {
          // Another replica may now reconcile: stop at once and let Kubernetes restart this one as a follower.
          metrics.leader.set(0);
          log.error('lost the leader lease; exiting');
          void shutdown(1);
        },
      })
    : undefined;

  let shuttingDown = false;
  async function shutdown(code: number): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info('shutting down');
    const force = setTimeout(() => process.exit(code || 1), 25_000);
    force.unref();
    try {
      await controller.stop();
      await elector?.stop();
    } catch (err) {
      log.error(`shutdown: ${(err as Error).message}`);
    }
    server.close();
    process.exit(code);
  }
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));

  if (elector) elector.start();
  else startController();
}

main().catch((err: Error) => {
  process.stderr.write(`strata-operator: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
