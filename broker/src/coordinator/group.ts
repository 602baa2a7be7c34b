// One consumer group of the classic protocol: members, generation, chosen protocol, committed offsets.
// Pure state and the decisions derived from it; timers and persistence live in GroupCoordinator.
import { systemClock, type Clock, type TimerHandle } from '../clock';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface Protocol {
  name: string;
  metadata: Buffer;
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export class Member {
  assignment: Buffer = Buffer.alloc(0);
  /** Pending JoinGroup response of this member during a rebalance. */
  awaitingJoin: ((r: JoinResult) => void) | null = null;
  /** Pending SyncGroup response while the leader's assignment is awaited. */
  awaitingSync: ((r: SyncResult) => void) | null = null;
  sessionTimer: TimerHandle | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    public clientId: string,
    public clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocolType: string,
    public protocols: Protocol[],
  ) {}

  metadataFor(protocol: string): Buffer {
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? Buffer.alloc(0);
  }

  sameProtocols(other: Protocol[]): boolean {
    return (
      other.length === this.protocols.length &&
      other.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata))
    );
  }
}

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
}

export class Group {
  state: GroupState = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** group.instance.id → member id of the static member currently holding it. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED (KIP-394) that have not joined yet. */
  readonly pendingMembers = new Set<string>();
  /** `${topic}\u0000${partition}` → committed offset. */
  readonly offsets = new Map<string, CommittedOffset>();
  rebalanceTimer: TimerHandle | null = null;
  /** Set while the first join of an empty group waits group.initial.rebalance.delay.ms for more members. */
  initialDelayUntil = 0;
  /** When the group entered its current state (Kafka's currentStateTimestamp). */
  stateTimestamp: number;

  constructor(
    readonly groupId: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.stateTimestamp = clock.now();
  }

  transition(state: GroupState): void {
    this.state = state;
    this.stateTimestamp = this.clock.now();
  }

  /** True when every member supports at least one common protocol with this type. */
  supports(protocolType: string, protocols: Protocol[]): boolean {
    if (this.members.size === 0) return protocolType !== '' && protocols.length > 0;
    if (this.protocolType !== null && this.protocolType !== protocolType) return false;
    const names = new Set(protocols.map((p) => p.name));
    return this.candidateProtocols().some((c) => names.has(c));
  }

  /** Protocols every current member supports. */
  candidateProtocols(): string[] {
    const all = [...this.members.values()];
    if (all.length === 0) return [];
    return all[0].protocols.map((p) => p.name).filter((name) => all.every((m) => m.protocols.some((p) => p.name === name)));
  }

  /** Kafka's vote: each member votes for its most preferred candidate; the most votes wins. */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => votes.has(p.name))!.name;
      votes.set(choice, votes.get(choice)! + 1);
    }
    let best = candidates[0];
    for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
    return best;
  }

  /** Members whose JoinGroup is not in yet: the rebalance waits for them (up to the rebalance timeout). */
  notYetRejoined(): Member[] {
    return [...this.members.values()].filter((m) => m.awaitingJoin === null);
  }

  maxRebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Topics the members subscribe to, from consumer-protocol metadata; null when unknown (non-consumer groups). */
  subscribedTopics(decodeSubscription: (metadata: Buffer) => string[] | null): Set<string> | null {
    if (this.protocolType !== 'consumer' || this.protocolName === null) return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const t = decodeSubscription(m.metadataFor(this.protocolName));
      if (t === null) return null;
      for (const name of t) topics.add(name);
    }
    return topics;
  }
}

export const offsetKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
export const splitOffsetKey = (key: string): [string, number] => {
  const i = key.lastIndexOf('\u0000');
  return [key.slice(0, i), Number(key.slice(i + 1))];
};
