// The broker ConfigMap: the broker's YAML config file with the keys every broker shares. Per-broker
// keys (nodeId, advertisedHost) come from the pod through STRATA_* env vars (stateful-set.ts), and the
// S3 credentials from a Secret, so neither is in here.
import { createHash } from 'node:crypto';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { CONFIG_KEYS, configKeyFor, invalidValueMessage } from '../../../broker/src/config';
import * as N from '../naming';
import { clusterModeConfig } from './cluster-mode';
import { objectMeta } from './common';
import { securityConfig } from './listeners';
import type { BrokerConfigValue, StrataClusterLike } from './types';

/** Keys the operator sets itself (or passes per pod); spec.config cannot override them. */
export const OPERATOR_MANAGED_KEYS: readonly string[] = [
  'nodeId', 'advertisedHost', 'advertisedPort', 'clusterId', 'host', 'port', 'dataDir', 'metricsHost', 'metricsPort',
  'objectStoreType', 'objectStoreDir', 's3Bucket', 's3Endpoint', 's3Region', 's3PathStyle', 's3Prefix',
  's3AccessKeyId', 's3SecretAccessKey',
  // From spec.listeners and spec.authorization (listeners.ts).
  'listeners', 'advertisedListeners', 'listenerSecurityProtocolMap', 'sslCertificateLocation', 'sslKeyLocation',
  'saslEnabledMechanisms', 'saslBootstrapUsers', 'authorizer', 'superUsers',
];

/** spec.config accepts the broker's keys or their Kafka names (log.segment.bytes); the broker file takes the keys. */
function brokerKey(name: string): string {
  return configKeyFor(name) ?? name;
}

/** spec.config keys that are ignored because the operator manages them (for a status condition). */
export function ignoredConfigKeys(cluster: StrataClusterLike): string[] {
  return Object.keys(cluster.spec.config ?? {}).filter((k) => OPERATOR_MANAGED_KEYS.includes(brokerKey(k))).sort();
}

/** spec.config keys the broker does not know (it would refuse to start): for a status condition. */
export function unknownConfigKeys(cluster: StrataClusterLike): string[] {
  return Object.keys(cluster.spec.config ?? {}).filter((k) => configKeyFor(k) === undefined).sort();
}

/** spec.config values the broker would reject at start (it would crash-loop), one message each: for a status
 *  condition, and nothing is rolled out while there are any. Operator-managed keys are ignored anyway. */
export function invalidConfigValues(cluster: StrataClusterLike): string[] {
  const out: string[] = [];
  for (const [name, raw] of Object.entries(cluster.spec.config ?? {})) {
    const k = configKeyFor(name);
    if (k === undefined || OPERATOR_MANAGED_KEYS.includes(k)) continue;
    const kind = CONFIG_KEYS[k].kind;
    if (kind.parse(raw) === undefined) out.push(invalidValueMessage(raw, `spec.config ${name}`, kind));
  }
  return out.sort();
}

/** The shared broker config, keys sorted so equal specs give byte-identical YAML. */
export function brokerConfig(cluster: StrataClusterLike): Record<string, BrokerConfigValue> {
  const { spec, metadata } = cluster;
  const out: Record<string, BrokerConfigValue> = {};
  for (const [name, v] of Object.entries(spec.config ?? {})) {
    const k = brokerKey(name);
    if (!OPERATOR_MANAGED_KEYS.includes(k) && configKeyFor(name) !== undefined) out[k] = v;
  }
  for (const [k, v] of Object.entries(clusterModeConfig(cluster))) if (!(k in out)) out[k] = v;
  if (spec.retention?.ms !== undefined) out.logRetentionMs = spec.retention.ms;
  if (spec.retention?.bytes !== undefined) out.logRetentionBytes = spec.retention.bytes;
  Object.assign(out, {
    clusterId: metadata.name,
    host: '0.0.0.0',
    port: N.KAFKA_PORT,
    dataDir: N.DATA_DIR,
    metricsHost: '0.0.0.0',
    metricsPort: N.METRICS_PORT,
    objectStoreType: 's3',
    s3Bucket: spec.objectStore.bucket,
    s3Endpoint: spec.objectStore.endpoint ?? '',
    s3Region: spec.objectStore.region ?? 'us-east-1',
    s3PathStyle: spec.objectStore.pathStyle ?? false,
    s3Prefix: spec.objectStore.prefix ?? N.defaultObjectStorePrefix(metadata.name, metadata.namespace),
    ...securityConfig(cluster),
  });
  const sorted: Record<string, BrokerConfigValue> = {};
  for (const k of Object.keys(out).sort()) sorted[k] = out[k]!;
  return sorted;
}

export function brokerConfigYaml(cluster: StrataClusterLike): string {
  return stringify(brokerConfig(cluster));
}

export function buildBrokerConfigMap(cluster: StrataClusterLike): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(cluster, N.brokerConfigMapName(cluster.metadata.name)),
    data: { [N.CONFIG_FILE_NAME]: brokerConfigYaml(cluster) },
  };
}

/** sha256 of a ConfigMap's data (keys sorted): the pod-template annotation that rolls brokers on change. */
export function configHash(configMap: V1ConfigMap): string {
  const data = configMap.data ?? {};
  const h = createHash('sha256');
  for (const k of Object.keys(data).sort()) h.update(k).update('\0').update(data[k]!).update('\0');
  return h.digest('hex');
}
