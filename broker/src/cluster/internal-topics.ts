// The internal topics (__consumer_offsets, __transaction_state) are created when first needed — a FindCoordinator
// for a group or a transactional id — as Kafka does, not at start: a cluster whose brokers start together has
// all of them registered by the time a client asks, so the topic gets its full replication factor. The factor is
// the configured one capped at the live brokers then (a single broker creates it with 1). Until it exists, the
// coordinators hash keys over the configured partition count, which the created topic then has.
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { Logger } from '../logger';
import type { Controller } from './controller';
import type { MetadataImage } from './metadata-image';

export interface InternalTopicSpec {
  numPartitions: number;
  replicationFactor: number;
  segmentBytes: number;
}

export class InternalTopics {
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly image: MetadataImage,
    private readonly controller: Controller,
    private readonly specs: ReadonlyMap<string, InternalTopicSpec>,
    private readonly logger: Logger,
  ) {}

  /** Partitions of the topic: the existing topic's, else the count it will be created with. */
  partitionCount(name: string): number {
    return this.image.topicsByName.get(name)?.partitions.length ?? this.spec(name).numPartitions;
  }

  /** Creates the topic unless it exists; concurrent callers share one creation. */
  ensure(name: string): Promise<void> {
    if (this.image.topicsByName.has(name)) return Promise.resolve();
    let running = this.creating.get(name);
    if (!running) {
      running = this.create(name).finally(() => this.creating.delete(name));
      this.creating.set(name, running);
    }
    return running;
  }

  private async create(name: string): Promise<void> {
    const spec = this.spec(name);
    let live = 0;
    for (const b of this.image.brokers.values()) if (!b.fenced) live++;
    const replicationFactor = Math.max(1, Math.min(spec.replicationFactor, live));
    if (replicationFactor < spec.replicationFactor) {
      this.logger.warn('creating an internal topic with fewer replicas than configured: not enough live brokers', { topic: name, replicationFactor, configured: spec.replicationFactor });
    }
    try {
      await this.controller.createTopic(
        { name, numPartitions: spec.numPartitions, replicationFactor, configs: { 'cleanup.policy': 'compact', 'segment.bytes': String(spec.segmentBytes) } },
        false,
      );
      this.logger.info('created internal topic', { topic: name, partitions: spec.numPartitions, replicationFactor });
    } catch (err) {
      // Another broker created it first: its topic is the one to use.
      if (!(err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw err;
    }
  }

  private spec(name: string): InternalTopicSpec {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`${name} is not an internal topic`);
    return spec;
  }
}
