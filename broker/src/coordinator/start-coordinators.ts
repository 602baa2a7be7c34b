// Start-up of the two coordinators: each is built over its internal topic and follows the leadership of that
// topic's partitions (coordinator/leadership.ts), with its metrics sources registered.
import type { BrokerConfig } from '../config';
import type { Logger } from '../logger';
import type { MetadataImage } from '../cluster/metadata-image';
import type { InternalTopics } from '../cluster/internal-topics';
import type { ReplicaManager } from '../cluster/replica-manager';
import type { BrokerMetrics } from '../metrics/registry';
import type { ProducerIdManager } from './producer-id-manager';
import { GroupCoordinator } from './group-coordinator';
import { GroupStore, OFFSETS_TOPIC } from './group-store';
import { TransactionCoordinator, type TxnMarkerWriter } from './transaction-coordinator';
import { TransactionStore, TRANSACTION_STATE_TOPIC } from './transaction-store';
import { followLeadership } from './leadership';
import { subscribedTopics } from './consumer-protocol';
import { splitOffsetKey } from './group';

/**
 * The group coordinator over __consumer_offsets (created on first need, cluster/internal-topics.ts). It follows the
 * leadership of its partitions: the groups of the partitions this broker leads are loaded before it opens its
 * listeners; later elections load, resignations drop.
 */
export async function startGroupCoordinator(
  config: BrokerConfig,
  image: MetadataImage,
  internalTopics: InternalTopics,
  replicas: ReplicaManager,
  metrics: BrokerMetrics,
  logger: Logger,
): Promise<GroupCoordinator> {
  const partitions = internalTopics.partitionCount(OFFSETS_TOPIC);
  const groups = new GroupCoordinator(
    new GroupStore(replicas, partitions, { logger, onUndecodable: () => metrics.offsetsRecordSkipped() }),
    {
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
      offsetMetadataMaxBytes: config.offsetMetadataMaxBytes,
      offsetsRetentionMs: config.offsetsRetentionMinutes * 60_000,
      offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
      partitionExists: (topic, p) => (image.topicsByName.get(topic)?.partitions.length ?? 0) > p && p >= 0,
      decodeSubscription: subscribedTopics,
    },
    logger,
    { onRebalance: (g) => metrics.groupRebalanced(g), onCommit: (g, n) => metrics.offsetsCommitted(g, n), onGroupRemoved: (g) => metrics.groupRemoved(g) },
  );
  await followLeadership(replicas, OFFSETS_TOPIC, groups, logger);
  metrics.setGroupSource(function* () {
    for (const g of groups.allGroups()) {
      yield {
        group: g.groupId,
        state: g.state,
        members: g.members.size,
        offsets: (function* () {
          for (const [key, c] of g.offsets) {
            const [topic, partition] = splitOffsetKey(key);
            const t = image.topicsByName.get(topic);
            if (!t) continue;
            try {
              yield { topic, partition, committed: c.offset, logEndOffset: replicas.getById(t.topicId, partition).log.highWatermark };
            } catch {
              // partition not hosted here: no lag to report
            }
          }
        })(),
      };
    }
  });
  return groups;
}

/**
 * The transaction coordinator over __transaction_state (created on first need); it follows the leadership of its
 * partitions as the group coordinator does (loading completes transactions left between EndTxn's decision and its markers).
 * STRATA_TEST_KILL_AFTER_PREPARE_COMMIT=N (tests only) makes the process kill itself with SIGKILL right after
 * writing its Nth PrepareCommit, before any marker.
 */
export async function startTransactionCoordinator(
  config: BrokerConfig,
  image: MetadataImage,
  internalTopics: InternalTopics,
  replicas: ReplicaManager,
  txnMarkers: TxnMarkerWriter,
  producerIds: ProducerIdManager,
  metrics: BrokerMetrics,
  logger: Logger,
): Promise<TransactionCoordinator> {
  const partitions = internalTopics.partitionCount(TRANSACTION_STATE_TOPIC);
  const killAfter = Number(process.env.STRATA_TEST_KILL_AFTER_PREPARE_COMMIT ?? 0);
  let prepared = 0;
  const transactions = new TransactionCoordinator(
    new TransactionStore(replicas, partitions, { logger }),
    {
      maxTimeoutMs: config.transactionMaxTimeoutMs,
      idExpirationMs: config.transactionalIdExpirationMs,
      abortCheckIntervalMs: config.transactionAbortTimedOutTransactionCleanupIntervalMs,
      expirationCheckIntervalMs: config.transactionRemoveExpiredTransactionCleanupIntervalMs,
      partitionExists: (topic, p) => (image.topicsByName.get(topic)?.partitions.length ?? 0) > p && p >= 0,
      nextProducerId: () => producerIds.nextId(),
      markers: txnMarkers,
      afterPrepareCommit:
        killAfter > 0
          ? () => {
              if (++prepared === killAfter) {
                logger.warn('STRATA_TEST_KILL_AFTER_PREPARE_COMMIT: killing the process after PrepareCommit', { count: prepared });
                process.kill(process.pid, 'SIGKILL');
              }
            }
          : undefined,
    },
    logger,
    { onCommit: () => metrics.transactionEnded('commit'), onAbort: () => metrics.transactionEnded('abort'), onFenced: () => metrics.producerFenced() },
  );
  await followLeadership(replicas, TRANSACTION_STATE_TOPIC, transactions, logger);
  metrics.setOpenTransactionSource(() => transactions.openCount());
  return transactions;
}
