// Every admin call and type the console uses goes through this one module (the admin library of STRATACTL.md),
// so the pages never depend on where a function lives.
// TODO(merge): replace '../console/admin-shim' with the admin/ modules once they are on main.
export { ClusterClient, type BrokerNode, type ClusterMetadata } from '../admin/cluster-client';
export { AdminError, type AdminErrorKind } from '../admin/errors';
export {
  type TopicSummary, type TopicDescription, type PartitionDescription, type ConfigEntry, listTopics, describeTopic, createTopic,
  type ConsumedRecord, type StartAt, type BytesFormat, readRecords, renderBytes,
  type GroupSummary, type GroupDescription, type GroupOffset, type ResetTarget, listGroups, describeGroup, resetOffsets,
  type TierPartitionStatus, tierStatus,
} from './admin-shim';
