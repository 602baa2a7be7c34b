// Topic creation on behalf of clients that did not ask for it explicitly: Metadata requests for a missing
// topic when auto.create.topics.enable is on. Uses the broker defaults (num.partitions, default.replication.factor).
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { Controller } from './controller';
import { isInternalTopic, quoteName, topicNameError } from './topic-names';
import type { MetadataImage, TopicImage } from './metadata-image';

export class TopicCreator {
  constructor(
    private readonly image: MetadataImage,
    private readonly controller: Controller,
    private readonly defaults: { enabled: boolean; numPartitions: number; replicationFactor: number },
  ) {}

  get enabled(): boolean {
    return this.defaults.enabled;
  }

  /** Creates the topic if allowed; returns it (also when another request created it meanwhile). */
  async autoCreate(name: string): Promise<TopicImage> {
    const invalid = topicNameError(name);
    if (invalid) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, invalid);
    if (isInternalTopic(name)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Internal topic ${quoteName(name)} is not created on request.`);
    try {
      await this.controller.createTopic(
        { name, numPartitions: this.defaults.numPartitions, replicationFactor: this.defaults.replicationFactor, configs: {} },
        false,
      );
    } catch (err) {
      if (!(err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw err;
    }
    const topic = this.image.topicsByName.get(name);
    if (!topic) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `Topic ${quoteName(name)} is being created.`);
    return topic;
  }
}
