// Kafka's topic-level configs, declared once in TOPIC_CONFIGS: type, validation, documentation, the broker
// setting each defaults from, and where it lands in LogConfig. Used to validate CreateTopics/AlterConfigs,
// to resolve a partition's effective LogConfig, and to answer DescribeConfigs.
import {
  CONFIG_KEYS,
  INT32_MAX,
  INT64_MAX,
  booleanKind,
  brokerLogDefaults,
  describeName,
  enumKind,
  integerKind,
  invalidValueMessage,
  isDefaultValue,
  listKind,
  numberKind,
  type BrokerConfig,
  type ConfigKey,
  type KafkaConfigType,
  type ValueKind,
} from '../config';
import type { LogConfig } from './log-config';

/** Kafka's DescribeConfigs configType codes. */
export const CONFIG_TYPE: Record<KafkaConfigType | 'CLASS' | 'PASSWORD', number> = {
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
};

/** Kafka's DescribeConfigs configSource codes (the ones Strata reports). */
export const CONFIG_SOURCE = { TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;
export type ConfigSourceName = keyof typeof CONFIG_SOURCE;

export interface DescribedConfig {
  name: string;
  value: string | null;
  source: ConfigSourceName;
  isDefault: boolean;
  readOnly: boolean;
  isSensitive: boolean;
  /** A CONFIG_TYPE code. */
  configType: number;
  documentation: string;
}

interface TopicConfigDef<T> {
  readonly kind: ValueKind<T>;
  readonly doc: string;
  /** Where the effective value lives in LogConfig; its broker-wide default comes from brokerLogDefaults. */
  readonly log?: { get(l: LogConfig): T; set(l: LogConfig, v: T): void };
  /** Kafka's default as DescribeConfigs shows it, for configs that LogConfig does not hold. */
  readonly fallback?: string;
  /** The Strata broker key this config defaults from, when Strata has one. */
  readonly brokerKey?: ConfigKey;
}

function def<T>(d: TopicConfigDef<T>): TopicConfigDef<T> {
  return d;
}

type NumericField = { [K in keyof LogConfig]: LogConfig[K] extends number ? K : never }[keyof LogConfig];
const field = (f: NumericField) => ({ get: (l: LogConfig) => l[f], set: (l: LogConfig, v: number) => void (l[f] = v) });

const long = (min: number) => integerKind(min, INT64_MAX);
const int = (min: number) => integerKind(min, INT32_MAX);
const LONG_MAX = String(INT64_MAX);
/** A LONG whose "infinite" default is kept as MAX_SAFE_INTEGER, shown as Kafka's Long.MAX_VALUE. */
const longOrMax = (min: number): ValueKind<number> => ({ ...long(min), format: (v) => (v >= Number.MAX_SAFE_INTEGER ? LONG_MAX : String(v)) });

const TOPIC_CONFIGS = new Map<string, TopicConfigDef<unknown>>(Object.entries({
  'cleanup.policy': def({
    kind: listKind(['delete', 'compact']),
    doc: 'delete: remove old segments by retention time/size; compact: keep the latest record per key.',
    log: {
      get: (l) => (['delete', 'compact'] as const).filter((p) => l.cleanupPolicy[p]),
      set: (l, v) => void (l.cleanupPolicy = { delete: v.includes('delete'), compact: v.includes('compact') }),
    },
    brokerKey: 'logCleanupPolicy',
  }),
  'compression.type': def({
    kind: enumKind(['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']),
    doc: 'Final compression of the topic; producer keeps what the producer sent.',
    fallback: 'producer',
  }),
  'delete.retention.ms': def({ kind: long(0), doc: 'How long delete tombstones are kept in compacted topics.', log: field('deleteRetentionMs') }),
  'file.delete.delay.ms': def({ kind: long(0), doc: 'Delay before the files of a removed segment are deleted.', log: field('fileDeleteDelayMs') }),
  'flush.messages': def({
    kind: long(1),
    doc: 'fsync the log after this many messages.',
    log: field('flushMessages'),
    brokerKey: 'logFlushIntervalMessages',
  }),
  'flush.ms': def({ kind: long(0), doc: 'fsync the log when unflushed data is this old.', log: field('flushMs'), brokerKey: 'logFlushIntervalMs' }),
  'index.interval.bytes': def({
    kind: int(0),
    doc: 'Bytes of log between entries of the sparse offset index.',
    log: field('indexIntervalBytes'),
    brokerKey: 'logIndexIntervalBytes',
  }),
  'max.message.bytes': def({ kind: int(0), doc: 'Largest record batch accepted.', log: field('maxMessageBytes'), brokerKey: 'messageMaxBytes' }),
  'message.timestamp.type': def({
    kind: enumKind(['CreateTime', 'LogAppendTime']),
    doc: 'CreateTime keeps the producer timestamp; LogAppendTime sets the broker time on append.',
    log: { get: (l) => l.messageTimestampType, set: (l, v) => void (l.messageTimestampType = v) },
    brokerKey: 'logMessageTimestampType',
  }),
  'min.compaction.lag.ms': def({ kind: long(0), doc: 'Records younger than this are not compacted.', log: field('minCompactionLagMs') }),
  'max.compaction.lag.ms': def({ kind: longOrMax(1), doc: 'Records older than this become eligible for compaction.', log: field('maxCompactionLagMs') }),
  'min.cleanable.dirty.ratio': def({
    kind: numberKind(0, 1),
    doc: 'Share of uncompacted log that triggers compaction.',
    log: field('minCleanableDirtyRatio'),
  }),
  'min.insync.replicas': def({ kind: int(1), doc: 'Replicas that must acknowledge an acks=all write.', fallback: '1' }),
  'retention.bytes': def({
    kind: long(-1),
    doc: 'Delete oldest segments while the partition is larger than this; -1 = unlimited.',
    log: field('retentionBytes'),
    brokerKey: 'logRetentionBytes',
  }),
  'retention.ms': def({
    kind: long(-1),
    doc: 'Delete segments whose newest record is older than this; -1 = unlimited.',
    log: field('retentionMs'),
    brokerKey: 'logRetentionMs',
  }),
  'segment.bytes': def({ kind: int(14), doc: 'Roll a segment when it reaches this size.', log: field('segmentBytes'), brokerKey: 'logSegmentBytes' }),
  'segment.ms': def({ kind: long(1), doc: 'Roll a segment when its first record is this old.', log: field('segmentMs'), brokerKey: 'logSegmentMs' }),
  'segment.index.bytes': def({ kind: int(4), doc: 'Largest offset index file; the segment rolls when it is full.', log: field('segmentIndexBytes') }),
  'segment.jitter.ms': def({ kind: long(0), doc: 'Random delay subtracted from segment.ms so segments do not roll together.', fallback: '0' }),
  'unclean.leader.election.enable': def({ kind: booleanKind, doc: 'Allow a replica outside the ISR to become leader (may lose data).', fallback: 'false' }),
  'message.downconversion.enable': def({ kind: booleanKind, doc: 'Down-convert records for old fetch versions.', fallback: 'true' }),
  'remote.storage.enable': def({
    kind: booleanKind,
    doc: 'Tier closed segments to the object store.',
    log: { get: (l) => l.remoteStorageEnable, set: (l, v) => void (l.remoteStorageEnable = v) },
  }),
  'local.retention.ms': def({
    kind: long(-2),
    doc: 'How long tiered segments stay on local disk; -2 = retention.ms.',
    log: field('localRetentionMs'),
  }),
  'local.retention.bytes': def({
    kind: long(-2),
    doc: 'Local bytes kept per partition once tiered; -2 = retention.bytes.',
    log: field('localRetentionBytes'),
  }),
  'remote.upload.max.lag.ms': def({
    kind: long(-1),
    doc: 'Roll the active segment once its oldest record has waited this long, so no record waits longer to be tiered; -1 = off.',
    log: field('remoteUploadMaxLagMs'),
  }),
  preallocate: def({ kind: booleanKind, doc: 'Preallocate segment files on roll.', fallback: 'false' }),
  'message.timestamp.before.max.ms': def({
    kind: long(0),
    doc: 'Reject records whose timestamp is further than this in the past.',
    fallback: LONG_MAX,
  }),
  'message.timestamp.after.max.ms': def({
    kind: long(0),
    doc: 'Reject records whose timestamp is further than this in the future.',
    fallback: LONG_MAX,
  }),
}));

export const TOPIC_CONFIG_NAMES: readonly string[] = [...TOPIC_CONFIGS.keys()].sort();

/** An error message for an unacceptable value, or null. A null value (remove the override) is always valid. */
export function validateTopicConfig(name: string, value: string | null): string | null {
  const d = TOPIC_CONFIGS.get(name);
  if (d === undefined) return `unknown topic config ${JSON.stringify(name)}`;
  if (value === null || d.kind.parse(value) !== undefined) return null;
  return invalidValueMessage(value, name, d.kind);
}

/** The effective LogConfig of a topic: its overrides over the broker defaults. Invalid overrides are skipped. */
export function resolveLogConfig(overrides: Record<string, string>, brokerDefaults: LogConfig): LogConfig {
  const out: LogConfig = { ...brokerDefaults, cleanupPolicy: { ...brokerDefaults.cleanupPolicy } };
  for (const [name, raw] of Object.entries(overrides)) {
    const d = TOPIC_CONFIGS.get(name);
    const value = d?.kind.parse(raw);
    if (d?.log && value !== undefined) d.log.set(out, value);
  }
  return out;
}

/** Every topic config with its effective value and where that value comes from, as DescribeConfigs reports it. */
export function describeTopicConfigs(overrides: Record<string, string>, brokerCfg: BrokerConfig): DescribedConfig[] {
  const defaults = brokerLogDefaults(brokerCfg);
  const names = [...new Set([...TOPIC_CONFIG_NAMES, ...Object.keys(overrides)])].sort();
  return names.map((name) => {
    const d = TOPIC_CONFIGS.get(name);
    const override = overrides[name];
    const topicLevel = { name, value: override ?? null, source: 'TOPIC_CONFIG' as const, isDefault: false, readOnly: false, isSensitive: false };
    // An override unknown to this version (written by a newer one) is shown as a plain string.
    if (d === undefined) return { ...topicLevel, configType: CONFIG_TYPE.STRING, documentation: '' };
    const common = { configType: CONFIG_TYPE[d.kind.configType], documentation: d.doc };
    if (override !== undefined) return { ...topicLevel, ...common };
    const fromBroker = d.brokerKey !== undefined && !isDefaultValue(brokerCfg, d.brokerKey);
    return {
      name,
      value: d.log ? d.kind.format(d.log.get(defaults)) : (d.fallback ?? null),
      source: fromBroker ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG',
      isDefault: !fromBroker,
      readOnly: false,
      isSensitive: false,
      ...common,
    };
  });
}

/** The broker resource's configs: static (set at start), hence read-only. */
export function describeBrokerConfigs(cfg: BrokerConfig): DescribedConfig[] {
  return (Object.keys(CONFIG_KEYS) as ConfigKey[])
    .map((k): DescribedConfig => {
      const s = CONFIG_KEYS[k] as { kind: ValueKind<unknown>; doc: string; sensitive?: boolean };
      const isDefault = isDefaultValue(cfg, k);
      return {
        name: describeName(k),
        value: s.kind.format(cfg[k]),
        source: isDefault ? 'DEFAULT_CONFIG' : 'STATIC_BROKER_CONFIG',
        isDefault,
        readOnly: true,
        // Credentials are never shown (DescribeConfigs answers null for sensitive values).
        isSensitive: s.sensitive === true || /secret|password/i.test(k),
        configType: CONFIG_TYPE[s.kind.configType],
        documentation: s.doc,
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
