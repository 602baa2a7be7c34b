// Which committed offsets have outlived offsets.retention.minutes, by Kafka's rules (KIP-211, KIP-496):
//   - an Empty group that has had members (it has a protocol type): all its offsets, once the group has been
//     Empty for the retention period (its state timestamp);
//   - a group that only commits offsets (no protocol type, e.g. assign() consumers and admin commits): each
//     offset once it is that old since its own commit;
//   - a Stable consumer group: offsets of topics no member subscribes to, each by its commit time;
//   - any other group: nothing while it is active.
// The coordinator writes tombstones for them and then removes groups left Empty without offsets.
import { splitOffsetKey, type Group } from './group';

/** Keys (offsetKey) of the group's expired offsets at `now`. */
export function expiredOffsets(group: Group, now: number, retentionMs: number, decodeSubscription: (metadata: Buffer) => string[] | null): string[] {
  const expired = (since: number) => now - since >= retentionMs;
  const keys = [...group.offsets.keys()];
  if (group.state === 'Empty') {
    if (group.protocolType !== null) return expired(group.stateTimestamp) ? keys : [];
    return keys.filter((k) => expired(group.offsets.get(k)!.commitTimestamp));
  }
  if (group.state === 'Stable' && group.protocolType === 'consumer') {
    const subscribed = group.subscribedTopics(decodeSubscription);
    if (subscribed === null) return [];
    return keys.filter((k) => !subscribed.has(splitOffsetKey(k)[0]) && expired(group.offsets.get(k)!.commitTimestamp));
  }
  return [];
}
