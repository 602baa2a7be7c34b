// DeleteRecords (key 21), v0–2. Moves the log start offset forward (offset -1 = the high watermark) and
// deletes whole segments below it; reads below the new start get OFFSET_OUT_OF_RANGE. Internal topics are
// refused as Kafka refuses them (INVALID_TOPIC_EXCEPTION). Only the leader answers (NOT_LEADER_OR_FOLLOWER elsewhere). Needs DELETE on the topic (else TOPIC_AUTHORIZATION_FAILED).
import { ApiKey } from '../protocol/apis';
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { DeleteRecordsRequest, DeleteRecordsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { perPartition } from './per-partition';
import { echoName, internalTopicWriteError, isInternalTopic } from '../cluster/topic-names';

export default defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const { replicas, logger } = ctx.services;
    const topics = await perPartition(
      req.topics,
      (t) => t.partitions,
      async (t, p) => {
        ctx.require(AclOperation.DELETE, ResourceType.TOPIC, t.name);
        if (isInternalTopic(t.name)) throw internalTopicWriteError(t.name, 'delete records of');
        const log = replicas.getLeader(t.name, p.partitionIndex).log;
        const target = p.offset === -1 ? log.highWatermark : p.offset;
        if (target < 0 || target > log.highWatermark) {
          throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${p.offset} is beyond the high watermark ${log.highWatermark}`);
        }
        const lowWatermark = target > log.logStartOffset ? await log.deleteRecordsBefore(target) : log.logStartOffset;
        return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: 0 };
      },
      (p, errorCode) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode }),
      logger,
    );
    return { throttleTimeMs: 0, topics: topics.map(({ topic, results }) => ({ name: echoName(topic.name), partitions: results })) };
  },
});
