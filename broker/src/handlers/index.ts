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
import findCoordinator from './find-coordinator';
import joinGroup from './join-group';
import syncGroup from './sync-group';
import heartbeat from './heartbeat';
import leaveGroup from './leave-group';
import offsetCommit from './offset-commit';
import offsetFetch from './offset-fetch';
import describeGroups from './describe-groups';
import listGroups from './list-groups';
import deleteGroups from './delete-groups';
import offsetDelete from './offset-delete';
import createAcls from './create-acls';
import describeAcls from './describe-acls';
import deleteAcls from './delete-acls';
import describeClientQuotas from './describe-client-quotas';
import alterClientQuotas from './alter-client-quotas';
import saslHandshake from './sasl-handshake';
import saslAuthenticate from './sasl-authenticate';
import describeUserScramCredentials from './describe-user-scram-credentials';
import alterUserScramCredentials from './alter-user-scram-credentials';
import writeTxnMarkers from './write-txn-markers';
import addPartitionsToTxn from './add-partitions-to-txn';
import addOffsetsToTxn from './add-offsets-to-txn';
import endTxn from './end-txn';
import txnOffsetCommit from './txn-offset-commit';
import describeTransactions from './describe-transactions';
import listTransactions from './list-transactions';
import brokerHeartbeat from './broker-heartbeat';
import electLeaders from './elect-leaders';
import alterPartitionReassignments from './alter-partition-reassignments';
import listPartitionReassignments from './list-partition-reassignments';
import describeLogDirs from './describe-log-dirs';

const ALL: ApiHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  offsetForLeaderEpoch,
  createTopics,
  deleteTopics,
  deleteRecords,
  initProducerId,
  deleteGroups,
  offsetDelete,
  describeConfigs,
  alterConfigs,
  apiVersions,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
  describeAcls,
  createAcls,
  deleteAcls,
  describeClientQuotas,
  alterClientQuotas,
  saslHandshake,
  saslAuthenticate,
  describeUserScramCredentials,
  alterUserScramCredentials,
  writeTxnMarkers,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
  describeTransactions,
  listTransactions,
  brokerHeartbeat,
  electLeaders,
  alterPartitionReassignments,
  listPartitionReassignments,
  describeLogDirs,
];

export function handlerTable(): ReadonlyMap<number, ApiHandler> {
  return new Map(ALL.map((h) => [h.apiKey as number, h]));
}
