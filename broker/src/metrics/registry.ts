// The broker's Prometheus metrics, on a registry of its own so several brokers can live in one process
// (tests). Hot-path counters are reached through cached labelled children; per-partition gauges are read
// from a callback at scrape time instead of being updated on every append.
import { promises as fs } from 'node:fs';
import { ClusterMetrics } from './cluster-metrics';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { systemClock, type Clock } from '../clock';
import { CostMeter, DEFAULT_PRICES, type PriceTable } from './cost-model';
import { objectKeyTopic } from './object-key-topic';

export interface PartitionStats {
  topic: string;
  partition: number;
  sizeBytes: number;
  logStartOffset: number;
  logEndOffset: number;
  /** Last stable offset (read_committed consumers stop there) and transactions open on the partition. */
  lastStableOffset: number;
  openTransactions: number;
}

export type PartitionSource = () => Iterable<PartitionStats>;

export interface GroupStats {
  group: string;
  state: string;
  members: number;
  /** Committed offset and log end offset of each partition the group has committed. */
  offsets: Iterable<{ topic: string; partition: number; committed: number; logEndOffset: number }>;
}

export type GroupSource = () => Iterable<GroupStats>;

/** The broker-wide request pool as the metrics see it. */
export interface RequestPoolStats {
  readonly used: number;
  readonly waiting: number;
}

/** Tiering figures of one partition (cumulative counters and current gauges, read at scrape time). */
export interface PartitionTierStats {
  topic: string;
  partition: number;
  stats: {
    uploadLagBytes: number;
    uploadLagSegments: number;
    remoteSegments: number;
    remoteBytes: number;
    bytesUploaded: number;
    bytesDownloaded: number;
    uploadErrors: Record<string, number>;
    getErrors: Record<string, number>;
  };
}

export interface TierCacheStats {
  cache: { hits: number; misses: number; memoryBytes: number; diskBytes: number };
}

/** Counters of one topic, already bound to its label. */
export interface TopicMetrics {
  readonly bytesIn: Counter.Internal;
  readonly bytesOut: Counter.Internal;
  readonly messagesIn: Counter.Internal;
  readonly messagesOut: Counter.Internal;
}

interface ApiMetrics {
  readonly requests: Counter.Internal;
  readonly duration: Histogram.Internal<'api'>;
}

// 0.1 ms to 10 s: a local produce takes well under a millisecond, a long-polling fetch up to seconds.
const DURATION_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The operation labels InstrumentedObjectStore reports. */
const OBJECT_STORE_OPERATIONS = ['put', 'get', 'head', 'list', 'delete', 'putIfAbsent', 'putIfMatch'];

/** Kafka's name for an error without a more specific code. */
const UNSPECIFIED_ERROR = 'UNKNOWN_SERVER_ERROR';

export class BrokerMetrics {
  readonly registry = new Registry();
  /** Replication and metadata health (metrics/cluster-metrics.ts). */
  readonly cluster = new ClusterMetrics(this.registry);

  private readonly bytesIn = this.counter('strata_bytes_in_total', 'Bytes of record batches appended, by topic.', ['topic']);
  private readonly bytesOut = this.counter('strata_bytes_out_total', 'Bytes of record batches sent to fetchers, by topic.', ['topic']);
  private readonly messagesIn = this.counter('strata_messages_in_total', 'Records appended, by topic.', ['topic']);
  private readonly messagesOut = this.counter('strata_messages_out_total', 'Records sent to fetchers (from batch headers), by topic.', ['topic']);
  private readonly requests = this.counter('strata_requests_total', 'Requests handled, by API.', ['api']);
  private readonly requestErrors = this.counter('strata_request_errors_total', 'Requests that failed, by API and Kafka error name.', ['api', 'error']);
  private readonly requestDuration = new Histogram({
    name: 'strata_request_duration_seconds',
    help: 'Time from reading a request to sending its response, by API.',
    labelNames: ['api'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly connections = new Gauge({ name: 'strata_connections', help: 'Open client connections.', registers: [this.registry] });
  private readonly connectionsTotal = this.counter('strata_connections_total', 'Client connections accepted.', []);
  private readonly connectionErrors = this.counter('strata_connection_errors_total', 'Connections closed because of an error, by reason.', ['reason']);
  private readonly mutedConnections = new Gauge({
    name: 'strata_connections_muted',
    help: 'Connections neither read nor processed until their client reads the responses already sent.',
    registers: [this.registry],
  });
  private readonly authentications = this.counter(
    'strata_authentication_total',
    'Authentications by listener, mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; SSL for TLS handshakes, with client certificate checks) and result (success or failure); SASL re-authentications count too.',
    ['listener', 'mechanism', 'result'],
  );
  private readonly processErrors = this.counter('strata_process_errors_total', 'Unhandled promise rejections and uncaught exceptions the process survived, by kind.', ['kind']);

  private readonly topics = new Map<string, TopicMetrics>();
  private readonly apis = new Map<string, ApiMetrics>();
  private partitionSource: PartitionSource = () => [];
  private offlinePartitionSource: () => number = () => 0;
  private groupSource: GroupSource = () => [];
  private tierCacheSource: () => TierCacheStats | null = () => null;
  private requestPoolSource: () => RequestPoolStats | null = () => null;
  private tierPartitionSource: () => Iterable<PartitionTierStats> = () => [];
  private readonly objectStoreDuration = new Histogram({
    name: 'strata_object_store_request_duration_seconds',
    help: 'Object store request latency, by operation.',
    labelNames: ['operation'],
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  private readonly objectStoreErrors = this.counter('strata_object_store_request_errors_total', 'Failed object store requests, by operation and cause.', ['operation', 'cause']);
  private readonly objectStoreRequests = this.counter(
    'strata_object_store_requests_total',
    'Object store requests (failed ones too), by operation and topic name; _metadata, _deleted and _other for keys outside a known topic.',
    ['operation', 'topic'],
  );
  // Until the cluster id is known only cluster.json is read, which this maps to _metadata.
  private objectKeyTopic: (key: string) => string = (key) => objectKeyTopic('', key, () => undefined);
  private logDir: string | null = null;
  private readonly cost: CostMeter;
  private readonly rebalances = this.counter('strata_group_rebalances_total', 'Rebalances started, by consumer group.', ['group']);
  private readonly offsetCommits = this.counter('strata_group_offset_commits_total', 'Offsets committed, by consumer group.', ['group']);
  private readonly transactionsEnded = this.counter('strata_transactions_total', 'Transactions completed by the transaction coordinator, by result (commit, abort).', ['result']);
  private readonly producersFenced = this.counter(
    'strata_transaction_producers_fenced_total',
    'Producers fenced by the transaction coordinator: a newer producer took the transactional id, or the transaction timed out.',
    [],
  );
  private openTransactionSource: () => number = () => 0;
  private readonly authorizationDenied = this.counter(
    'strata_authorization_denied_total',
    'Authorization checks denied (authorizer=simple), by API and resource type.',
    ['api', 'resource_type'],
  );
  private readonly throttledResponses = this.counter('strata_quota_throttled_responses_total', 'Responses throttled for a client quota, by quota.', ['quota']);
  private readonly throttleTime = this.counter('strata_quota_throttle_time_seconds_total', 'Throttle time given to clients for their quotas (the channel is muted that long), by quota.', ['quota']);
  private readonly offsetsLoadSkipped = this.counter(
    'strata_offsets_load_skipped_total',
    'Batches or records of __consumer_offsets skipped while loading groups because they could not be decoded.',
    [],
  );

  /** `prices` and `clock` feed the cost estimate (metrics/cost-model.ts). */
  constructor(opts: { defaultMetrics?: boolean; prices?: PriceTable; clock?: Clock } = {}) {
    // Process and Node.js runtime metrics keep their standard names (process_*, nodejs_*) that dashboards expect.
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.cost = new CostMeter(opts.prices ?? DEFAULT_PRICES, opts.clock ?? systemClock);
    this.registerTopicStorageAndCost();
    this.registerLogDirGauges();
    this.registerGroupGauges();
    this.registerTierMetrics();
    this.registerRequestPoolGauges();
    this.scrapeGauge('strata_transactions_open', 'Transactions open or completing on this transaction coordinator.', () => this.openTransactionSource());
    const source = () => this.partitionSource();
    this.partitionSeries('gauge', 'strata_log_size_bytes', 'Bytes of the local log, by partition.', source, (p) => p.sizeBytes);
    this.partitionSeries('gauge', 'strata_log_start_offset', 'First offset of the log, by partition.', source, (p) => p.logStartOffset);
    this.partitionSeries('gauge', 'strata_log_end_offset', 'Offset the next appended record will get, by partition.', source, (p) => p.logEndOffset);
    this.partitionSeries('gauge', 'strata_partition_lso_lag', 'Log end offset minus last stable offset (records held back from read_committed consumers by open transactions), by partition.', source, (p) => p.logEndOffset - p.lastStableOffset);
    this.partitionSeries('gauge', 'strata_partition_open_transactions', 'Transactions open on the partition (data written, no marker yet), by partition.', source, (p) => p.openTransactions);
    this.scrapeGauge('strata_partitions', 'Partitions hosted by this broker.', () => {
      let n = 0;
      for (const _ of source()) n++;
      return n;
    });
    this.scrapeGauge(
      'strata_offline_partitions',
      'Partitions this broker leads but cannot serve: their log failed to open or hit an I/O error (Kafka OfflinePartitionsCount).',
      () => this.offlinePartitionSource(),
    );
  }

  /** Where the broker-wide request pool (queued.max.request.bytes) is read at scrape time. */
  setRequestPoolSource(source: () => RequestPoolStats | null): void {
    this.requestPoolSource = source;
  }

  private registerRequestPoolGauges(): void {
    const pool = () => this.requestPoolSource();
    this.scrapeGauge(
      'strata_request_pool_bytes_used',
      'Request bytes reserved in the broker-wide pool (queued.max.request.bytes): frames being read, queued and handled.',
      () => pool()?.used ?? 0,
    );
    this.scrapeGauge(
      'strata_request_pool_waiting_connections',
      'Connections that stopped reading until the request pool has room for their next frame.',
      () => pool()?.waiting ?? 0,
    );
  }

  /** Where the count of offline partitions (logs that failed to open or hit an I/O error) is read at scrape time. */
  /** Only brokers with a TLS listener have the series (an expiry alert never sees a value it cannot act on). */
  setTlsCertificateSource(expirySeconds: () => number): void {
    this.scrapeGauge(
      'strata_tls_certificate_expiry_timestamp_seconds',
      'When the certificate the TLS listeners serve expires (notAfter), as a Unix timestamp; follows certificate reloads.',
      expirySeconds,
    );
  }

  setOfflinePartitionSource(count: () => number): void {
    this.offlinePartitionSource = count;
  }

  /** `request` names the key touched and the bytes a get returned: counted per topic for the cost estimate. */
  observeObjectStore(operation: string, seconds: number, errorCause?: string, request?: { key: string; bytesRead: number }): void {
    this.objectStoreDuration.labels(operation).observe(seconds);
    if (errorCause) this.objectStoreErrors.labels(operation, errorCause).inc();
    if (request) {
      const topic = this.objectKeyTopic(request.key);
      this.objectStoreRequests.labels(operation, topic).inc();
      this.cost.record(topic, operation, request.bytesRead);
    }
  }

  /** How an object key maps to a topic label (metrics/object-key-topic.ts), set once the cluster id and metadata are known. */
  setObjectKeyTopic(topicOf: (key: string) => string): void {
    this.objectKeyTopic = topicOf;
  }

  /** The directory whose filesystem the log-dir gauges report (statfs at scrape time). */
  setLogDir(dir: string): void {
    this.logDir = dir;
  }

  private registerLogDirGauges(): void {
    // One statfs per scrape, shared by both gauges; asynchronous, so a slow disk never blocks the event loop.
    let pending: Promise<{ free: number; size: number }> | null = null;
    const read = () => {
      const dir = this.logDir;
      if (dir === null) return Promise.resolve({ free: NaN, size: NaN });
      pending ??= fs
        .statfs(dir)
        .then((s) => ({ free: s.bavail * s.bsize, size: s.blocks * s.bsize }))
        // NaN rather than 0: an unreadable filesystem must not look full (or empty) to an alert.
        .catch(() => ({ free: NaN, size: NaN }))
        .finally(() => (pending = null));
      return pending;
    };
    this.scrapeGauge('strata_log_dir_free_bytes', 'Bytes available to the broker on the filesystem of its data directory (log.dirs).', async () => (await read()).free);
    this.scrapeGauge('strata_log_dir_size_bytes', 'Size of the filesystem holding the data directory (log.dirs).', async () => (await read()).size);
  }

  /** Per-topic sums of the partition and tier sources, and the cost estimate built on them. */
  private registerTopicStorageAndCost(): void {
    const sumByTopic = <T extends { topic: string }>(rows: Iterable<T>, value: (r: T) => number) => {
      const sums = new Map<string, number>();
      for (const r of rows) sums.set(r.topic, (sums.get(r.topic) ?? 0) + value(r));
      return sums;
    };
    const remoteBytes = () => sumByTopic(this.tierPartitionSource(), (p) => p.stats.remoteBytes);
    const localBytes = () => sumByTopic(this.partitionSource(), (p) => p.sizeBytes);
    const cost = this.cost;
    const perTopic = (name: string, help: string, sums: () => Map<string, number>) =>
      new Gauge({
        name,
        help,
        labelNames: ['topic'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [topic, n] of sums()) this.labels(topic).set(n);
        },
      });
    perTopic('strata_topic_remote_bytes', 'Bytes of the topic in the object store (sum over its partitions).', remoteBytes);
    perTopic('strata_topic_local_bytes', 'Bytes of the topic in local logs (sum over its partitions; segments already tiered included until deleted locally).', localBytes);
    const estimates = () => cost.estimates(remoteBytes());
    const COMPONENTS = ['storage', 'requests', 'egress'] as const;
    new Gauge({
      name: 'strata_topic_estimated_monthly_cost_dollars',
      help:
        'Estimated object-store cost of the topic per 30-day month in USD, by component: storage (remote bytes now), ' +
        'requests and egress (rate over the last 1-2 hours extrapolated to a month). Prices from the cost.* settings; ' +
        'defaults are AWS S3 Standard us-east-1 list prices. _metadata, _deleted and _other hold keys outside a known topic.',
      labelNames: ['topic', 'component'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [topic, e] of estimates()) for (const c of COMPONENTS) this.labels(topic, c).set(e[c]);
      },
    });
    this.scrapeGauge(
      'strata_estimated_monthly_cost_dollars',
      'Estimated object-store cost of the whole broker per 30-day month in USD: strata_topic_estimated_monthly_cost_dollars summed over topics and components.',
      () => {
        let total = 0;
        for (const e of estimates().values()) for (const c of COMPONENTS) total += e[c];
        return total;
      },
    );
  }

  /** Where tiered-storage figures are read from at scrape time: the chunk cache, and every tiered partition. */
  setTierSource(cache: () => TierCacheStats | null, partitions: () => Iterable<PartitionTierStats>): void {
    this.tierCacheSource = cache;
    this.tierPartitionSource = partitions;
  }

  private registerTierMetrics(): void {
    const partitions = () => this.tierPartitionSource();
    const cache = () => this.tierCacheSource();
    const series = (kind: 'gauge' | 'counter', name: string, help: string, value: (s: PartitionTierStats['stats']) => number) =>
      this.partitionSeries(kind, name, help, partitions, (p) => value(p.stats));
    series('gauge', 'strata_tier_upload_lag_bytes', 'Bytes of closed local segments not yet in the object store.', (s) => s.uploadLagBytes);
    series('gauge', 'strata_tier_upload_lag_segments', 'Closed local segments not yet in the object store.', (s) => s.uploadLagSegments);
    series('gauge', 'strata_tier_remote_segments', 'Segments of the partition in the object store.', (s) => s.remoteSegments);
    series('gauge', 'strata_tier_remote_bytes', 'Bytes of the partition in the object store.', (s) => s.remoteBytes);
    series('counter', 'strata_tier_uploaded_bytes_total', 'Bytes uploaded to the object store.', (s) => s.bytesUploaded);
    series('counter', 'strata_tier_downloaded_bytes_total', 'Bytes read from the object store.', (s) => s.bytesDownloaded);
    new Counter({
      name: 'strata_tier_errors_total',
      help: 'Failed tier uploads and GETs, by operation and cause.',
      labelNames: ['operation', 'cause'],
      registers: [this.registry],
      collect() {
        this.reset();
        const sums = new Map<string, number>();
        for (const p of partitions()) {
          for (const [op, errors] of [['upload', p.stats.uploadErrors], ['get', p.stats.getErrors]] as const) {
            for (const [cause, n] of Object.entries(errors)) sums.set(`${op}\u0000${cause}`, (sums.get(`${op}\u0000${cause}`) ?? 0) + n);
          }
        }
        for (const [k, n] of sums) if (n > 0) this.labels(...(k.split('\u0000') as [string, string])).inc(n);
      },
    });
    new Gauge({
      name: 'strata_tier_cache_bytes',
      help: 'Bytes held by the tiered-read chunk cache, by level.',
      labelNames: ['level'],
      registers: [this.registry],
      collect() {
        const c = cache()?.cache;
        this.labels('memory').set(c?.memoryBytes ?? 0);
        this.labels('disk').set(c?.diskBytes ?? 0);
      },
    });
    this.scrapeGauge('strata_tier_cache_hit_ratio', 'Share of tiered-read chunk lookups served from the cache since start.', () => {
      const c = cache()?.cache;
      const total = (c?.hits ?? 0) + (c?.misses ?? 0);
      return total === 0 ? 0 : c!.hits / total;
    });
  }

  /** Where consumer-group gauges (state, members, lag) are read from at scrape time. */
  setGroupSource(source: GroupSource): void {
    this.groupSource = source;
  }

  groupRebalanced(group: string): void {
    this.rebalances.labels(group).inc();
  }

  offsetsCommitted(group: string, count: number): void {
    this.offsetCommits.labels(group).inc(count);
  }

  /** Where the open-transactions gauge is read from at scrape time. */
  setOpenTransactionSource(source: () => number): void {
    this.openTransactionSource = source;
  }

  transactionEnded(result: 'commit' | 'abort'): void {
    this.transactionsEnded.labels(result).inc();
  }

  producerFenced(): void {
    this.producersFenced.inc();
  }

  offsetsRecordSkipped(): void {
    this.offsetsLoadSkipped.inc();
  }

  /** Drops the series of a deleted or expired group (the gauges follow the group source by themselves). */
  groupRemoved(group: string): void {
    this.rebalances.remove(group);
    this.offsetCommits.remove(group);
  }

  private registerGroupGauges(): void {
    const groups = () => this.groupSource();
    new Gauge({
      name: 'strata_groups',
      help: 'Consumer groups, by state.',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const g of groups()) this.labels(g.state).inc();
      },
    });
    new Gauge({
      name: 'strata_group_members',
      help: 'Members of each consumer group.',
      labelNames: ['group'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const g of groups()) this.labels(g.group).set(g.members);
      },
    });
    new Gauge({
      name: 'strata_group_lag',
      help: 'Consumer lag: log end offset minus committed offset, by group and partition.',
      labelNames: ['group', 'topic', 'partition'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const g of groups()) {
          for (const o of g.offsets) this.labels(g.group, o.topic, String(o.partition)).set(Math.max(0, o.logEndOffset - o.committed));
        }
      },
    });
  }

  /** The counters of one topic, cached so the produce/fetch path does no label lookups. */
  topic(name: string): TopicMetrics {
    let t = this.topics.get(name);
    if (!t) {
      t = {
        bytesIn: this.bytesIn.labels(name),
        bytesOut: this.bytesOut.labels(name),
        messagesIn: this.messagesIn.labels(name),
        messagesOut: this.messagesOut.labels(name),
      };
      this.topics.set(name, t);
    }
    return t;
  }

  /** Drops a deleted topic's series (partition gauges drop out by themselves at the next scrape). */
  removeTopic(name: string): void {
    this.topics.delete(name);
    for (const c of [this.bytesIn, this.bytesOut, this.messagesIn, this.messagesOut]) c.remove(name);
    for (const op of OBJECT_STORE_OPERATIONS) this.objectStoreRequests.remove(op, name);
    this.cost.remove(name);
  }

  /** Where per-partition gauges are read from at scrape time. */
  setPartitionSource(source: PartitionSource): void {
    this.partitionSource = source;
  }

  /**
   * Counts one request and its duration. `error` is a Kafka error name for a failed request, or true for
   * a failure without one.
   */
  observeRequest(api: string, seconds: number, error?: string | boolean): void {
    let a = this.apis.get(api);
    if (!a) {
      a = { requests: this.requests.labels(api), duration: this.requestDuration.labels(api) };
      this.apis.set(api, a);
    }
    a.requests.inc();
    a.duration.observe(seconds);
    if (error) this.requestErrors.labels(api, error === true ? UNSPECIFIED_ERROR : error).inc();
  }

  connectionOpened(): void {
    this.connections.inc();
    this.connectionsTotal.inc();
  }

  /** `reason` is null for an orderly close, else why the broker (or the socket) ended the connection. */
  connectionClosed(reason: string | null): void {
    this.connections.dec();
    if (reason !== null) this.connectionErrors.labels(reasonLabel(reason)).inc();
  }

  /** A connection closed on accept (e.g. max.connections reached): counted by reason, never opened. */
  connectionRejected(reason: string): void {
    this.connectionErrors.labels(reasonLabel(reason)).inc();
  }

  connectionMuted(muted: boolean): void {
    if (muted) this.mutedConnections.inc();
    else this.mutedConnections.dec();
  }

  authorizationDeniedFor(api: string, resourceType: string): void {
    this.authorizationDenied.labels(api, resourceType).inc();
  }

  /** A response throttled for `quota` (producer_byte_rate, …) by `ms`. */
  quotaThrottled(quota: string, ms: number): void {
    this.throttledResponses.labels(quota).inc();
    this.throttleTime.labels(quota).inc(ms / 1000);
  }

  /** One authentication's outcome. `mechanism` is one the broker knows (SSL for a TLS handshake; UNSUPPORTED for an unknown SASL one). */
  authenticated(listener: string, mechanism: string, result: 'success' | 'failure'): void {
    this.authentications.labels(listener, mechanism, result).inc();
  }

  /** `kind` is 'unhandledRejection' or 'uncaughtException'. */
  processError(kind: string): void {
    this.processErrors.labels(kind).inc();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** An unlabelled gauge whose value is read at scrape time. */
  private scrapeGauge(name: string, help: string, value: () => number | Promise<number>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await value());
      },
    });
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /**
   * A series per partition, rebuilt from `rows` at each scrape so partitions that moved away or were deleted
   * disappear. Counters carry cumulative totals kept by the partition itself.
   */
  private partitionSeries<T extends { topic: string; partition: number }>(
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    rows: () => Iterable<T>,
    value: (row: T) => number,
  ): void {
    const common = { name, help, labelNames: ['topic', 'partition'], registers: [this.registry] };
    if (kind === 'gauge') {
      new Gauge({
        ...common,
        collect() {
          this.reset();
          for (const r of rows()) this.labels(r.topic, String(r.partition)).set(value(r));
        },
      });
    } else {
      new Counter({
        ...common,
        collect() {
          this.reset();
          for (const r of rows()) this.labels(r.topic, String(r.partition)).inc(value(r));
        },
      });
    }
  }
}

/**
 * Close reasons are free text with numbers and names in them; a label must come from a small set, so only
 * the first two words are kept ("socket error: ECONNRESET" → "socket_error").
 */
function reasonLabel(reason: string): string {
  const words = reason.toLowerCase().match(/[a-z]+/g) ?? [];
  return words.slice(0, 2).join('_') || 'unknown';
}
