// EndTxn (key 26), v0–4 (v5 belongs to transaction version 2, which this broker does not advertise): commits or
// aborts the producer's transaction. Answered once the decision is in __transaction_state and the markers are
// written (a marker that cannot be written yet is retried in the background; the decision stands).
// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2.
import { ApiKey } from '../protocol/apis';
import type { EndTxnRequest, EndTxnResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { fencedForVersion } from './txn-errors';

export default defineHandler<EndTxnRequest, EndTxnResponse>({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const code = await ctx.services.transactions.endTransaction(req.transactionalId, { producerId: req.producerId, producerEpoch: req.producerEpoch }, req.committed);
    return { throttleTimeMs: 0, errorCode: fencedForVersion(code, ctx.apiVersion, 2), producerId: -1, producerEpoch: -1 };
  },
});
