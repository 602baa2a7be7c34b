// Wires one broker together: object store → metadata log and image → controller → partition logs →
// Kafka listener and metrics endpoint. Start-up order matters: the listener opens only after metadata is
// loaded and every local log is recovered, and /readyz turns green last.
import { promises as fs } from 'node:fs';
import type { BrokerConfig } from './config';
import { brokerLogDefaults, costPrices, superUsers } from './config';
import { addSecret, createLogger, setLogFormat, setLogLevel, type Logger } from './logger';
import { createObjectStore } from './tier/object-store-factory';
import { InstrumentedObjectStore } from './tier/instrumented-object-store';
import { RemoteStorage, remoteCacheDir } from './tier/remote-storage';
import type { ObjectStore } from './tier/object-store';
import { resolveClusterId } from './cluster/cluster-id';
import { MetadataLog } from './cluster/metadata-log';
import { Controller } from './cluster/controller';
import { ControllerLease } from './cluster/controller-lease';
import { MetadataTailer } from './cluster/metadata-tailer';
import { imageClusterView } from './cluster/cluster-view';
import { ReplicaManager } from './cluster/replica-manager';
import { TopicCreator } from './cluster/topic-creator';
import { InternalTopics } from './cluster/internal-topics';
import { ProducerIdManager } from './coordinator/producer-id-manager';
import { TxnMarkerAppender } from './coordinator/txn-marker-appender';
import { TxnMarkerRouter } from './coordinator/txn-marker-router';
import { startGroupCoordinator, startTransactionCoordinator } from './coordinator/start-coordinators';
import { OFFSETS_TOPIC } from './coordinator/group-store';
import { TRANSACTION_STATE_TOPIC } from './coordinator/transaction-store';
import { BrokerMetrics } from './metrics/registry';
import { startMetricsServer } from './metrics/http';
import { objectKeyTopic } from './metrics/object-key-topic';
import { BrokerServer } from './network/server';
import { RequestMemoryPool } from './network/request-pool';
import { handlerTable } from './handlers';
import type { BrokerServices } from './services';
import { AclAuthorizer, ALLOW_ALL } from './security/authorizer';
import { QuotaManager } from './security/quota-manager';
import { monotonicClock } from './clock';
import { advertisedEndpoints, resolveListeners, usesSasl, usesTls, type ListenerSpec } from './security/listeners';
import { TlsContextProvider } from './security/tls-context';
import { Authenticator } from './security/authenticator';
import { bootstrapCredentialRecords } from './security/bootstrap-users';
import { systemClock } from './clock';
import { loadIncarnation } from './cluster/incarnation';
import { BrokerLiveness } from './cluster/broker-liveness';
import { BrokerClients, interBrokerTls } from './cluster/broker-clients';
import { HeartbeatSender, heartbeatTransport } from './cluster/heartbeat-sender';

export class Broker {
  private retentionTimer: NodeJS.Timeout | null = null;
  private cleanerTimer: NodeJS.Timeout | null = null;
  private metricsServer: { port: number; close(): Promise<void> } | null = null;
  private servers: BrokerServer[] = [];
  private tls: TlsContextProvider | null = null;
  private readonly readiness = { ready: false, reason: 'starting' };

  private gcTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly config: BrokerConfig,
    private readonly logger: Logger,
    readonly services: BrokerServices,
    private readonly tier: RemoteStorage,
    private readonly listeners: ListenerSpec[],
  ) {}

  static async start(config: BrokerConfig): Promise<Broker> {
    setLogLevel(config.logLevel);
    setLogFormat(config.logFormat);
    addSecret(config.s3SecretAccessKey);
    const logger = createLogger('broker');
    await fs.mkdir(config.dataDir, { recursive: true });
    const metrics = new BrokerMetrics({ prices: costPrices(config) });
    metrics.setLogDir(config.dataDir);
    const store: ObjectStore = new InstrumentedObjectStore(createObjectStore(config), (op, seconds, cause, request) =>
      metrics.observeObjectStore(op, seconds, cause, request),
    );
    const clusterId = await resolveClusterId(store, config.clusterId);
    // Before registering: a data dir of another node or cluster is refused here, and a new disk gets a new
    // incarnation (the controller then keeps it out of ISRs until it caught up).
    const incarnationId = await loadIncarnation(config.dataDir, config.nodeId, clusterId);
    const metadataLog = new MetadataLog(store, `${clusterId}/`);
    const image = await metadataLog.load();
    metrics.setObjectKeyTopic((key) => objectKeyTopic(clusterId, key, (id) => image.topicsById.get(id)?.name));
    const controller = new Controller(image, metadataLog, config.nodeId, {
      logger: logger.child('controller'),
      limits: { maxTopics: config.maxTopics, maxPartitions: config.maxPartitions },
      maxAcls: config.maxAcls,
      maxQuotaEntities: config.maxClientQuotaEntities,
      uncleanLeaderElectionEnable: config.uncleanLeaderElectionEnable,
    });
    const listeners = resolveListeners(config);
    const endpoints = advertisedEndpoints(listeners, listeners.map((l) => l.port));
    await controller.registerBroker(
      { nodeId: config.nodeId, host: endpoints[0].host, port: endpoints[0].port, endpoints, rack: config.brokerRack || null, incarnationId },
      clusterId,
    );
    if (config.saslBootstrapUsers !== '') {
      const added = await controller.addMissingScramCredentials(await bootstrapCredentialRecords(config.saslBootstrapUsers));
      if (added > 0) logger.info('bootstrap SCRAM credentials written', { credentials: added });
    }

    const tier = new RemoteStorage({
      store,
      clusterId,
      uploadBytesPerSec: config.remoteUploadBytesPerSec,
      maxConcurrentUploads: config.remoteMaxConcurrentUploads,
      maxConcurrentFetches: config.remoteFetchMaxConcurrency,
      fetchChunkBytes: config.remoteFetchChunkBytes,
      cacheMemoryBytes: config.remoteCacheMemoryBytes,
      cacheDiskBytes: config.remoteCacheDiskBytes,
      cacheDir: remoteCacheDir(config.dataDir),
      gcGraceMs: config.remoteGcGraceMs,
      logger: logger.child('tier'),
    });
    const brokerClients = new BrokerClients({
      image,
      listenerName: config.interBrokerListenerName,
      clientId: `strata-broker-${config.nodeId}`,
      tls: interBrokerTls(config),
      // A heartbeat stuck longer than half a session is better retried (the controller may have moved); a
      // replica fetch may wait replicaFetchWaitMaxMs at the leader before answering.
      requestTimeoutMs: Math.max(Math.floor(config.brokerSessionTimeoutMs / 2), config.replicaFetchWaitMaxMs + 5000),
      logger: logger.child('broker-clients'),
    });
    // Tailing other brokers' metadata starts after the first sync; a follower whose leader refused its epoch asks
    // it to catch up now (set once it exists).
    let pokeMetadata: () => void = () => undefined;
    // An ISR shrink is refused while this broker seems cut off from the others (set once heartbeats and liveness
    // exist): its followers stopped fetching because it, not they, is unreachable.
    let cutOff: () => boolean = () => false;
    const replicas = new ReplicaManager(config.dataDir, config.nodeId, image, brokerLogDefaults(config), config.minInsyncReplicas, logger.child('replicas'), tier, {
      replicaLagTimeMaxMs: config.replicaLagTimeMaxMs,
      clock: monotonicClock,
      alterIsr: async (topicId, partition, leaderEpoch, isr) => {
        const current = image.topicsById.get(topicId)?.partitions[partition]?.isr ?? [];
        if (isr.length < current.length && cutOff()) throw new Error('not shrinking the ISR: this broker hears from neither the controller nor a majority of brokers');
        await controller.alterIsr(topicId, partition, leaderEpoch, isr);
      },
      fetcher: {
        request: (nodeId, apiKey, maxVersion, body) => brokerClients.request(nodeId, apiKey, maxVersion, body),
        brokerEpoch: () => image.brokers.get(config.nodeId)?.epoch ?? -1,
        replicaFetchWaitMaxMs: config.replicaFetchWaitMaxMs,
        replicaFetchMaxBytes: config.replicaFetchMaxBytes,
        replicaFetchResponseMaxBytes: config.replicaFetchResponseMaxBytes,
        refreshMetadata: () => pokeMetadata(),
      },
    });
    await replicas.removeStaleDirectories();
    await replicas.sync();
    metrics.setTierSource(() => tier.stats(), function* () {
      for (const p of replicas.all()) {
        const stats = p.log.tieringStats();
        if (stats) yield { topic: p.topic, partition: p.index, stats };
      }
    });
    controller.onCommitted(() => replicas.sync());
    replicas.onIsrChanged = (kind) => metrics.cluster.isrChanged(kind);
    // Other brokers' metadata changes: the tailer applies them, then the local partitions follow.
    const tailer = new MetadataTailer(metadataLog, image, { pollIntervalMs: config.metadataPollIntervalMs, logger: logger.child('metadata') });
    tailer.onChange(() => replicas.sync());
    tailer.start();
    pokeMetadata = () => void tailer.poke().catch(() => undefined);
    const lease = new ControllerLease({
      store,
      key: `${clusterId}/metadata/controller`,
      nodeId: config.nodeId,
      leaseMs: config.controllerLeaseMs,
      claim: (epoch) => controller.claimController(epoch),
      knownEpoch: () => image.controllerEpoch,
      logger: logger.child('controller-lease'),
    });
    metadataLog.setSnapshotWriter(() => lease.isActive());
    metrics.cluster.setView(imageClusterView(image, () => replicas.led(), lease, metadataLog));
    metadataLog.on('entry', (writtenAtMs) => metrics.cluster.metadataApplied(writtenAtMs));
    await lease.start();
    metrics.setOfflinePartitionSource(() => replicas.offlineCount());
    replicas.onAppend = (p, r) => {
      const t = metrics.topic(p.topic);
      t.bytesIn.inc(r.bytes);
      t.messagesIn.inc(r.recordCount);
    };
    metrics.setPartitionSource(function* () {
      for (const p of replicas.all()) {
        const log = p.log;
        yield {
          topic: p.topic,
          partition: p.index,
          sizeBytes: log.sizeBytes,
          logStartOffset: log.logStartOffset,
          logEndOffset: log.logEndOffset,
          lastStableOffset: log.lastStableOffset,
          openTransactions: log.openTransactions,
        };
      }
    });

    const internalTopics = new InternalTopics(
      image,
      controller,
      new Map([
        [OFFSETS_TOPIC, { numPartitions: config.offsetsTopicNumPartitions, replicationFactor: config.offsetsTopicReplicationFactor, segmentBytes: config.offsetsTopicSegmentBytes }],
        [TRANSACTION_STATE_TOPIC, { numPartitions: config.transactionStateLogNumPartitions, replicationFactor: config.transactionStateLogReplicationFactor, segmentBytes: config.transactionStateLogSegmentBytes }],
      ]),
      logger.child('internal-topics'),
    );
    const groups = await startGroupCoordinator(config, image, internalTopics, replicas, metrics, logger.child('groups'));
    const producerIds = new ProducerIdManager(controller, config.nodeId);
    const txnMarkers = new TxnMarkerAppender(replicas, groups);
    // Markers for partitions other brokers lead go to them as WriteTxnMarkers over the inter-broker clients.
    const markerRouter = new TxnMarkerRouter(txnMarkers, image, config.nodeId, brokerClients);
    const transactions = await startTransactionCoordinator(config, image, internalTopics, replicas, markerRouter, producerIds, metrics, logger.child('transactions'));

    const liveness = new BrokerLiveness({
      image,
      controller,
      lease,
      clock: monotonicClock,
      sessionTimeoutMs: config.brokerSessionTimeoutMs,
      leaseMs: config.controllerLeaseMs,
      preferredElectionIntervalMs: config.autoLeaderRebalanceEnable ? config.leaderImbalanceCheckIntervalSeconds * 1000 : 0,
      catchUp: () => tailer.poke(),
      logger: logger.child('liveness'),
    });
    const heartbeats = new HeartbeatSender({
      nodeId: config.nodeId,
      // No controller record yet (single broker, or before the first lease): this broker is the candidate.
      controllerId: () => (image.controllerId >= 0 ? image.controllerId : config.nodeId),
      send: heartbeatTransport(config.nodeId, lease, liveness, brokerClients),
      clock: monotonicClock,
      intervalMs: config.brokerHeartbeatIntervalMs,
      sessionTimeoutMs: config.brokerSessionTimeoutMs,
      metadataOffset: () => image.offset,
      logger: logger.child('heartbeat'),
    });
    controller.onCommitted(async () => brokerClients.sync());
    replicas.selfFenced = () => heartbeats.selfFenced();
    // Connected: as the active controller, hearing from a majority of brokers; else, a heartbeat answered by the
    // (remote) controller within half a session, well inside replicaLagTimeMaxMs.
    cutOff = () => (lease.isActive() ? !liveness.hearsMajority() : !heartbeats.reachedControllerWithin(config.brokerSessionTimeoutMs / 2));
    tailer.onChange(async () => brokerClients.sync());

    const services: BrokerServices = {
      config,
      nodeId: config.nodeId,
      image,
      controller,
      lease,
      tailer,
      replicas,
      internalTopics,
      topics: new TopicCreator(image, controller, {
        enabled: config.autoCreateTopicsEnable,
        numPartitions: config.numPartitions,
        replicationFactor: config.defaultReplicationFactor,
      }),
      producerIds,
      groups,
      transactions,
      txnMarkers,
      metrics,
      authorizer: config.authorizer === 'simple' ? new AclAuthorizer(image, { superUsers: superUsers(config), allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound }) : ALLOW_ALL,
      quotas: new QuotaManager(image, {
        windowNum: config.quotaWindowNum,
        windowSizeMs: config.quotaWindowSizeSeconds * 1000,
        clock: monotonicClock,
        onThrottle: (quota, ms) => metrics.quotaThrottled(quota, ms),
      }),
      logger: logger.child('handler'),
      handlers: handlerTable(),
      liveness,
      heartbeats,
      brokerClients,
    };
    const broker = new Broker(config, logger, services, tier, listeners);
    await broker.open(metrics);
    logger.info('broker started', {
      nodeId: config.nodeId,
      clusterId,
      listeners: listeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(','),
      advertised: endpoints.map((e) => `${e.listener}://${e.host}:${e.port}`).join(','),
      dataDir: config.dataDir,
      topics: image.topicsByName.size,
    });
    return broker;
  }

  private async open(metrics: BrokerMetrics): Promise<void> {
    const { config, services } = this;
    if (config.metricsPort > 0) {
      this.metricsServer = await startMetricsServer(config.metricsHost, config.metricsPort, metrics, this.readiness);
    }
    const requestPool = new RequestMemoryPool(config.queuedMaxRequestBytes);
    metrics.setRequestPoolSource(() => requestPool);
    if (this.listeners.some((l) => usesTls(l.securityProtocol))) {
      this.tls = new TlsContextProvider(
        { certificate: config.sslCertificateLocation, key: config.sslKeyLocation, ca: config.sslCaLocation },
        this.logger.child('tls'),
      );
      this.tls.startWatching(config.sslReloadCheckIntervalMs);
      const tls = this.tls;
      metrics.setTlsCertificateSource(() => tls.certificateExpirySeconds);
    }
    for (const listener of this.listeners) this.servers.push(await this.listen(listener, requestPool));
    services.liveness.start();
    services.heartbeats.start();
    this.retentionTimer = setInterval(() => void this.enforceRetention(), config.logRetentionCheckIntervalMs);
    this.retentionTimer.unref();
    this.cleanerTimer = setInterval(() => void this.compact(), config.logCleanerBackoffMs);
    this.cleanerTimer.unref();
    // The bucket's garbage collector: objects no manifest references (interrupted uploads and deletes) and
    // prefixes of deleted topics. Runs on the active controller only (against a current image): at start or
    // election, then periodically.
    const gc = this.tier.garbageCollector((topicId) => services.replicas.topicExists(topicId));
    const collect = async () => {
      if (!services.lease.isActive()) return;
      await gc.run().catch((err) => this.logger.warn('tier garbage collection failed', { err }));
    };
    void collect();
    services.lease.on('elected', () => void collect());
    this.gcTimer = setInterval(() => void collect(), config.remoteGcIntervalMs);
    this.gcTimer.unref();
    this.readiness.ready = true;
    this.readiness.reason = '';
  }

  /** Opens one listener: TLS for SSL/SASL_SSL, an authenticator per connection for the listener's protocol. */
  private listen(listener: ListenerSpec, requestPool: RequestMemoryPool): Promise<BrokerServer> {
    const { config, services } = this;
    const metrics = services.metrics;
    const authConfig = {
      listenerName: listener.name,
      securityProtocol: listener.securityProtocol,
      mechanisms: usesSasl(listener.securityProtocol) ? config.saslEnabledMechanisms : [],
      image: services.image,
      maxReceiveBytes: config.saslServerMaxReceiveSize,
      reauthMs: config.connectionsMaxReauthMs,
      failureDelayMs: config.connectionFailedAuthenticationDelayMs,
      clock: systemClock,
      onResult: (l: string, m: string, r: 'success' | 'failure') => metrics.authenticated(l, m, r),
    };
    return BrokerServer.listen(
      {
        host: listener.host,
        port: listener.port,
        tls: usesTls(listener.securityProtocol) ? { provider: this.tls!, clientAuth: config.sslClientAuth } : undefined,
        createAuthenticator: (close, principal) => new Authenticator(authConfig, close, principal),
        onTlsHandshake: (result) => metrics.authenticated(listener.name, 'SSL', result),
        maxFrameBytes: config.socketRequestMaxBytes,
        maxRequestElements: maxRequestElements(config.maxPartitions),
        maxInflight: config.maxInflightRequestsPerConnection,
        maxInflightBytes: config.maxInflightBytesPerConnection,
        maxUnsentBytes: config.maxUnsentBytesPerConnection,
        pool: requestPool,
        idleTimeoutMs: config.connectionsMaxIdleMs,
        maxConnections: config.maxConnections,
        handlers: services.handlers,
        services,
        logger: this.logger.child('network'),
        onRequest: (api, seconds, errored) => metrics.observeRequest(api, seconds, errored),
        onConnectionOpened: () => metrics.connectionOpened(),
        onConnectionClosed: (reason) => metrics.connectionClosed(reason),
        onConnectionRejected: (reason) => metrics.connectionRejected(reason),
        onMuted: (muted) => metrics.connectionMuted(muted),
      },
      this.logger,
    );
  }

  /** Port of the first listener. */
  get port(): number {
    return this.servers[0].port;
  }

  /** Bound port of each listener, by name. */
  get listenerPorts(): Record<string, number> {
    return Object.fromEntries(this.listeners.map((l, i) => [l.name, this.servers[i].port]));
  }

  get metricsPort(): number | null {
    return this.metricsServer?.port ?? null;
  }

  /** Compaction pass over every hosted log: acts only on cleanup.policy=compact logs whose dirty ratio, lag or tombstones call for it. */
  private async compact(): Promise<void> {
    for (const p of this.services.replicas.all()) {
      try {
        await p.log.compact();
      } catch (err) {
        this.logger.warn('compaction failed', { partition: p.key, err });
      }
    }
  }

  private async enforceRetention(): Promise<void> {
    for (const p of this.services.replicas.all()) {
      try {
        // A follower uploads nothing: what it may delete locally is what the leader has uploaded meanwhile.
        if (!p.isLeader) await p.log.refreshRemoteView();
        const { deletedSegments } = await p.log.enforceRetention();
        if (deletedSegments > 0) this.logger.info('retention deleted segments', { partition: p.key, segments: deletedSegments });
      } catch (err) {
        this.logger.warn('retention failed', { partition: p.key, err });
      }
    }
  }

  /** Graceful stop: refuse new work, close connections, flush and close every log (clean-shutdown marker). */
  async stop(): Promise<void> {
    this.readiness.ready = false;
    this.readiness.reason = 'shutting down';
    // Controlled shutdown first, while clients can still be served: the controller moves this broker's
    // leaderships to other ISR members, so producers see a leader change instead of errors. Bounded by half the
    // shutdown timeout: the rest is for flushing the logs.
    const handedOver = await this.services.heartbeats.shutDown(Math.floor(this.config.shutdownTimeoutMs / 2));
    if (!handedOver) this.logger.warn('controlled shutdown did not complete in time; stopping anyway');
    this.services.heartbeats.stop();
    this.services.liveness.stop();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.cleanerTimer) clearInterval(this.cleanerTimer);
    if (this.gcTimer) clearInterval(this.gcTimer);
    // Hand the controller role over at once rather than after the lease expires.
    this.services.tailer.stop();
    await this.services.lease.resign();
    await Promise.all(this.servers.map((s) => s.close()));
    await this.services.brokerClients.close();
    this.tls?.stop();
    this.services.groups.close();
    this.services.transactions.close();
    await this.services.replicas.close();
    await this.tier.close();
    await this.metricsServer?.close();
    this.logger.info('broker stopped');
  }
}

/**
 * Array elements one request may decode to: room for several per partition the broker may hold (a Fetch, ListOffsets
 * or CreateTopics naming every partition with its replicas), far below what a 100 MiB frame of one-byte
 * elements would allocate.
 */
export function maxRequestElements(maxPartitions: number): number {
  return Math.max(200_000, 8 * maxPartitions);
}
