// AddPartitionsToTxn (key 24), v0–5. v0–3 (clients): one transaction's partitions are added to it, opening it.
// v4+ (KIP-890, sent by brokers): a batch of transactions, each either added or, with verify_only, only checked
// (is every partition already in the open transaction?). Partition errors: UNKNOWN_TOPIC_OR_PARTITION for
// partitions that do not exist and OPERATION_NOT_ATTEMPTED for the rest of that transaction, else the
// transaction's error for every partition. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/schema/types';
import type { PartitionErrors, TransactionCoordinator } from '../coordinator/transaction-coordinator';
import { defineHandler } from './handler';
import { echoName } from '../cluster/topic-names';
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
    if (ctx.apiVersion >= 4) {
      const resultsByTransaction = [];
      for (const t of req.transactions) {
        resultsByTransaction.push({ transactionalId: echoName(t.transactionalId), topicResults: toTopicResults(await addOrVerify(transactions, t), ctx.apiVersion) });
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
    }
    const errors = await addOrVerify(transactions, {
      transactionalId: req.v3AndBelowTransactionalId,
      producerId: req.v3AndBelowProducerId,
      producerEpoch: req.v3AndBelowProducerEpoch,
      verifyOnly: false,
      topics: req.v3AndBelowTopics,
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: toTopicResults(errors, ctx.apiVersion) };
  },
});
