// OffsetFetch (key 9), v0–9. v0–7 ask for one group, v8+ for several (KIP-709). A null topic list (v2+)
// means every committed partition; partitions without a commit answer offset -1. With require_stable (v7+),
// a partition with an offset pending in an open transaction answers UNSTABLE_OFFSET_COMMIT (retriable). Needs DESCRIBE on the group
// (else GROUP_AUTHORIZATION_FAILED); a listed topic the principal may not DESCRIBE answers TOPIC_AUTHORIZATION_FAILED
// per partition, and "every partition" leaves such topics out, as in Kafka.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/schema/types';
import type { GroupCoordinator } from '../coordinator/group-coordinator';
import { defineHandler } from './handler';
import { echoName } from '../cluster/topic-names';
import { AclOperation, ResourceType } from '../security/acl';
import type { RequestContext } from './handler';

interface PartitionOut {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

function fetchGroup(ctx: RequestContext, groups: GroupCoordinator, groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null, requireStable: boolean) {
  if (!ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
  const notHere = groups.errorFor(groupId);
  if (notHere !== ErrorCode.NONE) return { errorCode: notHere, topics: [] };
  const found = groups.fetchOffsets(groupId, topics && topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes })));
  const byTopic = new Map<string, PartitionOut[]>();
  for (const f of found) {
    const allowed = ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, f.topic, topics !== null);
    if (!allowed && topics === null) continue;
    let list = byTopic.get(f.topic);
    if (!list) byTopic.set(f.topic, (list = []));
    list.push({
      partitionIndex: f.partition,
      committedOffset: allowed ? (f.committed?.offset ?? -1) : -1,
      committedLeaderEpoch: allowed ? (f.committed?.leaderEpoch ?? -1) : -1,
      metadata: allowed ? (f.committed?.metadata ?? '') : '',
      errorCode: !allowed ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : requireStable && groups.hasPendingOffset(groupId, f.topic, f.partition) ? ErrorCode.UNSTABLE_OFFSET_COMMIT : 0,
    });
  }
  return { errorCode: ErrorCode.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name: echoName(name), partitions })) };
}

export default defineHandler<OffsetFetchRequest, OffsetFetchResponse>({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 0,
  maxVersion: 9,
  handle(req, ctx) {
    const { groups } = ctx.services;
    if (ctx.apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: 0,
        groups: req.groups.map((g) => ({ groupId: echoName(g.groupId), ...fetchGroup(ctx, groups, g.groupId, g.topics, req.requireStable) })),
      };
    }
    const r = fetchGroup(ctx, groups, req.groupId, req.topics, ctx.apiVersion >= 7 && req.requireStable);
    // v0–1 have no group-level error: as Kafka, it goes on every requested partition (e.g. NOT_COORDINATOR).
    if (ctx.apiVersion < 2 && r.errorCode !== ErrorCode.NONE && req.topics) {
      const failed = (partitionIndex: number) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode });
      return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: echoName(t.name), partitions: t.partitionIndexes.map(failed) })), errorCode: r.errorCode, groups: [] };
    }
    return {
      throttleTimeMs: 0,
      topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, errorCode: r.errorCode || p.errorCode })) })),
      errorCode: r.errorCode,
      groups: [],
    };
  },
});
