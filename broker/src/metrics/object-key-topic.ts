// Which topic an object-store key belongs to, as a metric label. Tiered data lives under
// <clusterId>/topics/<topicId>/... (tier/remote-keys.ts); the label is the topic's name, so a dashboard can
// join it with the other per-topic series. Everything else gets one of a few fixed labels, keeping the label
// set bounded by the number of topics.
import { topicsPrefix } from '../tier/remote-keys';

/** cluster.json and <clusterId>/metadata/...: the metadata log, its snapshots and the cluster id. */
export const METADATA_LABEL = '_metadata';
/** Objects of a topic id the metadata no longer (or not yet) knows: a deleted topic's leftovers. */
export const DELETED_TOPIC_LABEL = '_deleted';
/** Any other key, including listings of the whole topics/ prefix (the garbage collector's). */
export const OTHER_LABEL = '_other';

const CLUSTER_ID_KEY = 'cluster.json';

/** `topicName` maps a topic id to its current name (undefined if unknown). */
export function objectKeyTopic(clusterId: string, key: string, topicName: (topicId: string) => string | undefined): string {
  const root = topicsPrefix(clusterId);
  if (key.startsWith(root)) {
    const slash = key.indexOf('/', root.length);
    // A key or list prefix must name the topic id and go below it ("<id>/..."); "topics/" alone, or a bare id, is not one topic's.
    if (slash <= root.length) return OTHER_LABEL;
    return topicName(key.slice(root.length, slash)) ?? DELETED_TOPIC_LABEL;
  }
  if (key === CLUSTER_ID_KEY || key.startsWith(`${clusterId}/metadata/`)) return METADATA_LABEL;
  return OTHER_LABEL;
}
