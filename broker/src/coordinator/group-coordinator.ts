// The group coordinator, classic protocol (JoinGroup/SyncGroup/Heartbeat/LeaveGroup), following Kafka's
// state machine: Empty → PreparingRebalance → CompletingRebalance → Stable, with member ids required on
// first join (KIP-394), static membership (KIP-345), rebalance and session timeouts, and an initial
// rebalance delay for empty groups. Groups and offsets are persisted in __consumer_offsets (GroupStore). This
// broker coordinates the groups of the partitions it leads (CLUSTER.md "Coordinators"): onElection reads a
// partition's groups back from the local replica (its requests get COORDINATOR_LOAD_IN_PROGRESS meanwhile),
// onResignation drops them (pending JoinGroup/SyncGroup answer NOT_COORDINATOR, sessions end, nothing is
// written); groups of other partitions answer NOT_COORDINATOR. Every offsets.retention.check.interval.ms,
// expired offsets (offset-expiry.ts) of the groups it coordinates get tombstones and groups left Empty without
// offsets are removed, as Kafka does.
// Transactional offset commits (TxnOffsetCommit) stay pending per producer until the transaction coordinator
// reports the COMMIT (materialise) or ABORT (drop) marker written to the group's partition.
import { randomUUID } from 'node:crypto';
import { boundUtf8, fitsKafkaString, MEMBER_ID_PREFIX_MAX_BYTES } from '../protocol/bounded-string';
import { ErrorCode } from '../protocol/errors';
import type { Logger } from '../logger';
import { systemClock, type Clock, type TimerHandle } from '../clock';
import { Group, Member, offsetKey, splitOffsetKey, type CommittedOffset, type JoinResult, type Protocol, type SyncResult } from './group';
import type { GroupPersistence } from './group-store';
import { CoordinatorPartitions } from './coordinator-partitions';
import { readGroupPartition, type LoadedGroupPartition } from './group-loader';
import { writeFailureCode } from './internal-topic-log';
import type { GroupMetadataValue, OffsetsRecord } from './offsets-records';
import { expiredOffsets } from './offset-expiry';

export interface GroupCoordinatorOptions {
  initialRebalanceDelayMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  offsetMetadataMaxBytes: number;
  /** Whether a topic partition exists (commits to unknown partitions are refused). */
  partitionExists: (topic: string, partition: number) => boolean;
  /** Topics a consumer-protocol member subscribes to, from its JoinGroup metadata (null if undecodable). */
  decodeSubscription: (metadata: Buffer) => string[] | null;
  /** offsets.retention.minutes in ms: how long offsets outlive an empty group or their last commit. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** Time and timers (sessions, rebalances, expiry); systemClock when omitted. */
  clock?: Clock;
}

export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** JoinGroup v4+: a new member first gets MEMBER_ID_REQUIRED and its id (KIP-394). */
  requireKnownMemberId: boolean;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

/** The producer of a TxnOffsetCommit. */
export interface TxnProducer {
  producerId: number;
  producerEpoch: number;
}

export interface GroupEvents {
  onRebalance?: (groupId: string) => void;
  onCommit?: (groupId: string, count: number) => void;
  /** The group is gone (deleted, or expired empty): per-group state elsewhere (metric series) can go too. */
  onGroupRemoved?: (groupId: string) => void;
}

export interface ExpiryResult {
  offsets: number;
  groups: number;
}

const EMPTY = Buffer.alloc(0);

interface CheckedCommit {
  group: Group;
  codes: ErrorCode[];
  accepted: OffsetCommit[];
  values: CommittedOffset[];
}

/**
 * Kafka's rule (non-empty), plus: encodable as it is, since ListGroups and DescribeGroups echo it to anyone and a
 * group id that cannot be encoded would break those for every client.
 */
function isValidGroupId(groupId: string): boolean {
  return groupId !== '' && fitsKafkaString(groupId);
}

/**
 * A member id as Kafka makes it, "<client.id or group.instance.id>-<uuid>", with the client's part bounded so
 * the id is always a short valid string whatever the client sent.
 */
function newMemberId(prefix: string): string {
  return `${boundUtf8(prefix, MEMBER_ID_PREFIX_MAX_BYTES)}-${randomUUID()}`;
}

function joinError(errorCode: ErrorCode, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

function syncError(errorCode: ErrorCode): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
}

export class GroupCoordinator {
  /** Groups of the partitions this broker coordinates (loaded ones only). */
  private readonly groups = new Map<string, Group>();
  private readonly partitions = new CoordinatorPartitions();
  /** Transaction markers that landed in a partition while it was loading: replayed once its groups are in. */
  private readonly markersWhileLoading = new Map<number, Array<{ producerId: number; commit: boolean }>>();
  private closed = false;
  private readonly clock: Clock;
  private expiryTimer: TimerHandle | null = null;
  /** The expiry pass runs from the first election on (one chain of timers, whatever partitions come and go). */
  private expiryStarted = false;
  /** Offsets of open transactions: producer id → group → offset key → value (visible once committed). */
  private readonly pendingTxnOffsets = new Map<number, Map<string, Map<string, CommittedOffset>>>();

  constructor(
    private readonly store: GroupPersistence,
    private readonly opts: GroupCoordinatorOptions,
    private readonly logger: Logger,
    private readonly events: GroupEvents = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Whether this broker coordinates some partition and none of them is still loading. */
  get isLoaded(): boolean {
    return this.partitions.size > 0 && !this.partitions.anyLoading;
  }

  /** Whether a partition this broker coordinates is still loading (ListGroups answers COORDINATOR_LOAD_IN_PROGRESS). */
  get isLoading(): boolean {
    return this.partitions.anyLoading;
  }

  partitionFor(groupId: string): number {
    return this.store.partitionFor(groupId);
  }

  /** NONE when this broker coordinates the group now, else COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR. */
  errorFor(groupId: string): ErrorCode {
    return this.partitions.errorFor(this.partitionFor(groupId));
  }

  allGroups(): Iterable<Group> {
    return this.groups.values();
  }

  // ---- loading --------------------------------------------------------------------------------------------

  /** Takes on every partition of __consumer_offsets (a broker that leads them all; unit tests). */
  async load(): Promise<void> {
    await Promise.all(Array.from({ length: this.store.numPartitions }, (_, p) => this.onElection(p, 0)));
  }

  /**
   * This broker became the leader of partition `partition` (under `epoch`): reads its groups back from the
   * local replica and installs them in one step, unless the leadership was lost (or renewed) meanwhile. Members
   * get fresh session timers. A repeated election under the same epoch changes nothing.
   */
  async onElection(partition: number, epoch: number): Promise<void> {
    if (this.closed) return;
    if (this.partitions.tokenOf(partition) !== undefined) {
      if (this.partitions.epochOf(partition) === epoch) return;
      this.onResignation(partition); // led by another broker in between: what it wrote is in the log now
    }
    const token = this.partitions.begin(partition, epoch);
    this.markersWhileLoading.set(partition, []);
    let loaded: LoadedGroupPartition;
    try {
      loaded = await readGroupPartition(this.store.load(partition));
    } catch (err) {
      if (this.partitions.isCurrent(partition, token)) {
        this.partitions.drop(partition);
        this.markersWhileLoading.delete(partition);
      }
      throw err;
    }
    if (this.closed || !this.partitions.isCurrent(partition, token)) return;
    const groups = this.install(loaded);
    this.partitions.finish(partition, token);
    const markers = this.markersWhileLoading.get(partition) ?? [];
    this.markersWhileLoading.delete(partition);
    for (const m of markers) this.completeTransaction(m.producerId, partition, m.commit);
    if (groups > 0) this.logger.info('groups loaded', { partition, epoch, groups });
    if (!this.expiryStarted) {
      this.expiryStarted = true;
      this.scheduleExpiry();
    }
  }

  /** Installs one partition's groups as read from the log; returns how many there are. */
  private install(loaded: LoadedGroupPartition): number {
    let n = 0;
    for (const [groupId, offsets] of loaded.offsets) {
      const g = this.getOrCreate(groupId);
      for (const [k, v] of offsets) g.offsets.set(k, v);
    }
    for (const [groupId, value] of loaded.metadata) {
      const g = this.getOrCreate(groupId);
      if (value) this.restore(g, value);
    }
    for (const [producerId, byGroup] of loaded.pending) {
      for (const [groupId, offsets] of byGroup) for (const [k, v] of offsets) this.pendingFor(producerId, groupId).set(k, v);
    }
    for (const groupId of new Set([...loaded.offsets.keys(), ...loaded.metadata.keys()])) {
      const g = this.groups.get(groupId)!;
      if (g.members.size === 0 && g.offsets.size === 0 && !loaded.metadata.get(groupId)) this.groups.delete(groupId);
      else n++;
    }
    return n;
  }

  /**
   * This broker stopped leading partition `partition`: its groups are dropped without writing anything (the new
   * leader owns the log now). Members waiting in JoinGroup or SyncGroup get NOT_COORDINATOR and look the
   * coordinator up again; timers stop.
   */
  onResignation(partition: number): void {
    if (!this.partitions.drop(partition)) return;
    this.markersWhileLoading.delete(partition);
    let dropped = 0;
    for (const group of [...this.groups.values()]) {
      if (this.partitionFor(group.groupId) !== partition) continue;
      if (group.rebalanceTimer) this.clock.clearTimeout(group.rebalanceTimer);
      group.rebalanceTimer = null;
      for (const m of group.members.values()) {
        if (m.sessionTimer) this.clock.clearTimeout(m.sessionTimer);
        m.sessionTimer = null;
        m.awaitingJoin?.(joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
        m.awaitingSync?.(syncError(ErrorCode.NOT_COORDINATOR));
        m.awaitingJoin = m.awaitingSync = null;
      }
      // Dead: whatever is still in flight for it (a write, a timer) finds it gone and does nothing more.
      this.removeGroup(group);
      dropped++;
    }
    for (const [producerId, byGroup] of this.pendingTxnOffsets) {
      for (const groupId of byGroup.keys()) if (this.partitionFor(groupId) === partition) byGroup.delete(groupId);
      if (byGroup.size === 0) this.pendingTxnOffsets.delete(producerId);
    }
    this.logger.info('groups unloaded: no longer the leader of their partition', { partition, groups: dropped });
  }

  private restore(g: Group, v: GroupMetadataValue): void {
    g.generationId = v.generation;
    g.protocolType = v.protocolType || null;
    g.protocolName = v.protocol;
    g.leaderId = v.leader;
    for (const m of v.members) {
      const member = new Member(m.memberId, m.groupInstanceId, m.clientId, m.clientHost, m.rebalanceTimeout, m.sessionTimeout, v.protocolType, [
        { name: v.protocol ?? '', metadata: m.subscription },
      ]);
      member.assignment = m.assignment;
      g.members.set(m.memberId, member);
      if (m.groupInstanceId) g.staticMembers.set(m.groupInstanceId, m.memberId);
      this.scheduleSession(g, member);
    }
    g.transition(g.members.size > 0 ? 'Stable' : 'Empty');
    // Retention of an empty group counts from when it became empty, across restarts.
    if (v.currentStateTimestamp >= 0) g.stateTimestamp = v.currentStateTimestamp;
  }

  private getOrCreate(groupId: string): Group {
    let g = this.groups.get(groupId);
    if (!g) {
      g = new Group(groupId, this.clock);
      this.groups.set(groupId, g);
    }
    return g;
  }

  // ---- JoinGroup ------------------------------------------------------------------------------------------

  join(req: JoinRequest): Promise<JoinResult> {
    if (!isValidGroupId(req.groupId)) return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID));
    const notHere = this.errorFor(req.groupId);
    if (notHere !== ErrorCode.NONE) return Promise.resolve(joinError(notHere));
    // Echoed to every member and by DescribeGroups: one that cannot be encoded would break the whole group.
    if (req.groupInstanceId !== null && !fitsKafkaString(req.groupInstanceId)) return Promise.resolve(joinError(ErrorCode.INVALID_REQUEST));
    // The protocol type and the chosen protocol's name are echoed too (JoinGroup, ListGroups, DescribeGroups).
    if (!fitsKafkaString(req.protocolType) || req.protocols.some((p) => !fitsKafkaString(p.name))) return Promise.resolve(joinError(ErrorCode.INVALID_REQUEST));
    if (req.sessionTimeoutMs < this.opts.minSessionTimeoutMs || req.sessionTimeoutMs > this.opts.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    let group = this.groups.get(req.groupId);
    if (!group) {
      if (req.memberId !== '') return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID));
      group = this.getOrCreate(req.groupId);
    }
    if (group.state === 'Dead') return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supports(req.protocolType, req.protocols)) return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));

    if (req.memberId === '') {
      if (req.groupInstanceId) return this.joinStatic(group, req);
      const memberId = newMemberId(req.clientId);
      if (req.requireKnownMemberId) {
        group.pendingMembers.add(memberId);
        // A member that never comes back with its id must not hold up rebalances forever.
        this.clock.setTimeout(() => {
          if (group!.pendingMembers.delete(memberId)) this.tryCompleteJoin(group!);
        }, req.sessionTimeoutMs).unref();
        return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
      }
      return this.addMemberAndRebalance(group, memberId, req);
    }
    if (group.pendingMembers.delete(req.memberId)) return this.addMemberAndRebalance(group, req.memberId, req);
    // A fenced static member (its instance id now belongs to a newer member id) must learn it is fenced,
    // not that it is unknown: on UNKNOWN_MEMBER_ID it would rejoin and fence the newer one in turn.
    const invalid = this.validateMember(group, req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return Promise.resolve(joinError(invalid, req.memberId));
    const member = group.members.get(req.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateAndAwaitJoin(group, member, req);
      case 'CompletingRebalance':
        if (member.sameProtocols(req.protocols)) return Promise.resolve(this.joinResultFor(group, member));
        return this.updateAndRebalance(group, member, req);
      case 'Stable':
        if (member.memberId !== group.leaderId && member.sameProtocols(req.protocols)) return Promise.resolve(this.joinResultFor(group, member));
        return this.updateAndRebalance(group, member, req);
      default:
        return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    }
  }

  /** A static member (re)joining without a member id takes over its instance id, fencing the old member id. */
  private joinStatic(group: Group, req: JoinRequest): Promise<JoinResult> {
    const instanceId = req.groupInstanceId!;
    const newId = newMemberId(instanceId);
    const oldId = group.staticMembers.get(instanceId);
    const old = oldId !== undefined ? group.members.get(oldId) : undefined;
    if (!old) return this.addMemberAndRebalance(group, newId, req);

    old.awaitingJoin?.(joinError(ErrorCode.FENCED_INSTANCE_ID, old.memberId));
    old.awaitingSync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
    old.awaitingJoin = old.awaitingSync = null;
    group.members.delete(old.memberId);
    const currentLeader = group.leaderId;
    old.memberId = newId;
    group.members.set(newId, old);
    group.staticMembers.set(instanceId, newId);
    if (currentLeader === oldId) group.leaderId = newId;
    const unchanged = this.sameSubscription(group, old, req.protocols);
    this.updateMember(old, req);
    this.scheduleSession(group, old);
    if (group.state === 'Stable' && unchanged && group.selectProtocol() === group.protocolName) {
      // Restarted within the session timeout with the same subscription: no rebalance (KIP-345), also when
      // it is the leader. As Kafka does, the answer names the leader as it was before the replacement, so a
      // restarted leader does not compute an assignment that a Stable group would never hand out.
      this.persistGroup(group).catch((err) => this.logger.warn('could not persist static member id change', { group: group.groupId, err }));
      return Promise.resolve({ ...this.joinResultFor(group, old), leader: currentLeader ?? '', members: [] });
    }
    if (group.state === 'PreparingRebalance') {
      // Joins the rebalance under way; does not restart its timeout (or cut an initial delay short).
      const joined = this.awaitJoin(old);
      this.tryCompleteJoin(group);
      return joined;
    }
    return this.updateAndRebalance(group, old, req);
  }

  /**
   * Whether a restarted static member asks for what it had: the same topics under the group's protocol.
   * Raw metadata bytes differ after any rebalance (the Java client embeds owned partitions and the
   * generation), so consumer groups compare the decoded topic lists; other protocol types the bytes.
   */
  private sameSubscription(group: Group, member: Member, protocols: Protocol[]): boolean {
    const name = group.protocolName;
    const after = name === null ? undefined : protocols.find((p) => p.name === name)?.metadata;
    if (name === null || !after) return false;
    const before = member.metadataFor(name);
    if (group.protocolType !== 'consumer') return before.equals(after);
    const a = this.opts.decodeSubscription(before);
    const b = this.opts.decodeSubscription(after);
    return a !== null && b !== null && a.length === b.length && a.every((t) => b.includes(t));
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinRequest): Promise<JoinResult> {
    const member = new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocolType, req.protocols);
    group.members.set(memberId, member);
    if (req.groupInstanceId) group.staticMembers.set(req.groupInstanceId, memberId);
    if (group.protocolType === null) group.protocolType = req.protocolType;
    const joined = this.awaitJoin(member);
    if (group.state === 'PreparingRebalance') {
      this.extendInitialDelay(group);
      this.tryCompleteJoin(group);
    } else {
      this.prepareRebalance(group, `member ${memberId} joined`);
    }
    return joined;
  }

  private updateAndAwaitJoin(group: Group, member: Member, req: JoinRequest): Promise<JoinResult> {
    this.updateMember(member, req);
    const joined = this.awaitJoin(member);
    this.tryCompleteJoin(group);
    return joined;
  }

  private updateAndRebalance(group: Group, member: Member, req: JoinRequest): Promise<JoinResult> {
    this.updateMember(member, req);
    const joined = this.awaitJoin(member);
    this.prepareRebalance(group, `member ${member.memberId} rejoined`);
    return joined;
  }

  private updateMember(member: Member, req: JoinRequest): void {
    member.protocols = req.protocols;
    member.protocolType = req.protocolType;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
  }

  private awaitJoin(member: Member): Promise<JoinResult> {
    member.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    return new Promise((resolve) => (member.awaitingJoin = resolve));
  }

  private prepareRebalance(group: Group, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        m.awaitingSync = null;
      }
    }
    if (group.rebalanceTimer) this.clock.clearTimeout(group.rebalanceTimer);
    const initial = group.state === 'Empty';
    group.transition('PreparingRebalance');
    this.events.onRebalance?.(group.groupId);
    this.logger.info('preparing rebalance', { group: group.groupId, generation: group.generationId, reason });
    if (initial && this.opts.initialRebalanceDelayMs > 0) {
      group.initialDelayUntil = this.clock.now() + this.opts.initialRebalanceDelayMs;
      this.armRebalanceTimer(group, this.opts.initialRebalanceDelayMs, () => {
        group.initialDelayUntil = 0;
        if (group.notYetRejoined().length === 0 && group.pendingMembers.size === 0) this.completeJoin(group);
        else this.armRebalanceTimer(group, group.maxRebalanceTimeoutMs(), () => this.completeJoin(group));
      });
      return;
    }
    group.initialDelayUntil = 0;
    this.armRebalanceTimer(group, group.maxRebalanceTimeoutMs(), () => this.completeJoin(group));
    this.tryCompleteJoin(group);
  }

  /** New members during the initial delay push it back, within the rebalance timeout (Kafka's InitialDelayedJoin). */
  private extendInitialDelay(group: Group): void {
    if (group.initialDelayUntil === 0) return;
    const delay = this.opts.initialRebalanceDelayMs;
    const until = this.clock.now() + delay;
    if (until - group.stateTimestamp > group.maxRebalanceTimeoutMs()) return;
    group.initialDelayUntil = until;
    this.armRebalanceTimer(group, delay, () => {
      group.initialDelayUntil = 0;
      this.completeJoin(group);
    });
  }

  private armRebalanceTimer(group: Group, ms: number, fire: () => void): void {
    if (group.rebalanceTimer) this.clock.clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = this.clock.setTimeout(() => {
      group.rebalanceTimer = null;
      if (!this.closed && group.state === 'PreparingRebalance') fire();
    }, ms);
  }

  private tryCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelayUntil > 0) return;
    if (group.notYetRejoined().length === 0 && group.pendingMembers.size === 0) this.completeJoin(group);
  }

  /** Ends the join phase: drops members that did not rejoin, bumps the generation, answers every JoinGroup. */
  private completeJoin(group: Group): void {
    if (group.rebalanceTimer) this.clock.clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = null;
    // Dynamic members that did not rejoin are dropped; static ones keep their place until their session
    // times out (KIP-345), so a restarting static member does not cost a second rebalance.
    for (const m of group.notYetRejoined()) if (!m.groupInstanceId) this.removeMember(group, m, 'did not rejoin in time');
    if (group.members.size > 0) {
      const rejoined = [...group.members.values()].filter((m) => m.awaitingJoin !== null);
      if (rejoined.length === 0) {
        // Only absent static members are left: wait another rebalance timeout (their sessions may expire).
        this.armRebalanceTimer(group, group.maxRebalanceTimeoutMs(), () => this.completeJoin(group));
        return;
      }
      const leader = group.leaderId === null ? undefined : group.members.get(group.leaderId);
      if (!leader || leader.awaitingJoin === null) group.leaderId = rejoined[0].memberId;
    }
    group.generationId++;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.leaderId = null;
      group.transition('Empty');
      this.persistGroup(group).catch((err) => this.logger.warn('could not persist empty group', { group: group.groupId, err }));
      return;
    }
    group.protocolName = group.selectProtocol();
    group.protocolType = group.members.values().next().value!.protocolType;
    group.transition('CompletingRebalance');
    this.logger.info('rebalance: join complete', { group: group.groupId, generation: group.generationId, members: group.members.size, protocol: group.protocolName });
    for (const m of group.members.values()) {
      const resolve = m.awaitingJoin;
      m.awaitingJoin = null;
      this.scheduleSession(group, m);
      resolve?.(this.joinResultFor(group, m));
    }
    this.armSyncTimer(group);
  }

  /**
   * A leader that keeps heartbeating but never sends its SyncGroup would hold the group in CompletingRebalance
   * forever: after the rebalance timeout, members that have not synced are removed and the group rebalances.
   */
  private armSyncTimer(group: Group): void {
    const generation = group.generationId;
    group.rebalanceTimer = this.clock.setTimeout(() => {
      group.rebalanceTimer = null;
      if (this.closed || group.state !== 'CompletingRebalance' || group.generationId !== generation) return;
      for (const m of [...group.members.values()]) if (!m.awaitingSync) this.removeMember(group, m, 'did not send SyncGroup in time');
      this.prepareRebalance(group, 'members did not sync in time');
    }, group.maxRebalanceTimeoutMs());
  }

  private joinResultFor(group: Group, member: Member): JoinResult {
    const isLeader = member.memberId === group.leaderId;
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(group.protocolName!) }))
        : [],
    };
  }

  // ---- SyncGroup ------------------------------------------------------------------------------------------

  sync(req: SyncRequest): Promise<SyncResult> {
    const check = this.checkMember(req.groupId, req.memberId, req.groupInstanceId, req.generationId);
    if (typeof check === 'number') return Promise.resolve(syncError(check));
    const { group, member } = check;
    if ((req.protocolType !== null && req.protocolType !== group.protocolType) || (req.protocolName !== null && req.protocolName !== group.protocolName)) {
      return Promise.resolve(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    this.scheduleSession(group, member);
    if (group.state === 'PreparingRebalance') return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
    if (group.state === 'Stable') return Promise.resolve(this.syncResultFor(group, member));
    const synced = new Promise<SyncResult>((resolve) => (member.awaitingSync = resolve));
    if (member.memberId === group.leaderId) void this.completeSync(group, req.assignments);
    return synced;
  }

  /** The leader's assignment is persisted with the group, then every member gets its part. */
  private async completeSync(group: Group, assignments: SyncRequest['assignments']): Promise<void> {
    const generation = group.generationId;
    const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    for (const m of group.members.values()) m.assignment = given.get(m.memberId) ?? EMPTY;
    try {
      await this.persistGroup(group);
    } catch (err) {
      this.logger.warn('could not persist group assignment', { group: group.groupId, err });
      if (group.generationId === generation && group.state === 'CompletingRebalance') {
        for (const m of group.members.values()) {
          m.awaitingSync?.(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
          m.awaitingSync = null;
        }
        this.prepareRebalance(group, 'assignment could not be stored');
      }
      return;
    }
    if (group.generationId !== generation || group.state !== 'CompletingRebalance') return;
    if (group.rebalanceTimer) this.clock.clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = null;
    group.transition('Stable');
    for (const m of group.members.values()) {
      const resolve = m.awaitingSync;
      m.awaitingSync = null;
      resolve?.(this.syncResultFor(group, m));
    }
  }

  private syncResultFor(group: Group, member: Member): SyncResult {
    return { errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  // ---- Heartbeat and LeaveGroup ---------------------------------------------------------------------------

  heartbeat(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): ErrorCode {
    const check = this.checkMember(groupId, memberId, groupInstanceId, generationId);
    if (typeof check === 'number') return check;
    this.scheduleSession(check.group, check.member);
    return check.group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** Removes the given members; per-member errors as in LeaveGroup v3+. */
  leave(groupId: string, identities: MemberIdentity[]): Array<MemberIdentity & { errorCode: ErrorCode }> {
    const group = this.groups.get(groupId);
    const out: Array<MemberIdentity & { errorCode: ErrorCode }> = [];
    let removed = 0;
    let pendingRemoved = 0;
    for (const id of identities) {
      let errorCode = ErrorCode.NONE;
      if (!group) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
      else if (id.memberId === '') {
        // Administrative removal of a static member by its instance id alone.
        const memberId = id.groupInstanceId ? group.staticMembers.get(id.groupInstanceId) : undefined;
        const member = memberId !== undefined ? group.members.get(memberId) : undefined;
        if (!member) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
        else {
          this.removeMember(group, member, 'removed by instance id');
          removed++;
        }
      } else if (group.pendingMembers.delete(id.memberId)) {
        // A member that got its id (KIP-394) but never joined: nothing to rebalance, but stop waiting for it.
        pendingRemoved++;
      } else {
        errorCode = this.validateMember(group, id.memberId, id.groupInstanceId);
        if (errorCode === ErrorCode.NONE) {
          this.removeMember(group, group.members.get(id.memberId)!, 'left the group');
          removed++;
        }
      }
      out.push({ ...id, errorCode });
    }
    if (group && removed > 0) this.afterMembershipLoss(group, 'members left');
    else if (group && pendingRemoved > 0) this.tryCompleteJoin(group);
    return out;
  }

  private checkMember(groupId: string, memberId: string, groupInstanceId: string | null, generationId: number): { group: Group; member: Member } | ErrorCode {
    const notHere = this.errorFor(groupId);
    if (notHere !== ErrorCode.NONE) return notHere;
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.state === 'Dead') return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalid = this.validateMember(group, memberId, groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    return { group, member: group.members.get(memberId)! };
  }

  /**
   * Kafka's ClassicGroup.validateMember: an instance id, when given, must be registered (else
   * UNKNOWN_MEMBER_ID) to this very member id (else FENCED_INSTANCE_ID); then the member must exist.
   */
  private validateMember(group: Group, memberId: string, groupInstanceId: string | null): ErrorCode {
    if (groupInstanceId) {
      const current = group.staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    return group.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  }

  private removeMember(group: Group, member: Member, reason: string): void {
    if (member.sessionTimer) this.clock.clearTimeout(member.sessionTimer);
    member.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.awaitingSync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = member.awaitingSync = null;
    group.members.delete(member.memberId);
    if (member.groupInstanceId && group.staticMembers.get(member.groupInstanceId) === member.memberId) group.staticMembers.delete(member.groupInstanceId);
    this.logger.info('member removed', { group: group.groupId, member: member.memberId, reason });
  }

  private afterMembershipLoss(group: Group, reason: string): void {
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group, reason);
    else if (group.state === 'PreparingRebalance') this.tryCompleteJoin(group);
  }

  /** (Re)starts a member's session timeout; expiry removes it and rebalances. Members mid-join are kept alive. */
  private scheduleSession(group: Group, member: Member): void {
    if (member.sessionTimer) this.clock.clearTimeout(member.sessionTimer);
    member.sessionTimer = this.clock.setTimeout(() => {
      member.sessionTimer = null;
      if (this.closed || group.members.get(member.memberId) !== member) return;
      if (member.awaitingJoin || member.awaitingSync) return this.scheduleSession(group, member);
      this.removeMember(group, member, `session timeout (${member.sessionTimeoutMs} ms) expired`);
      this.afterMembershipLoss(group, 'member session expired');
    }, member.sessionTimeoutMs);
  }

  // ---- offsets --------------------------------------------------------------------------------------------

  /** OffsetCommit: generation -1 with no member id is an admin/simple-consumer commit, allowed on empty groups only. */
  async commitOffsets(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
    commits: OffsetCommit[],
  ): Promise<ErrorCode[]> {
    const checked = this.checkCommit(groupId, generationId, memberId, groupInstanceId, commits);
    if (!Array.isArray(checked.codes)) return commits.map(() => checked.codes as ErrorCode);
    const { group, codes, accepted, values } = checked as CheckedCommit;
    try {
      await this.store.append(groupId, this.offsetRecords(groupId, accepted, values));
    } catch (err) {
      this.logger.warn('offset commit could not be written', { group: groupId, err });
      return codes.map((c) => (c === ErrorCode.NONE ? writeFailureCode(err) : c));
    }
    accepted.forEach((c, i) => group.offsets.set(offsetKey(c.topic, c.partition), values[i]));
    this.events.onCommit?.(groupId, accepted.length);
    return codes;
  }

  /**
   * TxnOffsetCommit: the offsets are written in a transactional batch of the producer and stay pending until
   * completeTransaction() reports that transaction's marker in this group's partition. Member and generation
   * are checked as for OffsetCommit when given (v3+); generation -1 without a member id is not checked.
   */
  async commitTransactionalOffsets(
    groupId: string,
    producer: TxnProducer,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
    commits: OffsetCommit[],
  ): Promise<ErrorCode[]> {
    const checked = this.checkCommit(groupId, generationId, memberId, groupInstanceId, commits, true);
    if (!Array.isArray(checked.codes)) return commits.map(() => checked.codes as ErrorCode);
    const { codes, accepted, values } = checked as CheckedCommit;
    try {
      await this.store.appendTransactional(groupId, this.offsetRecords(groupId, accepted, values), producer);
    } catch (err) {
      this.logger.warn('transactional offset commit could not be written', { group: groupId, err });
      return codes.map((c) => (c === ErrorCode.NONE ? writeFailureCode(err) : c));
    }
    const pending = this.pendingFor(producer.producerId, groupId);
    accepted.forEach((c, i) => pending.set(offsetKey(c.topic, c.partition), values[i]));
    return codes;
  }

  /**
   * A transaction marker landed in partition `partition` of __consumer_offsets: the producer's pending offsets of
   * the groups in that partition become committed offsets (COMMIT) or are dropped (ABORT).
   */
  completeTransaction(producerId: number, partition: number, commit: boolean): void {
    const whileLoading = this.markersWhileLoading.get(partition);
    if (whileLoading) {
      whileLoading.push({ producerId, commit }); // the load may have read past it: replayed once installed
      return;
    }
    const byGroup = this.pendingTxnOffsets.get(producerId);
    if (!byGroup) return;
    for (const [groupId, offsets] of byGroup) {
      if (this.store.partitionFor(groupId) !== partition) continue;
      byGroup.delete(groupId);
      if (!commit) continue;
      const group = this.getOrCreate(groupId);
      for (const [k, v] of offsets) group.offsets.set(k, v);
      this.events.onCommit?.(groupId, offsets.size);
    }
    if (byGroup.size === 0) this.pendingTxnOffsets.delete(producerId);
  }

  /** Whether an open transaction holds an offset for this partition (OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT). */
  hasPendingOffset(groupId: string, topic: string, partition: number): boolean {
    const key = offsetKey(topic, partition);
    for (const byGroup of this.pendingTxnOffsets.values()) if (byGroup.get(groupId)?.has(key)) return true;
    return false;
  }

  private pendingFor(producerId: number, groupId: string): Map<string, CommittedOffset> {
    let byGroup = this.pendingTxnOffsets.get(producerId);
    if (!byGroup) this.pendingTxnOffsets.set(producerId, (byGroup = new Map()));
    let offsets = byGroup.get(groupId);
    if (!offsets) byGroup.set(groupId, (offsets = new Map()));
    return offsets;
  }

  private offsetRecords(groupId: string, accepted: OffsetCommit[], values: CommittedOffset[]): OffsetsRecord[] {
    return accepted.map((c, i): OffsetsRecord => ({ kind: 'offset', group: groupId, topic: c.topic, partition: c.partition, value: values[i] }));
  }

  /**
   * The checks of an offset commit: the group error (a code for every partition), or per-partition codes with
   * the accepted commits and their values. `transactional`: generation -1 with no member id is accepted whatever
   * the group's membership (a producer that is not a member, as Kafka allows for TxnOffsetCommit).
   */
  private checkCommit(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
    commits: OffsetCommit[],
    transactional = false,
  ): CheckedCommit | { codes: ErrorCode } {
    if (!isValidGroupId(groupId)) return { codes: ErrorCode.INVALID_GROUP_ID };
    const notHere = this.errorFor(groupId);
    if (notHere !== ErrorCode.NONE) return { codes: notHere };
    let group = this.groups.get(groupId);
    if (generationId < 0 && memberId === '') {
      if (!transactional && group && group.members.size > 0) return { codes: ErrorCode.UNKNOWN_MEMBER_ID };
      group ??= this.getOrCreate(groupId);
    } else {
      if (!group) return { codes: ErrorCode.ILLEGAL_GENERATION };
      const check = this.checkMember(groupId, memberId, groupInstanceId, generationId);
      if (typeof check === 'number') return { codes: check };
      // Kafka accepts commits while PreparingRebalance (consumers commit before they rejoin, e.g. in
      // onPartitionsRevoked); only CompletingRebalance, before the member has its assignment, is refused.
      if (group.state === 'CompletingRebalance') return { codes: ErrorCode.REBALANCE_IN_PROGRESS };
      this.scheduleSession(group, check.member);
    }
    const now = this.clock.now();
    const codes = commits.map((c) => {
      if ((c.metadata?.length ?? 0) > this.opts.offsetMetadataMaxBytes) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      if (!this.opts.partitionExists(c.topic, c.partition)) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return ErrorCode.NONE;
    });
    const accepted = commits.filter((_, i) => codes[i] === ErrorCode.NONE);
    const values = accepted.map((c): CommittedOffset => ({ offset: c.offset, leaderEpoch: c.leaderEpoch, metadata: c.metadata ?? '', commitTimestamp: now }));
    return { group, codes, accepted, values };
  }

  /** Committed offsets of a group; `topics` null = every committed partition. Missing ones are offset -1. */
  fetchOffsets(groupId: string, topics: Array<{ name: string; partitions: number[] }> | null): Array<{ topic: string; partition: number; committed: CommittedOffset | null }> {
    const group = this.groups.get(groupId);
    if (topics === null) {
      return [...(group?.offsets ?? new Map<string, CommittedOffset>())].map(([k, v]) => {
        const [topic, partition] = splitOffsetKey(k);
        return { topic, partition, committed: v };
      });
    }
    return topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p, committed: group?.offsets.get(offsetKey(t.name, p)) ?? null })));
  }

  /** OffsetDelete: refused per partition while an active consumer group still subscribes to the topic. */
  async deleteOffsets(groupId: string, partitions: Array<{ topic: string; partition: number }>): Promise<{ errorCode: ErrorCode; partitions: ErrorCode[] }> {
    const group = this.groups.get(groupId);
    const notHere = this.errorFor(groupId);
    if (notHere !== ErrorCode.NONE) return { errorCode: notHere, partitions: [] };
    if (!group || group.state === 'Dead') return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] };
    if (group.members.size > 0 && group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: [] };
    const subscribed = group.members.size > 0 ? group.subscribedTopics(this.opts.decodeSubscription) : new Set<string>();
    const codes = partitions.map((p) => (subscribed === null || subscribed.has(p.topic) ? ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC : ErrorCode.NONE));
    const removed = partitions.filter((p, i) => codes[i] === ErrorCode.NONE && group.offsets.has(offsetKey(p.topic, p.partition)));
    try {
      await this.store.append(groupId, removed.map((p): OffsetsRecord => ({ kind: 'offset', group: groupId, topic: p.topic, partition: p.partition, value: null })));
    } catch (err) {
      return { errorCode: writeFailureCode(err), partitions: [] };
    }
    for (const p of removed) group.offsets.delete(offsetKey(p.topic, p.partition));
    return { errorCode: ErrorCode.NONE, partitions: codes };
  }

  // ---- admin ----------------------------------------------------------------------------------------------

  describe(groupId: string) {
    const group = this.groups.get(groupId);
    if (!group) return { groupId: boundUtf8(groupId), groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    const stable = group.state === 'Stable';
    return {
      groupId,
      groupState: group.state as string,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(group.protocolName!) : EMPTY,
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  list(): Group[] {
    return [...this.groups.values()].filter((g) => g.state !== 'Dead');
  }

  async deleteGroup(groupId: string): Promise<ErrorCode> {
    const notHere = this.errorFor(groupId);
    if (notHere !== ErrorCode.NONE) return notHere;
    const group = this.groups.get(groupId);
    if (!group || group.state === 'Dead') return ErrorCode.GROUP_ID_NOT_FOUND;
    if (group.state !== 'Empty') return ErrorCode.NON_EMPTY_GROUP;
    const tombstones: OffsetsRecord[] = [...group.offsets.keys()].map((k) => {
      const [topic, partition] = splitOffsetKey(k);
      return { kind: 'offset', group: groupId, topic, partition, value: null };
    });
    tombstones.push({ kind: 'group', group: groupId, value: null });
    try {
      await this.store.append(groupId, tombstones);
    } catch (err) {
      return writeFailureCode(err);
    }
    this.removeGroup(group);
    return ErrorCode.NONE;
  }

  private removeGroup(group: Group): void {
    group.transition('Dead');
    // Only this incarnation: a group of the same id created while a tombstone was being written stays.
    if (this.groups.get(group.groupId) !== group) return;
    this.groups.delete(group.groupId);
    this.events.onGroupRemoved?.(group.groupId);
  }

  // ---- expiry ---------------------------------------------------------------------------------------------

  private scheduleExpiry(): void {
    if (this.closed) return;
    this.expiryTimer = this.clock.setTimeout(() => {
      this.expiryTimer = null;
      this.expireOffsets()
        .catch((err) => this.logger.warn('offset expiry failed', { err }))
        .finally(() => this.scheduleExpiry());
    }, this.opts.offsetsRetentionCheckIntervalMs);
    this.expiryTimer.unref();
  }

  /**
   * One expiry pass (Kafka's cleanupGroupMetadata): tombstones for expired offsets, and for each group then
   * Empty without offsets a group tombstone, so the expiry survives a restart. A group whose write fails is
   * left as it is for the next pass.
   */
  async expireOffsets(): Promise<ExpiryResult> {
    const result: ExpiryResult = { offsets: 0, groups: 0 };
    const now = this.clock.now();
    for (const group of [...this.groups.values()]) {
      // Only groups of partitions this broker leads now (one may have been dropped during this pass).
      if (this.groups.get(group.groupId) !== group || this.errorFor(group.groupId) !== ErrorCode.NONE) continue;
      const keys = expiredOffsets(group, now, this.opts.offsetsRetentionMs, this.opts.decodeSubscription);
      const expired = keys.map((k) => [k, group.offsets.get(k)!] as const);
      const idle = () => group.state === 'Empty' && group.members.size === 0 && group.pendingMembers.size === 0;
      const removeGroup = idle() && expired.length === group.offsets.size;
      if (expired.length === 0 && !removeGroup) continue;
      const records: OffsetsRecord[] = expired.map(([k]) => {
        const [topic, partition] = splitOffsetKey(k);
        return { kind: 'offset', group: group.groupId, topic, partition, value: null };
      });
      if (removeGroup) records.push({ kind: 'group', group: group.groupId, value: null });
      try {
        await this.store.append(group.groupId, records);
      } catch (err) {
        this.logger.warn('could not write tombstones of expired offsets', { group: group.groupId, err });
        continue;
      }
      // A commit that landed meanwhile is newer than the tombstone in the log: keep it.
      for (const [k, value] of expired) {
        if (group.offsets.get(k) === value) {
          group.offsets.delete(k);
          result.offsets++;
        }
      }
      if (removeGroup && idle() && group.offsets.size === 0 && this.groups.get(group.groupId) === group) {
        this.removeGroup(group);
        result.groups++;
      }
    }
    if (result.offsets > 0 || result.groups > 0) this.logger.info('expired offsets and empty groups removed', { ...result });
    return result;
  }

  private persistGroup(group: Group): Promise<void> {
    const value: GroupMetadataValue = {
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: group.stateTimestamp,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeout: m.rebalanceTimeoutMs,
        sessionTimeout: m.sessionTimeoutMs,
        subscription: group.protocolName ? m.metadataFor(group.protocolName) : EMPTY,
        assignment: m.assignment,
      })),
    };
    return this.store.append(group.groupId, [{ kind: 'group', group: group.groupId, value }]);
  }

  close(): void {
    this.closed = true;
    if (this.expiryTimer) this.clock.clearTimeout(this.expiryTimer);
    for (const g of this.groups.values()) {
      if (g.rebalanceTimer) this.clock.clearTimeout(g.rebalanceTimer);
      for (const m of g.members.values()) if (m.sessionTimer) this.clock.clearTimeout(m.sessionTimer);
    }
  }
}
