// The acks=all purgatory of replicated partitions (Kafka's DelayedProduce). A produce appended on the leader
// is answered once the high watermark passes its last offset, i.e. every ISR member has it:
// - HW > last offset with the ISR at least min.insync.replicas → success; with a smaller ISR (it shrank while
//   the produce waited, which is how the HW got there) → NOT_ENOUGH_REPLICAS_AFTER_APPEND (the records are
//   written but less replicated than asked; the producer retries);
// - this broker stopped leading the partition, or the leader epoch changed → NOT_LEADER_OR_FOLLOWER (the new
//   leader may have truncated the records away);
// - the produce's timeout passed first → REQUEST_TIMED_OUT.
// Waiters are checked when ReplicaManager says the partition changed (HW moved, ISR or leadership changed).
import type { Clock, TimerHandle } from '../clock';
import { ErrorCode, KafkaError } from '../protocol/errors';

/** What a waiter looks at: the partition as ReplicaManager keeps it (cluster/partition.ts). */
export interface ProducedPartition {
  readonly key: string;
  readonly isLeader: boolean;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly log: { readonly highWatermark: number };
}

interface Waiter {
  partition: ProducedPartition;
  lastOffset: number;
  leaderEpoch: number;
  minIsr: number;
  timer: TimerHandle;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class DelayedProduces {
  private readonly waiting = new Map<string, Set<Waiter>>();

  constructor(private readonly clock: Clock) {}

  /** Resolves once `lastOffset` is replicated to the ISR (see above); rejects with the KafkaError to answer. */
  wait(partition: ProducedPartition, lastOffset: number, leaderEpoch: number, minIsr: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const w: Waiter = { partition, lastOffset, leaderEpoch, minIsr, resolve, reject, timer: undefined as unknown as TimerHandle };
      if (this.settle(w)) return;
      let set = this.waiting.get(partition.key);
      if (!set) this.waiting.set(partition.key, (set = new Set()));
      set.add(w);
      w.timer = this.clock.setTimeout(() => {
        this.remove(w);
        reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `records of ${partition.key} up to offset ${lastOffset} were not replicated to the ISR in time`));
      }, Math.max(0, timeoutMs));
    });
  }

  /** Re-checks the waiters of a partition whose HW, ISR or leadership changed. */
  check(partition: ProducedPartition): void {
    const set = this.waiting.get(partition.key);
    if (!set) return;
    for (const w of set) {
      if (this.settle(w)) {
        this.clock.clearTimeout(w.timer);
        this.remove(w);
      }
    }
  }

  /** How many produces wait (metrics, tests). */
  get size(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  /** Answers every waiter with NOT_LEADER_OR_FOLLOWER (shutting down: nobody will advance their HW here). */
  failAll(): void {
    for (const set of this.waiting.values()) {
      for (const w of set) {
        this.clock.clearTimeout(w.timer);
        w.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `${w.partition.key}: the broker is shutting down`));
      }
    }
    this.waiting.clear();
  }

  /** Completes the waiter if its outcome is known; returns whether it did. */
  private settle(w: Waiter): boolean {
    const p = w.partition;
    if (!p.isLeader || p.leaderEpoch !== w.leaderEpoch) {
      w.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker stopped leading ${p.key} before the records were replicated`));
      return true;
    }
    if (p.log.highWatermark <= w.lastOffset) return false;
    if (p.isr.length < w.minIsr) {
      w.reject(
        new KafkaError(
          ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
          `the records of ${p.key} were written, but the ISR (${p.isr.length}) shrank below min.insync.replicas (${w.minIsr}) meanwhile`,
        ),
      );
      return true;
    }
    w.resolve();
    return true;
  }

  private remove(w: Waiter): void {
    const set = this.waiting.get(w.partition.key);
    set?.delete(w);
    if (set?.size === 0) this.waiting.delete(w.partition.key);
  }
}
