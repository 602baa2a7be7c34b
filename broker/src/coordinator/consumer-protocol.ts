// Reads the "consumer" embedded protocol's subscription metadata (what a JoinGroup member subscribes to).
// Newer versions only append fields, so a version above the one we know is read as the highest we know.
import { decode, Reader } from '../protocol/codec';
import { ConsumerProtocolSubscriptionSpec } from '../protocol/schema/messages';
import type { ConsumerProtocolSubscription } from '../protocol/schema/types';

export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    const r = new Reader(metadata);
    const version = Math.min(r.readInt16(), ConsumerProtocolSubscriptionSpec.validVersions.max);
    return decode<ConsumerProtocolSubscription>(ConsumerProtocolSubscriptionSpec, version, r).topics;
  } catch {
    return null;
  }
}
