// Reads one partition of __consumer_offsets back into what its groups were: the latest offsets and metadata
// per group, and the offsets still pending in open transactions (a COMMIT marker folds a producer's pending
// offsets into the committed ones, an ABORT drops them, in log order). Pure over the entries, so the
// coordinator installs a partition's groups in one step once the whole partition is read, and a load that
// lost its leadership meanwhile installs nothing.
import type { CommittedOffset } from './group';
import { offsetKey } from './group';
import type { GroupLogEntry } from './group-store';
import type { GroupMetadataValue } from './offsets-records';

/** offset key → value, per group. */
export type GroupOffsets = Map<string, Map<string, CommittedOffset>>;

export interface LoadedGroupPartition {
  /** Committed offsets per group (groups whose offsets were all deleted keep an empty map). */
  offsets: GroupOffsets;
  /** Latest group metadata per group (null: a tombstone). */
  metadata: Map<string, GroupMetadataValue | null>;
  /** Offsets of transactions without a marker yet: producer id → group → offsets. */
  pending: Map<number, GroupOffsets>;
}

function entryOf<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = create()));
  return v;
}

export async function readGroupPartition(entries: AsyncIterable<GroupLogEntry>): Promise<LoadedGroupPartition> {
  const out: LoadedGroupPartition = { offsets: new Map(), metadata: new Map(), pending: new Map() };
  const offsetsOf = (group: string) => entryOf(out.offsets, group, () => new Map<string, CommittedOffset>());
  for await (const r of entries) {
    switch (r.kind) {
      case 'offset': {
        const key = offsetKey(r.topic, r.partition);
        if (r.value) offsetsOf(r.group).set(key, r.value);
        else offsetsOf(r.group).delete(key);
        break;
      }
      case 'group':
        out.metadata.set(r.group, r.value);
        break;
      case 'txn-offset':
        offsetsOf(r.record.group); // the group exists from its first (even pending) offset, as at run time
        if (r.record.value) {
          const byGroup = entryOf(out.pending, r.producerId, () => new Map<string, Map<string, CommittedOffset>>());
          entryOf(byGroup, r.record.group, () => new Map<string, CommittedOffset>()).set(offsetKey(r.record.topic, r.record.partition), r.record.value);
        }
        break;
      case 'txn-marker': {
        const byGroup = out.pending.get(r.producerId);
        if (!byGroup) break;
        out.pending.delete(r.producerId);
        if (r.commit) for (const [group, offsets] of byGroup) for (const [k, v] of offsets) offsetsOf(group).set(k, v);
        break;
      }
    }
  }
  return out;
}
