// DescribeTransactions (key 65), v0: state, producer, timeout, start time and partitions of each named
// transactional id (kafka-transactions.sh describe); TRANSACTIONAL_ID_NOT_FOUND for unknown ids.
// Authorization as Kafka: DESCRIBE on each transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for that
// id, its other fields left at their defaults), and the partitions shown only of topics the principal may DESCRIBE.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { echoName } from '../cluster/topic-names';
import { AclOperation, ResourceType } from '../security/acl';

/** Kafka's answer for an id the principal may not describe: the schema's defaults and the error. */
const DENIED = { errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: 0, producerId: 0, producerEpoch: 0, topics: [] };

export default defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    // Hiding a topic only filters the list: not counted as a denial.
    const describable = (topic: string) => ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, topic, false);
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        if (!ctx.authorize(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, id)) return { ...DENIED, transactionalId: echoName(id) };
        const d = ctx.services.transactions.describe(id);
        return { ...d, transactionalId: echoName(id), topics: d.topics.filter((t) => describable(t.topic)).map((t) => ({ topic: echoName(t.topic), partitions: t.partitions })) };
      }),
    };
  },
});
