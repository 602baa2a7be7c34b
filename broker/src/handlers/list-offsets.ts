// ListOffsets (key 2), v0–10. Special timestamps: -2 earliest (start of the whole log, tiered part included),
// -1 latest (high watermark, or the last stable offset for read_committed), -3 max timestamp (v7+, KIP-734: the
// record that carries it), -4 earliest local (v8+), -5 latest tiered (v9+; -1 while nothing is tiered).
// Any other value finds the first offset whose timestamp is at least that value. v0 answers in the old list form.
// Only the leader answers (NOT_LEADER_OR_FOLLOWER elsewhere). A follower (replica id >= 0) asking for -1 gets the
// log end offset, not the high watermark (it truncates to it when it is past the leader's end).
// Under read_committed (isolation_level 1, v2+) nothing at or past the last stable offset is an answer.
// Needs DESCRIBE on each topic (else TOPIC_AUTHORIZATION_FAILED), as in Kafka.
import { ApiKey } from '../protocol/apis';
import type { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/schema/types';
import type { Partition } from '../cluster/partition';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { perPartition } from './per-partition';
import { echoName } from '../cluster/topic-names';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;
const READ_COMMITTED = 1;

interface Found {
  offset: number;
  timestamp: number;
  leaderEpoch: number;
}

export default defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  async handle(req, ctx) {
    const { replicas, logger } = ctx.services;
    const topics = await perPartition(
      req.topics,
      (t) => t.partitions,
      async (t, p) => {
        ctx.require(AclOperation.DESCRIBE, ResourceType.TOPIC, t.name);
        const partition = replicas.getLeader(t.name, p.partitionIndex);
        partition.checkLeaderEpoch(p.currentLeaderEpoch);
        const found =
          req.replicaId >= 0 && p.timestamp === LATEST
            ? { offset: partition.log.logEndOffset, timestamp: -1, leaderEpoch: partition.leaderEpoch }
            : await lookup(partition, p.timestamp, req.isolationLevel === READ_COMMITTED);
        return {
          partitionIndex: p.partitionIndex,
          errorCode: 0,
          oldStyleOffsets: found.offset >= 0 ? [found.offset] : [],
          timestamp: found.timestamp,
          offset: found.offset,
          leaderEpoch: found.leaderEpoch,
        };
      },
      (p, errorCode) => ({ partitionIndex: p.partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 }),
      logger,
    );
    return { throttleTimeMs: 0, topics: topics.map(({ topic, results }) => ({ name: echoName(topic.name), partitions: results })) };
  },
});

async function lookup(p: Partition, timestamp: number, readCommitted: boolean): Promise<Found> {
  const log = p.log;
  const none = { offset: -1, timestamp: -1, leaderEpoch: -1 };
  if (readCommitted) {
    const lso = log.lastStableOffset;
    if (timestamp === LATEST) return { offset: lso, timestamp: -1, leaderEpoch: p.leaderEpoch };
    const found = await lookup(p, timestamp, false);
    return (timestamp === MAX_TIMESTAMP || timestamp >= 0) && found.offset >= lso ? none : found;
  }
  switch (timestamp) {
    // Kafka reports the epoch of the batch at log start; with one leader since creation that is the current one.
    case EARLIEST:
      return { offset: log.logStartOffset, timestamp: -1, leaderEpoch: p.leaderEpoch };
    case EARLIEST_LOCAL:
      return { offset: log.localLogStartOffset, timestamp: -1, leaderEpoch: p.leaderEpoch };
    case LATEST:
      return { offset: log.highWatermark, timestamp: -1, leaderEpoch: p.leaderEpoch };
    case MAX_TIMESTAMP:
      return (await log.maxTimestampOffset()) ?? none;
    case LATEST_TIERED:
      return log.highestTieredOffset >= 0 ? { offset: log.highestTieredOffset, timestamp: -1, leaderEpoch: p.leaderEpoch } : none;
    default:
      return (await log.offsetForTimestamp(timestamp)) ?? none;
  }
}

