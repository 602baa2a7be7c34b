// AddPartitionsToTxn (key 24), v0–5. v0–3 (clients): one transaction's partitions are added to it, opening it.
// v4+ (KIP-890, sent by brokers): a batch of transactions, each either added or, with verify_only, only checked
// (is every partition already in the open transaction?). Partition errors: UNKNOWN_TOPIC_OR_PARTITION for
// partitions that do not exist and OPERATION_NOT_ATTEMPTED for the rest of that transaction, else the
// transaction's error for every partition. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2.
// Authorization as Kafka: v0–3 need WRITE on the transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for
// every partition) and WRITE on each topic (else TOPIC_AUTHORIZATION_FAILED for its partitions, the others
// OPERATION_NOT_ATTEMPTED, nothing added; internal topics, never a client's to add, are refused the same way);
// v4+ come from brokers and need CLUSTER_ACTION on the cluster (else the top-level CLUSTER_AUTHORIZATION_FAILED).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/schema/types';
import type { PartitionErrors, TransactionCoordinator } from '../coordinator/transaction-coordinator';
import { defineHandler } from './handler';
import { echoName, isInternalTopic } from '../cluster/topic-names';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { fencedForVersion } from './txn-errors';

type TopicResult = AddPartitionsToTxnResponse['resultsByTopicV3AndBelow'][number];

function toTopicResults(errors: PartitionErrors[], apiVersion: number): TopicResult[] {
  return errors.map((t) => ({
    name: echoName(t.name),
    resultsByPartition: t.results.map((r) => ({ partitionIndex: r.partition, partitionErrorCode: fencedForVersion(r.errorCode, apiVersion, 2) })),
  }));
}

async function addOrVerify(
  transactions: TransactionCoordinator,
  t: { transactionalId: string; producerId: number; producerEpoch: number; verifyOnly: boolean; topics: Array<{ name: string; partitions: number[] }> },
): Promise<PartitionErrors[]> {
  const producer = { producerId: t.producerId, producerEpoch: t.producerEpoch };
  if (t.verifyOnly) return transactions.verifyPartitions(t.transactionalId, producer, t.topics);
  return transactions.addPartitions(t.transactionalId, producer, t.topics);
}

export default defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const { transactions } = ctx.services;
    const response = (errorCode: ErrorCode, resultsByTransaction: AddPartitionsToTxnResponse['resultsByTransaction'], resultsByTopicV3AndBelow: TopicResult[]) => ({
      throttleTimeMs: 0,
      errorCode,
      resultsByTransaction,
      resultsByTopicV3AndBelow,
    });
    if (ctx.apiVersion >= 4) {
      if (!ctx.authorize(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME)) return response(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, [], []);
      const resultsByTransaction = [];
      for (const t of req.transactions) {
        resultsByTransaction.push({ transactionalId: echoName(t.transactionalId), topicResults: toTopicResults(await addOrVerify(transactions, t), ctx.apiVersion) });
      }
      return response(ErrorCode.NONE, resultsByTransaction, []);
    }
    const { v3AndBelowTransactionalId: transactionalId, v3AndBelowTopics: topics } = req;
    if (!ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId)) {
      const denied = topics.map((t) => ({ name: t.name, results: t.partitions.map((partition) => ({ partition, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED })) }));
      return response(ErrorCode.NONE, [], toTopicResults(denied, ctx.apiVersion));
    }
    const writable = (topic: string) => !isInternalTopic(topic) && ctx.authorize(AclOperation.WRITE, ResourceType.TOPIC, topic);
    const producer = { producerId: req.v3AndBelowProducerId, producerEpoch: req.v3AndBelowProducerEpoch };
    return response(ErrorCode.NONE, [], toTopicResults(await transactions.addPartitions(transactionalId, producer, topics, writable), ctx.apiVersion));
  },
});
