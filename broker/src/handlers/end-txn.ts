// EndTxn (key 26), v0–4 (v5 belongs to transaction version 2, which this broker does not advertise): commits or
// aborts the producer's transaction. Answered once the decision is in __transaction_state and the markers are
// written (a marker that cannot be written yet is retried in the background; the decision stands).
// PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v2. Needs WRITE on the transactional id (else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED, nothing ended), as in Kafka.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { EndTxnRequest, EndTxnResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { fencedForVersion } from './txn-errors';

export default defineHandler<EndTxnRequest, EndTxnResponse>({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    if (!ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    }
    const code = await ctx.services.transactions.endTransaction(req.transactionalId, { producerId: req.producerId, producerEpoch: req.producerEpoch }, req.committed);
    return { throttleTimeMs: 0, errorCode: fencedForVersion(code, ctx.apiVersion, 2), producerId: -1, producerEpoch: -1 };
  },
});
