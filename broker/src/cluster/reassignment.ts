// Partition reassignment (KIP-455), as pure functions over a partition's state; the controller writes what they
// return. A reassignment to target replicas T of a partition on replicas R runs in two steps:
//  1. start: replicas = T followed by the members of R not in T; adding = T \ R, removing = R \ T. The leader and
//     ISR are unchanged, so clients see nothing; the added brokers start following and the leader adds each to the
//     ISR once it has caught up (copying only the local, hot part of the log: older offsets are in the bucket).
//  2. complete (checked whenever the ISR changes): once every added replica is in the ISR, replicas = T, the ISR
//     keeps only members of T, and a leader outside T hands over to the first in-sync member of T (epoch + 1).
// Cancelling (target null) returns to R, keeping the ISR's members of R.
import type { PartitionState } from './metadata-image';

export interface ReassignmentPlan {
  /** The partition's next state; null when nothing changes (the target is what it already has). */
  next: PartitionState | null;
}

const without = (a: number[], b: number[]) => a.filter((x) => !b.includes(x));

export function isReassigning(p: PartitionState): boolean {
  return (p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0;
}

/** The replicas a partition had before its reassignment started (for cancelling and for ListPartitionReassignments). */
export function originalReplicas(p: PartitionState): number[] {
  return without(p.replicas, p.addingReplicas ?? []);
}

/** The replicas a reassignment in progress ends with. */
export function targetReplicas(p: PartitionState): number[] {
  return without(p.replicas, p.removingReplicas ?? []);
}

/** Starts (or replaces) a reassignment to `target`; completes it at once when no replica has to catch up. */
export function startReassignment(p: PartitionState, target: number[]): ReassignmentPlan {
  const original = originalReplicas(p);
  const adding = without(target, original);
  const removing = without(original, target);
  if (adding.length === 0 && removing.length === 0) {
    if (!isReassigning(p)) return { next: null };
    return { next: finish({ ...p, replicas: target }, target) };
  }
  const started: PartitionState = { ...p, replicas: [...target, ...removing], addingReplicas: adding, removingReplicas: removing };
  return { next: completeIfInSync(started) ?? started };
}

/** Cancels a reassignment in progress: back to the original replicas. Null when none is in progress. */
export function cancelReassignment(p: PartitionState): PartitionState | null {
  if (!isReassigning(p)) return null;
  return finish(p, originalReplicas(p));
}

/** The finished state when every added replica has joined the ISR, else null (still catching up). */
export function completeIfInSync(p: PartitionState): PartitionState | null {
  if (!isReassigning(p)) return null;
  if (!(p.addingReplicas ?? []).every((r) => p.isr.includes(r))) return null;
  return finish(p, targetReplicas(p));
}

function finish(p: PartitionState, replicas: number[]): PartitionState {
  const isr = p.isr.filter((r) => replicas.includes(r));
  const { addingReplicas: _a, removingReplicas: _r, ...rest } = p;
  if (replicas.includes(p.leader)) return { ...rest, replicas, isr };
  // The leader is being removed: the first in-sync target replica takes over (none in sync: the partition
  // waits offline rather than electing a replica that may miss records).
  const leader = replicas.find((r) => isr.includes(r)) ?? -1;
  return { ...rest, replicas, isr, leader, leaderEpoch: p.leaderEpoch + 1 };
}
