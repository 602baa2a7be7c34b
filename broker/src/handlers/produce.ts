// Produce (key 0), v3–11 served (v3 is the first with RecordBatch v2, the only format we store). v0–2 are
// advertised but answered with UNSUPPORTED_VERSION per partition, as Kafka 4 does (KAFKA-18659): librdkafka
// up to 2.11 only compresses with gzip/snappy/lz4 when the broker lists Produce v0.
// acks=0: no response (a failed partition closes the connection, as Kafka does); acks=1: answered once the
// batches are written to the leader's log; acks=-1: with a single replica the ISR is just the leader, so
// answered once the batches are also fsynced (one shared fsync per round of waiting appends); with followers,
// once every ISR member has them (the high watermark passed them; REQUEST_TIMED_OUT after timeout_ms,
// NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas meanwhile). min.insync.replicas
// is checked against the ISR before appending (NOT_ENOUGH_REPLICAS). A full disk or an offline log answers
// KAFKA_STORAGE_ERROR. Only the leader appends: elsewhere NOT_LEADER_OR_FOLLOWER, v10+ with the current leader
// and its endpoint (KIP-951); so does a broker that considers itself fenced (its session with the controller
// lapsed: another broker may lead its partitions by now).
// Batches are validated (length, magic, CRC32C) and stored as they came, compressed or not.
// All partitions are appended before the first await, so pipelined requests keep their order.
// Internal topics are written by the broker only: a client gets INVALID_TOPIC_EXCEPTION, as from Kafka.
// A transactional produce (transactional_id set) is checked with the transaction coordinator first (KIP-890
// part 1): a partition not added to the producer's open transaction gets INVALID_TXN_STATE, an old epoch
// INVALID_PRODUCER_EPOCH.
// Authorization as Kafka: WRITE on the transactional id if one is given (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED
// for every partition), WRITE on each topic (else TOPIC_AUTHORIZATION_FAILED). The request's record bytes count
// against the producer_byte_rate quota; the throttle time goes into throttle_time_ms (and mutes the connection).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { ProduceRequest, ProduceResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { errorCodeOf, errorMessageOf } from './error-code';
import { echoName, internalTopicWriteError, isInternalTopic } from '../cluster/topic-names';
import { AclOperation, ResourceType } from '../security/acl';
import { PRODUCER_BYTE_RATE } from '../security/client-quotas';
import { currentLeader, leaderEndpoints } from './leader-hints';

const FIRST_V2_FORMAT_VERSION = 3;
/** current_leader and node_endpoints (KIP-951). */
const FIRST_LEADER_HINT_VERSION = 10;

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

export default defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  maxVersion: 11,
  async handle(req, ctx) {
    const { replicas, logger, transactions, image } = ctx.services;
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const txnDenied = req.transactionalId !== null && !ctx.authorize(AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, req.transactionalId);
    const topics = req.topicData.map((topic) => {
      const denied = txnDenied ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : !ctx.authorize(AclOperation.WRITE, ResourceType.TOPIC, topic.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : null;
      return {
        name: echoName(topic.name),
        partitions: topic.partitionData.map(async (p): Promise<PartitionResponse> => {
          try {
            if (denied !== null) return failed(p.index, denied, null);
            if (ctx.apiVersion < FIRST_V2_FORMAT_VERSION) {
              return failed(p.index, ErrorCode.UNSUPPORTED_VERSION, 'Produce v0-2 (message format v0/v1) is not supported; use v3 or later');
            }
            if (!validAcks) return failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, not ${req.acks}`);
            if (isInternalTopic(topic.name)) throw internalTopicWriteError(topic.name, 'append to');
            if (!p.records || (p.records as Buffer).length === 0) return failed(p.index, ErrorCode.CORRUPT_MESSAGE, 'empty records');
            if (req.transactionalId !== null) {
              const invalid = transactions.verifyProduce(req.transactionalId, topic.name, p.index, p.records as Buffer);
              if (invalid !== ErrorCode.NONE) return failed(p.index, invalid, 'refused by the transaction coordinator: the partition is not in an open transaction of this producer epoch');
            }
            const r = await replicas.appendRecords(topic.name, p.index, p.records as Buffer, req.acks, Math.max(0, req.timeoutMs));
            return {
              index: p.index,
              errorCode: 0,
              baseOffset: r.baseOffset,
              logAppendTimeMs: r.logAppendTime,
              logStartOffset: r.logStartOffset,
              recordErrors: [],
              errorMessage: null,
            };
          } catch (err) {
            return failed(p.index, errorCodeOf(err, logger), errorMessageOf(err));
          }
        }),
      };
    });
    const responses = [];
    const leadersNamed = new Set<number>();
    for (const t of topics) {
      const partitionResponses = await Promise.all(t.partitions);
      const topicId = ctx.apiVersion >= FIRST_LEADER_HINT_VERSION ? image.topicsByName.get(t.name)?.topicId : undefined;
      if (topicId) {
        for (const p of partitionResponses) {
          const leader = currentLeader(image, topicId, p.index, p.errorCode);
          if (!leader) continue;
          p.currentLeader = leader;
          leadersNamed.add(leader.leaderId);
        }
      }
      responses.push({ name: t.name, partitionResponses });
    }
    let bytes = 0;
    for (const t of req.topicData) for (const p of t.partitionData) bytes += (p.records as Buffer | null)?.length ?? 0;
    const throttleTimeMs = ctx.recordQuota(PRODUCER_BYTE_RATE, bytes);
    if (req.acks === 0) {
      // No response to carry the error: close the connection, as Kafka does, so the client notices and refreshes.
      const failed = responses.flatMap((t) => t.partitionResponses.filter((p) => p.errorCode !== 0).map((p) => `${t.name}-${p.index}: ${p.errorCode}`));
      if (failed.length > 0) ctx.closeConnection(`acks=0 produce failed (${failed.join(', ')})`);
      return null;
    }
    const nodeEndpoints = ctx.apiVersion >= FIRST_LEADER_HINT_VERSION ? leaderEndpoints(ctx.services, ctx.listenerName, leadersNamed) : [];
    return { responses, throttleTimeMs, nodeEndpoints };
  },
});

function failed(index: number, errorCode: ErrorCode, errorMessage: string | null): PartitionResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage };
}
