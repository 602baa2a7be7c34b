// CreateTopics (key 19), v0–7. Validates names, partition counts, replication factors (against registered
// brokers), explicit assignments and configs, through the controller; validate_only checks without creating.
// -1 partitions / replication factor (v4+) take the broker defaults. v5+ returns the resulting configs, v7 the topic id.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/schema/types';
import { ZERO_UUID } from '../protocol/codec';
import { defineHandler } from './handler';
import { clientMessage, errorCodeOf, errorMessageOf } from './error-code';
import { topicConfigEntries } from './config-entries';

type Result = CreateTopicsResponse['topics'][number];

export default defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(req, ctx) {
    const { controller, config, logger } = ctx.services;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics: Result[] = [];
    for (const t of req.topics) {
      const base: Result = {
        name: t.name,
        topicId: ZERO_UUID,
        errorCode: 0,
        errorMessage: null,
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      };
      if (counts.get(t.name)! > 1) {
        topics.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: clientMessage(`Create topics request from client contains multiple entries for topic ${t.name}.`) });
        continue;
      }
      const configs: Record<string, string> = {};
      for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
      try {
        const created = await controller.createTopic(
          {
            name: t.name,
            numPartitions: t.numPartitions === -1 ? config.numPartitions : t.numPartitions,
            replicationFactor: t.replicationFactor === -1 ? config.defaultReplicationFactor : t.replicationFactor,
            assignments: t.assignments.length > 0 ? [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex).map((a) => a.brokerIds) : undefined,
            configs,
          },
          req.validateOnly,
        );
        topics.push({
          ...base,
          topicId: created.topicId ?? ZERO_UUID,
          numPartitions: created.numPartitions,
          replicationFactor: created.replicationFactor,
          configs: topicConfigEntries(configs, config).map((e) => ({
            name: e.name,
            value: e.value,
            readOnly: e.readOnly,
            configSource: e.configSource,
            isSensitive: e.isSensitive,
          })),
        });
      } catch (err) {
        topics.push({ ...base, errorCode: errorCodeOf(err, logger), errorMessage: errorMessageOf(err) });
      }
    }
    return { throttleTimeMs: 0, topics };
  },
});
