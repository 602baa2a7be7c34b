// One partition this broker hosts: its identity, leadership state and local log.
import type { PartitionLog } from '../log/partition-log';
import { ErrorCode, KafkaError } from '../protocol/errors';

export class Partition {
  constructor(
    readonly topic: string,
    readonly topicId: string,
    readonly index: number,
    readonly log: PartitionLog,
    public leaderEpoch: number,
  ) {}

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
