// Fetch (key 1), v4–17 (v4 is the first that carries RecordBatch v2 with the last stable offset).
// Returns whole stored batches as they are on disk (never decompressed), bounded by max_bytes per partition
// and per response, the latter also capped by the broker's fetch.max.bytes whatever the client asks; only the
// first partition with data may exceed those limits, by one batch, so a consumer can always make progress
// (KIP-74). Negative limits count as 0 (still one batch), negative waits as none. When less than min_bytes is
// available the request waits up to max_wait_ms and is woken by new readable data (cluster/fetch-purgatory.ts), or
// stops when its connection closes. Fetch sessions (KIP-227) are declined: every response carries session id 0,
// so clients send full fetch requests. v13+ names topics by id.
// isolation_level 1 (read_committed) returns data only below the last stable offset, with the transactions
// aborted in the returned range (from the .txnindex files, never a scan of the data); every response carries
// the last stable offset. A read_committed long poll wakes when the LSO moves (a marker is written).
// Only the leader answers (NOT_LEADER_OR_FOLLOWER elsewhere, v12+ with the current leader and v16+ its endpoint,
// KIP-951). A consumer reads up to the high watermark. A follower (replica id >= 0, v15+ in replica_state) reads
// up to the log end, from local segments only: below the leader's local log start it gets
// OFFSET_MOVED_TO_TIERED_STORAGE (it restarts its log there); when its last fetched epoch ends earlier on the
// leader (or the leader's log ends before its fetch offset) it gets divergingEpoch (it truncates, v12+). Its fetch
// offset is recorded as its progress (HW, ISR) before the read, and again after a long poll.
// Authorization as Kafka: a follower (replica id >= 0) needs CLUSTER_ACTION on the cluster, a consumer READ on each
// topic (else TOPIC_AUTHORIZATION_FAILED for its partitions). A consumer's response bytes count against its
// consumer_byte_rate quota; when that throttles, the response is empty (its bytes taken back) and carries the
// throttle time, as Kafka answers a throttled fetch.
import { ApiKey } from '../protocol/apis';
import { countRecords } from '../protocol/records';
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { FetchRequest, FetchResponse } from '../protocol/schema/types';
import type { Partition } from '../cluster/partition';
import type { BrokerServices } from '../services';
import { defineHandler } from './handler';
import { errorCodeOf } from './error-code';
import { echoName } from '../cluster/topic-names';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { CONSUMER_BYTE_RATE } from '../security/client-quotas';
import type { RequestContext } from './handler';
import { toFetchAborted } from '../log/aborted-transactions';
import { waitForData } from '../cluster/fetch-purgatory';
import { currentLeader, leaderEndpoints } from './leader-hints';

const READ_COMMITTED = 1;
/** divergingEpoch and currentLeader (tagged) exist from v12; nodeEndpoints from v16 (KIP-951). */
const FIRST_DIVERGING_EPOCH_VERSION = 12;
const FIRST_NODE_ENDPOINTS_VERSION = 16;

const EMPTY = Buffer.alloc(0);
/**
 * A partition read still running at the deadline (a cold read from the object store) is answered empty and
 * left to finish in the background (warming the cache), so it never holds up local data for longer than the
 * fetch's max wait — or this floor, for fetches that do not wait at all (Kafka's remote.fetch.max.wait.ms).
 */
const MIN_READ_WAIT_MS = 500;
const TIMED_OUT = Symbol('timed out');

function beforeDeadline<T>(p: Promise<T>, deadline: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, deadline - Date.now()))));
  p.catch(() => undefined); // a read that finishes after the deadline must not become an unhandled rejection
  return Promise.race([p, expired]).finally(() => clearTimeout(timer));
}

type TopicResponse = FetchResponse['responses'][number];
type PartitionResponse = TopicResponse['partitions'][number];

interface Wanted {
  topic: string;
  topicId: string;
  partition: Partition | null;
  errorCode: ErrorCode;
  index: number;
  fetchOffset: number;
  maxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  /** Follower fetch: where the leader's log for the follower's last epoch ends, when it diverged. */
  diverging: { epoch: number; endOffset: number } | null;
}

/** Who is fetching: a consumer (replicaId -1) or a follower replica. */
interface Fetcher {
  replicaId: number;
  follower: boolean;
}

export default defineHandler<FetchRequest, FetchResponse>({
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 17,
  async handle(req, ctx) {
    const s = ctx.services;
    if (req.sessionId !== 0 || req.sessionEpoch > 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [], nodeEndpoints: [] };
    }
    const byId = ctx.apiVersion >= 13;
    const replicaId = ctx.apiVersion >= 15 ? (req.replicaState?.replicaId ?? -1) : req.replicaId;
    const who: Fetcher = { replicaId, follower: replicaId >= 0 };
    const readable = who.follower
      ? () => ctx.authorize(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME)
      : (topic: string) => ctx.authorize(AclOperation.READ, ResourceType.TOPIC, topic);
    const wanted = resolve(req, byId, s, readable, who, ctx.apiVersion);
    const maxWait = Math.max(0, req.maxWaitMs);
    const readDeadline = Date.now() + Math.max(maxWait, MIN_READ_WAIT_MS);
    const maxBytes = Math.min(Math.max(0, req.maxBytes), s.config.fetchMaxBytes);
    const readCommitted = req.isolationLevel === READ_COMMITTED && !who.follower;
    let result = await readAll(wanted, maxBytes, s, readDeadline, readCommitted, who.follower);
    // An error or a divergence is answered at once (the follower has to truncate before anything else).
    if (result.bytes < req.minBytes && maxWait > 0 && !result.anyError && !wanted.some((w) => w.diverging)) {
      const partitions = wanted.flatMap((w) => (w.partition ? [w.partition] : []));
      await waitForData(partitions, { bytes: req.minBytes - result.bytes, timeoutMs: maxWait, signal: ctx.signal, readCommitted, follower: who.follower });
      if (ctx.signal?.aborted) return null; // the connection is gone: nobody to answer
      if (who.follower) recordProgress(wanted, who);
      result = await readAll(wanted, maxBytes, s, Date.now() + Math.max(maxWait, MIN_READ_WAIT_MS), readCommitted, who.follower);
    }
    const throttleTimeMs = who.follower ? 0 : throttle(ctx, result.bytes);
    const responses = throttleTimeMs > 0 ? [] : result.responses;
    const nodeEndpoints = ctx.apiVersion >= FIRST_NODE_ENDPOINTS_VERSION ? leaderEndpoints(s, ctx.listenerName, result.leadersNamed) : [];
    return { throttleTimeMs, errorCode: 0, sessionId: 0, responses, nodeEndpoints };
  },
});

/** Records the response bytes against the consumer's quota; a throttled response is sent empty, so they are taken back. */
function throttle(ctx: RequestContext, bytes: number): number {
  const ms = ctx.recordQuota(CONSUMER_BYTE_RATE, bytes);
  if (ms > 0) ctx.unrecordQuota(CONSUMER_BYTE_RATE, bytes);
  return ms;
}

function resolve(req: FetchRequest, byId: boolean, s: BrokerServices, readable: (topic: string) => boolean, who: Fetcher, version: number): Wanted[] {
  const out: Wanted[] = [];
  for (const t of req.topics) {
    const topic = byId ? s.image.topicsById.get(t.topicId) : s.image.topicsByName.get(t.topic);
    for (const p of t.partitions) {
      const w: Wanted = {
        topic: topic?.name ?? echoName(t.topic),
        topicId: topic?.topicId ?? t.topicId,
        partition: null,
        errorCode: ErrorCode.NONE,
        index: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: Math.max(0, p.partitionMaxBytes),
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: version >= FIRST_DIVERGING_EPOCH_VERSION ? p.lastFetchedEpoch : -1,
        diverging: null,
      };
      // A name is checked before its existence (so existence does not leak); an id once it resolves.
      if ((topic || !byId) && !readable(topic?.name ?? t.topic)) w.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      else if (!topic) w.errorCode = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else {
        try {
          w.partition = s.replicas.getLeaderById(topic.topicId, p.partition);
          w.partition.checkLeaderEpoch(p.currentLeaderEpoch);
          if (who.follower) checkFollowerFetch(w, who.replicaId, version);
        } catch (err) {
          w.partition = null;
          w.errorCode = errorCodeOf(err, s.logger);
        }
      }
      out.push(w);
    }
  }
  return out;
}

/**
 * The leader's checks of a follower's fetch (Kafka's Partition.fetchRecords for replicas), then its progress:
 * it must be a replica; a last fetched epoch that ends earlier here than the follower's fetch offset (or that we
 * know only under an older epoch) means the follower's log diverged: answered with divergingEpoch, no records
 * (before v12 the follower cannot be told, and reads on); an unknown epoch or an offset outside the log is
 * OFFSET_OUT_OF_RANGE; below the local log start (the rest is in the bucket) OFFSET_MOVED_TO_TIERED_STORAGE.
 */
function checkFollowerFetch(w: Wanted, replicaId: number, version: number): void {
  const p = w.partition!;
  const log = p.log;
  if (!p.followers?.isFollower(replicaId)) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `broker ${replicaId} is not a replica of ${p.key}`);
  if (w.lastFetchedEpoch >= 0 && version >= FIRST_DIVERGING_EPOCH_VERSION) {
    const end = log.endOffsetForLeaderEpoch(w.lastFetchedEpoch);
    if (end.leaderEpoch < 0 || end.endOffset < 0) throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `leader epoch ${w.lastFetchedEpoch} is unknown to the leader of ${p.key}`);
    if (end.leaderEpoch < w.lastFetchedEpoch || end.endOffset < w.fetchOffset) {
      w.diverging = { epoch: end.leaderEpoch, endOffset: end.endOffset };
      return; // no progress recorded: the follower's log end is not on the leader's history
    }
  }
  if (w.fetchOffset > log.logEndOffset || w.fetchOffset < log.logStartOffset) {
    throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `fetch offset ${w.fetchOffset} is outside [${log.logStartOffset}, ${log.logEndOffset}] of ${p.key}`);
  }
  if (w.fetchOffset < log.localLogStartOffset) {
    throw new KafkaError(ErrorCode.OFFSET_MOVED_TO_TIERED_STORAGE, `offset ${w.fetchOffset} of ${p.key} is only in tiered storage; local data starts at ${log.localLogStartOffset}`);
  }
  p.followers.recordFetch(replicaId, w.fetchOffset);
}

/** After a follower's long poll: its fetch offset is still its log end, now as of later (lag time). */
function recordProgress(wanted: Wanted[], who: Fetcher): void {
  for (const w of wanted) {
    if (w.partition && w.errorCode === ErrorCode.NONE && !w.diverging) w.partition.followers?.recordFetch(who.replicaId, w.fetchOffset);
  }
}

/**
 * Reads every wanted partition. When the per-partition limits together fit in the response limit (the usual
 * consumer case) the reads run in parallel, each within its limit, and only if none returned anything does the
 * first partition with data return its next batch whole; otherwise the reads run in order, each bounded by
 * what the response has left, the first one with data allowed one whole batch.
 */
async function readAll(wanted: Wanted[], maxBytes: number, s: BrokerServices, deadline: number, readCommitted: boolean, follower: boolean) {
  const leadersNamed = new Set<number>();
  const outs = wanted.map((w): PartitionResponse => {
    const out: PartitionResponse = {
      partitionIndex: w.index,
      errorCode: w.errorCode,
      highWatermark: -1,
      lastStableOffset: -1,
      logStartOffset: -1,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: EMPTY,
    };
    const leader = currentLeader(s.image, w.topicId, w.index, w.errorCode);
    if (leader) {
      out.currentLeader = leader;
      leadersNamed.add(leader.leaderId);
    }
    if (w.diverging) out.divergingEpoch = w.diverging;
    return out;
  });
  let anyError = wanted.some((w) => !w.partition);
  // A follower reads to the log end, a consumer to the high watermark (read_committed: the last stable offset).
  const readLimit = (p: Partition) => (follower ? p.log.logEndOffset : readCommitted ? p.log.lastStableOffset : p.log.highWatermark);
  const timedOut = new Set<number>();
  const readOne = async (i: number, limit: number, minOneMessage: boolean): Promise<number> => {
    const w = wanted[i];
    const out = outs[i];
    const p = w.partition;
    if (!p) return 0;
    try {
      const log = p.log;
      out.highWatermark = log.highWatermark;
      out.lastStableOffset = log.lastStableOffset;
      out.logStartOffset = log.logStartOffset;
      if (w.diverging) return 0; // the follower truncates first
      const maxOffset = readLimit(p);
      if (w.fetchOffset === maxOffset || (limit <= 0 && !minOneMessage)) return 0;
      const reading = log.read(w.fetchOffset, Math.max(limit, 0), { minOneMessage, isolationMaxOffset: maxOffset }).then(async (r) => ({
        ...r,
        aborted: readCommitted ? await log.abortedTransactions(w.fetchOffset, r.nextOffset) : null,
      }));
      const read = await beforeDeadline(reading, deadline);
      if (read === TIMED_OUT) {
        timedOut.add(i);
        return 0;
      }
      out.records = read.records;
      if (read.aborted) out.abortedTransactions = toFetchAborted(read.aborted);
      if (read.records.length > 0) {
        const t = s.metrics.topic(p.topic);
        t.bytesOut.inc(read.records.length);
        t.messagesOut.inc(countRecords(read.records));
      }
      return read.records.length;
    } catch (err) {
      out.errorCode = errorCodeOf(err, s.logger);
      anyError = true;
      return 0;
    }
  };
  let bytes = 0;
  if (wanted.reduce((n, w) => n + w.maxBytes, 0) <= maxBytes) {
    for (const n of await Promise.all(wanted.map((w, i) => readOne(i, w.maxBytes, false)))) bytes += n;
    const first = bytes > 0 ? -1 : wanted.findIndex((w, i) => w.partition && outs[i].errorCode === ErrorCode.NONE && !timedOut.has(i) && !w.diverging && w.fetchOffset < readLimit(w.partition));
    if (first >= 0) bytes += await readOne(first, wanted[first].maxBytes, true);
  } else {
    for (let i = 0; i < wanted.length; i++) bytes += await readOne(i, Math.min(wanted[i].maxBytes, maxBytes - bytes), bytes === 0);
  }
  const topics = new Map<string, TopicResponse>();
  wanted.forEach((w, i) => {
    const key = w.topicId + w.topic;
    let topic = topics.get(key);
    if (!topic) topics.set(key, (topic = { topic: w.topic, topicId: w.topicId, partitions: [] }));
    topic.partitions.push(outs[i]);
  });
  return { responses: [...topics.values()], bytes, anyError, leadersNamed };
}
