// Fetch (key 1), v4–17 (v4 is the first that carries RecordBatch v2 with the last stable offset).
// Returns whole stored batches as they are on disk (never decompressed), bounded by max_bytes per partition
// and per response, the latter also capped by the broker's fetch.max.bytes whatever the client asks; only the
// first partition with data may exceed those limits, by one batch, so a consumer can always make progress
// (KIP-74). Negative limits count as 0 (still one batch), negative waits as none. When less than min_bytes is
// available the request waits up to max_wait_ms and is woken by appends (ReplicaManager.waitForAppends), or
// stops when its connection closes. Fetch sessions (KIP-227) are declined: every response carries session id 0,
// so clients send full fetch requests. v13+ names topics by id.
// isolation_level 1 (read_committed) returns data only below the last stable offset, with the transactions
// aborted in the returned range (from the .txnindex files, never a scan of the data); every response carries
// the last stable offset. A read_committed long poll wakes when the LSO moves (a marker is written).
// Authorization as Kafka: a follower (replica id >= 0) needs CLUSTER_ACTION on the cluster, a consumer READ on each
// topic (else TOPIC_AUTHORIZATION_FAILED for its partitions). A consumer's response bytes count against its
// consumer_byte_rate quota; when that throttles, the response is empty (its bytes taken back) and carries the
// throttle time, as Kafka answers a throttled fetch.
import { ApiKey } from '../protocol/apis';
import { countRecords } from '../protocol/records';
import { ErrorCode } from '../protocol/errors';
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

const READ_COMMITTED = 1;

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
    const follower = replicaId >= 0;
    const readable = follower
      ? () => ctx.authorize(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME)
      : (topic: string) => ctx.authorize(AclOperation.READ, ResourceType.TOPIC, topic);
    const wanted = resolve(req, byId, s, readable);
    const maxWait = Math.max(0, req.maxWaitMs);
    const readDeadline = Date.now() + Math.max(maxWait, MIN_READ_WAIT_MS);
    const maxBytes = Math.min(Math.max(0, req.maxBytes), s.config.fetchMaxBytes);
    const readCommitted = req.isolationLevel === READ_COMMITTED;
    let result = await readAll(wanted, maxBytes, s, readDeadline, readCommitted);
    if (result.bytes < req.minBytes && maxWait > 0 && !result.anyError) {
      const partitions = wanted.flatMap((w) => (w.partition ? [w.partition] : []));
      await s.replicas.waitForAppends(partitions, req.minBytes - result.bytes, maxWait, ctx.signal, readCommitted);
      if (ctx.signal?.aborted) return null; // the connection is gone: nobody to answer
      result = await readAll(wanted, maxBytes, s, Date.now() + Math.max(maxWait, MIN_READ_WAIT_MS), readCommitted);
    }
    const throttleTimeMs = follower ? 0 : throttle(ctx, result.bytes);
    return { throttleTimeMs, errorCode: 0, sessionId: 0, responses: throttleTimeMs > 0 ? [] : result.responses, nodeEndpoints: [] };
  },
});

/** Records the response bytes against the consumer's quota; a throttled response is sent empty, so they are taken back. */
function throttle(ctx: RequestContext, bytes: number): number {
  const ms = ctx.recordQuota(CONSUMER_BYTE_RATE, bytes);
  if (ms > 0) ctx.unrecordQuota(CONSUMER_BYTE_RATE, bytes);
  return ms;
}

function resolve(req: FetchRequest, byId: boolean, s: BrokerServices, readable: (topic: string) => boolean): Wanted[] {
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
      };
      // A name is checked before its existence (so existence does not leak); an id once it resolves.
      if ((topic || !byId) && !readable(topic?.name ?? t.topic)) w.errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      else if (!topic) w.errorCode = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else {
        try {
          w.partition = s.replicas.getById(topic.topicId, p.partition);
          w.partition.checkLeaderEpoch(p.currentLeaderEpoch);
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
 * Reads every wanted partition. When the per-partition limits together fit in the response limit (the usual
 * consumer case) the reads run in parallel, each within its limit, and only if none returned anything does the
 * first partition with data return its next batch whole; otherwise the reads run in order, each bounded by
 * what the response has left, the first one with data allowed one whole batch.
 */
async function readAll(wanted: Wanted[], maxBytes: number, s: BrokerServices, deadline: number, readCommitted: boolean) {
  const outs = wanted.map((w): PartitionResponse => ({
    partitionIndex: w.index,
    errorCode: w.errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  }));
  let anyError = wanted.some((w) => !w.partition);
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
      const maxOffset = readCommitted ? out.lastStableOffset : out.highWatermark;
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
    const first = bytes > 0 ? -1 : wanted.findIndex((w, i) => w.partition && outs[i].errorCode === ErrorCode.NONE && !timedOut.has(i) && w.fetchOffset < outs[i].highWatermark);
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
  return { responses: [...topics.values()], bytes, anyError };
}
