// OffsetDelete (key 47), v0 (KIP-496): removes committed offsets of partitions the group no longer
// consumes; refused per partition with GROUP_SUBSCRIBED_TO_TOPIC while active members subscribe to the topic.
import { ApiKey } from '../protocol/apis';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { echoName } from '../cluster/topic-names';

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    const partitions = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex })));
    const r = await ctx.services.groups.deleteOffsets(req.groupId, partitions);
    let i = 0;
    return {
      errorCode: r.errorCode,
      throttleTimeMs: 0,
      topics: r.errorCode !== 0 ? [] : req.topics.map((t) => ({ name: echoName(t.name), partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: r.partitions[i++] })) })),
    };
  },
});
