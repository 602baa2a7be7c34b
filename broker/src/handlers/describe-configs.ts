// DescribeConfigs (key 32), v0–4. Topic resources list every topic config with its effective value and source
// (TOPIC_CONFIG for overrides, STATIC_BROKER_CONFIG/DEFAULT_CONFIG otherwise); broker resources list the
// broker's static configs. Synonyms (v1+) carry the entry's own source; documentation only when asked (v3+).
// Needs DESCRIBE_CONFIGS on the topic (else TOPIC_AUTHORIZATION_FAILED) or, for broker resources, on the cluster
// (else CLUSTER_AUTHORIZATION_FAILED), as in Kafka.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, CLUSTER_NAME, ResourceType as AclResourceType } from '../security/acl';
import { echoName, quoteName } from '../cluster/topic-names';
import { brokerConfigEntries, ResourceType, topicConfigEntries, type ConfigEntry } from './config-entries';

type Result = DescribeConfigsResponse['results'][number];

export default defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx) {
    const { image, config, nodeId } = ctx.services;
    const results: Result[] = req.resources.map((r) => {
      const base: Result = { errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: echoName(r.resourceName), configs: [] };
      let entries: ConfigEntry[];
      if (r.resourceType === ResourceType.TOPIC) {
        if (!ctx.authorize(AclOperation.DESCRIBE_CONFIGS, AclResourceType.TOPIC, r.resourceName)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
        const topic = image.topicsByName.get(r.resourceName);
        if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${quoteName(r.resourceName)} does not exist.` };
        entries = topicConfigEntries(topic.configs, config);
      } else if ((r.resourceType === ResourceType.BROKER || r.resourceType === ResourceType.BROKER_LOGGER) && !ctx.authorize(AclOperation.DESCRIBE_CONFIGS, AclResourceType.CLUSTER, CLUSTER_NAME)) {
        return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null };
      } else if (r.resourceType === ResourceType.BROKER) {
        if (r.resourceName !== '' && r.resourceName !== String(nodeId)) {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${nodeId} but received ${quoteName(r.resourceName)}` };
        }
        entries = brokerConfigEntries(config);
      } else if (r.resourceType === ResourceType.BROKER_LOGGER) {
        entries = [];
      } else {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}` };
      }
      const keys = r.configurationKeys ? new Set(r.configurationKeys) : null;
      return {
        ...base,
        configs: entries
          .filter((e) => !keys || keys.has(e.name))
          .map((e) => ({
            name: e.name,
            value: e.isSensitive ? null : e.value,
            readOnly: e.readOnly,
            isDefault: e.isDefault,
            configSource: e.configSource,
            isSensitive: e.isSensitive,
            synonyms: req.includeSynonyms ? [{ name: e.name, value: e.value, source: e.configSource }] : [],
            configType: e.configType,
            documentation: req.includeDocumentation ? e.documentation : null,
          })),
      };
    });
    return { throttleTimeMs: 0, results };
  },
});
