// What the cluster metrics (metrics/cluster-metrics.ts) read at scrape time: the partitions this broker leads as
// its replica manager tracks them (leader, ISR and min.insync.replicas from the image, follower lag from the
// leader's follower tracking), its controller lease and the image and position of its metadata log.
import type { ClusterView, LedPartition } from '../metrics/cluster-metrics';
import type { ControllerLease } from './controller-lease';
import type { MetadataImage } from './metadata-image';
import type { MetadataLog } from './metadata-log';

export function imageClusterView(image: MetadataImage, led: () => Iterable<LedPartition>, lease: ControllerLease, log: MetadataLog): ClusterView {
  return {
    led,
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
