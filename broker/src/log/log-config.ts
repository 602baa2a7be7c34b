// Effective configuration of one partition log: topic-level overrides resolved over broker defaults.
// Topic config names (segment.bytes, retention.ms, ...) map to these fields in log/topic-config.ts.

export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface LogConfig {
  /** segment.bytes: roll the active segment when it would grow past this size. */
  segmentBytes: number;
  /** segment.ms: roll the active segment when its first batch is older than this. */
  segmentMs: number;
  /** retention.ms: delete closed segments whose newest record is older than this; -1 = unlimited. */
  retentionMs: number;
  /** retention.bytes: delete oldest closed segments while the log is larger than this; -1 = unlimited. */
  retentionBytes: number;
  /** flush.messages: fsync after this many messages since the last flush. */
  flushMessages: number;
  /** flush.ms: fsync when the oldest unflushed message is older than this; -1 (or huge) = never by time. */
  flushMs: number;
  /** index.interval.bytes: add a sparse offset/time index entry every this many bytes. */
  indexIntervalBytes: number;
  /** segment.index.bytes: maximum size of an index file; the segment rolls when full. */
  segmentIndexBytes: number;
  /** max.message.bytes: largest record batch accepted. */
  maxMessageBytes: number;
  /** message.timestamp.type */
  messageTimestampType: TimestampType;
  /** cleanup.policy: delete and/or compact. */
  cleanupPolicy: { delete: boolean; compact: boolean };
  /** file.delete.delay.ms: delay before deleting files of removed segments. */
  fileDeleteDelayMs: number;
  /** delete.retention.ms: how long compaction keeps a tombstone once the cleaned part of the log has reached it. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: segments with records younger than this are not compacted. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty segment older than this is compacted whatever the dirty ratio. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: compact once uncompacted bytes are this share of the compactable log. */
  minCleanableDirtyRatio: number;
  /** remote.storage.enable: tier closed segments to the object store (ignored on compacted topics). */
  remoteStorageEnable: boolean;
  /** local.retention.ms: how long tiered segments stay on local disk; -2 = retention.ms, -1 = unlimited. */
  localRetentionMs: number;
  /** local.retention.bytes: local bytes kept once tiered; -2 = retention.bytes, -1 = unlimited. */
  localRetentionBytes: number;
  /** remote.upload.max.lag.ms: roll the active segment once its oldest record has waited this long, so it can be tiered; -1 = off. */
  remoteUploadMaxLagMs: number;
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  maxMessageBytes: 1048588,
  messageTimestampType: 'CreateTime',
  cleanupPolicy: { delete: true, compact: false },
  fileDeleteDelayMs: 60000,
  deleteRetentionMs: 24 * 3600 * 1000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
  remoteStorageEnable: false,
  localRetentionMs: -2,
  localRetentionBytes: -2,
  remoteUploadMaxLagMs: -1,
};
