// What request handlers may use. Handlers hold no storage or metadata logic of their own: they translate
// Kafka requests into calls on these services and their results back into responses.
import type { BrokerConfig } from './config';
import type { Logger } from './logger';
import type { BrokerMetrics } from './metrics/registry';
import type { MetadataImage } from './cluster/metadata-image';
import type { Controller } from './cluster/controller';
import type { ControllerLease } from './cluster/controller-lease';
import type { MetadataTailer } from './cluster/metadata-tailer';
import type { ReplicaManager } from './cluster/replica-manager';
import type { TopicCreator } from './cluster/topic-creator';
import type { InternalTopics } from './cluster/internal-topics';
import type { ProducerIdManager } from './coordinator/producer-id-manager';
import type { GroupCoordinator } from './coordinator/group-coordinator';
import type { TransactionCoordinator } from './coordinator/transaction-coordinator';
import type { TxnMarkerAppender } from './coordinator/txn-marker-appender';
import type { ApiHandler } from './handlers/handler';
import type { Authorizer } from './security/authorizer';
import type { QuotaManager } from './security/quota-manager';
import type { BrokerLiveness } from './cluster/broker-liveness';
import type { HeartbeatSender } from './cluster/heartbeat-sender';
import type { BrokerClients } from './cluster/broker-clients';

export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly image: MetadataImage;
  readonly controller: Controller;
  /** The controller lease: liveness decisions, the tier garbage collector and snapshots only while isActive(). */
  readonly lease: ControllerLease;
  /** Keeps `image` current with the shared metadata log (poke() to catch up now). */
  readonly tailer: MetadataTailer;
  readonly replicas: ReplicaManager;
  readonly topics: TopicCreator;
  /** Creates __consumer_offsets / __transaction_state when a FindCoordinator first needs them. */
  readonly internalTopics: InternalTopics;
  readonly producerIds: ProducerIdManager;
  readonly groups: GroupCoordinator;
  readonly transactions: TransactionCoordinator;
  /** Appends transaction markers (and completes transactional offset commits in __consumer_offsets). */
  readonly txnMarkers: TxnMarkerAppender;
  readonly metrics: BrokerMetrics;
  /** authorizer=none: allows everything; simple: ACLs from the metadata image. */
  readonly authorizer: Authorizer;
  readonly quotas: QuotaManager;
  readonly logger: Logger;
  /** Every API handler, by api key (ApiVersions answers from this). */
  readonly handlers: ReadonlyMap<number, ApiHandler>;
  /** The controller's heartbeat table (acts while this broker holds the lease). */
  readonly liveness: BrokerLiveness;
  /** This broker's heartbeats to the controller; selfFenced() = refuse produce. */
  readonly heartbeats: HeartbeatSender;
  /** Connections to the other brokers over the inter-broker listener. */
  readonly brokerClients: BrokerClients;
}
