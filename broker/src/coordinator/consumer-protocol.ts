// Reads the "consumer" embedded protocol's subscription metadata (what a JoinGroup member subscribes to) and
// assignments (what SyncGroup handed it). Newer versions only append fields, so a version above the one we know
// is read as the highest we know.
import { decode, type MessageSpec, Reader } from '../protocol/codec';
import { ConsumerProtocolAssignmentSpec, ConsumerProtocolSubscriptionSpec } from '../protocol/schema/messages';
import type { ConsumerProtocolAssignment, ConsumerProtocolSubscription } from '../protocol/schema/types';

/** Decodes a versioned embedded message; null when it does not parse. */
function decodeVersioned<T>(spec: MessageSpec, bytes: Buffer): T | null {
  try {
    const r = new Reader(bytes);
    const version = Math.min(r.readInt16(), spec.validVersions.max);
    return decode<T>(spec, version, r);
  } catch {
    return null;
  }
}

export function subscribedTopics(metadata: Buffer): string[] | null {
  return decodeVersioned<ConsumerProtocolSubscription>(ConsumerProtocolSubscriptionSpec, metadata)?.topics ?? null;
}

/** A member's assigned partitions per topic; [] for an empty assignment (mid-rebalance), null when unreadable. */
export function assignedPartitions(assignment: Buffer): Array<{ topic: string; partitions: number[] }> | null {
  if (assignment.length === 0) return [];
  return decodeVersioned<ConsumerProtocolAssignment>(ConsumerProtocolAssignmentSpec, assignment)?.assignedPartitions ?? null;
}
