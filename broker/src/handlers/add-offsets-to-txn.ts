// AddOffsetsToTxn (key 25), v0–4: adds the group's partition of __consumer_offsets to the producer's transaction,
// so that the offsets it then sends with TxnOffsetCommit get the transaction's marker (creating __consumer_offsets
// if no FindCoordinator has yet: the partition must exist to join the transaction). PRODUCER_FENCED is
// INVALID_PRODUCER_EPOCH below v2. Authorization as Kafka: WRITE on the transactional id (else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then READ on the group (else GROUP_AUTHORIZATION_FAILED).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../protocol/schema/types';
import { OFFSETS_TOPIC } from '../coordinator/group-store';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { fencedForVersion } from './txn-errors';

export default defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const { transactions, groups, internalTopics } = ctx.services;
    if (!ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    if (req.groupId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID };
    try {
      await internalTopics.ensure(OFFSETS_TOPIC);
    } catch {
      return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    }
    const [topic] = await transactions.addPartitions(req.transactionalId, { producerId: req.producerId, producerEpoch: req.producerEpoch }, [
      { name: OFFSETS_TOPIC, partitions: [groups.partitionFor(req.groupId)] },
    ]);
    return { throttleTimeMs: 0, errorCode: fencedForVersion(topic.results[0].errorCode, ctx.apiVersion, 2) };
  },
});
