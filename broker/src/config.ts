// The broker's configuration. Every key is declared once in CONFIG_KEYS; its CLI flag (--data-dir),
// environment variable (STRATA_DATA_DIR), YAML key (dataDir) and --help entry are derived from that
// declaration. Precedence: CLI flags > STRATA_* environment > YAML file (--config / STRATA_CONFIG) > defaults.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log/log-config';
import { DEFAULT_PRICES, type PriceTable } from './metrics/cost-model';
import { resolveListeners } from './security/listeners';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

// ---------------------------------------------------------------------------------------------
// Value kinds: parsing and validation shared by broker keys and topic configs (log/topic-config.ts),
// so both report errors the same way.

/** Kafka's DescribeConfigs type of a config value. */
export type KafkaConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST';

export interface ValueKind<T> {
  /** The accepted values in words, e.g. "an integer from 1 to 65535". */
  readonly expected: string;
  readonly configType: KafkaConfigType;
  /** The value, or undefined if not acceptable. Flags, env and topic configs give strings; YAML gives typed values. */
  parse(raw: unknown): T | undefined;
  /** The value as Kafka shows it in DescribeConfigs. */
  format(value: T): string;
}

export const INT32_MAX = 2 ** 31 - 1;
export const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^[+-]?\d+$/;

/**
 * Integers in [min, max]. Bounds may exceed 2^53 (Kafka LONG); such values become the nearest double,
 * which only ever happens for "effectively infinite" settings.
 */
export function integerKind(min: number | bigint, max: number | bigint): ValueKind<number> {
  const lo = BigInt(min);
  const hi = BigInt(max);
  return {
    expected: hi >= BigInt(Number.MAX_SAFE_INTEGER) ? `an integer >= ${lo}` : `an integer from ${lo} to ${hi}`,
    configType: hi > BigInt(INT32_MAX) ? 'LONG' : 'INT',
    parse(raw) {
      const text = typeof raw === 'number' && Number.isInteger(raw) ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
      if (!INTEGER.test(text)) return undefined;
      const n = BigInt(text);
      return n >= lo && n <= hi ? Number(n) : undefined;
    },
    format: String,
  };
}

/** Decimal numbers in [min, max]. */
export function numberKind(min: number, max: number): ValueKind<number> {
  return {
    expected: `a number from ${min} to ${max}`,
    configType: 'DOUBLE',
    parse(raw) {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      return Number.isFinite(n) && n >= min && n <= max ? n : undefined;
    },
    format: String,
  };
}

export const booleanKind: ValueKind<boolean> = {
  expected: 'true or false',
  configType: 'BOOLEAN',
  parse(raw) {
    if (typeof raw === 'boolean') return raw;
    // Kafka accepts booleans case-insensitively.
    const text = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    return text === 'true' ? true : text === 'false' ? false : undefined;
  },
  format: String,
};

export function enumKind<const V extends string>(values: readonly V[]): ValueKind<V> {
  return {
    expected: `one of: ${values.join(', ')}`,
    configType: 'STRING',
    parse: (raw) => (typeof raw === 'string' ? values.find((v) => v === raw.trim()) : undefined),
    format: String,
  };
}

/** A non-empty list drawn from `values`, written "a,b" (or a YAML sequence); duplicates collapse. */
export function listKind<const V extends string>(values: readonly V[]): ValueKind<readonly V[]> {
  return {
    expected: `a comma-separated list of: ${values.join(', ')}`,
    configType: 'LIST',
    parse(raw) {
      const items = typeof raw === 'string' ? raw.split(',').map((s) => s.trim()) : Array.isArray(raw) ? raw : [];
      const out: V[] = [];
      for (const item of items) {
        const v = values.find((x) => x === item);
        if (v === undefined) return undefined;
        if (!out.includes(v)) out.push(v);
      }
      return out.length > 0 ? out : undefined;
    },
    format: (v) => v.join(','),
  };
}

export function stringKind(expected: string, accepts: (s: string) => boolean): ValueKind<string> {
  return {
    expected,
    configType: 'STRING',
    parse: (raw) => (typeof raw === 'string' && accepts(raw) ? raw : undefined),
    format: String,
  };
}

/** The one error message for a rejected value; `name` is the key as the user wrote it. */
export function invalidValueMessage(raw: unknown, name: string, kind: ValueKind<unknown>): string {
  return `invalid value ${JSON.stringify(raw) ?? String(raw)} for ${name}: expected ${kind.expected}`;
}

// ---------------------------------------------------------------------------------------------
// The keys.

export interface KeySpec<T> {
  readonly kind: ValueKind<T>;
  readonly default: T;
  readonly doc: string;
  /** The Kafka broker config with the same meaning, if any (named in DescribeConfigs). */
  readonly kafka?: string;
  /** Holds credentials: DescribeConfigs never shows the value. */
  readonly sensitive?: boolean;
}

function key<T>(kind: ValueKind<T>, dflt: NoInfer<T>, doc: string, kafka?: string, sensitive?: boolean): KeySpec<T> {
  return { kind, default: dflt, doc, kafka, sensitive };
}

const nonEmpty = stringKind('a non-empty string', (s) => s.trim() !== '');
const port = (min: number) => integerKind(min, 65535);
const long = (min: number) => integerKind(min, Number.MAX_SAFE_INTEGER);
const price = numberKind(0, 1e6);
const filePath = stringKind('a file path without spaces (empty = none)', (s) => !/\s/.test(s));

export const CONFIG_KEYS = {
  nodeId: key(integerKind(0, INT32_MAX), 1, 'Id of this broker, unique in the cluster.', 'node.id'),
  clusterId: key(
    stringKind('letters, digits, "-" or "_" (empty = generate on first start)', (s) => /^[A-Za-z0-9_-]*$/.test(s)),
    '',
    'Cluster id; it prefixes object store keys. Empty generates one on first start.',
  ),
  host: key(nonEmpty, '0.0.0.0', 'Address the Kafka listener binds to.'),
  port: key(port(1), 9092, 'Port of the Kafka listener.'),
  advertisedHost: key(nonEmpty, 'localhost', 'Host name clients are told to connect to.'),
  advertisedPort: key(port(0), 0, 'Port clients are told to connect to; 0 = same as port.'),
  listeners: key(
    stringKind('NAME://host:port entries separated by commas (empty = one PLAINTEXT listener on host:port)', (s) => !/\s/.test(s.trim())),
    '',
    'Listeners to open, e.g. PLAINTEXT://:9092,SASL_SSL://:9093; each name needs a protocol in listenerSecurityProtocolMap. Empty: one PLAINTEXT listener on host:port, advertised as advertisedHost:advertisedPort.',
    'listeners',
  ),
  advertisedListeners: key(
    stringKind('NAME://host:port entries separated by commas', (s) => !/\s/.test(s.trim())),
    '',
    'Where clients are told to connect, per listener; a listener not named here advertises its own host (advertisedHost when it binds every interface) and port.',
    'advertised.listeners',
  ),
  listenerSecurityProtocolMap: key(
    stringKind('NAME:PROTOCOL entries separated by commas', (s) => !/\s/.test(s.trim())),
    'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    'Security protocol (PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL) of each listener name.',
    'listener.security.protocol.map',
  ),
  sslCertificateLocation: key(filePath, '', 'PEM file of the broker certificate (chain) for SSL and SASL_SSL listeners; re-read when it changes on disk (new connections get the new certificate).'),
  sslKeyLocation: key(filePath, '', 'PEM file of the private key (unencrypted) of sslCertificateLocation; re-read with it.'),
  sslCaLocation: key(filePath, '', 'PEM file of the CA certificates client certificates are checked against (needed when ssl.client.auth is not none).'),
  sslReloadCheckIntervalMs: key(integerKind(100, INT32_MAX), 10000, 'How often the TLS PEM files are checked for changes.'),
  sslClientAuth: key(
    enumKind(['none', 'requested', 'required']),
    'none',
    'Client certificates on SSL/SASL_SSL listeners: not asked for, asked for (a presented certificate must verify), or required. The certificate subject (full DN, e.g. CN=app,O=Org) becomes the principal on SSL listeners.',
    'ssl.client.auth',
  ),
  saslEnabledMechanisms: key(
    listKind(['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN']),
    ['SCRAM-SHA-256', 'SCRAM-SHA-512'],
    'SASL mechanisms offered on SASL listeners. PLAIN sends the password itself (use it over SASL_SSL); it is verified against the stored SCRAM credential.',
    'sasl.enabled.mechanisms',
  ),
  saslServerMaxReceiveSize: key(integerKind(64, INT32_MAX), 524288, 'Largest frame accepted on a SASL listener before authentication completes; larger ones close the connection before being read.', 'sasl.server.max.receive.size'),
  connectionsMaxReauthMs: key(long(0), 0, 'Longest SASL session: clients must re-authenticate (KIP-368) within this time, else the connection is closed at its next request; 0 = sessions never expire.', 'connections.max.reauth.ms'),
  connectionFailedAuthenticationDelayMs: key(integerKind(0, INT32_MAX), 100, 'Delay between a failed authentication response and closing the connection (slows password guessing).', 'connection.failed.authentication.delay.ms'),
  saslBootstrapUsers: key(
    stringKind('user:password entries separated by commas', (s) => s.trim() === '' || s.split(',').every((e) => /^[^:,]+:[^,]+$/.test(e.trim()))),
    '',
    'Users whose SCRAM-SHA-256 and SCRAM-SHA-512 credentials are written to the metadata log at start when they have none (so a new cluster has an admin); an existing credential is never overwritten. Only the SCRAM keys are stored.',
    undefined,
    true,
  ),
  dataDir: key(nonEmpty, './data', 'Directory of the local (hot) partition logs.', 'log.dirs'),
  objectStoreType: key(enumKind(['local', 's3']), 'local', 'Object store holding metadata and tiered segments: a local directory or an S3-compatible bucket.'),
  objectStoreDir: key(nonEmpty, './object-store', 'Root directory of the local object store.'),
  s3Endpoint: key(stringKind('a URL such as http://127.0.0.1:9000 (empty = AWS)', (s) => s === '' || /^https?:\/\/\S+$/.test(s)), '', 'S3 endpoint URL; empty uses AWS.'),
  s3Region: key(nonEmpty, 'us-east-1', 'S3 region.'),
  s3Bucket: key(stringKind('an S3 bucket name (3-63 lowercase letters, digits, "." or "-")', (s) => s === '' || /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s)), '', 'S3 bucket (required when objectStoreType is s3).'),
  s3Prefix: key(stringKind('a key prefix without spaces', (s) => /^[A-Za-z0-9!_.*'()\/-]*$/.test(s)), '', 'Prefix for every key this cluster writes to the bucket.'),
  s3PathStyle: key(booleanKind, false, 'Use path-style addressing (needed by most S3-compatible servers).'),
  s3AccessKeyId: key(stringKind('an access key id of letters and digits (empty = the SDK default credential chain)', (s) => /^[A-Za-z0-9]*$/.test(s)), '', 'S3 access key id; empty uses the AWS SDK default chain.'),
  s3SecretAccessKey: key(stringKind('a secret access key without spaces', (s) => /^\S*$/.test(s)), '', 'S3 secret access key.'),
  s3RequestTimeoutMs: key(integerKind(100, INT32_MAX), 30000, 'Timeout of one object-store request; timed-out requests are retried.'),
  remoteMaxConcurrentUploads: key(integerKind(1, 64), 2, 'Segments uploaded to the object store at once, across partitions (each streams from its file, one part in memory).'),
  remoteFetchMaxConcurrency: key(integerKind(1, 1024), 10, 'Remote GETs (tiered segment chunks and indexes) in flight at once, across partitions.'),
  remoteUploadBytesPerSec: key(integerKind(0, INT32_MAX), 0, 'Upload rate limit for tiered segments in bytes/s; 0 = unlimited.'),
  remoteFetchChunkBytes: key(integerKind(65536, INT32_MAX), 4194304, 'Size of one ranged GET (and cache chunk) when reading tiered segments.'),
  remoteCacheMemoryBytes: key(integerKind(0, INT32_MAX), 67108864, 'Memory for cached chunks of tiered segments.'),
  remoteGcIntervalMs: key(integerKind(1000, INT32_MAX), 600000, 'How often the bucket is reconciled against the partition manifests (orphan objects deleted).'),
  remoteGcGraceMs: key(integerKind(0, INT32_MAX), 600000, 'Age below which an unreferenced object is left alone by the garbage collector (an upload may still be under way); must exceed the longest upload.'),
  remoteCacheDiskBytes: key(long(0), 1073741824, 'Disk for cached chunks of tiered segments (under <dataDir>/remote-cache).'),
  metricsHost: key(nonEmpty, '0.0.0.0', 'Address the metrics/health HTTP server binds to.'),
  metricsPort: key(port(0), 9644, 'Port of the metrics/health HTTP server; 0 disables it.'),
  logLevel: key(enumKind(['debug', 'info', 'warn', 'error']), 'info', 'Least severe level of log lines written to stderr.'),
  logFormat: key(
    enumKind(['auto', 'json', 'text']),
    'auto',
    'Log lines as JSON objects (time, level, component, msg, fields) or human-readable text; auto = text when stderr is a terminal, else JSON (containers, files, log collectors).',
  ),
  costStorageGbMonth: key(price, DEFAULT_PRICES.storagePerGbMonth, 'USD per GB-month stored in the object store, for the cost estimate metrics. Default: AWS S3 Standard, us-east-1 list price.'),
  costPutPerThousand: key(price, DEFAULT_PRICES.putPerThousand, 'USD per 1,000 PUT, COPY, POST or LIST requests. Default: AWS S3 Standard, us-east-1 list price.'),
  costGetPerThousand: key(price, DEFAULT_PRICES.getPerThousand, 'USD per 1,000 GET, HEAD and other requests. Default: AWS S3 Standard, us-east-1 list price.'),
  costEgressGb: key(price, DEFAULT_PRICES.egressPerGb, 'USD per GB read from the object store (internet egress; set 0 when the broker runs in the bucket\'s region). Default: AWS data transfer out, first 10 TB/month.'),
  // Cluster mode (ARCHITECTURE §5): every broker may hold the controller lease; brokers sharing one object store
  // (and cluster id) form one cluster.
  brokerRack: key(stringKind('a rack name (empty = none)', (s) => !/\s/.test(s)), '', 'Rack (or zone) of this broker: replicas of a partition are spread across racks.', 'broker.rack'),
  interBrokerListenerName: key(stringKind('a listener name (empty = the first listener)', (s) => /^[A-Za-z0-9_-]*$/.test(s)), '', 'Listener other brokers connect to for replication and controller requests (PLAINTEXT or SSL only today).', 'inter.broker.listener.name'),
  brokerHeartbeatIntervalMs: key(integerKind(10, INT32_MAX), 500, 'How often a broker heartbeats to the controller.', 'broker.heartbeat.interval.ms'),
  brokerSessionTimeoutMs: key(integerKind(100, INT32_MAX), 6000, 'A broker whose heartbeats stop this long is fenced: it loses its leaderships and leaves every ISR.', 'broker.session.timeout.ms'),
  controllerLeaseMs: key(integerKind(100, INT32_MAX), 5000, 'The controller lease object must be renewed within this time (measured by each broker on its own clock); when it is not, another broker takes the lease over.'),
  metadataPollIntervalMs: key(integerKind(10, INT32_MAX), 100, 'How often a broker looks for new metadata log entries in the object store (one GET of the next position).'),
  replicaLagTimeMaxMs: key(integerKind(100, INT32_MAX), 10000, 'A follower that has not caught up with the leader for this long leaves the ISR. Keep it above brokerSessionTimeoutMs: a leader cut off from the cluster must notice (its heartbeats fail) before it would shrink the ISR to itself.', 'replica.lag.time.max.ms'),
  replicaFetchWaitMaxMs: key(integerKind(0, INT32_MAX), 500, 'Longest a follower fetch waits at the leader for new data.', 'replica.fetch.wait.max.ms'),
  replicaFetchMaxBytes: key(integerKind(1024, INT32_MAX), 1048576, 'Bytes a follower fetch asks for per partition (at least one batch is returned).', 'replica.fetch.max.bytes'),
  replicaFetchResponseMaxBytes: key(integerKind(1024, INT32_MAX), 10485760, 'Bytes a follower fetch asks for in total.', 'replica.fetch.response.max.bytes'),
  minInsyncReplicas: key(integerKind(1, 32767), 1, 'Default min.insync.replicas of topics: replicas that must have an acks=all write before it is acknowledged.', 'min.insync.replicas'),
  uncleanLeaderElectionEnable: key(booleanKind, false, 'Elect a leader outside the ISR when no ISR member is alive (may lose acknowledged records).', 'unclean.leader.election.enable'),
  autoLeaderRebalanceEnable: key(booleanKind, true, 'The controller periodically gives each partition back to its preferred (first) replica when that replica is alive and in the ISR.', 'auto.leader.rebalance.enable'),
  leaderImbalanceCheckIntervalSeconds: key(integerKind(1, INT32_MAX), 300, 'How often the controller runs the preferred leader election of autoLeaderRebalanceEnable.', 'leader.imbalance.check.interval.seconds'),
  autoCreateTopicsEnable: key(booleanKind, true, 'Create unknown topics when clients ask for their metadata.', 'auto.create.topics.enable'),
  numPartitions: key(integerKind(1, INT32_MAX), 1, 'Partition count of auto-created topics.', 'num.partitions'),
  defaultReplicationFactor: key(integerKind(1, 32767), 1, 'Replication factor of auto-created topics.', 'default.replication.factor'),
  maxTopics: key(integerKind(1, INT32_MAX), 10000, 'Most topics the broker holds, internal ones included; CreateTopics and auto-creation beyond it fail with POLICY_VIOLATION.'),
  maxPartitions: key(
    integerKind(1, INT32_MAX),
    10000,
    'Most partitions the broker holds, internal ones included; creating more fails with POLICY_VIOLATION. Each costs about 13 KB of memory, 550 bytes of /metrics and an open file while written or read (10,000: about 210 MB RSS, a 5.5 MB /metrics page).',
  ),
  socketRequestMaxBytes: key(integerKind(1, INT32_MAX), 104857600, 'Largest request frame; larger ones close the connection.', 'socket.request.max.bytes'),
  maxInflightRequestsPerConnection: key(integerKind(1, INT32_MAX), 32, 'Requests read ahead on one connection before reading pauses.'),
  maxInflightBytesPerConnection: key(integerKind(1, INT32_MAX), 16777216, 'Bytes of requests read ahead on one connection before reading pauses (one larger request is still read whole).'),
  queuedMaxRequestBytes: key(
    integerKind(1, INT32_MAX),
    536870912,
    'Request bytes held at once across all connections (frames being read, queued and handled); a connection whose next frame does not fit stops reading until space is freed, in arrival order. At least socket.request.max.bytes; the default holds five largest requests. (Kafka leaves this unbounded by default.)',
    'queued.max.request.bytes',
  ),
  maxUnsentBytesPerConnection: key(
    integerKind(1, INT32_MAX),
    1048576,
    'Unsent response bytes past which a connection stops reading and processing requests until the client has read them (as Kafka mutes a channel).',
  ),
  maxConnections: key(integerKind(1, INT32_MAX), 10000, 'Open client connections; further ones are closed at once. (Kafka leaves this unbounded by default.)', 'max.connections'),
  connectionsMaxIdleMs: key(integerKind(-1, INT32_MAX), 600000, 'Close a connection after this long without traffic; -1 = never.', 'connections.max.idle.ms'),
  fetchMaxBytes: key(integerKind(1024, INT32_MAX), 57671680, 'Largest Fetch response, whatever the request asks for (one batch larger than this is still returned whole).', 'fetch.max.bytes'),
  logSegmentBytes: key(integerKind(14, INT32_MAX), 1073741824, 'Roll a segment when it reaches this size.', 'log.segment.bytes'),
  logSegmentMs: key(long(1), 604800000, 'Roll a segment when its first record is this old.', 'log.roll.ms'),
  logRetentionMs: key(long(-1), 604800000, 'Delete segments older than this; -1 = unlimited.', 'log.retention.ms'),
  logRetentionBytes: key(long(-1), -1, 'Delete oldest segments while a partition is larger than this; -1 = unlimited.', 'log.retention.bytes'),
  logFlushIntervalMessages: key(long(1), Number.MAX_SAFE_INTEGER, 'fsync after this many messages.', 'log.flush.interval.messages'),
  logFlushIntervalMs: key(long(-1), -1, 'fsync when unflushed data is this old; -1 = never by time.', 'log.flush.interval.ms'),
  logRetentionCheckIntervalMs: key(long(1), 300000, 'How often retention is checked.', 'log.retention.check.interval.ms'),
  logIndexIntervalBytes: key(integerKind(0, INT32_MAX), 4096, 'Bytes between sparse offset index entries.', 'log.index.interval.bytes'),
  messageMaxBytes: key(integerKind(0, INT32_MAX), 1048588, 'Largest record batch accepted.', 'message.max.bytes'),
  logMessageTimestampType: key(
    enumKind(['CreateTime', 'LogAppendTime']),
    'CreateTime',
    'Record timestamps: set by the producer or by the broker on append.',
    'log.message.timestamp.type',
  ),
  logCleanupPolicy: key(listKind(['delete', 'compact']), ['delete'], 'Default cleanup policy of topics.', 'log.cleanup.policy'),
  deleteTopicEnable: key(booleanKind, true, 'Allow DeleteTopics requests.', 'delete.topic.enable'),
  shutdownTimeoutMs: key(long(0), 30000, 'Longest graceful shutdown before the process exits anyway.'),
  logCleanerBackoffMs: key(integerKind(1, INT32_MAX), 15000, 'How often compacted logs are checked for cleaning.', 'log.cleaner.backoff.ms'),
  offsetsTopicNumPartitions: key(integerKind(1, 1000), 50, 'Partitions of __consumer_offsets; a group is coordinated by partition hash(group) % this.', 'offsets.topic.num.partitions'),
  offsetsTopicReplicationFactor: key(integerKind(1, 32767), 3, 'Replication factor of __consumer_offsets, capped at the live brokers when it is created (on the first FindCoordinator for a group: one broker alone creates it with 1).', 'offsets.topic.replication.factor'),
  offsetsTopicSegmentBytes: key(integerKind(14, INT32_MAX), 104857600, 'Segment size of __consumer_offsets.', 'offsets.topic.segment.bytes'),
  offsetsRetentionMinutes: key(integerKind(1, INT32_MAX), 10080, 'Offsets of a group that has been empty this long (or, for groups that only commit, offsets this old) are deleted; the emptied group goes with them.', 'offsets.retention.minutes'),
  offsetsRetentionCheckIntervalMs: key(integerKind(1, INT32_MAX), 600000, 'How often expired offsets and empty groups are looked for.', 'offsets.retention.check.interval.ms'),
  offsetMetadataMaxBytes: key(integerKind(0, INT32_MAX), 4096, 'Largest metadata string of one committed offset.', 'offset.metadata.max.bytes'),
  groupInitialRebalanceDelayMs: key(integerKind(0, INT32_MAX), 3000, 'How long the first rebalance of an empty group waits for more members.', 'group.initial.rebalance.delay.ms'),
  transactionStateLogNumPartitions: key(integerKind(1, 1000), 50, 'Partitions of __transaction_state; a transactional id is coordinated by partition hash(id) % this.', 'transaction.state.log.num.partitions'),
  transactionStateLogReplicationFactor: key(integerKind(1, 32767), 3, 'Replication factor of __transaction_state, capped at the live brokers when it is created (on the first FindCoordinator for a transactional id).', 'transaction.state.log.replication.factor'),
  transactionStateLogSegmentBytes: key(integerKind(14, INT32_MAX), 104857600, 'Segment size of __transaction_state.', 'transaction.state.log.segment.bytes'),
  transactionMaxTimeoutMs: key(integerKind(1, INT32_MAX), 900000, 'Largest transaction.timeout.ms a producer may ask for (else INVALID_TRANSACTION_TIMEOUT).', 'transaction.max.timeout.ms'),
  transactionalIdExpirationMs: key(integerKind(1, INT32_MAX), 604800000, 'A transactional id without a transaction for this long is removed.', 'transactional.id.expiration.ms'),
  transactionAbortTimedOutTransactionCleanupIntervalMs: key(
    integerKind(1, INT32_MAX),
    10000,
    'How often transactions past their transaction.timeout.ms are looked for (and aborted).',
    'transaction.abort.timed.out.transaction.cleanup.interval.ms',
  ),
  transactionRemoveExpiredTransactionCleanupIntervalMs: key(
    integerKind(1, INT32_MAX),
    3600000,
    'How often transactional ids past transactional.id.expiration.ms are looked for (and removed).',
    'transaction.remove.expired.transaction.cleanup.interval.ms',
  ),
  groupMinSessionTimeoutMs: key(integerKind(1, INT32_MAX), 6000, 'Smallest session timeout a group member may ask for.', 'group.min.session.timeout.ms'),
  groupMaxSessionTimeoutMs: key(integerKind(1, INT32_MAX), 1800000, 'Largest session timeout a group member may ask for.', 'group.max.session.timeout.ms'),
  authorizer: key(
    enumKind(['none', 'simple']),
    'none',
    'Authorization: none allows every request (Kafka without authorizer.class.name); simple checks each request against the ACLs in the metadata log (Kafka\'s StandardAuthorizer).',
  ),
  superUsers: key(
    stringKind('principals separated by ";", e.g. User:admin;User:operator', (s) => s.split(';').every((p) => p.trim() === '' || /^[^:\s]+:\S+$/.test(p.trim()))),
    '',
    'Principals allowed everything when authorizer is simple.',
    'super.users',
  ),
  allowEveryoneIfNoAclFound: key(booleanKind, false, 'With authorizer simple, allow a request on a resource no ACL mentions (false: only super users).', 'allow.everyone.if.no.acl.found'),
  maxAcls: key(integerKind(1, INT32_MAX), 100000, 'Most ACL bindings the cluster holds; CreateAcls beyond it fails with POLICY_VIOLATION (every broker keeps them all in memory).'),
  maxClientQuotaEntities: key(integerKind(1, INT32_MAX), 10000, 'Most client quota entities (user, client id or both) the cluster holds; AlterClientQuotas beyond it fails with POLICY_VIOLATION.'),
  quotaWindowNum: key(integerKind(2, 1000), 11, 'Samples kept to measure a client\'s rate against its quota.', 'quota.window.num'),
  quotaWindowSizeSeconds: key(integerKind(1, 3600), 1, 'Length of one quota sample.', 'quota.window.size.seconds'),
};

export type ConfigKey = keyof typeof CONFIG_KEYS;
type ValueOf<S> = S extends KeySpec<infer T> ? T : never;
export type BrokerConfig = { readonly [K in ConfigKey]: ValueOf<(typeof CONFIG_KEYS)[K]> };

const ALL_KEYS = Object.keys(CONFIG_KEYS) as ConfigKey[];
const spec = (k: ConfigKey) => CONFIG_KEYS[k] as KeySpec<unknown>;

export const flagName = (k: ConfigKey): string => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
export const envName = (k: ConfigKey): string => `STRATA_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
/** The name DescribeConfigs uses: Kafka's where Kafka has the setting, else a strata.* name. */
export const describeName = (k: ConfigKey): string =>
  spec(k).kafka ?? `strata.${k.replace(/[A-Z]/g, (c) => `.${c.toLowerCase()}`)}`;

/**
 * The config key for a name as a user may write it: the key itself (`logSegmentBytes`) or its Kafka / strata.*
 * name (`log.segment.bytes`), as in server.properties and a StrataCluster's spec.config. Undefined if unknown.
 */
export function configKeyFor(name: string): ConfigKey | undefined {
  if ((ALL_KEYS as string[]).includes(name)) return name as ConfigKey;
  return ALL_KEYS.find((k) => describeName(k) === name);
}

/** True when the key holds its default value (DescribeConfigs reports DEFAULT_CONFIG then). */
export function isDefaultValue(cfg: BrokerConfig, k: ConfigKey): boolean {
  const s = spec(k);
  return s.kind.format(cfg[k]) === s.kind.format(s.default);
}

const CONFIG_FLAG = '--config';
const CONFIG_ENV = 'STRATA_CONFIG';
const HELP_FLAGS = ['--help', '-h'];

// ---------------------------------------------------------------------------------------------
// Loading.

export function wantsHelp(argv: string[]): boolean {
  return argv.some((a) => HELP_FLAGS.includes(a));
}

/** Builds the config from CLI arguments (without node and script), the environment and the YAML file they name. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): BrokerConfig {
  const flags = parseArgv(argv);
  const file = flags.config ?? nonEmptyEnv(env, CONFIG_ENV);
  const fromFile = file === undefined ? {} : readYamlFile(file);
  const out: Record<string, unknown> = {};
  for (const k of ALL_KEYS) {
    const s = spec(k);
    const env_ = nonEmptyEnv(env, envName(k));
    const [raw, label] =
      k in flags.values ? [flags.values[k], flagName(k)]
      : env_ !== undefined ? [env_, envName(k)]
      : k in fromFile ? [fromFile[k], `${k} in ${file}`]
      : [undefined, ''];
    if (raw === undefined) {
      out[k] = s.default;
      continue;
    }
    const value = s.kind.parse(raw);
    if (value === undefined) throw new ConfigError(invalidValueMessage(raw, label, s.kind));
    out[k] = value;
  }
  checkRelations(out as BrokerConfig);
  return out as BrokerConfig;
}

/** Constraints between keys. */
function checkRelations(cfg: BrokerConfig): void {
  resolveListeners(cfg); // throws ConfigError for listener settings that do not fit together
  if (cfg.queuedMaxRequestBytes < cfg.socketRequestMaxBytes) {
    throw new ConfigError(
      `queuedMaxRequestBytes (${cfg.queuedMaxRequestBytes}) must be at least socketRequestMaxBytes (${cfg.socketRequestMaxBytes}): a request of the largest allowed size must fit in the pool`,
    );
  }
}

// An empty variable counts as unset, so templates can leave values blank.
function nonEmptyEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

const FLAG_TO_KEY = new Map(ALL_KEYS.map((k) => [flagName(k), k]));

function parseArgv(argv: string[]): { config?: string; values: Partial<Record<ConfigKey, string>> } {
  const values: Partial<Record<ConfigKey, string>> = {};
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (HELP_FLAGS.includes(arg)) continue; // handled by wantsHelp before loading
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}: options are written --name value`);
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const k = FLAG_TO_KEY.get(flag);
    if (flag !== CONFIG_FLAG && k === undefined) throw new ConfigError(`unknown flag ${flag}${suggest(flag, flagName)}`);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    else if (k !== undefined && spec(k).kind === booleanKind) value = 'true'; // a bare boolean flag switches it on
    else throw new ConfigError(`missing value for ${flag}`);
    if (k === undefined) config = value;
    else values[k] = value;
  }
  return { config, values };
}

function readYamlFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`cannot parse config file ${file}: ${(err as Error).message.trim()}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`config file ${file} must be a mapping of keys to values`);
  for (const name of Object.keys(doc)) {
    if (!Object.hasOwn(CONFIG_KEYS, name)) throw new ConfigError(`unknown key ${JSON.stringify(name)} in config file ${file}${suggest(name, (k) => k)}`);
  }
  return doc as Record<string, unknown>;
}

// Matches spellings that differ only in case and separators (data-dir, DATA_DIR, log.segment.bytes)
// and Kafka names (log.roll.ms), so a near miss gets a hint.
const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
function suggest(given: string, render: (k: ConfigKey) => string): string {
  const wanted = squash(given);
  const k = ALL_KEYS.find((c) => squash(c) === wanted || (spec(c).kafka !== undefined && squash(spec(c).kafka!) === wanted));
  return k === undefined ? '' : ` (did you mean ${render(k)}?)`;
}

// ---------------------------------------------------------------------------------------------
// Help and derived values.

export function helpText(): string {
  const lines = [
    'Usage: strata-broker [--config FILE] [--name value ...]',
    '',
    'Every option can also be set as an environment variable or as a key in the YAML config file.',
    'Precedence: flags > environment > config file > defaults.',
    '',
    `  ${CONFIG_FLAG} FILE`,
    `      YAML file of settings. Env: ${CONFIG_ENV}`,
  ];
  for (const k of ALL_KEYS) {
    const s = spec(k);
    lines.push(`  ${flagName(k)} <${s.kind.expected}>`);
    const dflt = s.kind.format(s.default) || '""';
    lines.push(`      ${s.doc} Default: ${dflt}. Env: ${envName(k)}, YAML: ${k}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The price table of the cost estimate metrics (metrics/cost-model.ts). */
export function costPrices(cfg: BrokerConfig): PriceTable {
  return {
    storagePerGbMonth: cfg.costStorageGbMonth,
    putPerThousand: cfg.costPutPerThousand,
    getPerThousand: cfg.costGetPerThousand,
    egressPerGb: cfg.costEgressGb,
  };
}

/** Broker-wide defaults of every partition log; topic overrides are resolved over these (log/topic-config.ts). */
export function brokerLogDefaults(cfg: BrokerConfig): LogConfig {
  return {
    ...DEFAULT_LOG_CONFIG,
    segmentBytes: cfg.logSegmentBytes,
    segmentMs: cfg.logSegmentMs,
    retentionMs: cfg.logRetentionMs,
    retentionBytes: cfg.logRetentionBytes,
    flushMessages: cfg.logFlushIntervalMessages,
    // LogConfig expresses "never by time" as a huge interval, as Kafka's topic-level flush.ms does.
    flushMs: cfg.logFlushIntervalMs < 0 ? Number.MAX_SAFE_INTEGER : cfg.logFlushIntervalMs,
    indexIntervalBytes: cfg.logIndexIntervalBytes,
    maxMessageBytes: cfg.messageMaxBytes,
    messageTimestampType: cfg.logMessageTimestampType,
    cleanupPolicy: { delete: cfg.logCleanupPolicy.includes('delete'), compact: cfg.logCleanupPolicy.includes('compact') },
    // Tiering is on by default when segments have somewhere else to go: an S3 bucket. The embedded local object
    // store sits on the same machine, where tiering would only store every segment twice.
    remoteStorageEnable: cfg.objectStoreType === 's3',
  };
}

/** super.users as principal strings ("User:alice"). */
export function superUsers(cfg: BrokerConfig): string[] {
  return cfg.superUsers.split(';').map((p) => p.trim()).filter((p) => p !== '');
}
