// DescribeTransactions (key 65), v0: state, producer, timeout, start time and partitions of each named
// transactional id (kafka-transactions.sh describe); TRANSACTIONAL_ID_NOT_FOUND for unknown ids.
import { ApiKey } from '../protocol/apis';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { echoName } from '../cluster/topic-names';

export default defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        const d = ctx.services.transactions.describe(id);
        return { ...d, transactionalId: echoName(id), topics: d.topics.map((t) => ({ topic: echoName(t.topic), partitions: t.partitions })) };
      }),
    };
  },
});
