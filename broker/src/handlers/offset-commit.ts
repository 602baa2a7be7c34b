// OffsetCommit (key 8), v0–9. Commits are written to __consumer_offsets before they are acknowledged.
// Generation -1 with an empty member id is a commit from outside the group (admin, assign-mode consumers),
// accepted only while the group has no members. Needs READ on the group (else GROUP_AUTHORIZATION_FAILED for
// everything) and READ on each topic (else TOPIC_AUTHORIZATION_FAILED for its partitions), as in Kafka.
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/apis';
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { onAuthorizedTopics, partitionResults } from './topic-authorization';

export default defineHandler<OffsetCommitRequest, OffsetCommitResponse>({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 0,
  maxVersion: 9,
  async handle(req, ctx) {
    if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, req.groupId)) return { throttleTimeMs: 0, topics: partitionResults(req.topics, ErrorCode.GROUP_AUTHORIZATION_FAILED) };
    const codes = await onAuthorizedTopics(ctx, AclOperation.READ, req.topics, (allowed) => {
      const commits = allowed.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata })),
      );
      return ctx.services.groups.commitOffsets(req.groupId, ctx.apiVersion === 0 ? -1 : req.generationIdOrMemberEpoch, req.memberId, req.groupInstanceId, commits);
    });
    return { throttleTimeMs: 0, topics: partitionResults(req.topics, codes) };
  },
});
