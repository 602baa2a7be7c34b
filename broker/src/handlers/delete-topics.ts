// DeleteTopics (key 20), v0–6. By name (all versions) or by topic id (v6+). Data is removed from disk
// once the removal is committed to the metadata log (ReplicaManager.sync). Internal topics cannot be deleted.
// Needs DELETE on the topic (else TOPIC_AUTHORIZATION_FAILED).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/schema/types';
import { ZERO_UUID } from '../protocol/codec';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { errorCodeOf, errorMessageOf } from './error-code';
import { echoName, internalTopicAdminError, isInternalTopic } from '../cluster/topic-names';

type Result = DeleteTopicsResponse['responses'][number];

export default defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  async handle(req, ctx) {
    const { image, controller, config, logger, metrics } = ctx.services;
    const wanted = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses: Result[] = [];
    for (const w of wanted) {
      const topic = w.name !== null && w.name !== '' ? image.topicsByName.get(w.name) : image.topicsById.get(w.topicId);
      const base: Result = { name: echoName(w.name), topicId: w.topicId, errorCode: 0, errorMessage: null };
      const byName = w.name !== null && w.name !== '';
      // As Kafka: a name is checked before its existence (so existence does not leak); an id only once resolved.
      if ((byName || topic) && !ctx.authorize(AclOperation.DELETE, ResourceType.TOPIC, topic?.name ?? w.name!)) {
        responses.push({ ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'DELETE on the topic is not authorized.' });
        continue;
      }
      if (!topic) {
        responses.push({
          ...base,
          errorCode: byName ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.UNKNOWN_TOPIC_ID,
          errorMessage: 'This server does not host this topic.',
        });
        continue;
      }
      if (!config.deleteTopicEnable) {
        responses.push({ ...base, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: 'Topic deletion is disabled.' });
        continue;
      }
      try {
        if (isInternalTopic(topic.name)) throw internalTopicAdminError(topic.name, 'delete');
        await controller.deleteTopic(topic.topicId);
        metrics.removeTopic(topic.name);
        responses.push({ ...base, name: topic.name, topicId: topic.topicId });
      } catch (err) {
        responses.push({ ...base, errorCode: errorCodeOf(err, logger), errorMessage: errorMessageOf(err) });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
});
