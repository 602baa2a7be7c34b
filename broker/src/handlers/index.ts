// The handler table: one entry per implemented Kafka API. ApiVersions advertises exactly this table.
import type { ApiHandler } from './handler';
import apiVersions from './api-versions';
import metadata from './metadata';
import produce from './produce';
import fetch from './fetch';
import listOffsets from './list-offsets';
import createTopics from './create-topics';
import deleteTopics from './delete-topics';
import createPartitions from './create-partitions';
import describeConfigs from './describe-configs';
import alterConfigs from './alter-configs';
import incrementalAlterConfigs from './incremental-alter-configs';
import deleteRecords from './delete-records';
import offsetForLeaderEpoch from './offset-for-leader-epoch';
import describeCluster from './describe-cluster';
import initProducerId from './init-producer-id';

const ALL: ApiHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetForLeaderEpoch,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  describeConfigs,
  alterConfigs,
  apiVersions,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
];

export function handlerTable(): ReadonlyMap<number, ApiHandler> {
  return new Map(ALL.map((h) => [h.apiKey as number, h]));
}
