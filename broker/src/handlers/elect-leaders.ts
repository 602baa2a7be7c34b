// ElectLeaders (key 43), v0–2 (v1 adds ElectionType and a top-level error code; v2 is flexible), as Kafka 4.x
// serves it: type 0 (preferred) makes each named partition's first replica its leader when that replica is alive
// and in the ISR (else PREFERRED_LEADER_NOT_AVAILABLE; already leading: ELECTION_NOT_NEEDED); type 1 (unclean)
// gives a partition without an alive leader one, from outside the ISR if no ISR member is alive (else
// ELIGIBLE_LEADERS_NOT_AVAILABLE). Null topic partitions = every partition, and only the ones whose leader changed
// are reported. Every election of a request is written in one metadata entry (Controller.electLeaders; any broker
// may handle it). Needs ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED for every partition. A partition
// named twice is an INVALID_REQUEST; an unknown election type fails the whole request with INVALID_REQUEST.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../protocol/schema/types';
import type { ElectionResult } from '../cluster/controller';
import { echoName } from '../cluster/topic-names';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { defineHandler } from './handler';
import { clientMessage, errorCodeOf, errorMessageOf } from './error-code';

type TopicResult = ElectLeadersResponse['replicaElectionResults'][number];

const ELECTION_TYPES = ['preferred', 'unclean'] as const;

/** Every named partition with the same error (refused request). */
function allFailed(req: ElectLeadersRequest, errorCode: ErrorCode, message: string): TopicResult[] {
  return (req.topicPartitions ?? []).map((t) => ({
    topic: echoName(t.topic),
    partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: message })),
  }));
}

export default defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const refuse = (errorCode: ErrorCode, message: string): ElectLeadersResponse => ({
      throttleTimeMs: 0,
      errorCode,
      replicaElectionResults: allFailed(req, errorCode, message),
    });
    if (!ctx.authorize(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'ALTER on the cluster is required.');
    const type = ELECTION_TYPES[ctx.apiVersion === 0 ? 0 : req.electionType];
    if (!type) return refuse(ErrorCode.INVALID_REQUEST, clientMessage(`Unknown election type ${req.electionType}.`));

    // Results in request order; a repeated partition is answered INVALID_REQUEST without being elected twice.
    const seen = new Set<string>();
    const named: Array<{ topic: string; partition: number }> = [];
    const slots: Array<number | 'duplicate'> = [];
    for (const t of req.topicPartitions ?? []) {
      for (const partition of t.partitions) {
        const key = `${t.topic}\u0000${partition}`;
        if (seen.has(key)) slots.push('duplicate');
        else {
          seen.add(key);
          slots.push(named.push({ topic: t.topic, partition }) - 1);
        }
      }
    }
    let results: ElectionResult[];
    try {
      results = await ctx.services.controller.electLeaders(type, req.topicPartitions === null ? null : named);
    } catch (err) {
      // The metadata write itself failed: every partition reports it.
      const errorCode = errorCodeOf(err, ctx.services.logger);
      return refuse(errorCode, errorMessageOf(err) ?? 'The election could not be written.');
    }
    const resultOf = (r: ElectionResult) => ({
      partitionId: r.partition,
      errorCode: r.error?.code ?? ErrorCode.NONE,
      errorMessage: r.error ? clientMessage(r.error.message) : null,
    });
    if (req.topicPartitions === null) {
      const byTopic = new Map<string, TopicResult>();
      for (const r of results) {
        let t = byTopic.get(r.topic);
        if (!t) byTopic.set(r.topic, (t = { topic: r.topic, partitionResult: [] }));
        t.partitionResult.push(resultOf(r));
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [...byTopic.values()] };
    }
    let i = 0;
    const replicaElectionResults = req.topicPartitions.map((t) => ({
      topic: echoName(t.topic),
      partitionResult: t.partitions.map((partitionId) => {
        const slot = slots[i++];
        return slot === 'duplicate'
          ? { partitionId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Partition named twice in the request.' }
          : resultOf(results[slot]);
      }),
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
  },
});
