// TxnOffsetCommit (key 28), v0–4: offsets committed inside a transaction. The producer must hold the current
// epoch of an open transaction that includes the group's partition of __consumer_offsets (AddOffsetsToTxn);
// the offsets are then written in a transactional batch and become visible only when the transaction commits.
// v3+ carries the member and generation, checked as for OffsetCommit (KIP-447). PRODUCER_FENCED is
// INVALID_PRODUCER_EPOCH below v2.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/schema/types';
import { OFFSETS_TOPIC } from '../coordinator/group-store';
import { defineHandler } from './handler';
import { echoName } from '../cluster/topic-names';
import { fencedForVersion } from './txn-errors';

export default defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const { transactions, groups } = ctx.services;
    const commits = req.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata })),
    );
    const producer = { producerId: req.producerId, producerEpoch: req.producerEpoch };
    let codes: ErrorCode[];
    const invalid = req.groupId === '' ? ErrorCode.INVALID_GROUP_ID : transactions.verifyPartitions(req.transactionalId, producer, [{ name: OFFSETS_TOPIC, partitions: [groups.partitionFor(req.groupId)] }])[0].results[0].errorCode;
    if (invalid !== ErrorCode.NONE) codes = commits.map(() => invalid);
    else {
      const generationId = ctx.apiVersion >= 3 ? req.generationId : -1;
      const memberId = ctx.apiVersion >= 3 ? req.memberId : '';
      codes = await groups.commitTransactionalOffsets(req.groupId, producer, generationId, memberId, ctx.apiVersion >= 3 ? req.groupInstanceId : null, commits);
    }
    let i = 0;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: echoName(t.name),
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: fencedForVersion(codes[i++], ctx.apiVersion, 2) })),
      })),
    };
  },
});
