// The shared part of AlterConfigs and IncrementalAlterConfigs: per resource, turn the request into a set of
// topic config changes (string = set, null = back to default) and commit them through the controller.
// Changes are applied to live logs as soon as they are committed (ReplicaManager.sync → updateConfig).
// Internal topics keep the configs the broker gave them; resource names are echoed bounded.
// Needs ALTER_CONFIGS on the topic (else TOPIC_AUTHORIZATION_FAILED) or, for broker resources, on the cluster
// (else CLUSTER_AUTHORIZATION_FAILED), as in Kafka.
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { TopicImage } from '../cluster/metadata-image';
import type { RequestContext } from './handler';
import { AclOperation, CLUSTER_NAME, ResourceType as AclResourceType } from '../security/acl';
import { ResourceType } from './config-entries';
import { errorCodeOf, errorMessageOf } from './error-code';
import { echoName, internalTopicAdminError, isInternalTopic, quoteName } from '../cluster/topic-names';

export interface ResourceResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export async function alterResources<R extends { resourceType: number; resourceName: string }>(
  resources: R[],
  validateOnly: boolean,
  ctx: RequestContext,
  changesFor: (resource: R, topic: TopicImage) => Record<string, string | null>,
): Promise<ResourceResult[]> {
  const s = ctx.services;
  const out: ResourceResult[] = [];
  // As Kafka: a resource named twice in one request is refused (each copy), so one request cannot queue
  // thousands of metadata writes for the same topic.
  const seen = new Map<string, number>();
  for (const r of resources) seen.set(`${r.resourceType}:${r.resourceName}`, (seen.get(`${r.resourceType}:${r.resourceName}`) ?? 0) + 1);
  for (const r of resources) {
    const base = { errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: echoName(r.resourceName) };
    try {
      if (seen.get(`${r.resourceType}:${r.resourceName}`)! > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Duplicate resource in request.');
      if (r.resourceType === ResourceType.BROKER || r.resourceType === ResourceType.BROKER_LOGGER) {
        ctx.require(AclOperation.ALTER_CONFIGS, AclResourceType.CLUSTER, CLUSTER_NAME);
        throw new KafkaError(
          ErrorCode.INVALID_CONFIG,
          'Strata broker configs are static: set them in the config file, STRATA_* environment variables or flags.',
        );
      }
      if (r.resourceType !== ResourceType.TOPIC) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`);
      if (r.resourceName === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.');
      ctx.require(AclOperation.ALTER_CONFIGS, AclResourceType.TOPIC, r.resourceName);
      const topic = s.image.topicsByName.get(r.resourceName);
      if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${quoteName(r.resourceName)} does not exist.`);
      if (isInternalTopic(topic.name)) throw internalTopicAdminError(topic.name, 'alter the configs of');
      await s.controller.alterTopicConfigs(topic.name, changesFor(r, topic), validateOnly);
      out.push(base);
    } catch (err) {
      out.push({ ...base, errorCode: errorCodeOf(err, s.logger), errorMessage: errorMessageOf(err) });
    }
  }
  return out;
}
