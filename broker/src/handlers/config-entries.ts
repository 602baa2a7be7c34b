// Config entries as DescribeConfigs/CreateTopics report them, from the one table of topic and broker
// configs in log/topic-config.ts. Shared by describe-configs.ts and create-topics.ts.
import type { BrokerConfig } from '../config';
import { describeBrokerConfigs, describeTopicConfigs } from '../log/topic-config';

/** Kafka's ConfigSource codes. */
const SOURCE_CODE: Record<string, number> = { TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };

/** Kafka's ConfigResource types. */
export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  configType: number;
  documentation: string | null;
}

type Described = ReturnType<typeof describeTopicConfigs>[number];

function toEntry(d: Described): ConfigEntry {
  return {
    name: d.name,
    value: d.value,
    readOnly: d.readOnly,
    isDefault: d.isDefault,
    configSource: SOURCE_CODE[d.source] ?? -1,
    isSensitive: d.isSensitive,
    configType: d.configType,
    documentation: d.documentation ?? null,
  };
}

export function topicConfigEntries(overrides: Record<string, string>, config: BrokerConfig): ConfigEntry[] {
  return describeTopicConfigs(overrides, config).map(toEntry);
}

export function brokerConfigEntries(config: BrokerConfig): ConfigEntry[] {
  return describeBrokerConfigs(config).map(toEntry);
}
