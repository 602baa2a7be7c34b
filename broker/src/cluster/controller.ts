// The controller: validates admin operations against the current image and turns them into metadata records.
// Every broker runs one and any of them may write (CLUSTER.md): an operation validates against this broker's
// image and appends at the next position; when another broker won that position, serialize catches up and runs
// the whole operation again against the newer image. Liveness decisions are taken only by the lease holder
// (cluster/controller-lease.ts), which first claims the controller epoch here.
import { randomUUID } from 'node:crypto';
import { ErrorCode, KafkaError } from '../protocol/errors';
import { validateTopicConfig } from '../log/topic-config';
import { createLogger, type Logger } from '../logger';
import type { MetadataImage, PartitionState, TopicImage } from './metadata-image';
import { electOffline, electPreferred, electUnclean, registerReplica, removeBroker, withLeader } from './partition-election';
import { cancelReassignment, completeIfInSync, startReassignment } from './reassignment';
import { MetadataConflictError, type MetadataLog } from './metadata-log';
import type { BrokerEndpoint, MetadataRecord } from './metadata-records';
import { planScramAlterations, type ScramDeletion, type ScramUpsertion, type UserResult } from '../security/scram-credentials';
import { checkCeilings, checkPartitionsPerRequest, UNLIMITED, type TopicLimits } from './partition-limits';
import { quoteName, topicNameError } from './topic-names';
import { bindingError, bindingKey, filterError, filterMatches, type AclBinding, type AclFilter } from '../security/acl';
import { entityKey, type QuotaEntity } from '../security/client-quotas';

/** No topic config name is longer; a longer one is refused without quoting it whole. */
const MAX_CONFIG_NAME_LENGTH = 255;
/** Longest topic config value accepted (Kafka's values are numbers, enums and short lists). */
const MAX_CONFIG_VALUE_LENGTH = 4096;
/** Runs of one operation that lose their metadata log position to other writers before it gives up. */
const MAX_CONFLICT_RETRIES = 20;

export interface ControllerOptions {
  logger?: Logger;
  limits?: TopicLimits;
  /** Most ACL bindings held (maxAcls). */
  maxAcls?: number;
  /** Most client quota entities held (maxClientQuotaEntities). */
  maxQuotaEntities?: number;
  /** Broker default of unclean.leader.election.enable (a topic override wins). */
  uncleanLeaderElectionEnable?: boolean;
}

/** What a broker registers with (registerBroker). */
export interface BrokerRegistration {
  nodeId: number;
  /** Its first advertised listener. */
  host: string;
  port: number;
  endpoints?: BrokerEndpoint[];
  rack: string | null;
  /** From its data dir's meta.properties (cluster/incarnation.ts); '' when unknown. */
  incarnationId: string;
}

/** One partition's ElectLeaders outcome: null error = a new leader was elected. */
export interface ElectionResult {
  topic: string;
  partition: number;
  error: KafkaError | null;
}

/** One CreateAcls creation's or DeleteAcls filter's outcome: null when it succeeded. */
export type AclOutcome = KafkaError | null;

/** A client quota change of one entity: a number sets the key, null removes it. */
export interface QuotaAlteration {
  entity: QuotaEntity;
  changes: Record<string, number | null>;
}

export interface CreateTopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  /** Explicit replica assignment per partition, if the client gave one. */
  assignments?: number[][];
  configs: Record<string, string>;
}

export class Controller {
  private queue: Promise<unknown> = Promise.resolve();
  /** Position of the log the running operation validated against (its write must land right there). */
  private basePosition = 0;
  /** Whether the running operation has committed an entry (it is then never re-run). */
  private wrote = false;
  private readonly logger: Logger;
  /** Ceilings on topics and partitions held (max.topics, max.partitions). */
  private readonly limits: TopicLimits;
  /**
   * Run after each committed write, before the operation returns (e.g. open logs of new partitions). Their
   * failures are logged, never reported: the operation is committed, whatever a local step did afterwards.
   */
  private readonly listeners: Array<() => Promise<void>> = [];

  constructor(
    private readonly image: MetadataImage,
    private readonly log: MetadataLog,
    private readonly nodeId: number,
    opts: ControllerOptions = {},
  ) {
    this.logger = opts.logger ?? createLogger('controller');
    this.limits = opts.limits ?? UNLIMITED;
    this.maxAcls = opts.maxAcls ?? Number.MAX_SAFE_INTEGER;
    this.maxQuotaEntities = opts.maxQuotaEntities ?? Number.MAX_SAFE_INTEGER;
    this.uncleanLeaderElectionEnable = opts.uncleanLeaderElectionEnable ?? false;
  }

  private readonly maxAcls: number;
  private readonly maxQuotaEntities: number;
  private readonly uncleanLeaderElectionEnable: boolean;
  /** Brokers in controlled shutdown (their heartbeat asked for it): never elected, never added to an ISR. */
  private readonly shuttingDown = new Set<number>();

  /**
   * Runs controller operations one at a time so each validates against the image the previous one produced. An
   * operation whose write loses its log position (another broker wrote there, or the tailer moved the image)
   * catches up and runs again from the start: its checks see the other writes (e.g. TOPIC_ALREADY_EXISTS). One
   * refused before writing anything is re-run too when catching up finds entries it had not seen, so a refusal is
   * never based on a stale image (e.g. UNKNOWN_TOPIC for a topic another broker just created).
   */
  private serialize<T>(op: () => Promise<T>): Promise<T> {
    const attempt = async (): Promise<T> => {
      for (let run = 1; ; run++) {
        this.basePosition = this.log.position;
        this.wrote = false;
        try {
          return await op();
        } catch (err) {
          if (this.wrote || run >= MAX_CONFLICT_RETRIES) throw err;
          const conflict = err instanceof MetadataConflictError;
          const applied = await this.log.catchUp(this.image);
          if (!conflict && applied === 0) throw err;
          this.logger.debug('re-running a metadata operation against a newer image', { run, reason: err instanceof Error ? err.message : String(err) });
        }
      }
    };
    const next = this.queue.then(attempt, attempt);
    this.queue = next.catch(() => undefined);
    return next;
  }

  onCommitted(listener: () => Promise<void>): void {
    this.listeners.push(listener);
  }

  private async write(records: MetadataRecord[]): Promise<void> {
    await this.log.append(records, this.image, { nodeId: this.nodeId, position: this.basePosition });
    this.wrote = true;
    for (const l of this.listeners) {
      try {
        await l();
      } catch (err) {
        this.logger.error('a step after a committed metadata change failed', { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /**
   * Records that this broker took the controller lease with `epoch` (controller-lease.ts calls it right after
   * winning the lease object, before acting as controller). Refused when the log already has a newer epoch: this
   * broker's lease is then stale.
   */
  claimController(epoch: number): Promise<void> {
    return this.serialize(async () => {
      const { controllerEpoch, controllerId } = this.image;
      if (controllerEpoch === epoch && controllerId === this.nodeId) return;
      if (controllerEpoch >= epoch) {
        throw new Error(`controller epoch ${epoch} is stale: the metadata log has epoch ${controllerEpoch} (broker ${controllerId})`);
      }
      await this.write([{ type: 'controller', nodeId: this.nodeId, epoch }]);
    });
  }

  /**
   * Registers this broker at start-up (single-broker form of registerBroker, kept for tools and tests): the
   * cluster id record when there is none, then the registration.
   */
  bootstrap(clusterId: string, host: string, port: number, endpoints?: BrokerEndpoint[]): Promise<void> {
    return this.registerBroker({ nodeId: this.nodeId, host, port, endpoints, rack: null, incarnationId: '' }, clusterId);
  }

  /**
   * A broker (re-)registers at start-up, in one metadata entry: the cluster id record when there is none, its
   * broker record (unfenced, with its incarnation), and partition records that take it out of every ISR where
   * another alive member can take over (partition-election.ts registerReplica). Partitions it keeps leading get
   * the next leader epoch, as a Kafka leader election gives, so whatever its previous life still has running (a
   * tier upload writing the partition manifest, a client with a cached epoch) is fenced by the epoch. Any broker
   * may write this (the any-writer path); the lease holder's heartbeats take over afterwards.
   */
  registerBroker(reg: BrokerRegistration, clusterId?: string): Promise<void> {
    return this.serialize(async () => {
      const records: MetadataRecord[] = [];
      if (clusterId && !this.image.clusterId) records.push({ type: 'cluster', clusterId });
      const prev = this.image.brokers.get(reg.nodeId);
      // '' is an incarnation from before incarnations were recorded: the same disk as far as anyone knows.
      const sameIncarnation = !!prev && (prev.incarnationId === '' || reg.incarnationId === '' || prev.incarnationId === reg.incarnationId);
      const incarnationId = reg.incarnationId || prev?.incarnationId || '';
      const broker: MetadataRecord = {
        type: 'broker',
        nodeId: reg.nodeId,
        host: reg.host,
        port: reg.port,
        rack: reg.rack,
        ...(reg.endpoints ? { endpoints: reg.endpoints } : {}),
        ...(incarnationId ? { incarnationId } : {}),
        fenced: false,
      };
      const unchanged =
        prev &&
        !prev.fenced &&
        prev.host === reg.host &&
        prev.port === reg.port &&
        prev.rack === reg.rack &&
        prev.incarnationId === incarnationId &&
        JSON.stringify(prev.endpoints) === JSON.stringify(reg.endpoints);
      if (!unchanged) records.push(broker);
      this.shuttingDown.delete(reg.nodeId);
      const alive = (id: number) => id === reg.nodeId || this.isAlive(id);
      records.push(...this.planPartitions((topic, p) => registerReplica(p, reg.nodeId, sameIncarnation, alive, this.uncleanAllowed(topic))));
      if (records.length > 0) await this.write(records);
    });
  }

  /**
   * Fences brokers whose heartbeats stopped (the lease holder's decision, broker-liveness.ts): in one entry, each
   * is marked fenced, leaves the ISRs where others remain, and its leaderships move to alive ISR members (or the
   * partition has no leader). Unknown and already fenced brokers are skipped.
   */
  fenceBrokers(ids: readonly number[]): Promise<void> {
    return this.serialize(async () => {
      this.requireController();
      const fencing = ids.filter((id) => this.image.brokers.get(id)?.fenced === false);
      if (fencing.length === 0) return;
      const gone = new Set(fencing);
      const alive = (id: number) => !gone.has(id) && this.isAlive(id);
      const records: MetadataRecord[] = fencing.map((nodeId) => ({ type: 'broker-fence', nodeId, fenced: true }));
      records.push(
        ...this.planPartitions((topic, p) => {
          let state: PartitionState = p;
          let changed = false;
          for (const id of fencing) {
            const next = removeBroker(state, id, alive, { unclean: this.uncleanAllowed(topic), keepLeadershipIfAlone: false });
            if (next) [state, changed] = [next, true];
          }
          return changed ? state : null;
        }),
      );
      await this.write(records);
    });
  }

  /** Unfences a registered broker that heartbeats again; partitions without a leader that it can lead get it. */
  unfenceBroker(id: number): Promise<void> {
    return this.serialize(async () => {
      this.requireController();
      const b = this.image.brokers.get(id);
      if (!b) throw new KafkaError(ErrorCode.BROKER_ID_NOT_REGISTERED, `Broker ${id} is not registered.`);
      if (!b.fenced) return;
      const alive = (n: number) => n === id || this.isAlive(n);
      const records: MetadataRecord[] = [{ type: 'broker-fence', nodeId: id, fenced: false }];
      records.push(...this.planPartitions((topic, p) => (p.replicas.includes(id) ? electOffline(p, alive, this.uncleanAllowed(topic)) : null)));
      await this.write(records);
    });
  }

  /**
   * Controlled shutdown of a broker (its heartbeat said wantShutDown): its leaderships move to other alive ISR
   * members and it leaves every ISR where others remain. Returns how many partitions still hold it (leaderships
   * nobody else can take are not counted: there is no one to hand them to); 0 means it may stop now. The
   * shutting-down mark lives on this controller only (until the broker registers again).
   */
  shutDownBroker(id: number): Promise<{ pending: number }> {
    return this.serialize(async () => {
      this.requireController();
      if (!this.image.brokers.has(id)) throw new KafkaError(ErrorCode.BROKER_ID_NOT_REGISTERED, `Broker ${id} is not registered.`);
      this.shuttingDown.add(id);
      const alive = (n: number) => this.isAlive(n);
      const records = this.planPartitions((topic, p) => removeBroker(p, id, alive, { unclean: false, keepLeadershipIfAlone: true }));
      if (records.length > 0) await this.write(records);
      // Anything left: a write lost, or a leader added it back meanwhile. The next heartbeat tries again.
      return { pending: this.planPartitions((_topic, p) => removeBroker(p, id, alive, { unclean: false, keepLeadershipIfAlone: true })).length };
    });
  }

  /**
   * Liveness decisions (fencing, unfencing, controlled shutdown) are the active controller's alone. Checked
   * against the image inside the operation, so a write that lost its log position re-checks after catching up:
   * a controller deposed while paused (its lease taken over, a newer epoch claimed in the log) writes nothing.
   */
  private requireController(): void {
    if (this.image.controllerId !== this.nodeId) {
      throw new KafkaError(ErrorCode.NOT_CONTROLLER, `Broker ${this.nodeId} is not the controller (the metadata log names broker ${this.image.controllerId}, epoch ${this.image.controllerEpoch}).`);
    }
  }

  /**
   * The broker heartbeats without wantShutDown: it is running, so it is no longer shutting down (a shutdown it
   * abandoned, or a forged request, must not keep it from leading for good).
   */
  cancelShutdown(id: number): void {
    this.shuttingDown.delete(id);
  }

  /**
   * AlterPartition from a partition's leader (this broker): sets the ISR of a partition it leads. Valid only while
   * this broker still leads it with `leaderEpoch` (else FENCED_LEADER_EPOCH), with an ISR of distinct replicas
   * containing the leader (else INVALID_REQUEST), every added member alive (else INELIGIBLE_REPLICA).
   */
  alterIsr(topicId: string, partition: number, leaderEpoch: number, isr: readonly number[]): Promise<void> {
    return this.serialize(async () => {
      const topic = this.image.topicsById.get(topicId);
      if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicId} does not exist.`);
      const state = topic.partitions[partition];
      if (!state) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${partition} of ${quoteName(topic.name)} does not exist.`);
      if (state.leader !== this.nodeId || state.leaderEpoch !== leaderEpoch) {
        throw new KafkaError(
          ErrorCode.FENCED_LEADER_EPOCH,
          `Broker ${this.nodeId} with leader epoch ${leaderEpoch} no longer leads ${topic.name}-${partition} (leader ${state.leader}, epoch ${state.leaderEpoch}).`,
        );
      }
      if (isr.length === 0 || new Set(isr).size !== isr.length || !isr.includes(this.nodeId) || isr.some((r) => !state.replicas.includes(r))) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `ISR [${isr.join(',')}] of ${topic.name}-${partition} must be distinct replicas of [${state.replicas.join(',')}] including the leader ${this.nodeId}.`);
      }
      const ineligible = isr.find((r) => !state.isr.includes(r) && !this.isAlive(r));
      if (ineligible !== undefined) throw new KafkaError(ErrorCode.INELIGIBLE_REPLICA, `Broker ${ineligible} is fenced, shutting down or not registered: it cannot join the ISR.`);
      const next = withLeader(state, state.leader, isr);
      // An ISR change may be the last step of a reassignment: every added replica in sync (cluster/reassignment.ts).
      if (next) await this.write([{ type: 'partition', topicId, ...(completeIfInSync(next) ?? next) }]);
    });
  }

  /**
   * ElectLeaders: `preferred` makes each partition's first replica its leader when it is alive and in the ISR;
   * `unclean` gives a leader to partitions that have none alive (from outside the ISR if need be). null = every
   * partition (only those where an election changes something are reported, as Kafka does).
   */
  electLeaders(type: 'preferred' | 'unclean', partitions: ReadonlyArray<{ topic: string; partition: number }> | null): Promise<ElectionResult[]> {
    return this.serialize(async () => {
      const alive = (n: number) => this.isAlive(n);
      const elect = type === 'preferred' ? electPreferred : electUnclean;
      const results: ElectionResult[] = [];
      const records: MetadataRecord[] = [];
      const consider = (topic: TopicImage, state: PartitionState, all: boolean) => {
        const outcome = elect(state, alive);
        if ('state' in outcome) {
          records.push({ type: 'partition', topicId: topic.topicId, ...outcome.state });
          results.push({ topic: topic.name, partition: state.partition, error: null });
        } else if (!all) {
          const error =
            outcome.error === 'not-needed'
              ? new KafkaError(ErrorCode.ELECTION_NOT_NEEDED, `Leader election not needed for ${topic.name}-${state.partition}.`)
              : type === 'preferred'
                ? new KafkaError(ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `The preferred leader of ${topic.name}-${state.partition} is not alive or not in the ISR.`)
                : new KafkaError(ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `No replica of ${topic.name}-${state.partition} is alive.`);
          results.push({ topic: topic.name, partition: state.partition, error });
        }
      };
      if (partitions === null) {
        for (const topic of this.image.topicsById.values()) for (const p of topic.partitions) if (p) consider(topic, p, true);
      } else {
        for (const { topic: name, partition } of partitions) {
          const topic = this.image.topicsByName.get(name);
          const state = topic?.partitions[partition];
          if (!topic || !state) {
            results.push({ topic: name, partition, error: new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${partition} of ${quoteName(name)} does not exist.`) });
          } else consider(topic, state, false);
        }
      }
      if (records.length > 0) await this.write(records);
      return results;
    });
  }

  /** Registered, unfenced and not shutting down: may lead and join ISRs. */
  isAlive(nodeId: number): boolean {
    const b = this.image.brokers.get(nodeId);
    return !!b && !b.fenced && !this.shuttingDown.has(nodeId);
  }

  /** unclean.leader.election.enable of a topic: its override, else the broker default. */
  private uncleanAllowed(topic: TopicImage): boolean {
    const v = topic.configs['unclean.leader.election.enable'];
    return v === undefined ? this.uncleanLeaderElectionEnable : v === 'true';
  }

  /** Partition records for every partition `change` gives a new state. */
  private planPartitions(change: (topic: TopicImage, state: PartitionState) => PartitionState | null): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    for (const topic of this.image.topicsById.values()) {
      for (const p of topic.partitions) {
        const next = p ? change(topic, p) : null;
        if (next) records.push({ type: 'partition', topicId: topic.topicId, ...next });
      }
    }
    return records;
  }

  /** Creates a topic (or only validates it); returns its id (null when only validated) and final shape. */
  createTopic(spec: CreateTopicSpec, validateOnly: boolean): Promise<{ topicId: string | null; numPartitions: number; replicationFactor: number }> {
    return this.serialize(async () => {
      const nameError = topicNameError(spec.name);
      if (nameError) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, nameError);
      if (this.image.topicsByName.has(spec.name)) {
        throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
      }
      const assignments = spec.assignments && spec.assignments.length > 0 ? spec.assignments : undefined;
      const numPartitions = assignments ? assignments.length : spec.numPartitions;
      if (!Number.isInteger(numPartitions) || numPartitions < 1) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
      }
      checkPartitionsPerRequest(numPartitions);
      const brokers = this.placeableBrokers();
      const rf = assignments ? assignments[0].length : spec.replicationFactor;
      if (!Number.isInteger(rf) || rf < 1) {
        throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
      }
      if (rf > brokers.length) {
        throw new KafkaError(
          ErrorCode.INVALID_REPLICATION_FACTOR,
          `Unable to replicate the partition ${rf} time(s): The target replication factor of ${rf} cannot be reached because only ${brokers.length} broker(s) are registered and unfenced.`,
        );
      }
      if (assignments) for (const replicas of assignments) this.checkAssignment(replicas, rf);
      this.checkConfigs(spec.configs);
      checkCeilings(this.image, this.limits, 1, numPartitions);
      if (validateOnly) return { topicId: null, numPartitions, replicationFactor: rf };
      const topicId = randomUUID();
      const records: MetadataRecord[] = [{ type: 'topic', name: spec.name, topicId }];
      for (let p = 0; p < numPartitions; p++) {
        const replicas = assignments ? assignments[p] : this.assignReplicas(brokers, p, rf);
        records.push({ type: 'partition', topicId, partition: p, leader: replicas[0], leaderEpoch: 0, replicas, isr: [...replicas] });
      }
      if (Object.keys(spec.configs).length > 0) records.push({ type: 'topic-config', topicId, configs: spec.configs });
      await this.write(records);
      return { topicId, numPartitions, replicationFactor: rf };
    });
  }

  /** One partition's explicit replica list: `rf` distinct registered brokers (Kafka's checks). */
  private checkAssignment(replicas: number[], rf: number): void {
    if (replicas.length !== rf) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Inconsistent replication factor between partitions: a partition has ${replicas.length} replica(s), the others ${rf}.`,
      );
    }
    const unknown = replicas.find((r) => !this.image.brokers.has(r));
    if (unknown !== undefined) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker ${unknown} in replica assignment.`);
    if (new Set(replicas).size !== replicas.length) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Duplicate brokers in replica assignment.');
  }

  /** Config overrides as a client sent them; over-long names and values are refused before being quoted. */
  private checkConfigs(configs: Record<string, string | null>): void {
    for (const [k, v] of Object.entries(configs)) {
      let err: string | null;
      if (k.length > MAX_CONFIG_NAME_LENGTH) err = `unknown topic config ${quoteName(k)}`;
      else if (v !== null && v.length > MAX_CONFIG_VALUE_LENGTH) err = `value of ${k} is longer than ${MAX_CONFIG_VALUE_LENGTH} characters`;
      else err = validateTopicConfig(k, v);
      if (err) throw new KafkaError(ErrorCode.INVALID_CONFIG, err);
    }
  }

  /**
   * Round-robin placement starting at a different broker per partition, so leaders spread out, over the brokers
   * in rack-interleaved order (rack a, rack b, rack c, rack a, …) so a partition's replicas land in different racks
   * whenever there are as many racks as replicas (broker.rack; brokers without one form a rack of their own).
   */
  private assignReplicas(brokers: number[], partition: number, rf: number): number[] {
    const order = rackInterleaved(brokers.map((id) => ({ id, rack: this.image.brokers.get(id)?.rack ?? null })));
    return Array.from({ length: rf }, (_, i) => order[(partition + i) % order.length]);
  }

  /** Brokers new replicas may be placed on: registered and not fenced. */
  private placeableBrokers(): number[] {
    return [...this.image.brokers.values()].filter((b) => !b.fenced).map((b) => b.nodeId);
  }

  private existingTopic(name: string): TopicImage {
    const topic = this.image.topicsByName.get(name);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${quoteName(name)} does not exist.`);
    return topic;
  }

  deleteTopic(topicId: string): Promise<void> {
    return this.serialize(async () => {
      const topic = this.image.topicsById.get(topicId);
      if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_ID, `Topic id ${topicId} does not exist.`);
      await this.write([{ type: 'remove-topic', topicId }]);
    });
  }

  createPartitions(name: string, count: number, assignments: number[][] | null, validateOnly: boolean): Promise<void> {
    return this.serialize(async () => {
      const topic = this.existingTopic(name);
      const current = topic.partitions.length;
      if (!Number.isInteger(count) || count < current) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${current} partitions, which is higher than the requested ${count}.`);
      }
      if (count === current) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
      const added = count - current;
      checkPartitionsPerRequest(added);
      if (assignments && assignments.length !== added) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Increasing the number of partitions by ${added} but ${assignments.length} assignments provided.`);
      }
      const rf = topic.partitions[0]?.replicas.length ?? 1;
      const brokers = this.placeableBrokers();
      if (assignments) for (const replicas of assignments) this.checkAssignment(replicas, rf);
      checkCeilings(this.image, this.limits, 0, added);
      const records: MetadataRecord[] = [];
      for (let p = current; p < count; p++) {
        const replicas = assignments ? assignments[p - current] : this.assignReplicas(brokers, p, rf);
        records.push({ type: 'partition', topicId: topic.topicId, partition: p, leader: replicas[0], leaderEpoch: 0, replicas, isr: [...replicas] });
      }
      if (!validateOnly) await this.write(records);
    });
  }

  /** Applies config overrides: a string sets a key, null removes it (back to the default). */
  alterTopicConfigs(name: string, changes: Record<string, string | null>, validateOnly: boolean): Promise<void> {
    return this.serialize(async () => {
      const topic = this.existingTopic(name);
      this.checkConfigs(changes);
      if (!validateOnly && Object.keys(changes).length > 0) {
        await this.write([{ type: 'topic-config', topicId: topic.topicId, configs: changes }]);
      }
    });
  }

  /** AlterUserScramCredentials: applies the valid users' changes in one metadata entry; one result per user. */
  alterScramCredentials(deletions: readonly ScramDeletion[], upsertions: readonly ScramUpsertion[]): Promise<UserResult[]> {
    return this.serialize(async () => {
      const { records, results } = planScramAlterations(this.image, deletions, upsertions);
      if (records.length > 0) await this.write(records);
      return results;
    });
  }

  /** Writes credentials (built by the caller) for users that have none for that mechanism yet (bootstrap users). */
  addMissingScramCredentials(records: Array<MetadataRecord & { type: 'scram-credential' }>): Promise<number> {
    return this.serialize(async () => {
      const missing = records.filter((r) => !this.image.scramCredentials.get(r.name)?.has(r.mechanism));
      if (missing.length > 0) await this.write(missing);
      return missing.length;
    });
  }

  /** Reserves a block of producer ids for a broker (KIP-730 style), recorded in the metadata log. */
  allocateProducerIds(nodeId: number, size: number): Promise<{ firstId: number; size: number }> {
    return this.serialize(async () => {
      const firstId = this.image.nextProducerId;
      await this.write([{ type: 'producer-ids', nodeId, firstId, size }]);
      return { firstId, size };
    });
  }

  /**
   * Creates ACL bindings, each checked on its own (Kafka answers per creation); the valid ones are written in one
   * metadata entry. Creations beyond maxAcls fail with POLICY_VIOLATION.
   */
  createAcls(bindings: AclBinding[]): Promise<AclOutcome[]> {
    return this.serialize(async () => {
      const added = new Set<string>();
      const records: MetadataRecord[] = [];
      const outcomes = bindings.map((b): AclOutcome => {
        const err = bindingError(b);
        if (err) return new KafkaError(ErrorCode.INVALID_REQUEST, err);
        const key = bindingKey(b);
        if (this.image.acls.has(key) || added.has(key)) return null;
        if (this.image.acls.size + added.size >= this.maxAcls) {
          return new KafkaError(ErrorCode.POLICY_VIOLATION, `The cluster holds the most ACLs allowed (maxAcls = ${this.maxAcls}).`);
        }
        added.add(key);
        records.push({ type: 'acl', acl: { ...b } });
        return null;
      });
      if (records.length > 0) await this.write(records);
      return outcomes;
    });
  }

  /**
   * Deletes every binding each filter matches; returns, per filter, the error or the bindings it deleted. A binding
   * is listed under the first filter of the request that matched it only, so a request of many filters that all
   * match everything answers with each binding once (its size is bounded by maxAcls, not by the filter count).
   */
  deleteAcls(filters: AclFilter[]): Promise<Array<KafkaError | AclBinding[]>> {
    return this.serialize(async () => {
      const removed = new Map<string, AclBinding>();
      const results = filters.map((f): KafkaError | AclBinding[] => {
        const err = filterError(f);
        if (err) return new KafkaError(ErrorCode.INVALID_REQUEST, err);
        const matched: AclBinding[] = [];
        for (const [key, b] of this.image.acls) {
          if (removed.has(key) || !filterMatches(f, b)) continue;
          removed.set(key, b);
          matched.push(b);
        }
        return matched;
      });
      if (removed.size > 0) await this.write([...removed.values()].map((acl): MetadataRecord => ({ type: 'remove-acl', acl })));
      return results;
    });
  }

  /** Applies client quota changes (already validated), all in one metadata entry; new entities beyond the ceiling fail. */
  alterClientQuotas(alterations: QuotaAlteration[], validateOnly: boolean): Promise<AclOutcome[]> {
    return this.serialize(async () => {
      const records: MetadataRecord[] = [];
      const fresh = new Set<string>();
      const outcomes = alterations.map((a): AclOutcome => {
        const key = entityKey(a.entity);
        if (!this.image.quotas.has(key) && !fresh.has(key) && Object.values(a.changes).some((v) => v !== null)) {
          if (this.image.quotas.size + fresh.size >= this.maxQuotaEntities) {
            return new KafkaError(ErrorCode.POLICY_VIOLATION, `The cluster holds the most client quota entities allowed (maxClientQuotaEntities = ${this.maxQuotaEntities}).`);
          }
          fresh.add(key);
        }
        for (const [k, value] of Object.entries(a.changes)) records.push({ type: 'client-quota', entity: a.entity, key: k, value });
        return null;
      });
      if (!validateOnly && records.length > 0) await this.write(records);
      return outcomes;
    });
  }

  /**
   * AlterPartitionReassignments: per partition, a target replica list starts (or replaces) a reassignment and null
   * cancels one (cluster/reassignment.ts). The valid ones are written in one entry; one outcome per entry, in order.
   */
  reassignPartitions(entries: Array<{ topic: string; partition: number; target: number[] | null }>): Promise<AclOutcome[]> {
    return this.serialize(async () => {
      const records: MetadataRecord[] = [];
      const outcomes = entries.map(({ topic: name, partition, target }): AclOutcome => {
        const topic = this.image.topicsByName.get(name);
        const state = topic?.partitions[partition];
        if (!topic || !state) return new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${quoteName(name)} has no partition ${partition}.`);
        let next: PartitionState | null;
        if (target === null) {
          next = cancelReassignment(state);
          if (!next) return new KafkaError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `No reassignment of ${name}-${partition} is in progress.`);
        } else {
          if (target.length === 0) return new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The target replica list is empty.');
          try {
            this.checkAssignment(target, target.length);
          } catch (err) {
            return err as KafkaError;
          }
          next = startReassignment(state, target).next;
        }
        if (next) records.push({ type: 'partition', topicId: topic.topicId, ...next });
        return null;
      });
      if (records.length > 0) await this.write(records);
      return outcomes;
    });
  }
}

/** Broker ids ordered rack by rack in turn (racks and ids sorted), so consecutive brokers sit in different racks. */
export function rackInterleaved(brokers: ReadonlyArray<{ id: number; rack: string | null }>): number[] {
  const byRack = new Map<string, number[]>();
  for (const b of [...brokers].sort((x, y) => x.id - y.id)) {
    const rack = b.rack ?? '';
    byRack.set(rack, [...(byRack.get(rack) ?? []), b.id]);
  }
  const racks = [...byRack.keys()].sort().map((r) => byRack.get(r)!);
  const out: number[] = [];
  for (let i = 0; out.length < brokers.length; i++) for (const ids of racks) if (i < ids.length) out.push(ids[i]);
  return out;
}
