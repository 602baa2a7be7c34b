// How the operator reaches a cluster's brokers for admin work (topics, users): which listener, with which
// TLS trust and SASL credential. It uses the first listener that has SASL (logging in as the operator's own
// user, a super user of the cluster) and otherwise the first listener; TLS trusts the listener Secret's ca.crt.
import type { V1Secret } from '@kubernetes/client-node';
import type { ConnectionOptions } from 'node:tls';
import { KafkaClient, type SaslCredentials } from '../../broker/src/protocol/client';
import { ClusterClient } from '../../admin/cluster-client';
import type { Listener, StrataCluster } from './api';
import { listenersOf } from './resources/listeners';
import type { KubeApi } from './kube-client';
import * as N from './naming';
import { type OperatorSettings, resolveBootstrap } from './settings';
import { secretValue } from './users/user-secret';

export interface ClusterAccess {
  host: string;
  port: number;
  tls?: ConnectionOptions;
  sasl?: SaslCredentials;
}

/** The listener the operator connects to: the first with SASL, else the first. */
export function operatorListener(cluster: Pick<StrataCluster, 'spec'>): Listener {
  const ls = listenersOf(cluster);
  return ls.find((l) => (l.sasl?.length ?? 0) > 0) ?? ls[0]!;
}

/** Reads what the operator needs to connect: bootstrap, CA, its password. Throws a readable error. */
export async function clusterAccess(
  api: KubeApi,
  settings: Pick<OperatorSettings, 'bootstrapOverrides' | 'bootstrapOverride'>,
  cluster: StrataCluster,
): Promise<ClusterAccess> {
  const name = cluster.metadata.name!;
  const namespace = cluster.metadata.namespace!;
  const listener = operatorListener(cluster);
  const access: ClusterAccess = resolveBootstrap(settings, name, namespace, listener.port);
  const secret = (n: string) => api.get<V1Secret>({ apiVersion: 'v1', kind: 'Secret', namespace, name: n });
  if (listener.tls && listener.tlsSecret) {
    const ca = secretValue(await secret(listener.tlsSecret), 'ca.crt');
    access.tls = ca ? { ca } : {};
  }
  if (listener.sasl?.length) {
    const credName = N.operatorCredentialsSecretName(name);
    const password = secretValue(await secret(credName), N.SECRET_KEY_PASSWORD);
    if (!password) throw new Error(`Secret ${namespace}/${credName} with the operator's password does not exist yet`);
    const mechanism = listener.sasl.includes('SCRAM-SHA-512') ? 'SCRAM-SHA-512' : 'PLAIN';
    access.sasl = { mechanism, username: N.OPERATOR_USERNAME, password };
  }
  return access;
}

/** Resolves how to reach the cluster, then runs fn on a connected client (what the topic and user reconcilers do). */
export async function withCluster<T>(
  api: KubeApi,
  settings: Pick<OperatorSettings, 'bootstrapOverrides' | 'bootstrapOverride'>,
  cluster: StrataCluster,
  fn: (c: KafkaClient) => Promise<T>,
  timeoutMs?: number,
): Promise<T> {
  return withClusterClient(await clusterAccess(api, settings, cluster), fn, timeoutMs);
}

/** Like withCluster, with the shared admin library's ClusterClient (admin/topics.ts, admin/configs.ts). */
export async function withClusterAdmin<T>(
  api: KubeApi,
  settings: Pick<OperatorSettings, 'bootstrapOverrides' | 'bootstrapOverride'>,
  cluster: StrataCluster,
  fn: (cc: ClusterClient) => Promise<T>,
  timeoutMs = 15_000,
): Promise<T> {
  const { host, port, tls, sasl } = await clusterAccess(api, settings, cluster);
  const cc = new ClusterClient({ bootstrap: [`${host.includes(':') ? `[${host}]` : host}:${port}`], clientId: N.OPERATOR_USERNAME, timeoutMs, tls, sasl });
  try {
    return await fn(cc);
  } finally {
    await cc.close();
  }
}

/** Connects (TLS, SASL as configured), negotiates versions, runs fn and closes. */
export async function withClusterClient<T>(access: ClusterAccess, fn: (c: KafkaClient) => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const c = await KafkaClient.connect({ ...access, clientId: N.OPERATOR_USERNAME, timeoutMs });
  try {
    await c.apiVersions();
    return await fn(c);
  } finally {
    await c.close();
  }
}
