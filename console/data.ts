// Every admin-library call and type the console uses goes through this one module (STRATACTL.md's contract),
// so pages never depend on where a function lives.
export { ClusterClient, type BrokerNode, type ClusterMetadata } from '../admin/cluster-client';
export { clusterClientOptions, type ConnectionSettings } from '../admin/connection-settings';
export { AdminError, type AdminErrorKind } from '../admin/errors';
export { partitionKey } from '../admin/offsets';
export { type TopicSummary, type TopicDescription, type PartitionDescription, listTopics, topicSummaries, describeTopic, createTopic } from '../admin/topics';
export { type ConfigEntry } from '../admin/configs';
export { type TierPartitionStatus, type TopicWithTier, localRange, remoteRange, tierStatus, describeTopicWithTier } from '../admin/tier';
export { formatBytes } from '../admin/units';
export { type ConsumedRecord, type StartAt, readRecords } from '../admin/records';
export { type BytesFormat, renderBytes } from '../admin/record-format';
export { type GroupSummary, type GroupDescription, type GroupOffset, type ResetTarget, listGroups, describeGroup, resetOffsets } from '../admin/groups';
