// InitProducerId (key 22), v0–5. Without a transactional id (idempotent producers): a fresh producer id from
// ProducerIdManager with epoch 0. With one: the transaction coordinator bumps the id's epoch (fencing the previous
// producer and aborting its open transaction), bounded by transaction.max.timeout.ms; v3+ may name the producer
// id/epoch it had (KIP-360) to bump it after an abortable error. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH below v4.
// Authorization as Kafka: WRITE on the transactional id, or for idempotence IDEMPOTENT_WRITE on the cluster or
// WRITE on some topic (else CLUSTER_AUTHORIZATION_FAILED).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { errorCodeOf } from './error-code';
import { fencedForVersion } from './txn-errors';

export default defineHandler<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    const denied = (errorCode: ErrorCode) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });
    if (req.transactionalId !== null && !ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
      return denied(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    }
    // Idempotence: IDEMPOTENT_WRITE on the cluster, or WRITE on any topic (Kafka since 2.8, KIP-679).
    if (
      req.transactionalId === null &&
      !ctx.authorize(AclOperation.IDEMPOTENT_WRITE, ResourceType.CLUSTER, CLUSTER_NAME, false) &&
      !ctx.authorizeByResourceType(AclOperation.WRITE, ResourceType.TOPIC)
    ) {
      return denied(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    try {
      if (req.transactionalId !== null) {
        const expected = ctx.apiVersion >= 3 ? { producerId: req.producerId, producerEpoch: req.producerEpoch } : null;
        const r = await ctx.services.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
        return { throttleTimeMs: 0, errorCode: fencedForVersion(r.errorCode, ctx.apiVersion, 4), producerId: r.producerId, producerEpoch: r.producerEpoch };
      }
      const producerId = await ctx.services.producerIds.nextId();
      return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 };
    } catch (err) {
      return { throttleTimeMs: 0, errorCode: errorCodeOf(err, ctx.services.logger), producerId: -1, producerEpoch: -1 };
    }
  },
});
