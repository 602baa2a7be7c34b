// One partition this broker hosts: its identity, leadership state and local log.
import type { PartitionLog } from '../log/partition-log';

export class Partition {
  constructor(
    readonly topic: string,
    readonly topicId: string,
    readonly index: number,
    readonly log: PartitionLog,
    public leaderEpoch: number,
  ) {}

  get key(): string {
    return `${this.topic}-${this.index}`;
  }
}
