// What the cluster reconciler concludes from the running cluster's health (cluster-health.ts): whether brokers
// may be removed, the UnderReplicated condition and the status fields. Pure.
import type { StrataClusterStatus } from '../api';
import { type ClusterHealth, replicasOn } from '../cluster-health';
import type { ConditionInput } from '../conditions';
import type { SpecProblem } from '../resources';

export const REASON_SCALE_DOWN_BLOCKED = 'ScaleDownBlocked';

/**
 * Lowering brokers from `from` to `to` removes the brokers with node ids to..from-1 (the highest ordinals). Refused
 * while any partition still has a replica on one of them (its data would be gone with the broker's volume and
 * the partition left under-replicated for good), or while the cluster cannot be asked.
 */
export function scaleDownBlocker(to: number, from: number, health: ClusterHealth | Error | undefined): SpecProblem | undefined {
  const removed = Array.from({ length: from - to }, (_, i) => to + i);
  if (removed.length === 0) return undefined;
  const which = `broker${removed.length > 1 ? 's' : ''} ${removed.join(', ')}`;
  if (health === undefined || health instanceof Error) {
    const why = health instanceof Error ? health.message : 'no broker is ready';
    return { reason: REASON_SCALE_DOWN_BLOCKED, message: `brokers stays at ${from}: cannot check that ${which} ${removed.length > 1 ? 'hold' : 'holds'} no partition replicas (${why})` };
  }
  const held = replicasOn(health, removed);
  if (held.size === 0) return undefined;
  const list = [...held].map(([id, n]) => `broker ${id}: ${n}`).join(', ');
  return {
    reason: REASON_SCALE_DOWN_BLOCKED,
    message: `brokers stays at ${from}: partitions still have replicas on the brokers being removed (${list}); move them to brokers 0-${to - 1} first (kafka-reassign-partitions.sh, AlterPartitionReassignments), then lower brokers again`,
  };
}

export function underReplicatedCondition(health: ClusterHealth | Error | undefined): ConditionInput {
  const type = 'UnderReplicated';
  if (health === undefined) return { type, status: 'Unknown', reason: 'NoBrokerReady', message: 'no broker is ready to ask' };
  if (health instanceof Error) return { type, status: 'Unknown', reason: 'ClusterUnreachable', message: `cannot ask the cluster (retrying): ${health.message}` };
  if (health.underReplicated === 0) return { type, status: 'False', reason: 'AllInSync', message: 'every partition has all its replicas in sync' };
  return { type, status: 'True', reason: 'UnderReplicatedPartitions', message: `${health.underReplicated} partition(s) have fewer in-sync replicas than replicas; rolls wait until they catch up` };
}

/** Status fields from a health answer (none when the cluster was not asked or did not answer: the last stay). */
export function healthStatus(health: ClusterHealth | Error | undefined): Pick<StrataClusterStatus, 'underReplicatedPartitions' | 'controllerId'> {
  if (health === undefined || health instanceof Error) return {};
  return { underReplicatedPartitions: health.underReplicated, ...(health.controllerId >= 0 ? { controllerId: health.controllerId } : {}) };
}
