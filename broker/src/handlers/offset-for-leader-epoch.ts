// OffsetForLeaderEpoch (key 23), v0–4 (KIP-101/KIP-279): the end offset of the requested leader epoch,
// so a consumer (or follower) can detect log truncation after a leader change.
import { ApiKey } from '../protocol/apis';
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { errorCodeOf } from './error-code';

export default defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx) {
    const { replicas, logger } = ctx.services;
    const topics = req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((p) => {
        try {
          const partition = replicas.get(t.topic, p.partition);
          if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < partition.leaderEpoch) {
            throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH, 'leader epoch is older than the current one');
          }
          if (p.currentLeaderEpoch > partition.leaderEpoch) {
            throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH, 'leader epoch is newer than the current one');
          }
          const r = partition.log.endOffsetForLeaderEpoch(p.leaderEpoch);
          return { errorCode: 0, partition: p.partition, leaderEpoch: r.leaderEpoch, endOffset: r.endOffset };
        } catch (err) {
          return { errorCode: errorCodeOf(err, logger), partition: p.partition, leaderEpoch: -1, endOffset: -1 };
        }
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
});
