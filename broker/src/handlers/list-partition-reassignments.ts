// ListPartitionReassignments (key 46), v0: the reassignments in progress, of every topic (topics null) or of the
// named partitions (unknown ones are left out, as Kafka does). Needs DESCRIBE on the cluster.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '../protocol/schema/types';
import type { TopicImage } from '../cluster/metadata-image';
import { isReassigning } from '../cluster/reassignment';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { defineHandler } from './handler';

type TopicResult = ListPartitionReassignmentsResponse['topics'][number];

export default defineHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>({
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    if (!ctx.authorize(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE on the cluster is required.', topics: [] };
    }
    const { image } = ctx.services;
    const wanted: Array<{ topic: TopicImage; indexes: Iterable<number> }> = [];
    if (req.topics === null) for (const topic of image.topicsById.values()) wanted.push({ topic, indexes: topic.partitions.keys() });
    else {
      for (const t of req.topics) {
        const topic = image.topicsByName.get(t.name);
        if (topic) wanted.push({ topic, indexes: new Set(t.partitionIndexes) });
      }
    }
    const topics: TopicResult[] = [];
    for (const { topic, indexes } of wanted) {
      const partitions: TopicResult['partitions'] = [];
      for (const i of indexes) {
        const p = topic.partitions[i];
        if (!p || !isReassigning(p)) continue;
        partitions.push({ partitionIndex: i, replicas: p.replicas, addingReplicas: p.addingReplicas ?? [], removingReplicas: p.removingReplicas ?? [] });
      }
      if (partitions.length > 0) topics.push({ name: topic.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
});
