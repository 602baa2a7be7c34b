// Follower side of replication: one ReplicaFetcher per leader broker pulls every partition this broker
// follows from that leader, in one Fetch per round (Kafka's ReplicaFetcherThread).
// - Fetch at the highest version both sides support (peers are Strata brokers: v17; v12+ is what carries
//   lastFetchedEpoch and divergingEpoch): replica id (v15+: replica state) = this node and its broker epoch,
//   fetchOffset = local log end, lastFetchedEpoch = the log's latest epoch, currentLeaderEpoch = the epoch the
//   image gave; the leader long-polls up to replicaFetchWaitMaxMs.
// - Batches are appended unchanged (log.appendAsFollower: the leader's offsets and epochs), then
//   HW = min(leader HW, own log end); a leader's log start moved by DeleteRecords moves ours.
// - divergingEpoch: the leader's log ends that epoch earlier (ours has records a previous leader never
//   committed): truncate to min(its end offset, ours for that epoch) and fetch again.
// - OFFSET_MOVED_TO_TIERED_STORAGE / OFFSET_OUT_OF_RANGE: ask the leader (ListOffsets) where its local log starts
//   (-4); if we are below it, start an empty log there (older offsets are read from the bucket); if we are past the
//   leader's end, truncate to it.
// - NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, unknown topic: our metadata and the
//   leader's disagree; the partition backs off (and asks for a metadata refresh) until ReplicaManager hands it
//   over again with a new epoch or the backoff ends. Connection errors back every partition off.
import type { Logger } from '../logger';
import { ApiKey } from '../protocol/apis';
import { ZERO_UUID } from '../protocol/codec';
import { ErrorCode, errorName } from '../protocol/errors';
import type { FetchRequest, FetchResponse, ListOffsetsRequest, ListOffsetsResponse } from '../protocol/schema/types';
import type { Partition } from './partition';

/** Kafka's replica.fetch.backoff.ms default: the pause after a failed fetch round or partition. */
export const FETCH_BACKOFF_MS = 1000;
const FETCH_VERSION = 17;
const LIST_OFFSETS_VERSION = 10; // -4 (earliest local) needs v8+
const EARLIEST_LOCAL = -4;
const LATEST = -1;

export interface ReplicaFetcherOptions {
  nodeId: number;
  /** This broker's epoch (position of its registration in the metadata log), sent as replica_epoch. */
  brokerEpoch: () => number;
  /**
   * Sends a request to a broker over the inter-broker listener at the highest version both support ≤ maxVersion
   * (BrokerClients.request: reconnects with backoff, throws while the broker is unreachable).
   */
  request: <T>(nodeId: number, apiKey: number, maxVersion: number, body: object) => Promise<T>;
  replicaFetchWaitMaxMs: number;
  replicaFetchMaxBytes: number;
  replicaFetchResponseMaxBytes: number;
  /** Our metadata may be stale (the leader refused our epoch): catch up now. */
  refreshMetadata?: () => void;
  logger: Logger;
}

interface Fetching {
  partition: Partition;
  leaderEpoch: number;
  /** Date.now() before which this partition is not fetched. */
  delayedUntil: number;
}

type PartitionData = FetchResponse['responses'][number]['partitions'][number];

/** Fetches everything this broker follows from one leader. */
class ReplicaFetcher {
  private readonly fetching = new Map<string, Fetching>(); // key `${topicId}:${index}`
  private running = true;
  private wake: (() => void) | null = null;
  /** The response being applied: removing a partition waits for it, so nobody else touches the log meanwhile. */
  private applying: Promise<void> = Promise.resolve();
  private failedRounds = 0;
  readonly done: Promise<void>;

  constructor(
    readonly leaderId: number,
    private readonly opts: ReplicaFetcherOptions,
  ) {
    this.done = this.loop();
  }

  get size(): number {
    return this.fetching.size;
  }

  add(p: Partition): void {
    this.fetching.set(`${p.topicId}:${p.index}`, { partition: p, leaderEpoch: p.leaderEpoch, delayedUntil: 0 });
    this.wake?.();
  }

  /** Stops fetching `p`; resolves once no response is being applied to its log. */
  async remove(p: Partition): Promise<void> {
    this.fetching.delete(`${p.topicId}:${p.index}`);
    await this.applying;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.done;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      const ready = [...this.fetching.values()].filter((f) => f.delayedUntil <= now);
      if (ready.length === 0) {
        const next = Math.min(...[...this.fetching.values()].map((f) => f.delayedUntil));
        await this.idle(Number.isFinite(next) ? next - now : 60_000);
        continue;
      }
      try {
        const response = await this.fetch(ready);
        const round = this.apply(ready, response);
        this.applying = round.catch(() => undefined);
        await round;
        this.failedRounds = 0;
      } catch (err) {
        if (!this.running) break;
        // Logged once per outage, not once per retry.
        const fields = { leader: this.leaderId, error: err instanceof Error ? err.message : String(err) };
        if (this.failedRounds++ === 0) this.opts.logger.warn('replica fetch from the leader failed; backing off', fields);
        else this.opts.logger.debug('replica fetch from the leader failed again', fields);
        for (const f of ready) f.delayedUntil = Date.now() + FETCH_BACKOFF_MS;
      }
    }
  }

  /** Waits until a partition is added, the fetcher stops, or `ms` passed. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, Math.max(1, ms));
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private async fetch(ready: Fetching[]): Promise<FetchResponse> {
    const topics = new Map<string, FetchRequest['topics'][number]>();
    for (const f of ready) {
      const p = f.partition;
      let t = topics.get(p.topicId);
      if (!t) topics.set(p.topicId, (t = { topic: p.topic, topicId: p.topicId, partitions: [] }));
      t.partitions.push({
        partition: p.index,
        currentLeaderEpoch: f.leaderEpoch,
        fetchOffset: p.log.logEndOffset,
        lastFetchedEpoch: p.log.latestEpoch,
        logStartOffset: p.log.logStartOffset,
        partitionMaxBytes: this.opts.replicaFetchMaxBytes,
      });
    }
    // Both replica id forms are filled in: the encoder writes the one the chosen version has.
    const request: FetchRequest = {
      replicaId: this.opts.nodeId,
      replicaState: { replicaId: this.opts.nodeId, replicaEpoch: this.opts.brokerEpoch() },
      maxWaitMs: this.opts.replicaFetchWaitMaxMs,
      minBytes: 1,
      maxBytes: this.opts.replicaFetchResponseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1, // no fetch session
      topics: [...topics.values()],
      forgottenTopicsData: [],
      rackId: '',
    };
    const response = await this.opts.request<FetchResponse>(this.leaderId, ApiKey.Fetch, FETCH_VERSION, request);
    if (response.errorCode !== ErrorCode.NONE) throw new Error(`fetch refused: ${errorName(response.errorCode)}`);
    return response;
  }

  private async apply(ready: Fetching[], response: FetchResponse): Promise<void> {
    const byKey = new Map<string, PartitionData>();
    for (const t of response.responses) {
      // v13+ names topics by id, v12 by name.
      const topicId = t.topicId && t.topicId !== ZERO_UUID ? t.topicId : ready.find((f) => f.partition.topic === t.topic)?.partition.topicId;
      for (const d of t.partitions) byKey.set(`${topicId}:${d.partitionIndex}`, d);
    }
    for (const f of ready) {
      const key = `${f.partition.topicId}:${f.partition.index}`;
      const d = byKey.get(key);
      // Removed or handed over with a new epoch while the fetch was out: the answer is for a state we left.
      if (!d || this.fetching.get(key) !== f) continue;
      try {
        await this.applyPartition(f, d);
      } catch (err) {
        this.opts.logger.warn('could not apply a replica fetch; backing off', { partition: f.partition.key, error: err instanceof Error ? err.message : String(err) });
        f.delayedUntil = Date.now() + FETCH_BACKOFF_MS;
      }
    }
  }

  private async applyPartition(f: Fetching, d: PartitionData): Promise<void> {
    const log = f.partition.log;
    switch (d.errorCode) {
      case ErrorCode.NONE:
        break;
      case ErrorCode.OFFSET_MOVED_TO_TIERED_STORAGE:
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        await this.resetOffset(f);
        return;
      case ErrorCode.NOT_LEADER_OR_FOLLOWER:
      case ErrorCode.FENCED_LEADER_EPOCH:
      case ErrorCode.UNKNOWN_LEADER_EPOCH:
      case ErrorCode.UNKNOWN_TOPIC_ID:
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
        this.opts.refreshMetadata?.();
        f.delayedUntil = Date.now() + FETCH_BACKOFF_MS;
        return;
      default:
        this.opts.logger.warn('the leader refused a replica fetch', { partition: f.partition.key, error: errorName(d.errorCode) });
        f.delayedUntil = Date.now() + FETCH_BACKOFF_MS;
        return;
    }
    const diverging = d.divergingEpoch;
    if (diverging && diverging.epoch >= 0 && diverging.endOffset >= 0) {
      const ours = log.endOffsetForLeaderEpoch(diverging.epoch);
      const to = Math.min(diverging.endOffset, ours.endOffset, log.logEndOffset);
      this.opts.logger.info('truncating a diverging follower log', { partition: f.partition.key, epoch: diverging.epoch, leaderEndOffset: diverging.endOffset, to });
      await log.truncateTo(to);
      return;
    }
    const records = d.records as Buffer | null;
    // (An empty log restarted inside a batch takes that batch whole: appendAsFollower handles it.)
    if (records && records.length > 0) await log.appendAsFollower(records);
    log.updateHighWatermark(Math.min(d.highWatermark, log.logEndOffset));
    // DeleteRecords on the leader moved its log start: the follower's follows (Kafka's maybeIncrementLogStartOffset).
    const start = Math.min(d.logStartOffset, log.highWatermark);
    if (start > log.logStartOffset) await log.deleteRecordsBefore(start);
  }

  /** Our fetch offset is outside the leader's local log: restart at its local start, or truncate to its end. */
  private async resetOffset(f: Fetching): Promise<void> {
    const p = f.partition;
    const earliestLocal = await this.listOffset(p, EARLIEST_LOCAL);
    if (p.log.logEndOffset < earliestLocal) {
      this.opts.logger.info('follower log is below the leader\'s local log start: starting empty there', { partition: p.key, offset: earliestLocal });
      await p.log.truncateFullyAndStartAt(earliestLocal);
      return;
    }
    const leaderEnd = await this.listOffset(p, LATEST);
    if (p.log.logEndOffset > leaderEnd) {
      this.opts.logger.info('follower log is past the leader\'s end: truncating', { partition: p.key, to: leaderEnd });
      await p.log.truncateTo(leaderEnd);
    }
  }

  /** ListOffsets as a replica (LATEST answers the leader's log end offset). */
  private async listOffset(p: Partition, timestamp: number): Promise<number> {
    const request: ListOffsetsRequest = {
      replicaId: this.opts.nodeId,
      isolationLevel: 0,
      timeoutMs: 30_000,
      topics: [{ name: p.topic, partitions: [{ partitionIndex: p.index, currentLeaderEpoch: p.leaderEpoch, timestamp, maxNumOffsets: 1 }] }],
    };
    const res = await this.opts.request<ListOffsetsResponse>(this.leaderId, ApiKey.ListOffsets, LIST_OFFSETS_VERSION, request);
    const r = res.topics[0]?.partitions[0];
    if (!r) throw new Error('ListOffsets answered no partition');
    if (r.errorCode !== ErrorCode.NONE) throw new Error(`ListOffsets ${timestamp} refused: ${errorName(r.errorCode)}`);
    return r.offset;
  }
}

/** The fetchers of this broker, one per leader it follows partitions of. */
export class ReplicaFetchers {
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Which leader each followed partition is fetched from. */
  private readonly leaderOf = new Map<Partition, number>();
  /** Fetchers left without partitions, finishing their last round. */
  private readonly stopping = new Set<ReplicaFetcher>();

  constructor(private readonly opts: ReplicaFetcherOptions) {}

  /** Fetches `p` from `leaderId` from now on, at the partition's current leader epoch. */
  async follow(p: Partition, leaderId: number): Promise<void> {
    await this.unfollow(p);
    let fetcher = this.fetchers.get(leaderId);
    if (!fetcher) this.fetchers.set(leaderId, (fetcher = new ReplicaFetcher(leaderId, this.opts)));
    fetcher.add(p);
    this.leaderOf.set(p, leaderId);
  }

  /** Stops fetching `p`; resolves once the fetcher no longer touches its log. */
  async unfollow(p: Partition): Promise<void> {
    const leaderId = this.leaderOf.get(p);
    if (leaderId === undefined) return;
    this.leaderOf.delete(p);
    const fetcher = this.fetchers.get(leaderId);
    if (!fetcher) return;
    await fetcher.remove(p);
    if (fetcher.size === 0 && this.fetchers.get(leaderId) === fetcher) {
      // Not awaited: its last fetch may still be out (a long poll), but nothing it answers is applied any more.
      this.fetchers.delete(leaderId);
      this.stopping.add(fetcher);
      void fetcher.stop().finally(() => this.stopping.delete(fetcher));
    }
  }

  /** Leader each partition is fetched from (tests, metrics). */
  leaderFor(p: Partition): number | undefined {
    return this.leaderOf.get(p);
  }

  async close(): Promise<void> {
    const all = [...this.fetchers.values(), ...this.stopping];
    this.fetchers.clear();
    this.leaderOf.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}
