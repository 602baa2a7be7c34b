// Cluster-mode metrics (issue 10): replication health as Kafka names it (UnderReplicatedPartitions,
// UnderMinIsrPartitionCount, OfflinePartitionsCount, ActiveControllerCount, IsrShrinksPerSec/IsrExpandsPerSec,
// LeaderCount, replica lag) and how fast metadata reaches this broker. Gauges are read at scrape time from a
// ClusterView the broker provides; counters and the propagation histogram are fed as things happen.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** One partition this broker leads, as the leader sees it. */
export interface LedPartition {
  topic: string;
  partition: number;
  replicas: number;
  isr: number;
  minIsr: number;
  /** Records each follower is behind the leader's log end offset. */
  followerLag: Iterable<{ replica: number; lag: number }>;
}

export interface ClusterView {
  /** Partitions this broker leads. */
  led(): Iterable<LedPartition>;
  /** Whether this broker holds the controller lease. */
  isController(): boolean;
  /** Partitions of the cluster without a leader (counted by the controller only, as Kafka does). */
  offlinePartitions(): number;
  /** Position of this broker's metadata image in the metadata log. */
  metadataPosition(): number;
}

// 1 ms to 30 s: a poll interval is 100 ms by default, a lease takeover a few seconds.
const PROPAGATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ClusterMetrics {
  private view: ClusterView | null = null;
  private readonly isrShrinks: Counter;
  private readonly isrExpands: Counter;
  private readonly propagation: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    const led = () => this.view?.led() ?? [];
    const count = (pred: (p: LedPartition) => boolean) => () => {
      let n = 0;
      for (const p of led()) if (pred(p)) n++;
      return n;
    };
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value());
        },
      });
    gauge('strata_partition_leaders', 'Partitions this broker leads.', count(() => true));
    gauge('strata_under_replicated_partitions', 'Partitions this broker leads whose ISR is smaller than their replica set.', count((p) => p.isr < p.replicas));
    gauge('strata_under_min_isr_partitions', 'Partitions this broker leads whose ISR is below min.insync.replicas (acks=all writes fail).', count((p) => p.isr < p.minIsr));
    gauge('strata_active_controller', '1 on the broker holding the controller lease, else 0 (the cluster sums to 1).', () => (this.view?.isController() ? 1 : 0));
    gauge('strata_cluster_offline_partitions', 'Partitions of the cluster without a leader (reported by the active controller; 0 elsewhere).', () =>
      this.view?.isController() ? this.view.offlinePartitions() : 0,
    );
    gauge('strata_metadata_log_position', 'Position of this broker\'s metadata image in the metadata log (compare brokers to see one lag).', () => this.view?.metadataPosition() ?? 0);
    new Gauge({
      name: 'strata_replica_lag_records',
      help: 'Records a follower is behind the leader\'s log end offset, by partition and follower (reported by the leader).',
      labelNames: ['topic', 'partition', 'replica'],
      registers,
      collect() {
        this.reset();
        for (const p of led()) for (const f of p.followerLag) this.labels(p.topic, String(p.partition), String(f.replica)).set(f.lag);
      },
    });
    this.isrShrinks = new Counter({ name: 'strata_isr_shrinks_total', help: 'ISR shrinks this broker wrote as leader.', registers });
    this.isrExpands = new Counter({ name: 'strata_isr_expands_total', help: 'ISR expansions this broker wrote as leader.', registers });
    this.propagation = new Histogram({
      name: 'strata_metadata_propagation_seconds',
      help: 'Time from a metadata log entry being written (writer\'s clock) to this broker applying it.',
      buckets: PROPAGATION_BUCKETS,
      registers,
    });
  }

  setView(view: ClusterView): void {
    this.view = view;
  }

  isrChanged(kind: 'shrink' | 'expand'): void {
    (kind === 'shrink' ? this.isrShrinks : this.isrExpands).inc();
  }

  /** An entry written at `writtenAtMs` (writer's wall clock) was applied now; clock skew can make it negative: clamped. */
  metadataApplied(writtenAtMs: number, nowMs = Date.now()): void {
    this.propagation.observe(Math.max(0, nowMs - writtenAtMs) / 1000);
  }
}
