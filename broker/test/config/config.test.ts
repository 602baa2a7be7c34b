import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CONFIG_KEYS,
  ConfigError,
  brokerLogDefaults,
  envName,
  flagName,
  helpText,
  loadConfig,
  wantsHelp,
  type ConfigKey,
} from '../../src/config';
import { DEFAULT_LOG_CONFIG } from '../../src/log/log-config';

const KEYS = Object.keys(CONFIG_KEYS) as ConfigKey[];

function throwsConfigError(fn: () => unknown, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe('broker config', () => {
  let dir: string;
  const writeYaml = async (text: string, name = 'strata.yaml') => {
    const file = path.join(dir, name);
    await fs.writeFile(file, text);
    return file;
  };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-cfg-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  describe('names derived from the table', () => {
    it('derives flag, env var and YAML key from the camelCase name', () => {
      assert.equal(flagName('dataDir'), '--data-dir');
      assert.equal(envName('dataDir'), 'STRATA_DATA_DIR');
      assert.equal(flagName('maxInflightRequestsPerConnection'), '--max-inflight-requests-per-connection');
      assert.equal(envName('logRetentionCheckIntervalMs'), 'STRATA_LOG_RETENTION_CHECK_INTERVAL_MS');
    });

    it('documents every key in --help with its flag, env var, YAML key, accepted values and default', () => {
      const help = helpText();
      assert.match(help, /--config FILE/);
      for (const k of KEYS) {
        const line = help.split('\n').findIndex((l) => l.trim().startsWith(`${flagName(k)} <`));
        assert.ok(line >= 0, `no help line for ${flagName(k)}`);
        const text = help.split('\n').slice(line, line + 2).join('\n');
        assert.ok(text.includes(envName(k)) && text.includes(`YAML: ${k}`) && text.includes(CONFIG_KEYS[k].doc), text);
        assert.ok(text.includes((CONFIG_KEYS[k].kind as { expected: string }).expected), text);
      }
      assert.match(help, /--port <an integer from 1 to 65535>\n {6}Port of the Kafka listener\. Default: 9092\./);
    });

    it('recognizes --help and -h', () => {
      assert.equal(wantsHelp(['--port', '1', '--help']), true);
      assert.equal(wantsHelp(['-h']), true);
      assert.equal(wantsHelp(['--port', '1']), false);
      assert.doesNotThrow(() => loadConfig(['--help'], {}));
    });
  });

  describe('defaults', () => {
    it('uses the documented defaults when nothing is set', () => {
      const cfg = loadConfig([], {});
      assert.deepEqual(cfg, {
        nodeId: 1,
        clusterId: '',
        host: '0.0.0.0',
        port: 9092,
        advertisedHost: 'localhost',
        advertisedPort: 0,
        listeners: '',
        advertisedListeners: '',
        listenerSecurityProtocolMap: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
        sslCertificateLocation: '',
        sslKeyLocation: '',
        sslCaLocation: '',
        sslReloadCheckIntervalMs: 10000,
        sslClientAuth: 'none',
        saslEnabledMechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'],
        saslServerMaxReceiveSize: 524288,
        connectionsMaxReauthMs: 0,
        connectionFailedAuthenticationDelayMs: 100,
        saslBootstrapUsers: '',
        dataDir: './data',
        objectStoreType: 'local',
        objectStoreDir: './object-store',
        s3Endpoint: '',
        s3Region: 'us-east-1',
        s3Bucket: '',
        s3Prefix: '',
        s3PathStyle: false,
        s3AccessKeyId: '',
        s3SecretAccessKey: '',
        s3RequestTimeoutMs: 30000,
        remoteMaxConcurrentUploads: 2,
        remoteFetchMaxConcurrency: 10,
        remoteUploadBytesPerSec: 0,
        remoteFetchChunkBytes: 4194304,
        remoteCacheMemoryBytes: 67108864,
        remoteGcIntervalMs: 600000,
        remoteGcGraceMs: 600000,
        remoteCacheDiskBytes: 1073741824,
        metricsHost: '0.0.0.0',
        metricsPort: 9644,
        logLevel: 'info',
        logFormat: 'auto',
        costStorageGbMonth: 0.023,
        costPutPerThousand: 0.005,
        costGetPerThousand: 0.0004,
        costEgressGb: 0.09,
        brokerRack: '',
        interBrokerListenerName: '',
        brokerHeartbeatIntervalMs: 500,
        brokerSessionTimeoutMs: 6000,
        controllerLeaseMs: 5000,
        metadataPollIntervalMs: 100,
        replicaLagTimeMaxMs: 10000,
        replicaFetchWaitMaxMs: 500,
        replicaFetchMaxBytes: 1048576,
        replicaFetchResponseMaxBytes: 10485760,
        minInsyncReplicas: 1,
        uncleanLeaderElectionEnable: false,
        autoLeaderRebalanceEnable: true,
        leaderImbalanceCheckIntervalSeconds: 300,
        autoCreateTopicsEnable: true,
        numPartitions: 1,
        defaultReplicationFactor: 1,
        socketRequestMaxBytes: 104857600,
        maxInflightRequestsPerConnection: 32,
        maxInflightBytesPerConnection: 16777216,
        queuedMaxRequestBytes: 536870912,
        maxUnsentBytesPerConnection: 1048576,
        maxConnections: 10000,
        connectionsMaxIdleMs: 600000,
        fetchMaxBytes: 57671680,
        maxTopics: 10000,
        maxPartitions: 10000,
        logSegmentBytes: 1073741824,
        logSegmentMs: 604800000,
        logRetentionMs: 604800000,
        logRetentionBytes: -1,
        logFlushIntervalMessages: 9007199254740991,
        logFlushIntervalMs: -1,
        logRetentionCheckIntervalMs: 300000,
        logIndexIntervalBytes: 4096,
        messageMaxBytes: 1048588,
        logMessageTimestampType: 'CreateTime',
        logCleanupPolicy: ['delete'],
        deleteTopicEnable: true,
        shutdownTimeoutMs: 30000,
        logCleanerBackoffMs: 15000,
        offsetsTopicNumPartitions: 50,
        offsetsTopicReplicationFactor: 3,
        offsetsTopicSegmentBytes: 104857600,
        offsetsRetentionMinutes: 10080,
        offsetsRetentionCheckIntervalMs: 600000,
        offsetMetadataMaxBytes: 4096,
        groupInitialRebalanceDelayMs: 3000,
        groupMinSessionTimeoutMs: 6000,
        groupMaxSessionTimeoutMs: 1800000,
        transactionStateLogNumPartitions: 50,
        transactionStateLogReplicationFactor: 3,
        transactionStateLogSegmentBytes: 104857600,
        transactionMaxTimeoutMs: 900000,
        transactionalIdExpirationMs: 604800000,
        transactionAbortTimedOutTransactionCleanupIntervalMs: 10000,
        transactionRemoveExpiredTransactionCleanupIntervalMs: 3600000,
        authorizer: 'none',
        superUsers: '',
        allowEveryoneIfNoAclFound: false,
        maxAcls: 100000,
        maxClientQuotaEntities: 10000,
        quotaWindowNum: 11,
        quotaWindowSizeSeconds: 1,
      });
    });

    it('accepts its own defaults from every source (each default passes its validator)', () => {
      for (const k of KEYS) {
        const s = CONFIG_KEYS[k] as { kind: { parse(v: unknown): unknown; format(v: unknown): string }; default: unknown };
        const text = s.kind.format(s.default);
        if (text === '') continue; // clusterId: an empty flag value is fine, an empty env var means unset
        assert.deepEqual(loadConfig([`${flagName(k)}=${text}`], {})[k], s.default, k);
        assert.deepEqual(loadConfig([], { [envName(k)]: text })[k], s.default, k);
      }
    });
  });

  describe('precedence: flag > env > file > default', () => {
    it('takes each key from the highest source that sets it', async () => {
      const file = await writeYaml('port: 1001\nnodeId: 7\ndataDir: /from/file\nlogLevel: warn\n');
      const env = { STRATA_CONFIG: file, STRATA_PORT: '2002', STRATA_NODE_ID: '8' };
      const cfg = loadConfig(['--port', '3003'], env);
      assert.equal(cfg.port, 3003); // flag over env and file
      assert.equal(cfg.nodeId, 8); // env over file
      assert.equal(cfg.dataDir, '/from/file'); // file over default
      assert.equal(cfg.logLevel, 'warn');
      assert.equal(cfg.host, '0.0.0.0'); // default
      assert.equal(loadConfig([], env).port, 2002);
      assert.equal(loadConfig([], { STRATA_CONFIG: file }).port, 1001);
    });

    it('reads the file named by --config in preference to STRATA_CONFIG', async () => {
      const a = await writeYaml('port: 1111\n', 'a.yaml');
      const b = await writeYaml('port: 2222\n', 'b.yaml');
      assert.equal(loadConfig(['--config', b], { STRATA_CONFIG: a }).port, 2222);
      assert.equal(loadConfig([`--config=${a}`], {}).port, 1111);
    });

    it('treats an empty environment variable as unset', () => {
      assert.equal(loadConfig([], { STRATA_PORT: '' }).port, 9092);
      assert.equal(loadConfig([], { STRATA_CONFIG: '' }).port, 9092);
    });

    it('lets the last of a repeated flag win', () => {
      assert.equal(loadConfig(['--port', '1', '--port=2'], {}).port, 2);
    });
  });

  describe('value syntax', () => {
    it('accepts --flag value and --flag=value, including values starting with "-"', () => {
      const cfg = loadConfig(['--data-dir', '/d', '--log-retention-ms=-1', '--log-retention-bytes', '-1', '--cluster-id='], {});
      assert.equal(cfg.dataDir, '/d');
      assert.equal(cfg.logRetentionMs, -1);
      assert.equal(cfg.logRetentionBytes, -1);
      assert.equal(cfg.clusterId, '');
    });

    it('reads booleans as true/false, and a bare boolean flag as true', () => {
      assert.equal(loadConfig(['--auto-create-topics-enable', 'false'], {}).autoCreateTopicsEnable, false);
      assert.equal(loadConfig(['--delete-topic-enable=FALSE'], {}).deleteTopicEnable, false);
      assert.equal(loadConfig(['--delete-topic-enable', '--port', '1'], { STRATA_DELETE_TOPIC_ENABLE: 'false' }).deleteTopicEnable, true);
      assert.equal(loadConfig(['--auto-create-topics-enable'], {}).autoCreateTopicsEnable, true);
    });

    it('reads lists comma-separated, and as YAML sequences', async () => {
      assert.deepEqual(loadConfig(['--log-cleanup-policy', 'compact, delete'], {}).logCleanupPolicy, ['compact', 'delete']);
      assert.deepEqual(loadConfig([], { STRATA_LOG_CLEANUP_POLICY: 'compact,compact' }).logCleanupPolicy, ['compact']);
      const file = await writeYaml('logCleanupPolicy: [delete, compact]\n');
      assert.deepEqual(loadConfig(['--config', file], {}).logCleanupPolicy, ['delete', 'compact']);
    });

    it('takes typed YAML values and numbers or booleans written as strings', async () => {
      const file = await writeYaml(
        ['autoCreateTopicsEnable: false', 'deleteTopicEnable: "false"', 'numPartitions: "3"', 'logSegmentBytes: 1048576', 'clusterId: abc_DEF-1'].join('\n'),
      );
      const cfg = loadConfig(['--config', file], {});
      assert.equal(cfg.autoCreateTopicsEnable, false);
      assert.equal(cfg.deleteTopicEnable, false);
      assert.equal(cfg.numPartitions, 3);
      assert.equal(cfg.logSegmentBytes, 1048576);
      assert.equal(cfg.clusterId, 'abc_DEF-1');
    });

    it('accepts an empty YAML file', async () => {
      const file = await writeYaml('# nothing set\n');
      assert.equal(loadConfig(['--config', file], {}).port, 9092);
    });
  });

  describe('errors name the key as the user wrote it and what is accepted', () => {
    it('flags', () => {
      throwsConfigError(() => loadConfig(['--port', 'abc'], {}), 'invalid value "abc" for --port: expected an integer from 1 to 65535');
      throwsConfigError(() => loadConfig(['--port=0'], {}), 'invalid value "0" for --port: expected an integer from 1 to 65535');
      throwsConfigError(() => loadConfig(['--num-partitions', '1.5'], {}), 'invalid value "1.5" for --num-partitions: expected an integer from 1 to 2147483647');
      throwsConfigError(() => loadConfig(['--log-segment-bytes', '13'], {}), 'invalid value "13" for --log-segment-bytes: expected an integer from 14 to 2147483647');
      throwsConfigError(() => loadConfig(['--log-retention-ms', '-2'], {}), 'invalid value "-2" for --log-retention-ms: expected an integer >= -1');
      throwsConfigError(() => loadConfig(['--log-level', 'trace'], {}), 'invalid value "trace" for --log-level: expected one of: debug, info, warn, error');
      throwsConfigError(
        () => loadConfig(['--auto-create-topics-enable=yes'], {}),
        'invalid value "yes" for --auto-create-topics-enable: expected true or false',
      );
      throwsConfigError(
        () => loadConfig(['--log-cleanup-policy', 'delete,foo'], {}),
        'invalid value "delete,foo" for --log-cleanup-policy: expected a comma-separated list of: delete, compact',
      );
      throwsConfigError(() => loadConfig(['--object-store-type', 'gcs'], {}), 'invalid value "gcs" for --object-store-type: expected one of: local, s3');
      throwsConfigError(() => loadConfig(['--data-dir='], {}), 'invalid value "" for --data-dir: expected a non-empty string');
      throwsConfigError(
        () => loadConfig(['--cluster-id', 'a/b'], {}),
        'invalid value "a/b" for --cluster-id: expected letters, digits, "-" or "_" (empty = generate on first start)',
      );
    });

    it('environment variables', () => {
      throwsConfigError(() => loadConfig([], { STRATA_PORT: '70000' }), 'invalid value "70000" for STRATA_PORT: expected an integer from 1 to 65535');
      throwsConfigError(
        () => loadConfig([], { STRATA_LOG_MESSAGE_TIMESTAMP_TYPE: 'createtime' }),
        'invalid value "createtime" for STRATA_LOG_MESSAGE_TIMESTAMP_TYPE: expected one of: CreateTime, LogAppendTime',
      );
    });

    it('YAML keys, with the file', async () => {
      const file = await writeYaml('port: abc\n');
      throwsConfigError(() => loadConfig(['--config', file], {}), `invalid value "abc" for port in ${file}: expected an integer from 1 to 65535`);
      const fractional = await writeYaml('numPartitions: 2.5\n', 'f.yaml');
      throwsConfigError(() => loadConfig(['--config', fractional], {}), `invalid value 2.5 for numPartitions in ${fractional}: expected an integer from 1 to 2147483647`);
      const empty = await writeYaml('port:\n', 'e.yaml');
      throwsConfigError(() => loadConfig(['--config', empty], {}), `invalid value null for port in ${empty}: expected an integer from 1 to 65535`);
      const list = await writeYaml('logCleanupPolicy: [delete, 1]\n', 'l.yaml');
      throwsConfigError(() => loadConfig(['--config', list], {}), `invalid value ["delete",1] for logCleanupPolicy in ${list}: expected a comma-separated list of: delete, compact`);
    });

    it('a value that only a higher source fixes is still fine', async () => {
      const file = await writeYaml('port: abc\n');
      assert.equal(loadConfig(['--config', file, '--port', '1'], {}).port, 1);
    });

    it('every key, from a flag and from the environment', () => {
      const candidates = ['', 'not valid!', '-5', '1.5', '99999999999999999999', 'maybe'];
      for (const k of KEYS) {
        const kind = CONFIG_KEYS[k].kind as { expected: string; parse(v: unknown): unknown };
        const bad = candidates.find((c) => kind.parse(c) === undefined);
        assert.ok(bad !== undefined, `no invalid candidate for ${k}`);
        throwsConfigError(() => loadConfig([`${flagName(k)}=${bad}`], {}), `invalid value ${JSON.stringify(bad)} for ${flagName(k)}: expected ${kind.expected}`);
        const badEnv = candidates.find((c) => c !== '' && kind.parse(c) === undefined);
        if (badEnv !== undefined) {
          throwsConfigError(() => loadConfig([], { [envName(k)]: badEnv }), `invalid value ${JSON.stringify(badEnv)} for ${envName(k)}: expected ${kind.expected}`);
        }
      }
    });

    it('unknown flags, with a hint for near misses', () => {
      throwsConfigError(() => loadConfig(['--frobnicate', '1'], {}), 'unknown flag --frobnicate');
      throwsConfigError(() => loadConfig(['--dataDir', '/x'], {}), 'unknown flag --dataDir (did you mean --data-dir?)');
      throwsConfigError(() => loadConfig(['--log.retention.ms=5'], {}), 'unknown flag --log.retention.ms (did you mean --log-retention-ms?)');
    });

    it('unknown YAML keys, with the file and a hint', async () => {
      const file = await writeYaml('port: 1\nfrobnicate: 2\n');
      throwsConfigError(() => loadConfig(['--config', file], {}), `unknown key "frobnicate" in config file ${file}`);
      const inherited = await writeYaml('toString: 1\n', 'i.yaml');
      throwsConfigError(() => loadConfig(['--config', inherited], {}), `unknown key "toString" in config file ${inherited}`);
      const kafkaStyle = await writeYaml('log.roll.ms: 1000\n', 'k.yaml');
      throwsConfigError(() => loadConfig(['--config', kafkaStyle], {}), `unknown key "log.roll.ms" in config file ${kafkaStyle} (did you mean logSegmentMs?)`);
      const kebab = await writeYaml('data-dir: /x\n', 'd.yaml');
      throwsConfigError(() => loadConfig(['--config', kebab], {}), `unknown key "data-dir" in config file ${kebab} (did you mean dataDir?)`);
    });

    it('missing flag values and stray arguments', () => {
      throwsConfigError(() => loadConfig(['--port'], {}), 'missing value for --port');
      throwsConfigError(() => loadConfig(['--port', '--host', 'h'], {}), 'missing value for --port');
      throwsConfigError(() => loadConfig(['--config'], {}), 'missing value for --config');
      throwsConfigError(() => loadConfig(['9092'], {}), 'unexpected argument "9092": options are written --name value');
    });

    it('config files that cannot be read or parsed, naming the file', async () => {
      const missing = path.join(dir, 'nope.yaml');
      throwsConfigError(() => loadConfig(['--config', missing], {}), new RegExp(`^cannot read config file ${missing}: ENOENT`));
      const broken = await writeYaml('port: [1\nhost: x\n');
      throwsConfigError(() => loadConfig([], { STRATA_CONFIG: broken }), new RegExp(`^cannot parse config file ${broken}: .*line 2, column 1`));
      const dup = await writeYaml('port: 1\nport: 2\n', 'dup.yaml');
      throwsConfigError(() => loadConfig(['--config', dup], {}), new RegExp(`^cannot parse config file ${dup}: Map keys must be unique`));
      const seq = await writeYaml('- port\n', 'seq.yaml');
      throwsConfigError(() => loadConfig(['--config', seq], {}), `config file ${seq} must be a mapping of keys to values`);
    });

    it('a request pool smaller than the largest request', () => {
      throwsConfigError(
        () => loadConfig(['--queued-max-request-bytes', '1048576'], { STRATA_SOCKET_REQUEST_MAX_BYTES: '2097152' }),
        /^queuedMaxRequestBytes \(1048576\) must be at least socketRequestMaxBytes \(2097152\)/,
      );
      assert.equal(loadConfig(['--queued-max-request-bytes', '2097152', '--socket-request-max-bytes', '2097152'], {}).queuedMaxRequestBytes, 2097152);
    });
  });

  describe('brokerLogDefaults', () => {
    it('maps broker keys onto LogConfig', () => {
      const cfg = loadConfig(
        [
          '--log-segment-bytes=1000',
          '--log-segment-ms=2000',
          '--log-retention-ms=3000',
          '--log-retention-bytes=4000',
          '--log-flush-interval-messages=5',
          '--log-flush-interval-ms=6000',
          '--log-index-interval-bytes=70',
          '--message-max-bytes=8000',
          '--log-message-timestamp-type=LogAppendTime',
          '--log-cleanup-policy=compact',
        ],
        {},
      );
      assert.deepEqual(brokerLogDefaults(cfg), {
        segmentBytes: 1000,
        segmentMs: 2000,
        retentionMs: 3000,
        retentionBytes: 4000,
        flushMessages: 5,
        flushMs: 6000,
        indexIntervalBytes: 70,
        segmentIndexBytes: DEFAULT_LOG_CONFIG.segmentIndexBytes,
        maxMessageBytes: 8000,
        messageTimestampType: 'LogAppendTime',
        cleanupPolicy: { delete: false, compact: true },
        fileDeleteDelayMs: DEFAULT_LOG_CONFIG.fileDeleteDelayMs,
        deleteRetentionMs: DEFAULT_LOG_CONFIG.deleteRetentionMs,
        minCompactionLagMs: DEFAULT_LOG_CONFIG.minCompactionLagMs,
        maxCompactionLagMs: DEFAULT_LOG_CONFIG.maxCompactionLagMs,
        minCleanableDirtyRatio: DEFAULT_LOG_CONFIG.minCleanableDirtyRatio,
        remoteStorageEnable: false,
        localRetentionMs: -2,
        localRetentionBytes: -2,
        remoteUploadMaxLagMs: -1,
      });
    });

    it('gives LogConfig defaults for default broker config, with -1 flush.ms as "never"', () => {
      assert.deepEqual(brokerLogDefaults(loadConfig([], {})), DEFAULT_LOG_CONFIG);
    });
  });
});
