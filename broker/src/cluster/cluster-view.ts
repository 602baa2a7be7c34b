// What the cluster metrics (metrics/cluster-metrics.ts) read at scrape time, from this broker's metadata image,
// its controller lease and its metadata log. Leadership, ISR and min.insync.replicas come from the image (what the
// cluster agreed on); follower lag needs the leader's follower tracking, which replication provides (none here).
import type { ClusterView, LedPartition } from '../metrics/cluster-metrics';
import type { ControllerLease } from './controller-lease';
import type { MetadataImage } from './metadata-image';
import type { MetadataLog } from './metadata-log';

export function imageClusterView(image: MetadataImage, nodeId: number, defaultMinIsr: number, lease: ControllerLease, log: MetadataLog): ClusterView {
  return {
    *led(): Iterable<LedPartition> {
      for (const t of image.topicsById.values()) {
        const minIsr = Number(t.configs['min.insync.replicas'] ?? defaultMinIsr);
        for (const p of t.partitions) {
          if (p?.leader !== nodeId) continue;
          yield { topic: t.name, partition: p.partition, replicas: p.replicas.length, isr: p.isr.length, minIsr, followerLag: [] };
        }
      }
    },
    isController: () => lease.isActive(),
    offlinePartitions(): number {
      let n = 0;
      for (const t of image.topicsById.values()) {
        for (const p of t.partitions) {
          const leader = p ? image.brokers.get(p.leader) : undefined;
          if (!leader || leader.fenced) n++;
        }
      }
      return n;
    },
    metadataPosition: () => log.position,
  };
}
