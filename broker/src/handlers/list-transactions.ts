// ListTransactions (key 66), v0–1: every transactional id this coordinator holds, filtered by state names and
// producer ids, and (v1) by running longer than duration_filter ms (-1: no filter). Unknown state names are
// echoed in unknown_state_filters, as Kafka does. Only ids the principal may DESCRIBE are listed (a filter, not
// counted as a denial), as in Kafka.
import { ApiKey } from '../protocol/apis';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { echoName } from '../cluster/topic-names';
import { AclOperation, ResourceType } from '../security/acl';

export default defineHandler<ListTransactionsRequest, ListTransactionsResponse>({
  apiKey: ApiKey.ListTransactions,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const r = ctx.services.transactions.list(req.stateFilters, req.producerIdFilters, ctx.apiVersion >= 1 ? req.durationFilter : -1);
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      unknownStateFilters: r.unknownStateFilters.map((s) => echoName(s)),
      transactionStates: r.transactionStates
        .filter((t) => ctx.authorize(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, t.transactionalId, false))
        .map((t) => ({ ...t, transactionalId: echoName(t.transactionalId) })),
    };
  },
});
