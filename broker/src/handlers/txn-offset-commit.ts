// TxnOffsetCommit (key 28), v0–4: offsets committed inside a transaction. The producer must hold the current
// epoch of an open transaction that includes the group's partition of __consumer_offsets (AddOffsetsToTxn);
// the offsets are then written in a transactional batch and become visible only when the transaction commits.
// v3+ carries the member and generation, checked as for OffsetCommit (KIP-447). PRODUCER_FENCED is
// INVALID_PRODUCER_EPOCH below v2.
// Authorization as Kafka: WRITE on the transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every
// partition), READ on the group (else GROUP_AUTHORIZATION_FAILED for every partition), READ on each topic (else
// TOPIC_AUTHORIZATION_FAILED for its partitions; the others are committed).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/schema/types';
import { OFFSETS_TOPIC } from '../coordinator/group-store';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { fencedForVersion } from './txn-errors';
import { onAuthorizedTopics, partitionResults } from './topic-authorization';

export default defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const { transactions, groups } = ctx.services;
    if (!ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId)) {
      return { throttleTimeMs: 0, topics: partitionResults(req.topics, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) };
    }
    if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, topics: partitionResults(req.topics, ErrorCode.GROUP_AUTHORIZATION_FAILED) };
    const producer = { producerId: req.producerId, producerEpoch: req.producerEpoch };
    const codes = await onAuthorizedTopics(ctx, AclOperation.READ, req.topics, async (allowed) => {
      const commits = allowed.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata })),
      );
      const invalid = req.groupId === '' ? ErrorCode.INVALID_GROUP_ID : transactions.verifyWrite(req.transactionalId, producer, OFFSETS_TOPIC, groups.partitionFor(req.groupId));
      if (invalid !== ErrorCode.NONE) return commits.map(() => invalid);
      const generationId = ctx.apiVersion >= 3 ? req.generationId : -1;
      const memberId = ctx.apiVersion >= 3 ? req.memberId : '';
      return groups.commitTransactionalOffsets(req.groupId, producer, generationId, memberId, ctx.apiVersion >= 3 ? req.groupInstanceId : null, commits);
    });
    return { throttleTimeMs: 0, topics: partitionResults(req.topics, codes.map((t) => t.map((code) => fencedForVersion(code, ctx.apiVersion, 2)))) };
  },
});
