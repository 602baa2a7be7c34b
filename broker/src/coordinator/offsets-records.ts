// Record formats of __consumer_offsets, as Kafka writes them, so tools that read the topic understand it:
// key v1 = committed offset (group, topic, partition), key v2 = group metadata (group); value versions as
// Kafka 3.x writes them. A null value is a tombstone (removed by compaction). Encoded with the one generic
// codec from these hand-written specs (the definitions live in Kafka's group-coordinator module, not in the
// wire-protocol message set we generate from).
import { decode, encode, Reader, Writer, type MessageSpec } from '../protocol/codec';

const ALL = { min: 0, max: 32767 };
const NEVER_FLEXIBLE = { min: 0, max: -1 };
const spec = (name: string, fields: MessageSpec['fields']): MessageSpec => ({
  name,
  type: 'data',
  validVersions: ALL,
  flexibleVersions: NEVER_FLEXIBLE,
  fields,
});

const OffsetCommitKeySpec = spec('OffsetCommitKey', [
  { name: 'group', type: 'string', versions: ALL },
  { name: 'topic', type: 'string', versions: ALL },
  { name: 'partition', type: 'int32', versions: ALL },
]);
const OffsetCommitValueSpec = spec('OffsetCommitValue', [
  { name: 'offset', type: 'int64', versions: ALL },
  { name: 'leaderEpoch', type: 'int32', versions: ALL, default: -1 },
  { name: 'metadata', type: 'string', versions: ALL },
  { name: 'commitTimestamp', type: 'int64', versions: ALL },
]);
const GroupMetadataKeySpec = spec('GroupMetadataKey', [{ name: 'group', type: 'string', versions: ALL }]);
const GroupMetadataValueSpec = spec('GroupMetadataValue', [
  { name: 'protocolType', type: 'string', versions: ALL },
  { name: 'generation', type: 'int32', versions: ALL },
  { name: 'protocol', type: 'string', versions: ALL, nullableVersions: ALL },
  { name: 'leader', type: 'string', versions: ALL, nullableVersions: ALL },
  { name: 'currentStateTimestamp', type: 'int64', versions: ALL, default: -1 },
  {
    name: 'members',
    type: '[]MemberMetadata',
    versions: ALL,
    fields: [
      { name: 'memberId', type: 'string', versions: ALL },
      { name: 'groupInstanceId', type: 'string', versions: ALL, nullableVersions: ALL },
      { name: 'clientId', type: 'string', versions: ALL },
      { name: 'clientHost', type: 'string', versions: ALL },
      { name: 'rebalanceTimeout', type: 'int32', versions: ALL },
      { name: 'sessionTimeout', type: 'int32', versions: ALL },
      { name: 'subscription', type: 'bytes', versions: ALL },
      { name: 'assignment', type: 'bytes', versions: ALL },
    ],
  },
]);

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const OFFSET_VALUE_VERSION = 3;
const GROUP_VALUE_VERSION = 3;

export interface OffsetCommitValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    rebalanceTimeout: number;
    sessionTimeout: number;
    subscription: Buffer;
    assignment: Buffer;
  }>;
}

export type OffsetsRecord =
  | { kind: 'offset'; group: string; topic: string; partition: number; value: OffsetCommitValue | null }
  | { kind: 'group'; group: string; value: GroupMetadataValue | null };

function versioned(version: number, s: MessageSpec, value: object): Buffer {
  const w = new Writer();
  w.writeInt16(version);
  encode(s, version, value, w);
  return w.toBuffer();
}

export function encodeOffsetsRecord(r: OffsetsRecord): { key: Buffer; value: Buffer | null } {
  if (r.kind === 'offset') {
    return {
      key: versioned(OFFSET_KEY_VERSION, OffsetCommitKeySpec, { group: r.group, topic: r.topic, partition: r.partition }),
      value: r.value && versioned(OFFSET_VALUE_VERSION, OffsetCommitValueSpec, r.value),
    };
  }
  return {
    key: versioned(GROUP_KEY_VERSION, GroupMetadataKeySpec, { group: r.group }),
    value: r.value && versioned(GROUP_VALUE_VERSION, GroupMetadataValueSpec, r.value),
  };
}

/** Decodes a record of __consumer_offsets; null for key versions this broker does not know (skipped on load). */
export function decodeOffsetsRecord(key: Buffer, value: Buffer | null): OffsetsRecord | null {
  const r = new Reader(key);
  const keyVersion = r.readInt16();
  const valueReader = value && new Reader(value);
  const valueVersion = valueReader?.readInt16() ?? 0;
  if (keyVersion === 0 || keyVersion === OFFSET_KEY_VERSION) {
    const k = decode<{ group: string; topic: string; partition: number }>(OffsetCommitKeySpec, keyVersion, r);
    const v = valueReader && valueVersion === OFFSET_VALUE_VERSION ? decode<OffsetCommitValue>(OffsetCommitValueSpec, valueVersion, valueReader) : null;
    if (valueReader && !v) return null;
    return { kind: 'offset', ...k, value: v };
  }
  if (keyVersion === GROUP_KEY_VERSION) {
    const k = decode<{ group: string }>(GroupMetadataKeySpec, keyVersion, r);
    const v = valueReader && valueVersion === GROUP_VALUE_VERSION ? decode<GroupMetadataValue>(GroupMetadataValueSpec, valueVersion, valueReader) : null;
    if (valueReader && !v) return null;
    return { kind: 'group', group: k.group, value: v };
  }
  return null;
}
