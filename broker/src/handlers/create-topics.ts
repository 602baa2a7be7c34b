// CreateTopics (key 19), v0–7. Validates names, partition counts, replication factors (against registered
// brokers), explicit assignments and configs, through the controller; validate_only checks without creating.
// -1 partitions / replication factor (v4+) take the broker defaults. v5+ returns the resulting configs, v7 the topic id.
// As in Kafka, a request asking for more than 10,000 partitions in all fails as a whole (POLICY_VIOLATION) before
// anything is allocated. Internal topics are the broker's own: a client may not create them.
// Authorization as Kafka: CREATE on the cluster or on the topic (else TOPIC_AUTHORIZATION_FAILED); the resulting
// configs (v5+) only with DESCRIBE_CONFIGS on the topic (else topic_config_error_code TOPIC_AUTHORIZATION_FAILED).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/schema/types';
import { ZERO_UUID } from '../protocol/codec';
import { defineHandler } from './handler';
import { errorCodeOf, errorMessageOf } from './error-code';
import { topicConfigEntries } from './config-entries';
import { tooManyPartitionsPerRequest } from '../cluster/partition-limits';
import { echoName, internalTopicAdminError, isInternalTopic, quoteName } from '../cluster/topic-names';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';

type Result = CreateTopicsResponse['topics'][number];

export default defineHandler<CreateTopicsRequest, CreateTopicsResponse>({
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  async handle(req, ctx) {
    const { controller, config, logger } = ctx.services;
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const tooMany = tooManyPartitionsPerRequest(requestedPartitions(req, config.numPartitions));
    const clusterCreate = ctx.authorize(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME, false);
    const topics: Result[] = [];
    for (const t of req.topics) {
      const base: Result = {
        name: echoName(t.name),
        topicId: ZERO_UUID,
        errorCode: 0,
        errorMessage: null,
        topicConfigErrorCode: 0,
        numPartitions: -1,
        replicationFactor: -1,
        configs: null,
      };
      if (tooMany) {
        topics.push({ ...base, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: tooMany });
        continue;
      }
      if (counts.get(t.name)! > 1) {
        topics.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Create topics request from client contains multiple entries for topic ${quoteName(t.name)}.` });
        continue;
      }
      if (!clusterCreate && !ctx.authorize(AclOperation.CREATE, ResourceType.TOPIC, t.name)) {
        topics.push({ ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
        continue;
      }
      const assignmentError = checkAssignmentIndexes(t.assignments);
      if (assignmentError) {
        topics.push({ ...base, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: assignmentError });
        continue;
      }
      const configs: Record<string, string> = {};
      for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
      try {
        if (isInternalTopic(t.name) && !ctx.services.image.topicsByName.has(t.name)) throw internalTopicAdminError(t.name, 'create');
        const created = await controller.createTopic(
          {
            name: t.name,
            numPartitions: t.numPartitions === -1 ? config.numPartitions : t.numPartitions,
            replicationFactor: t.replicationFactor === -1 ? config.defaultReplicationFactor : t.replicationFactor,
            assignments: t.assignments.length > 0 ? sortedAssignments(t.assignments).map((a) => a.brokerIds) : undefined,
            configs,
          },
          req.validateOnly,
        );
        const configsVisible = ctx.authorize(AclOperation.DESCRIBE_CONFIGS, ResourceType.TOPIC, t.name);
        topics.push({
          ...base,
          topicId: created.topicId ?? ZERO_UUID,
          numPartitions: created.numPartitions,
          replicationFactor: created.replicationFactor,
          topicConfigErrorCode: configsVisible ? 0 : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          configs: !configsVisible ? null : topicConfigEntries(configs, config).map((e) => ({
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

type Assignment = CreateTopicsRequest['topics'][number]['assignments'][number];

function sortedAssignments(assignments: readonly Assignment[]): Assignment[] {
  return [...assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
}

/** Explicit assignments must name partitions 0..n-1, each once (Kafka's rule). */
function checkAssignmentIndexes(assignments: readonly Assignment[]): string | null {
  const sorted = sortedAssignments(assignments);
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i].partitionIndex !== i) return 'Partitions should be 0-based and consecutive.';
  }
  return null;
}

/** Partitions the whole request asks for, counted as Kafka counts them (invalid counts add nothing). */
function requestedPartitions(req: CreateTopicsRequest, defaultPartitions: number): number {
  let total = 0;
  for (const t of req.topics) {
    if (t.assignments.length > 0) total += t.assignments.length;
    else if (t.numPartitions === -1) total += defaultPartitions;
    else if (t.numPartitions > 0) total += t.numPartitions;
  }
  return total;
}
