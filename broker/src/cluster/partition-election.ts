// Leader elections, as pure functions of one partition's state: who may lead, who stays in the ISR. The
// controller (cluster/controller.ts) applies them to every partition a liveness change touches and writes the
// results as partition records. Rules (Kafka's):
// - a leader is chosen only among ALIVE ISR members (registered, unfenced, not shutting down), in replica order
//   (the first replica is the preferred leader);
// - when none is alive the partition has no leader (-1), unless unclean election is allowed: then the first
//   alive replica leads, alone in the ISR (records the old ISR acknowledged may be lost);
// - the ISR never becomes empty by fencing: its last member stays, so it can lead again cleanly when it returns;
// - every leadership change bumps the leader epoch; an ISR-only change keeps it.
import type { PartitionState } from './metadata-image';

/** Whether a broker may lead or stay eligible: registered, unfenced, not shutting down. */
export type Alive = (nodeId: number) => boolean;

export const NO_LEADER = -1;

/** The first replica (in replica order) that is in `candidates` and alive; -1 when none. */
export function firstAlive(replicas: readonly number[], candidates: readonly number[], alive: Alive): number {
  for (const r of replicas) if (candidates.includes(r) && alive(r)) return r;
  return NO_LEADER;
}

/** The new state for `leader` and `isr`, or null when neither changed. A leadership change bumps the epoch. */
export function withLeader(state: PartitionState, leader: number, isr: readonly number[]): PartitionState | null {
  const isrChanged = isr.length !== state.isr.length || isr.some((r, i) => r !== state.isr[i]);
  if (leader === state.leader && !isrChanged) return null;
  return { ...state, leader, isr: [...isr], leaderEpoch: leader === state.leader ? state.leaderEpoch : state.leaderEpoch + 1 };
}

/** Unclean election: the first alive replica leads alone. null when no replica is alive. */
function uncleanLeader(state: PartitionState, alive: Alive): PartitionState | null {
  const leader = firstAlive(state.replicas, state.replicas, alive);
  return leader === NO_LEADER ? null : withLeader(state, leader, [leader]);
}

export interface RemovalOptions {
  /** Elect outside the ISR when no ISR member is alive. */
  unclean: boolean;
  /**
   * Controlled shutdown: the broker is still serving, so a leadership nobody else can take stays with it (the
   * partition goes offline only if it then stops heartbeating and is fenced). false for fencing: it leads nothing.
   */
  keepLeadershipIfAlone: boolean;
}

/**
 * `broker` stops being eligible (fenced, or shutting down): it leaves the ISR where other members remain, and its
 * leadership moves to the first alive ISR member. `alive` must already answer false for `broker`.
 */
export function removeBroker(state: PartitionState, broker: number, alive: Alive, opts: RemovalOptions): PartitionState | null {
  if (state.leader !== broker && !state.isr.includes(broker)) return null;
  const others = state.isr.filter((r) => r !== broker);
  if (state.leader !== broker) return others.length === 0 ? null : withLeader(state, state.leader, others);
  const next = firstAlive(state.replicas, others, alive);
  if (next !== NO_LEADER) return withLeader(state, next, others);
  if (opts.keepLeadershipIfAlone) return null;
  if (opts.unclean) {
    const unclean = uncleanLeader(state, (r) => r !== broker && alive(r));
    if (unclean) return unclean;
  }
  return withLeader(state, NO_LEADER, others.length > 0 ? others : [broker]);
}

/**
 * A partition whose leader is missing (-1) or no longer alive gets the first alive ISR member as leader (ISR
 * kept), or an unclean leader, or -1. null when its leader is alive or nothing can change.
 */
export function electOffline(state: PartitionState, alive: Alive, unclean: boolean): PartitionState | null {
  if (state.leader !== NO_LEADER && alive(state.leader)) return null;
  const leader = firstAlive(state.replicas, state.isr, alive);
  if (leader !== NO_LEADER) return withLeader(state, leader, state.isr);
  if (unclean) {
    const u = uncleanLeader(state, alive);
    if (u) return u;
  }
  return withLeader(state, NO_LEADER, state.isr);
}

/**
 * A broker (re-)registers. It may have lost what it had (a new incarnation: empty disk) or at least what it had
 * not flushed, so it leaves every ISR where another alive member can take over, and catches up as a follower
 * before the leader adds it back. Where it is the only alive ISR member it keeps (or takes) the leadership if
 * its data is the data the ISR had (same incarnation) or there is no other copy anyway (a single replica); with
 * a new incarnation it leaves the ISR and the partition has no leader (KIP-966: a wiped replica never leads
 * before it caught up), unless unclean election is allowed. A leadership it keeps gets the next epoch, fencing
 * whatever its previous life still had running. `alive` answers true for `broker`.
 */
export function registerReplica(state: PartitionState, broker: number, sameIncarnation: boolean, alive: Alive, unclean: boolean): PartitionState | null {
  if (!state.replicas.includes(broker)) return null;
  if (!state.isr.includes(broker)) {
    if (state.leader === broker) return withLeader(state, NO_LEADER, state.isr); // inconsistent: a leader outside its ISR
    return null;
  }
  const others = state.isr.filter((r) => r !== broker);
  const otherLeader = firstAlive(state.replicas, others, alive);
  if (otherLeader !== NO_LEADER) {
    const leader = state.leader !== broker && state.leader !== NO_LEADER && alive(state.leader) ? state.leader : otherLeader;
    return withLeader(state, leader, others);
  }
  // Where it (still) leads, a new epoch even if nothing else changes.
  const lead = (isr: readonly number[]) => withLeader(state, broker, isr) ?? { ...state, leaderEpoch: state.leaderEpoch + 1 };
  if (sameIncarnation || state.replicas.length === 1) return lead(state.isr);
  if (unclean) {
    // The first alive replica leads alone (an out-of-ISR replica before this empty one has at least some data).
    const u = firstAlive(state.replicas, state.replicas, alive);
    return u === broker ? lead([broker]) : withLeader(state, u, [u]);
  }
  return withLeader(state, NO_LEADER, others);
}

/** Outcome of an admin-requested election (ElectLeaders) for one partition. */
export type ElectionOutcome = { state: PartitionState } | { error: 'not-needed' | 'not-available' };

/** Preferred election: the first replica leads when it is alive and in the ISR. */
export function electPreferred(state: PartitionState, alive: Alive): ElectionOutcome {
  const preferred = state.replicas[0];
  if (state.leader === preferred) return { error: 'not-needed' };
  if (preferred === undefined || !alive(preferred) || !state.isr.includes(preferred)) return { error: 'not-available' };
  return { state: withLeader(state, preferred, state.isr)! };
}

/** Unclean election on request: only for a partition without an alive leader; clean when an ISR member is alive. */
export function electUnclean(state: PartitionState, alive: Alive): ElectionOutcome {
  if (state.leader !== NO_LEADER && alive(state.leader)) return { error: 'not-needed' };
  const next = electOffline(state, alive, true);
  if (!next || next.leader === NO_LEADER) return { error: 'not-available' };
  return { state: next };
}
