// Keeps the set of locally hosted partitions in step with the metadata image: opens (and recovers)
// the log of every partition this broker leads, applies topic config changes live, and removes the
// data of deleted topics. Handlers reach partition logs only through here. With tiered storage each log gets
// its remote side (manifest, uploader, remote reads), and a deleted topic's remote data goes with it.
// A partition whose log cannot be opened (corrupt file, full disk, permissions) is offline until restart, as
// Kafka takes a failed log directory offline: it answers KAFKA_STORAGE_ERROR, and every other partition and
// every later sync carry on.
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors';
import { PartitionLog, type AppendResult } from '../log/partition-log';
import type { TxnMarker } from '../log/control-batch';
import type { LogConfig } from '../log/log-config';
import { resolveLogConfig } from '../log/topic-config';
import type { Logger } from '../logger';
import type { RemoteStorage } from '../tier/remote-storage';
import type { RemoteLog } from '../tier/remote-log';
import { Semaphore } from '../tier/semaphore';
import type { MetadataImage, TopicImage } from './metadata-image';
import { Partition } from './partition';

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

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>(); // key: `${topicId}:${index}`
  private readonly offline = new Map<string, OfflinePartition>(); // same keys
  private syncing: Promise<void> = Promise.resolve();
  /** Observes every successful append (metrics). */
  onAppend: ((p: Partition, r: AppendResult) => void) | null = null;
  /** This broker became (or, with a new epoch, stayed) or stopped being a partition's leader: coordinators follow it. */
  readonly leadership = new EventEmitter<{ change: [topic: string, index: number, isLeader: boolean, leaderEpoch: number] }>();

  constructor(
    private readonly dataDir: string,
    private readonly nodeId: number,
    private readonly image: MetadataImage,
    private readonly brokerLogDefaults: LogConfig,
    private readonly defaultMinIsr: number,
    private readonly logger: Logger,
    /** Tiered storage; null = no remote side (logs keep everything locally). */
    private readonly tier: RemoteStorage | null = null,
  ) {}

  topicIdOf(topicName: string): string | undefined {
    return this.image.topicsByName.get(topicName)?.topicId;
  }

  /** Whether this broker should lead the partition but cannot serve it: its log failed to open or went offline. */
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
    throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This server is not the leader for that topic-partition.`);
  }

  /**
   * Appends a produce payload. Not async on purpose: the log assigns offsets synchronously inside this call,
   * so callers that start several appends in a row get offsets in that order.
   */
  appendRecords(topicName: string, index: number, records: Buffer, requiredAcks: number): Promise<AppendResult> {
    let partition: Partition;
    try {
      partition = this.get(topicName, index);
      if (requiredAcks === -1) this.checkMinIsr(topicName, index);
    } catch (err) {
      return Promise.reject(err);
    }
    // With the leader as the only in-sync replica, acks=all means on disk: answered after the (shared) fsync.
    const durable = requiredAcks === -1;
    return partition.log.append(records, { leaderEpoch: partition.leaderEpoch, fromClient: true, durable }).then((result) => {
      this.onAppend?.(partition, result);
      return result;
    });
  }

  /**
   * Appends the broker's own records (internal topics): no client checks. Acknowledged when written, or with
   * `requiredAcks: -1` (coordinators) as a client's acks=all: min.insync.replicas checked, durable.
   */
  appendInternal(topicName: string, index: number, records: Buffer, opts: { requiredAcks?: -1 | 1 } = {}): Promise<AppendResult> {
    let partition: Partition;
    try {
      partition = this.get(topicName, index);
      if (opts.requiredAcks === -1) this.checkMinIsr(topicName, index);
    } catch (err) {
      return Promise.reject(err);
    }
    return partition.log.append(records, { leaderEpoch: partition.leaderEpoch, durable: opts.requiredAcks === -1 });
  }

  /** The partitions of a topic this broker leads and hosts now (coordinators take these on at start). */
  ledPartitions(topicName: string): Array<{ index: number; leaderEpoch: number }> {
    const topic = this.image.topicsByName.get(topicName);
    if (!topic) return [];
    const out: Array<{ index: number; leaderEpoch: number }> = [];
    for (const state of topic.partitions) {
      const p = state && state.leader === this.nodeId ? this.partitions.get(`${topic.topicId}:${state.partition}`) : undefined;
      if (p) out.push({ index: p.index, leaderEpoch: p.leaderEpoch });
    }
    return out;
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
      partition = this.get(topicName, index);
    } catch (err) {
      return Promise.resolve({ errorCode: errorCodeFrom(err) });
    }
    return partition.log.appendTxnMarker(marker, { leaderEpoch: partition.leaderEpoch }).then(
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

  private checkMinIsr(topicName: string, index: number): void {
    const topic = this.image.topicsByName.get(topicName)!;
    const minIsr = Number(topic.configs['min.insync.replicas'] ?? this.defaultMinIsr);
    const isr = topic.partitions[index].isr.length;
    if (isr < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR ${isr} is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${topicName}-${index}`,
      );
    }
  }

  /**
   * Resolves once at least `bytes` more bytes were appended to any of the partitions, or after `timeoutMs`, or
   * when `signal` aborts (the requesting connection closed). For read_committed, appends count only once the
   * last stable offset of some partition has moved (a marker made data readable).
   * This is the delayed-fetch purgatory: long polls wake on appends instead of polling.
   */
  waitForAppends(partitions: Partition[], bytes: number, timeoutMs: number, signal?: AbortSignal, readCommitted = false): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const initial = partitions.map((p) => p.log.sizeBytes);
      const initialLso = partitions.map((p) => p.log.lastStableOffset);
      const listener = () => {
        if (readCommitted && partitions.every((p, i) => p.log.lastStableOffset === initialLso[i])) return;
        let appended = 0;
        partitions.forEach((p, i) => (appended += p.log.sizeBytes - initial[i]));
        if (appended >= bytes) done();
      };
      const timer = setTimeout(() => done(), timeoutMs);
      // A waiter whose client went away must not hold its timer and listeners until the timeout.
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        for (const p of partitions) p.log.off('append', listener);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      for (const p of partitions) p.log.on('append', listener);
    });
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
        if (!state || state.leader !== this.nodeId) continue;
        const key = `${topic.topicId}:${state.partition}`;
        wanted.add(key);
        const existing = this.partitions.get(key);
        if (existing) {
          const newEpoch = existing.leaderEpoch !== state.leaderEpoch;
          existing.leaderEpoch = state.leaderEpoch;
          if (newEpoch) this.leadership.emit('change', topic.name, state.partition, true, state.leaderEpoch);
          const remote = existing.log.remoteLog;
          if (remote) remote.leaderEpoch = Math.max(remote.leaderEpoch, state.leaderEpoch);
          existing.log.updateConfig(config);
          continue;
        }
        if (this.offline.has(key)) continue; // offline until restart
        try {
          this.partitions.set(key, await this.openPartition(topic, state.partition, state.leaderEpoch, config));
          this.leadership.emit('change', topic.name, state.partition, true, state.leaderEpoch);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          this.offline.set(key, { topic: topic.name, topicId: topic.topicId, index: state.partition, reason });
          this.logger.error('could not open the partition log; the partition is offline', { partition: `${topic.name}-${state.partition}`, error: reason });
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
      this.leadership.emit('change', p.topic, p.index, false, p.leaderEpoch);
      try {
        await this.removePartition(p);
      } catch (err) {
        this.logger.error('could not remove a partition\'s data', { partition: p.key, err });
      }
    }
  }

  private async openPartition(topic: TopicImage, index: number, leaderEpoch: number, config: LogConfig): Promise<Partition> {
    const dir = path.join(this.dataDir, `${topic.name}-${index}`);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, METADATA_FILE), `version: 0\ntopic_id: ${topic.topicId}\n`);
    const logger = this.logger.child(`log/${topic.name}-${index}`);
    // The manifest is loaded before the local log opens: with a wiped disk, the log must continue after it.
    let remote: RemoteLog | undefined;
    if (this.tier) remote = await this.tier.openPartition(topic.topicId, index, leaderEpoch, logger.child('tier'));
    try {
      const log = await PartitionLog.open(dir, config, { logger, remote });
      return new Partition(topic.name, topic.topicId, index, log, leaderEpoch);
    } catch (err) {
      await remote?.close();
      throw err;
    }
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
      if (!topic || topic.name !== m[1] || !state || state.leader !== this.nodeId) {
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
    // A checkpoint opens and fsyncs each log's files: a bounded number at once, or thousands of partitions
    // would run the process out of file descriptors (EMFILE) on the way down.
    const slots = new Semaphore(CLOSE_CONCURRENCY);
    await Promise.all([...this.partitions.values()].map((p) => slots.run(() => p.log.close())));
    this.partitions.clear();
  }
}
