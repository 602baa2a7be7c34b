import { strict as assert } from 'node:assert';
import { brokerLogDefaults, loadConfig } from '../../src/config';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config';
import {
  CONFIG_SOURCE,
  CONFIG_TYPE,
  TOPIC_CONFIG_NAMES,
  describeBrokerConfigs,
  describeTopicConfigs,
  resolveLogConfig,
  validateTopicConfig,
} from '../../src/log/topic-config';

const defaults = loadConfig([], {});
const byName = <T extends { name: string }>(list: T[], name: string): T => {
  const found = list.find((e) => e.name === name);
  assert.ok(found, `no entry ${name}`);
  return found;
};

describe('topic configs', () => {
  it('declares the Kafka topic configs Strata supports', () => {
    assert.deepEqual(
      TOPIC_CONFIG_NAMES,
      [
        'cleanup.policy',
        'compression.type',
        'delete.retention.ms',
        'file.delete.delay.ms',
        'flush.messages',
        'flush.ms',
        'index.interval.bytes',
        'local.retention.bytes',
        'local.retention.ms',
        'max.compaction.lag.ms',
        'max.message.bytes',
        'message.downconversion.enable',
        'message.timestamp.after.max.ms',
        'message.timestamp.before.max.ms',
        'message.timestamp.type',
        'min.cleanable.dirty.ratio',
        'min.compaction.lag.ms',
        'min.insync.replicas',
        'preallocate',
        'remote.storage.enable',
        'remote.upload.max.lag.ms',
        'retention.bytes',
        'retention.ms',
        'segment.bytes',
        'segment.index.bytes',
        'segment.jitter.ms',
        'segment.ms',
        'unclean.leader.election.enable',
      ],
    );
  });

  it('exports Kafka’s DescribeConfigs codes', () => {
    assert.deepEqual(CONFIG_SOURCE, { TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 });
    assert.deepEqual(CONFIG_TYPE, { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 });
  });

  describe('validateTopicConfig', () => {
    const valid: Record<string, string[]> = {
      'cleanup.policy': ['delete', 'compact', 'compact,delete', 'delete, compact'],
      'compression.type': ['producer', 'zstd', 'uncompressed'],
      'retention.ms': ['-1', '0', '86400000', ' 5 '],
      'retention.bytes': ['-1', '1073741824'],
      'segment.bytes': ['14', '2147483647'],
      'flush.messages': ['1', '9223372036854775807'], // Kafka's Long.MAX_VALUE, as kafka-configs writes it
      'min.cleanable.dirty.ratio': ['0', '0.5', '1'],
      'unclean.leader.election.enable': ['true', 'FALSE'],
      'message.timestamp.type': ['CreateTime', 'LogAppendTime'],
      'local.retention.ms': ['-2', '-1', '1000'],
      'min.insync.replicas': ['1', '2'],
    };
    for (const [name, values] of Object.entries(valid)) {
      it(`accepts valid ${name}`, () => {
        for (const v of values) assert.equal(validateTopicConfig(name, v), null, `${name}=${v}`);
      });
    }

    it('accepts null (remove the override) for any known config', () => {
      for (const name of TOPIC_CONFIG_NAMES) assert.equal(validateTopicConfig(name, null), null);
    });

    const invalid: Array<[string, string, string]> = [
      ['segment.bytes', 'abc', 'an integer from 14 to 2147483647'],
      ['segment.bytes', '13', 'an integer from 14 to 2147483647'],
      ['segment.bytes', '2147483648', 'an integer from 14 to 2147483647'],
      ['retention.ms', '-2', 'an integer >= -1'],
      ['retention.ms', '1.5', 'an integer >= -1'],
      ['flush.messages', '9223372036854775808', 'an integer >= 1'],
      ['local.retention.bytes', '-3', 'an integer >= -2'],
      ['min.insync.replicas', '0', 'an integer from 1 to 2147483647'],
      ['cleanup.policy', 'remove', 'a comma-separated list of: delete, compact'],
      ['cleanup.policy', '', 'a comma-separated list of: delete, compact'],
      ['compression.type', 'brotli', 'one of: uncompressed, zstd, lz4, snappy, gzip, producer'],
      ['message.timestamp.type', 'createtime', 'one of: CreateTime, LogAppendTime'],
      ['min.cleanable.dirty.ratio', '1.5', 'a number from 0 to 1'],
      ['min.cleanable.dirty.ratio', 'half', 'a number from 0 to 1'],
      ['preallocate', 'yes', 'true or false'],
    ];
    for (const [name, value, expected] of invalid) {
      it(`rejects ${name}=${JSON.stringify(value)}, naming the config and accepted values`, () => {
        assert.equal(validateTopicConfig(name, value), `invalid value ${JSON.stringify(value)} for ${name}: expected ${expected}`);
      });
    }

    it('rejects unknown configs by name', () => {
      assert.equal(validateTopicConfig('retention.hours', '1'), 'unknown topic config "retention.hours"');
      assert.equal(validateTopicConfig('retention.hours', null), 'unknown topic config "retention.hours"');
      assert.equal(validateTopicConfig('constructor', 'x'), 'unknown topic config "constructor"');
    });
  });

  describe('resolveLogConfig', () => {
    it('applies overrides over the broker defaults', () => {
      const resolved = resolveLogConfig(
        {
          'segment.bytes': '1024',
          'segment.ms': '60000',
          'retention.ms': '-1',
          'retention.bytes': '1000000',
          'flush.messages': '1',
          'flush.ms': '100',
          'index.interval.bytes': '128',
          'segment.index.bytes': '4096',
          'max.message.bytes': '2000000',
          'message.timestamp.type': 'LogAppendTime',
          'cleanup.policy': 'compact',
          'file.delete.delay.ms': '0',
          'delete.retention.ms': '1000',
          'min.compaction.lag.ms': '2000',
          'max.compaction.lag.ms': '9223372036854775807',
          'min.cleanable.dirty.ratio': '0.25',
        },
        DEFAULT_LOG_CONFIG,
      );
      assert.deepEqual(resolved, {
        segmentBytes: 1024,
        segmentMs: 60000,
        retentionMs: -1,
        retentionBytes: 1000000,
        flushMessages: 1,
        flushMs: 100,
        indexIntervalBytes: 128,
        segmentIndexBytes: 4096,
        maxMessageBytes: 2000000,
        messageTimestampType: 'LogAppendTime',
        cleanupPolicy: { delete: false, compact: true },
        fileDeleteDelayMs: 0,
        deleteRetentionMs: 1000,
        minCompactionLagMs: 2000,
        maxCompactionLagMs: Number(9223372036854775807n),
        minCleanableDirtyRatio: 0.25,
        remoteStorageEnable: false,
        localRetentionMs: -2,
        localRetentionBytes: -2,
        remoteUploadMaxLagMs: -1,
      });
    });

    it('keeps broker defaults for configs not overridden and leaves the defaults object alone', () => {
      const broker = brokerLogDefaults(loadConfig(['--log-segment-bytes', '5000'], {}));
      const snapshot = structuredClone(broker);
      const resolved = resolveLogConfig({ 'cleanup.policy': 'compact,delete' }, broker);
      assert.equal(resolved.segmentBytes, 5000);
      assert.deepEqual(resolved.cleanupPolicy, { delete: true, compact: true });
      assert.deepEqual(broker, snapshot);
    });

    it('ignores configs LogConfig does not hold, unknown names and invalid values', () => {
      const resolved = resolveLogConfig({ 'min.insync.replicas': '2', 'no.such': '1', 'segment.bytes': 'abc' }, DEFAULT_LOG_CONFIG);
      assert.deepEqual(resolved, DEFAULT_LOG_CONFIG);
    });

    it('treats Kafka’s Long.MAX_VALUE as effectively infinite', () => {
      const resolved = resolveLogConfig({ 'flush.ms': '9223372036854775807' }, DEFAULT_LOG_CONFIG);
      assert.ok(resolved.flushMs >= Number.MAX_SAFE_INTEGER);
    });
  });

  describe('describeTopicConfigs', () => {
    it('reports every config, sorted, with defaults from Kafka or the broker', () => {
      const described = describeTopicConfigs({}, defaults);
      assert.deepEqual(
        described.map((d) => d.name),
        TOPIC_CONFIG_NAMES,
      );
      for (const d of described) {
        assert.equal(d.source, 'DEFAULT_CONFIG', d.name);
        assert.equal(d.isDefault, true);
        assert.equal(d.readOnly, false);
        assert.equal(d.isSensitive, false);
        assert.ok(d.documentation.length > 0, d.name);
        assert.notEqual(d.value, null, d.name);
      }
      assert.deepEqual(byName(described, 'segment.bytes'), {
        name: 'segment.bytes',
        value: '1073741824',
        source: 'DEFAULT_CONFIG',
        isDefault: true,
        readOnly: false,
        isSensitive: false,
        configType: CONFIG_TYPE.INT,
        documentation: 'Roll a segment when it reaches this size.',
      });
      assert.equal(byName(described, 'cleanup.policy').value, 'delete');
      assert.equal(byName(described, 'compression.type').value, 'producer');
      assert.equal(byName(described, 'max.compaction.lag.ms').value, '9223372036854775807');
      assert.equal(byName(described, 'min.cleanable.dirty.ratio').value, '0.5');
      assert.equal(byName(described, 'local.retention.ms').value, '-2');
    });

    it('gives Kafka config types', () => {
      const described = describeTopicConfigs({}, defaults);
      const types: Record<string, number> = {
        'cleanup.policy': CONFIG_TYPE.LIST,
        'compression.type': CONFIG_TYPE.STRING,
        'retention.ms': CONFIG_TYPE.LONG,
        'segment.bytes': CONFIG_TYPE.INT,
        'min.insync.replicas': CONFIG_TYPE.INT,
        'min.cleanable.dirty.ratio': CONFIG_TYPE.DOUBLE,
        'unclean.leader.election.enable': CONFIG_TYPE.BOOLEAN,
        'message.timestamp.type': CONFIG_TYPE.STRING,
      };
      for (const [name, type] of Object.entries(types)) assert.equal(byName(described, name).configType, type, name);
    });

    it('marks overrides as TOPIC_CONFIG and broker-set defaults as STATIC_BROKER_CONFIG', () => {
      const broker = loadConfig(['--log-retention-ms', '3600000', '--log-cleanup-policy', 'delete,compact'], {});
      const described = describeTopicConfigs({ 'segment.bytes': '1048576', 'min.insync.replicas': '2' }, broker);
      const pick = (name: string) => {
        const d = byName(described, name);
        return { value: d.value, source: d.source, isDefault: d.isDefault };
      };
      assert.deepEqual(pick('segment.bytes'), { value: '1048576', source: 'TOPIC_CONFIG', isDefault: false });
      assert.deepEqual(pick('min.insync.replicas'), { value: '2', source: 'TOPIC_CONFIG', isDefault: false });
      assert.deepEqual(pick('retention.ms'), { value: '3600000', source: 'STATIC_BROKER_CONFIG', isDefault: false });
      assert.deepEqual(pick('cleanup.policy'), { value: 'delete,compact', source: 'STATIC_BROKER_CONFIG', isDefault: false });
      assert.deepEqual(pick('retention.bytes'), { value: '-1', source: 'DEFAULT_CONFIG', isDefault: true });
    });

    it('shows an override this version does not know as a plain string', () => {
      const d = byName(describeTopicConfigs({ 'future.config': 'x' }, defaults), 'future.config');
      assert.deepEqual(d, {
        name: 'future.config',
        value: 'x',
        source: 'TOPIC_CONFIG',
        isDefault: false,
        readOnly: false,
        isSensitive: false,
        configType: CONFIG_TYPE.STRING,
        documentation: '',
      });
    });
  });

  describe('describeBrokerConfigs', () => {
    it('uses Kafka names where Kafka has the setting and strata.* names otherwise, sorted', () => {
      const names = describeBrokerConfigs(defaults).map((d) => d.name);
      for (const n of [
        'log.segment.bytes',
        'num.partitions',
        'auto.create.topics.enable',
        'log.retention.ms',
        'log.roll.ms',
        'log.dirs',
        'node.id',
        'default.replication.factor',
        'delete.topic.enable',
        'log.cleanup.policy',
        'strata.object.store.type',
        'strata.metrics.port',
      ]) {
        assert.ok(names.includes(n), n);
      }
      assert.deepEqual(names, [...names].sort());
    });

    it('is read-only, with STATIC_BROKER_CONFIG for set keys and DEFAULT_CONFIG otherwise', () => {
      const cfg = loadConfig(['--num-partitions', '6', '--auto-create-topics-enable=false'], {});
      const described = describeBrokerConfigs(cfg);
      assert.ok(described.every((d) => d.readOnly));
      assert.deepEqual(described.filter((d) => d.isSensitive).map((d) => d.name), ['strata.s3.secret.access.key', 'strata.sasl.bootstrap.users']);
      assert.deepEqual(byName(described, 'num.partitions'), {
        name: 'num.partitions',
        value: '6',
        source: 'STATIC_BROKER_CONFIG',
        isDefault: false,
        readOnly: true,
        isSensitive: false,
        configType: CONFIG_TYPE.INT,
        documentation: 'Partition count of auto-created topics.',
      });
      const auto = byName(described, 'auto.create.topics.enable');
      assert.deepEqual([auto.value, auto.source, auto.configType], ['false', 'STATIC_BROKER_CONFIG', CONFIG_TYPE.BOOLEAN]);
      const seg = byName(described, 'log.segment.bytes');
      assert.deepEqual([seg.value, seg.source, seg.isDefault], ['1073741824', 'DEFAULT_CONFIG', true]);
      assert.equal(byName(described, 'log.retention.ms').configType, CONFIG_TYPE.LONG);
      assert.equal(byName(described, 'log.cleanup.policy').configType, CONFIG_TYPE.LIST);
    });
  });
});
