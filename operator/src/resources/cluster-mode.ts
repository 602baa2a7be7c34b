// Cluster mode (issue 10): the brokers of a StrataCluster form one cluster. They share the cluster id and the
// object store (the spec's S3 bucket: the metadata log and controller lease live there), each takes its node id
// from its pod ordinal and advertises its own DNS name (stateful-set.ts). Here: the broker keys that depend on the
// broker count, and the spec combinations that cannot form a working cluster (nothing is rolled out for them).
// Pure functions.
import { CONFIG_KEYS, type ConfigKey, configKeyFor } from '../../../broker/src/config';
import * as N from '../naming';
import { kafkaListenerName, listenersOf, securityProtocol } from './listeners';
import type { BrokerConfigValue, StrataClusterLike } from './types';

export const brokerCount = (c: Pick<StrataClusterLike, 'spec'>): number => c.spec.brokers ?? N.DEFAULT_BROKERS;

/** spec.config by broker key (log.segment.bytes → logSegmentBytes); unknown names are left out. */
function specConfigByKey(c: Pick<StrataClusterLike, 'spec'>): Map<ConfigKey, BrokerConfigValue> {
  const out = new Map<ConfigKey, BrokerConfigValue>();
  for (const [name, v] of Object.entries(c.spec.config ?? {})) {
    const k = configKeyFor(name);
    if (k !== undefined) out.set(k, v);
  }
  return out;
}

/** The value a broker would run with for `k`: spec.config's (when the broker accepts it), else `fallback`. */
function effective<K extends ConfigKey>(c: Pick<StrataClusterLike, 'spec'>, k: K, fallback: number): number {
  const raw = specConfigByKey(c).get(k);
  const v = raw === undefined ? undefined : CONFIG_KEYS[k].kind.parse(raw);
  return typeof v === 'number' ? v : fallback;
}

/** Kafka's advice for N brokers: RF 3 (or every broker when fewer), and acks=all needing 2 (or every broker). */
export const defaultReplicationFactorFor = (brokers: number): number => Math.min(3, brokers);
export const defaultMinInsyncReplicasFor = (brokers: number): number => Math.min(2, brokers);

/** The listener brokers replicate and heartbeat over: the first without SASL (the broker's inter-broker client
 *  speaks PLAINTEXT and SSL only), or undefined when every listener needs SASL. */
export function interBrokerListener(c: Pick<StrataClusterLike, 'spec'>) {
  return listenersOf(c).find((l) => ['PLAINTEXT', 'SSL'].includes(securityProtocol(l)));
}

/**
 * Broker keys for a cluster of more than one broker (none for one broker, whose config stays as before, so a
 * single-broker cluster does not roll when the operator is upgraded): default.replication.factor and
 * min.insync.replicas by broker count unless spec.config sets them, and the inter-broker listener when it is not
 * the first (the broker's default).
 */
export function clusterModeConfig(c: Pick<StrataClusterLike, 'spec'>): Record<string, BrokerConfigValue> {
  const n = brokerCount(c);
  if (n <= 1) return {};
  const out: Record<string, BrokerConfigValue> = {
    defaultReplicationFactor: defaultReplicationFactorFor(n),
    minInsyncReplicas: defaultMinInsyncReplicasFor(n),
  };
  const ib = interBrokerListener(c);
  if (ib && ib !== listenersOf(c)[0]) out.interBrokerListenerName = kafkaListenerName(ib);
  return out;
}

/** A spec the operator refuses to roll out: the reason (a condition reason) and what to do about it. */
export interface SpecProblem {
  reason: string;
  message: string;
}

/**
 * Why the spec cannot run as a cluster of its broker count, or [] when it can. The reconciler applies nothing
 * while there is one (validation, not a crash loop): each says what to change.
 */
export function clusterSpecProblems(c: Pick<StrataClusterLike, 'spec'>): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const n = brokerCount(c);
  if (n > 1) {
    const cfg = specConfigByKey(c);
    const local = cfg.get('objectStoreType') === 'local' || cfg.has('objectStoreDir');
    if (local) {
      problems.push({
        reason: 'ObjectStoreNotShared',
        message: `brokers: ${n} form one cluster only through one shared object store (metadata log, controller lease, tiered segments); a local object store would live on each pod's own volume. Remove objectStoreType/objectStoreDir from spec.config and use spec.objectStore (an S3 bucket every broker reaches)`,
      });
    }
    if (!interBrokerListener(c)) {
      problems.push({
        reason: 'NoInterBrokerListener',
        message: `brokers: ${n} replicate over a listener without SASL (PLAINTEXT or TLS), and every listener in spec.listeners has sasl; add one (e.g. { name: internal, port: 9091 } or one with tls only)`,
      });
    }
  }
  const rf = effective(c, 'defaultReplicationFactor', n > 1 ? defaultReplicationFactorFor(n) : 1);
  const minIsr = effective(c, 'minInsyncReplicas', n > 1 ? defaultMinInsyncReplicasFor(n) : 1);
  if (rf > n) {
    problems.push({ reason: 'ReplicationFactorTooHigh', message: `default.replication.factor ${rf} needs at least ${rf} brokers but brokers is ${n}: topics created with the default would fail; lower it or add brokers` });
  }
  if (minIsr > rf) {
    problems.push({ reason: 'MinInsyncReplicasTooHigh', message: `min.insync.replicas ${minIsr} is above default.replication.factor ${rf}: every acks=all write to a default topic would fail with NOT_ENOUGH_REPLICAS; lower it` });
  }
  return problems;
}

/** Pod termination grace: the broker's graceful (controlled) shutdown must finish before the kubelet's SIGKILL. */
export const TERMINATION_GRACE_SECONDS = 60;
/** Margin on top of shutdownTimeoutMs for the process to exit after its shutdown budget. */
const TERMINATION_MARGIN_SECONDS = 10;

export function terminationGraceSeconds(c: Pick<StrataClusterLike, 'spec'>): number {
  const shutdownMs = effective(c, 'shutdownTimeoutMs', CONFIG_KEYS.shutdownTimeoutMs.default);
  return Math.max(TERMINATION_GRACE_SECONDS, Math.ceil(shutdownMs / 1000) + TERMINATION_MARGIN_SECONDS);
}
