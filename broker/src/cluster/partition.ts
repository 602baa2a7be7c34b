// One partition this broker hosts (it is in the partition's replicas): its identity, its role (leader or
// follower, as the metadata image last said), and its local log. On the leader, `followers` tracks the
// other replicas' fetch progress, the high watermark and the ISR (cluster/follower-state.ts).
import type { PartitionLog } from '../log/partition-log';
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { FollowerStates } from './follower-state';

export class Partition {
  /** The leader as this broker last applied it (-1: none). */
  leaderId = -1;
  replicas: readonly number[] = [];
  isr: readonly number[] = [];
  /** Leader side only: follower progress, HW and ISR changes. null while following. */
  followers: FollowerStates | null = null;

  constructor(
    readonly topic: string,
    readonly topicId: string,
    readonly index: number,
    readonly log: PartitionLog,
    public leaderEpoch: number,
    private readonly nodeId: number,
  ) {}

  get isLeader(): boolean {
    return this.leaderId === this.nodeId;
  }

  /** KIP-320: a client that knows a newer epoch than ours is ahead of us; one with an older epoch is fenced. */
  checkLeaderEpoch(clientEpoch: number): void {
    if (clientEpoch < 0 || clientEpoch === this.leaderEpoch) return;
    if (clientEpoch < this.leaderEpoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, 'leader epoch is older than the current one');
    throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, 'leader epoch is newer than the current one');
  }

  get key(): string {
    return `${this.topic}-${this.index}`;
  }
}
