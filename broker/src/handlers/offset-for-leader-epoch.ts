// OffsetForLeaderEpoch (key 23), v0–4 (KIP-101/KIP-279): the end offset of the requested leader epoch,
// so a consumer (or follower) can detect log truncation after a leader change. Needs DESCRIBE on the topic, or
// CLUSTER_ACTION on the cluster when a follower (replica id >= 0) asks, as in Kafka. Only the leader answers
// (NOT_LEADER_OR_FOLLOWER elsewhere).
import { ApiKey } from '../protocol/apis';
import type { OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { perPartition } from './per-partition';
import { echoName } from '../cluster/topic-names';

export default defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 0,
  maxVersion: 4,
  async handle(req, ctx) {
    const { replicas, logger } = ctx.services;
    const follower = ctx.apiVersion >= 3 && req.replicaId >= 0;
    const topics = await perPartition(
      req.topics,
      (t) => t.partitions,
      (t, p) => {
        if (follower) ctx.require(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME);
        else ctx.require(AclOperation.DESCRIBE, ResourceType.TOPIC, t.topic);
        const partition = replicas.getLeader(t.topic, p.partition);
        partition.checkLeaderEpoch(p.currentLeaderEpoch);
        const r = partition.log.endOffsetForLeaderEpoch(p.leaderEpoch);
        return { errorCode: 0, partition: p.partition, leaderEpoch: r.leaderEpoch, endOffset: r.endOffset };
      },
      (p, errorCode) => ({ errorCode, partition: p.partition, leaderEpoch: -1, endOffset: -1 }),
      logger,
    );
    return { throttleTimeMs: 0, topics: topics.map(({ topic, results }) => ({ topic: echoName(topic.topic), partitions: results })) };
  },
});
