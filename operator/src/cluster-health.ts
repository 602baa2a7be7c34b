// What the cluster reconciler asks a running cluster before it restarts or removes a broker: one Metadata
// request (every topic, internal ones included) over the operator's admin connection (cluster-access.ts).
// A partition is under-replicated when its ISR is smaller than its replica list (Kafka's definition).
import { ApiKey } from '../../broker/src/protocol/apis';
import type { KafkaClient } from '../../broker/src/protocol/client';
import type { MetadataResponse } from '../../broker/src/protocol/schema/types';

export interface ClusterHealth {
  /** Node ids of the brokers the cluster lists. */
  brokers: number[];
  /** The active controller's node id, -1 when the cluster names none. */
  controllerId: number;
  /** Partitions whose ISR is smaller than their replica list. */
  underReplicated: number;
  /** Partition count per node id among the partitions' replicas (to refuse removing a broker that holds some). */
  replicasPerBroker: Map<number, number>;
}

/** The health of a cluster from its Metadata response. Pure. */
export function healthFromMetadata(md: Pick<MetadataResponse, 'brokers' | 'controllerId' | 'topics'>): ClusterHealth {
  let underReplicated = 0;
  const replicasPerBroker = new Map<number, number>();
  for (const t of md.topics) {
    for (const p of t.partitions) {
      if (p.isrNodes.length < p.replicaNodes.length) underReplicated++;
      for (const id of new Set(p.replicaNodes)) replicasPerBroker.set(id, (replicasPerBroker.get(id) ?? 0) + 1);
    }
  }
  return { brokers: md.brokers.map((b) => b.nodeId).sort((a, b) => a - b), controllerId: md.controllerId, underReplicated, replicasPerBroker };
}

/** Partitions with a replica on any of `nodeIds`, by node id (only those holding some). */
export function replicasOn(health: ClusterHealth, nodeIds: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const id of nodeIds) {
    const n = health.replicasPerBroker.get(id) ?? 0;
    if (n > 0) out.set(id, n);
  }
  return out;
}

/** Asks the cluster for its metadata (all topics) and summarizes it. */
export async function fetchClusterHealth(c: KafkaClient): Promise<ClusterHealth> {
  const md = await c.request<MetadataResponse>(ApiKey.Metadata, c.pickVersion(ApiKey.Metadata, 12), {
    topics: null,
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  return healthFromMetadata(md);
}
