// Keeps the set of locally hosted partitions in step with the metadata image: opens (and recovers)
// the log of every partition this broker is a replica of, applies topic config changes live, and removes the
// data of deleted topics and of partitions moved away. Handlers reach partition logs only through here: `get`
// for any hosted partition, `getLeader` where only the leader may answer (produce, consumer fetch, ListOffsets…).
// Roles follow the image (Kafka's becomeLeaderOrFollower): on a new leader epoch the leader marks its log
// replicated (when it has other replicas), reloads the tier manifest if it was not leading, starts uploading and
// tracks its followers (cluster/follower-state.ts); a follower stops uploading and is fetched by the replica
// fetcher of its leader (cluster/replica-fetcher.ts). acks=all on a replicated log waits for the high watermark
// (cluster/delayed-produce.ts). `leadership` tells coordinators when this broker starts or stops leading.
// With tiered storage each log gets its remote side (manifest, uploader, remote reads), and a deleted topic's
// remote data goes with it (a partition that only moved to other brokers keeps it).
// A partition whose log cannot be opened (corrupt file, full disk, permissions) is offline until restart, as
// Kafka takes a failed log directory offline: it answers KAFKA_STORAGE_ERROR, and every other partition and
// every later sync carry on.
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { systemClock, type Clock } from '../clock';
import { ErrorCode, KafkaError } from '../protocol/errors';
import { PartitionLog, type AppendResult } from '../log/partition-log';
import type { TxnMarker } from '../log/control-batch';
import type { LogConfig } from '../log/log-config';
import { resolveLogConfig } from '../log/topic-config';
import type { Logger } from '../logger';
import type { RemoteStorage } from '../tier/remote-storage';
import type { RemoteLog } from '../tier/remote-log';
import { Semaphore } from '../tier/semaphore';
import type { MetadataImage, PartitionState, TopicImage } from './metadata-image';
import type { LedPartition } from '../metrics/cluster-metrics';
import { Partition } from './partition';
import { FollowerStates } from './follower-state';
import { DelayedProduces } from './delayed-produce';
import { ReplicaFetchers, type ReplicaFetcherOptions } from './replica-fetcher';

const METADATA_FILE = 'partition.metadata';

/** The Kafka error code an error carries; anything else is a storage failure of the log. */
function errorCodeFrom(err: unknown): ErrorCode {
  return err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
}

/** A partition this broker leads whose log could not be opened. */
export interface OfflinePartition {
  topic: string;
  topicId: string;
  index: number;
  reason: string;
}

/** Logs closed (checkpointed) at once on shutdown. */
const CLOSE_CONCURRENCY = 64;
/** How long the broker's own acks=all writes (offset commits, transaction markers) wait for the ISR. */
const INTERNAL_REPLICATION_TIMEOUT_MS = 30_000;
/** A produce request's timeout when the caller gives none. */
const DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;

export interface ReplicationOptions {
  /** replica.lag.time.max.ms (default 10 s). */
  replicaLagTimeMaxMs?: number;
  clock?: Clock;
  /** Writes an ISR change of a partition this broker leads (the controller's AlterPartition). */
  alterIsr?: (topicId: string, partition: number, leaderEpoch: number, isr: number[]) => Promise<void>;
  /** How followers reach leaders; without it this broker fetches nothing (single-broker clusters). */
  fetcher?: Omit<ReplicaFetcherOptions, 'nodeId' | 'logger'>;
}

export interface LeadershipEvents {
  change: [topic: string, index: number, isLeader: boolean, leaderEpoch: number];
}
export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>(); // key: `${topicId}:${index}`
  private readonly offline = new Map<string, OfflinePartition>(); // same keys
  private syncing: Promise<void> = Promise.resolve();
  /** Observes every successful append (metrics). */
  onAppend: ((p: Partition, r: AppendResult) => void) | null = null;
  /** Observes ISR changes this broker wrote as leader (metrics). */
  onIsrChanged: ((kind: 'shrink' | 'expand') => void) | null = null;
  /** Whether this broker considers itself fenced (no heartbeat answered for the session timeout): it refuses produce. */
  selfFenced: (() => boolean) | null = null;
  /** Emits `change` when this broker starts leading a partition (or at a new epoch), or stops leading it. */
  readonly leadership = new EventEmitter<LeadershipEvents>();
  private readonly delayed: DelayedProduces;
  private readonly fetchers: ReplicaFetchers | null;
  private readonly clock: Clock;

  constructor(
    private readonly dataDir: string,
    private readonly nodeId: number,
    private readonly image: MetadataImage,
    private readonly brokerLogDefaults: LogConfig,
    private readonly defaultMinIsr: number,
    private readonly logger: Logger,
    /** Tiered storage; null = no remote side (logs keep everything locally). */
    private readonly tier: RemoteStorage | null = null,
    private readonly replication: ReplicationOptions = {},
  ) {
    this.clock = replication.clock ?? systemClock;
    this.delayed = new DelayedProduces(this.clock);
    this.fetchers = replication.fetcher ? new ReplicaFetchers({ ...replication.fetcher, nodeId, logger: logger.child('fetcher') }) : null;
  }

  topicIdOf(topicName: string): string | undefined {
    return this.image.topicsByName.get(topicName)?.topicId;
  }

  /** Whether this broker hosts the partition but cannot serve it: its log failed to open or went offline. */
  isOffline(topicId: string, index: number): boolean {
    const key = `${topicId}:${index}`;
    return this.offline.has(key) || (this.partitions.get(key)?.log.isOffline ?? false);
  }

  /** Partitions offline on this broker (metric strata_offline_partitions). */
  offlineCount(): number {
    let n = this.offline.size;
    for (const p of this.partitions.values()) if (p.log.isOffline) n++;
    return n;
  }

  /** Partitions this broker leads, as the leader sees them (replication metrics). */
  *led(): Iterable<LedPartition> {
    for (const p of this.partitions.values()) {
      if (!p.isLeader) continue;
      const end = p.log.logEndOffset;
      yield {
        topic: p.topic,
        partition: p.index,
        replicas: p.replicas.length,
        isr: p.isr.length,
        minIsr: this.minIsrOf(p),
        followerLag: (p.followers?.view() ?? []).map((f) => ({ replica: f.nodeId, lag: f.logEndOffset < 0 ? end : Math.max(0, end - f.logEndOffset) })),
      };
    }
  }

  /** All hosted partitions, for metrics and retention. */
  all(): Iterable<Partition> {
    return this.partitions.values();
  }

  /** The hosted partition, or a KafkaError a client understands. */
  get(topicName: string, index: number): Partition {
    const topic = this.image.topicsByName.get(topicName);
    if (!topic) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition.`);
    return this.getById(topic.topicId, index);
  }

  getById(topicId: string, index: number): Partition {
    const p = this.partitions.get(`${topicId}:${index}`);
    if (p) return p;
    const down = this.offline.get(`${topicId}:${index}`);
    if (down) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `The log of ${down.topic}-${down.index} is offline: ${down.reason}`);
    const topic = this.image.topicsById.get(topicId);
    const state = topic?.partitions[index];
    if (!state) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition.`);
    throw notLeader();
  }

  /** The partition if this broker leads it; NOT_LEADER_OR_FOLLOWER when it only follows it (or it has no leader). */
  getLeader(topicName: string, index: number): Partition {
    return leaderOnly(this.get(topicName, index));
  }

  getLeaderById(topicId: string, index: number): Partition {
    return leaderOnly(this.getById(topicId, index));
  }

  /**
   * Appends a produce payload. Not async on purpose: the log assigns offsets synchronously inside this call,
   * so callers that start several appends in a row get offsets in that order.
   */
  appendRecords(topicName: string, index: number, records: Buffer, requiredAcks: number, timeoutMs = DEFAULT_PRODUCE_TIMEOUT_MS): Promise<AppendResult> {
    let partition: Partition;
    let minIsr = 1;
    try {
      // A broker that lost its session may already be replaced as leader: it must acknowledge nothing.
      if (this.selfFenced?.()) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'This broker is fenced (its heartbeats went unanswered): it leads nothing until it rejoins.');
      partition = this.getLeader(topicName, index);
      if (requiredAcks === -1) minIsr = this.checkMinIsr(partition);
    } catch (err) {
      return Promise.reject(err);
    }
    // With the leader as the only replica, acks=all means on disk: answered after the (shared) fsync. With
    // followers it means in every ISR member's log: answered when the high watermark passes the records.
    const durable = requiredAcks === -1 && !partition.log.replicated;
    const appended = partition.log.append(records, { leaderEpoch: partition.leaderEpoch, fromClient: true, durable }).then((result) => {
      this.onAppend?.(partition, result);
      return result;
    });
    return requiredAcks === -1 ? this.replicate(partition, appended, minIsr, timeoutMs) : appended;
  }

  /**
   * Appends the broker's own records (internal topics): no client checks. Acknowledged when written, or with
   * `requiredAcks: -1` (coordinators) as a client's acks=all: min.insync.replicas checked, then fsynced (a single
   * replica) or replicated to the ISR.
   */
  appendInternal(topicName: string, index: number, records: Buffer, opts: { requiredAcks?: -1 | 1 } = {}): Promise<AppendResult> {
    let partition: Partition;
    let minIsr = 1;
    try {
      partition = this.getLeader(topicName, index);
      if (opts.requiredAcks === -1) minIsr = this.checkMinIsr(partition);
    } catch (err) {
      return Promise.reject(err);
    }
    const all = opts.requiredAcks === -1;
    const appended = partition.log.append(records, { leaderEpoch: partition.leaderEpoch, durable: all && !partition.log.replicated });
    return all ? this.replicate(partition, appended, minIsr, INTERNAL_REPLICATION_TIMEOUT_MS) : appended;
  }

  /** The partitions of a topic this broker leads and hosts now (coordinators take these on at start). */
  ledPartitions(topicName: string): Array<{ index: number; leaderEpoch: number }> {
    const topic = this.image.topicsByName.get(topicName);
    if (!topic) return [];
    const out: Array<{ index: number; leaderEpoch: number }> = [];
    for (const state of topic.partitions) {
      const p = state ? this.partitions.get(`${topic.topicId}:${state.partition}`) : undefined;
      if (p?.isLeader) out.push({ index: p.index, leaderEpoch: p.leaderEpoch });
    }
    return out;
  }

  /**
   * Resolves an append once the ISR has it (at once on a single-replica log): the HW passed it with at least
   * `minIsr` in-sync replicas (cluster/delayed-produce.ts).
   */
  private replicate(partition: Partition, appended: Promise<AppendResult>, minIsr: number, timeoutMs: number): Promise<AppendResult> {
    if (!partition.log.replicated) return appended;
    const leaderEpoch = partition.leaderEpoch;
    return appended.then(async (result) => {
      await this.delayed.wait(partition, result.lastOffset, leaderEpoch, minIsr, timeoutMs);
      return result;
    });
  }

  /**
   * Writes a transaction marker (COMMIT or ABORT control batch) to a partition this broker leads, durable (fsynced)
   * like an acks=all append. Resolves with the marker's offset, or with the Kafka error code that refused it:
   * UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, KAFKA_STORAGE_ERROR, INVALID_PRODUCER_EPOCH (a marker
   * older than the producer's epoch), TRANSACTION_COORDINATOR_FENCED (from an older coordinator epoch).
   * Never rejects. Like appendRecords, the offset is assigned within this call.
   */
  appendTxnMarker(topicName: string, index: number, marker: TxnMarker): Promise<{ offset: number } | { errorCode: ErrorCode }> {
    let partition: Partition;
    try {
      partition = this.getLeader(topicName, index);
    } catch (err) {
      return Promise.resolve({ errorCode: errorCodeFrom(err) });
    }
    const appended = partition.log.appendTxnMarker(marker, { leaderEpoch: partition.leaderEpoch });
    return this.replicate(partition, appended, 1, INTERNAL_REPLICATION_TIMEOUT_MS).then(
      (result) => {
        this.onAppend?.(partition, result);
        return { offset: result.baseOffset };
      },
      (err: unknown) => {
        const errorCode = errorCodeFrom(err);
        if (errorCode === ErrorCode.KAFKA_STORAGE_ERROR) this.logger.warn('transaction marker write failed', { partition: partition.key, error: err instanceof Error ? err.message : String(err) });
        return { errorCode };
      },
    );
  }

  private minIsrOf(p: Partition): number {
    return Number(this.image.topicsById.get(p.topicId)?.configs['min.insync.replicas'] ?? this.defaultMinIsr);
  }

  /** Refuses acks=all while the ISR is below min.insync.replicas; returns that minimum. */
  private checkMinIsr(p: Partition): number {
    const minIsr = this.minIsrOf(p);
    const isr = p.isr.length;
    if (isr < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR ${isr} is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${p.key}`,
      );
    }
    return minIsr;
  }

  logConfigFor(topic: TopicImage): LogConfig {
    return resolveLogConfig(topic.configs, this.brokerLogDefaults);
  }

  /** Brings local partitions in line with the image. Calls are serialized; each sees the latest image. */
  sync(): Promise<void> {
    const run = this.syncing.then(() => this.doSync());
    this.syncing = run.catch(() => undefined); // one failed sync does not fail the ones after it
    return run;
  }

  private async doSync(): Promise<void> {
    const wanted = new Set<string>();
    for (const topic of this.image.topicsById.values()) {
      const config = this.logConfigFor(topic);
      for (const state of topic.partitions) {
        if (!state || !state.replicas.includes(this.nodeId)) continue;
        const key = `${topic.topicId}:${state.partition}`;
        wanted.add(key);
        let p = this.partitions.get(key);
        const opened = !p;
        if (p) p.log.updateConfig(config);
        else {
          if (this.offline.has(key)) continue; // offline until restart
          try {
            p = await this.openPartition(topic, state, config);
          } catch (err) {
            const reason = err instanceof Error ? err.message : String(err);
            this.offline.set(key, { topic: topic.name, topicId: topic.topicId, index: state.partition, reason });
            this.logger.error('could not open the partition log; the partition is offline', { partition: `${topic.name}-${state.partition}`, error: reason });
            continue;
          }
          this.partitions.set(key, p);
        }
        try {
          await this.applyState(p, state, opened);
        } catch (err) {
          this.logger.error('could not take the partition\'s new role', { partition: p.key, error: err instanceof Error ? err.message : String(err) });
        }
      }
    }
    for (const [key, down] of this.offline) {
      if (wanted.has(key)) continue;
      this.offline.delete(key);
      await this.removeDirectory(path.join(this.dataDir, `${down.topic}-${down.index}`)).catch((err) =>
        this.logger.warn('could not remove the directory of an offline partition', { partition: `${down.topic}-${down.index}`, err }),
      );
    }
    for (const [key, p] of this.partitions) {
      if (wanted.has(key)) continue;
      this.partitions.delete(key);
      try {
        await this.stopReplicating(p);
        await this.removePartition(p);
      } catch (err) {
        this.logger.error('could not remove a partition\'s data', { partition: p.key, err });
      }
    }
  }

  /**
   * Applies the image's leader, epoch, replicas and ISR to a hosted partition. A new leader or epoch changes the
   * role (becomeLeader / becomeFollower); the same epoch with a new ISR only updates the leader's tracker.
   */
  private async applyState(p: Partition, state: PartitionState, opened: boolean): Promise<void> {
    const roleChanged = p.leaderId !== state.leader || p.leaderEpoch !== state.leaderEpoch;
    const wasLeader = p.isLeader;
    p.replicas = state.replicas;
    p.isr = state.isr;
    if (!roleChanged) {
      if (p.followers) {
        // A reassignment changes the replica set under the same epoch: track the new followers.
        p.followers.updateReplicas(state.replicas);
        p.log.replicated = state.replicas.length > 1;
        if (p.log.replicated) p.followers.start();
        p.followers.updateIsr(state.isr);
      }
      this.delayed.check(p);
      return;
    }
    p.leaderId = state.leader;
    p.leaderEpoch = state.leaderEpoch;
    const remote = p.log.remoteLog;
    if (remote) remote.leaderEpoch = Math.max(remote.leaderEpoch, state.leaderEpoch);
    if (p.isLeader) await this.becomeLeader(p, wasLeader || opened);
    else await this.becomeFollower(p, wasLeader);
  }

  /** `manifestCurrent`: it led already, or its tier manifest was just loaded (opened now): no reload needed. */
  private async becomeLeader(p: Partition, manifestCurrent: boolean): Promise<void> {
    await this.fetchers?.unfollow(p);
    p.followers?.stop();
    const log = p.log;
    log.replicated = p.replicas.length > 1;
    // A new leader continues after what the previous one uploaded; only the leader uploads.
    if (!manifestCurrent && log.remoteLog) await log.reloadRemote();
    log.setUploading(true);
    const followers = new FollowerStates({
      nodeId: this.nodeId,
      log,
      replicas: p.replicas,
      isr: p.isr,
      leaderEpochStartOffset: log.logEndOffset,
      replicaLagTimeMaxMs: this.replication.replicaLagTimeMaxMs ?? 10_000,
      clock: this.clock,
      alterIsr: (isr) => this.alterIsr(p, isr),
      isrEligible: (id) => this.image.brokers.get(id)?.fenced === false,
      onIsrChanged: (kind) => this.onIsrChanged?.(kind),
      logger: this.logger.child(`isr/${p.key}`),
    });
    p.followers = followers;
    if (log.replicated) followers.start();
    followers.maybeAdvanceHighWatermark();
    this.delayed.check(p);
    this.logger.debug('leading partition', { partition: p.key, leaderEpoch: p.leaderEpoch, isr: p.isr });
    this.leadership.emit('change', p.topic, p.index, true, p.leaderEpoch);
  }

  private async becomeFollower(p: Partition, wasLeader: boolean): Promise<void> {
    p.followers?.stop();
    p.followers = null;
    // A follower's HW comes from its leader (min(leader HW, own log end)), never from its own appends.
    p.log.replicated = true;
    p.log.setUploading(false);
    this.delayed.check(p); // produces waiting on this leadership fail now
    if (wasLeader) this.leadership.emit('change', p.topic, p.index, false, p.leaderEpoch);
    if (p.leaderId < 0) {
      await this.fetchers?.unfollow(p);
      this.logger.warn('partition has no leader', { partition: p.key, leaderEpoch: p.leaderEpoch });
      return;
    }
    if (!this.fetchers) {
      this.logger.warn('following a partition without a replica fetcher (no inter-broker clients): it will not replicate', { partition: p.key });
      return;
    }
    await this.fetchers.follow(p, p.leaderId);
    this.logger.debug('following partition', { partition: p.key, leader: p.leaderId, leaderEpoch: p.leaderEpoch });
  }

  /** Stops a partition's replication work before its log closes. */
  private async stopReplicating(p: Partition): Promise<void> {
    await this.fetchers?.unfollow(p);
    p.followers?.stop();
    p.followers = null;
    if (p.isLeader) this.leadership.emit('change', p.topic, p.index, false, p.leaderEpoch);
    p.leaderId = -1;
    this.delayed.check(p);
  }

  private alterIsr(p: Partition, isr: number[]): Promise<void> {
    if (!this.replication.alterIsr) return Promise.reject(new Error('no controller to write ISR changes to'));
    return this.replication.alterIsr(p.topicId, p.index, p.leaderEpoch, isr);
  }

  private async openPartition(topic: TopicImage, state: PartitionState, config: LogConfig): Promise<Partition> {
    const { partition: index, leaderEpoch } = state;
    const replicated = state.replicas.length > 1;
    const dir = path.join(this.dataDir, `${topic.name}-${index}`);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, METADATA_FILE), `version: 0\ntopic_id: ${topic.topicId}\n`);
    const logger = this.logger.child(`log/${topic.name}-${index}`);
    // The manifest is loaded before the local log opens: with a wiped disk, the log must continue after it.
    let remote: RemoteLog | undefined;
    if (this.tier) remote = await this.tier.openPartition(topic.topicId, index, leaderEpoch, logger.child('tier'));
    let log: PartitionLog;
    try {
      // A replicated log reopens at its persisted HW, not at a log end whose tail may be uncommitted.
      log = await PartitionLog.open(dir, config, { logger, remote, replicated });
    } catch (err) {
      await remote?.close();
      throw err;
    }
    // Opened with no role: applyState gives it one. -1 makes the first applyState a role change.
    const p = new Partition(topic.name, topic.topicId, index, log, -1, this.nodeId);
    log.on('append', () => p.followers?.maybeAdvanceHighWatermark());
    log.on('highWatermark', () => this.delayed.check(p));
    return p;
  }

  private async removePartition(p: Partition): Promise<void> {
    await p.log.close();
    await this.removeDirectory(p.log.dir);
    // Only a deleted topic loses its remote data; a partition that moved to another leader keeps it.
    const remote = p.log.remoteLog;
    if (remote && !this.image.topicsById.has(p.topicId)) {
      try {
        await remote.deleteAll();
      } catch (err) {
        this.logger.warn('could not delete remote data of a deleted partition; the garbage collector will', { partition: p.key, err });
      }
    }
    this.logger.info('deleted partition', { partition: p.key, topicId: p.topicId });
  }

  /** Deletes data directories left behind by topics that no longer exist (e.g. deleted while we were down). */
  async removeStaleDirectories(): Promise<void> {
    let entries: string[] = [];
    try {
      entries = await fs.readdir(this.dataDir);
    } catch {
      return;
    }
    for (const name of entries) {
      const dir = path.join(this.dataDir, name);
      const m = /^(.+)-(\d+)$/.exec(name);
      if (!m) {
        if (name.endsWith('-delete')) await fs.rm(dir, { recursive: true, force: true }).catch((err) => this.logger.warn('could not delete directory', { dir, err }));
        continue;
      }
      let topicId: string | undefined;
      try {
        topicId = /topic_id: (\S+)/.exec(await fs.readFile(path.join(dir, METADATA_FILE), 'utf8'))?.[1];
      } catch {
        continue; // not a partition directory of ours
      }
      const topic = topicId ? this.image.topicsById.get(topicId) : undefined;
      const state = topic?.partitions[Number(m[2])];
      if (!topic || topic.name !== m[1] || !state || !state.replicas.includes(this.nodeId)) {
        this.logger.info('removing data of a partition this broker no longer hosts', { dir });
        await this.removeDirectory(dir).catch((err) => this.logger.warn('could not remove a stale partition directory', { dir, err }));
      }
    }
  }

  /** Renames first so a re-created topic of the same name can start at once, then deletes in the background. */
  private async removeDirectory(dir: string): Promise<void> {
    const trash = `${dir}.${Date.now().toString(36)}-delete`;
    await fs.rename(dir, trash);
    fs.rm(trash, { recursive: true, force: true }).catch((err) => this.logger.warn('could not delete directory', { dir: trash, err }));
  }

  /** Whether a topic id exists in the metadata image (the remote garbage collector's view of live topics). */
  topicExists(topicId: string): boolean {
    return this.image.topicsById.has(topicId);
  }

  async close(): Promise<void> {
    await this.syncing;
    await this.fetchers?.close();
    for (const p of this.partitions.values()) p.followers?.stop();
    this.delayed.failAll();
    // A checkpoint opens and fsyncs each log's files: a bounded number at once, or thousands of partitions
    // would run the process out of file descriptors (EMFILE) on the way down.
    const slots = new Semaphore(CLOSE_CONCURRENCY);
    await Promise.all([...this.partitions.values()].map((p) => slots.run(() => p.log.close())));
    this.partitions.clear();
  }
}

function notLeader(): KafkaError {
  return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This server is not the leader for that topic-partition.`);
}

function leaderOnly(p: Partition): Partition {
  if (!p.isLeader) throw notLeader();
  return p;
}
