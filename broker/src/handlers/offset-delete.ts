// OffsetDelete (key 47), v0 (KIP-496): removes committed offsets of partitions the group no longer
// consumes; refused per partition with GROUP_SUBSCRIBED_TO_TOPIC while active members subscribe to the topic.
// Needs DELETE on the group (else GROUP_AUTHORIZATION_FAILED) and READ on each topic (else TOPIC_AUTHORIZATION_FAILED).
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/apis';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { echoName } from '../cluster/topic-names';

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    if (!ctx.authorize(AclOperation.DELETE, ResourceType.GROUP, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const readable = (topic: string) => ctx.authorize(AclOperation.READ, ResourceType.TOPIC, topic);
    const partitions = req.topics.filter((t) => readable(t.name)).flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const r = await ctx.services.groups.deleteOffsets(req.groupId, partitions);
    let i = 0;
    return {
      errorCode: r.errorCode,
      throttleTimeMs: 0,
      topics:
        r.errorCode !== 0
          ? []
          : req.topics.map((t) => ({
              name: echoName(t.name),
              partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: readable(t.name) ? r.partitions[i++] : ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
            })),
    };
  },
});
