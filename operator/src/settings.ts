// Operator settings from the environment (the chart's Deployment sets them).
import { bootstrapAddress } from './naming';

export interface OperatorSettings {
  logLevel: string;
  /** Namespaces to watch; empty means all. */
  watchNamespaces: string[];
  leaderElection: boolean;
  leaseName: string;
  metricsPort: number;
  podName: string;
  podNamespace: string;
  /** cluster name (or namespace/cluster) → host:port, for running outside the cluster's network. */
  bootstrapOverrides: Record<string, string>;
  /** One address for every cluster (STRATA_BOOTSTRAP_OVERRIDE). */
  bootstrapOverride?: string;
  /** Period at which every resource is reconciled again (reverts changes made outside). */
  resyncSeconds: number;
  brokerImage?: string;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): OperatorSettings {
  let overrides: Record<string, string> = {};
  if (env.STRATA_BOOTSTRAP_OVERRIDES) {
    const parsed: unknown = JSON.parse(env.STRATA_BOOTSTRAP_OVERRIDES);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('STRATA_BOOTSTRAP_OVERRIDES must be a JSON object of cluster name → host:port');
    }
    overrides = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  return {
    logLevel: env.STRATA_LOG_LEVEL ?? 'info',
    watchNamespaces: (env.STRATA_WATCH_NAMESPACES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    leaderElection: (env.STRATA_LEADER_ELECTION ?? 'true') !== 'false',
    leaseName: env.STRATA_LEADER_ELECTION_LEASE ?? 'strata-operator',
    metricsPort: Number(env.STRATA_METRICS_PORT ?? 8080),
    podName: env.POD_NAME ?? `strata-operator-${process.pid}`,
    podNamespace: env.POD_NAMESPACE ?? 'default',
    bootstrapOverrides: overrides,
    ...(env.STRATA_BOOTSTRAP_OVERRIDE ? { bootstrapOverride: env.STRATA_BOOTSTRAP_OVERRIDE } : {}),
    resyncSeconds: Number(env.STRATA_RESYNC_SECONDS ?? 300),
    ...(env.STRATA_BROKER_IMAGE ? { brokerImage: env.STRATA_BROKER_IMAGE } : {}),
  };
}

/** Where the operator reaches a cluster's brokers: an override, else `<cluster>-bootstrap.<ns>.svc:<port>`. */
export function resolveBootstrap(
  s: Pick<OperatorSettings, 'bootstrapOverrides' | 'bootstrapOverride'>,
  cluster: string,
  namespace: string,
  port?: number,
): { host: string; port: number } {
  const addr = s.bootstrapOverrides[`${namespace}/${cluster}`] ?? s.bootstrapOverrides[cluster] ?? s.bootstrapOverride ?? bootstrapAddress(cluster, namespace, port);
  const i = addr.lastIndexOf(':');
  if (i <= 0) throw new Error(`bootstrap address "${addr}" is not host:port`);
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}
