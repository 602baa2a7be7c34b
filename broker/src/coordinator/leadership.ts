// Moves a coordinator with the leadership of its internal topic's partitions: the partitions this broker leads
// now are taken on at once (start-up), and every later `change` of ReplicaManager.leadership for that topic
// loads (became leader) or drops (stopped being leader) a partition's state.
import type { EventEmitter } from 'node:events';
import type { Logger } from '../logger';

/** What ReplicaManager offers (CLUSTER.md, replication slice). */
export interface LeadershipSource {
  readonly leadership: EventEmitter<{ change: [topic: string, index: number, isLeader: boolean, leaderEpoch: number] }>;
  /** The partitions of a topic this broker leads and hosts now, with their leader epochs. */
  ledPartitions(topic: string): Array<{ index: number; leaderEpoch: number }>;
}

/** A coordinator whose state lives in the partitions of one internal topic. */
export interface PartitionCoordinator {
  /** Loads a partition's state (this broker became its leader under `epoch`). */
  onElection(partition: number, epoch: number): Promise<void>;
  /** Drops a partition's state (this broker is no longer its leader). */
  onResignation(partition: number): void;
}

/**
 * Subscribes `coordinator` to leadership changes of `topic` and takes on the partitions led now; resolves once
 * those are loaded (a single broker answers nothing before its groups are back, as before cluster mode).
 * A closed coordinator ignores later changes.
 */
export async function followLeadership(source: LeadershipSource, topic: string, coordinator: PartitionCoordinator, logger: Logger): Promise<void> {
  const elect = (index: number, epoch: number) =>
    coordinator.onElection(index, epoch).catch((err) => logger.error('could not load coordinator state', { topic, partition: index, epoch, err }));
  const listener = (t: string, index: number, isLeader: boolean, epoch: number) => {
    if (t !== topic) return;
    if (isLeader) void elect(index, epoch);
    else coordinator.onResignation(index);
  };
  source.leadership.on('change', listener);
  await Promise.all(source.ledPartitions(topic).map((p) => elect(p.index, p.leaderEpoch)));
}
