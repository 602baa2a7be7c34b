// How many partitions one admin request may create, and how many topics and partitions the broker holds in all.
// Checked before anything is allocated: a partition costs metadata records, an open log, index buffers and
// metric series, so a client-chosen count must never decide the broker's memory.
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { MetadataImage } from './metadata-image';

/**
 * Kafka's bound on one operation (ReplicationControlManager's MAX_PARTITIONS_PER_BATCH, the controller's
 * MAX_RECORDS_PER_USER_OP): more partitions than this in one CreateTopics or CreatePartitions is refused.
 */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

/** The broker's ceilings (max.topics, max.partitions), internal topics included. */
export interface TopicLimits {
  maxTopics: number;
  maxPartitions: number;
}

export const UNLIMITED: TopicLimits = { maxTopics: Number.POSITIVE_INFINITY, maxPartitions: Number.POSITIVE_INFINITY };

/** Why one request may not create `requested` partitions (Kafka's message, with the figures), or null. */
export function tooManyPartitionsPerRequest(requested: number): string | null {
  if (requested <= MAX_PARTITIONS_PER_REQUEST) return null;
  return `Excessively large number of partitions per request: ${requested} requested, at most ${MAX_PARTITIONS_PER_REQUEST} may be created at once.`;
}

/** Throws POLICY_VIOLATION when one request asks for more partitions than allowed. */
export function checkPartitionsPerRequest(requested: number): void {
  const tooMany = tooManyPartitionsPerRequest(requested);
  if (tooMany) throw new KafkaError(ErrorCode.POLICY_VIOLATION, tooMany);
}

export function partitionCount(image: MetadataImage): number {
  let n = 0;
  for (const t of image.topicsById.values()) n += t.partitions.length;
  return n;
}

/** Throws POLICY_VIOLATION when adding `topics` topics and `partitions` partitions would pass a ceiling. */
export function checkCeilings(image: MetadataImage, limits: TopicLimits, topics: number, partitions: number): void {
  const haveTopics = image.topicsById.size;
  if (topics > 0 && haveTopics + topics > limits.maxTopics) {
    throw new KafkaError(
      ErrorCode.POLICY_VIOLATION,
      `The broker holds ${haveTopics} topics and max.topics is ${limits.maxTopics}: no more topics can be created.`,
    );
  }
  const haveParts = partitionCount(image);
  if (haveParts + partitions > limits.maxPartitions) {
    throw new KafkaError(
      ErrorCode.POLICY_VIOLATION,
      `Creating ${partitions} partitions would exceed max.partitions: the broker holds ${haveParts} of at most ${limits.maxPartitions}.`,
    );
  }
}
