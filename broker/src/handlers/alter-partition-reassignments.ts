// AlterPartitionReassignments (key 45), v0. Per partition, a replica list starts (or replaces) a reassignment and
// null cancels the one in progress (KIP-455; cluster/reassignment.ts). Added replicas copy only the hot, local part
// of the log from the leader; the reassignment completes once they are in the ISR. Needs ALTER on the cluster
// (else CLUSTER_AUTHORIZATION_FAILED for the whole request). A topic or partition named twice is an INVALID_REQUEST.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../protocol/schema/types';
import { echoName } from '../cluster/topic-names';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { defineHandler } from './handler';
import { errorCodeOf, errorMessageOf } from './error-code';

type TopicResult = AlterPartitionReassignmentsResponse['responses'][number];
type PartitionResult = TopicResult['partitions'][number];

export default defineHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>({
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    if (!ctx.authorize(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'ALTER on the cluster is required.', responses: [] };
    }
    const seen = new Set<string>();
    const entries: Array<{ topic: string; partition: number; target: number[] | null }> = [];
    /** The response partition of each entry, in the same order. */
    const outs: PartitionResult[] = [];
    const responses: TopicResult[] = req.topics.map((t) => ({
      name: echoName(t.name),
      partitions: t.partitions.map((p) => {
        const out: PartitionResult = { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null };
        const key = `${t.name}\u0000${p.partitionIndex}`;
        if (seen.has(key)) {
          out.errorCode = ErrorCode.INVALID_REQUEST;
          out.errorMessage = 'Partition named twice in the request.';
        } else {
          seen.add(key);
          entries.push({ topic: t.name, partition: p.partitionIndex, target: p.replicas });
          outs.push(out);
        }
        return out;
      }),
    }));
    let outcomes: Array<Error | null>;
    try {
      outcomes = entries.length > 0 ? await ctx.services.controller.reassignPartitions(entries) : [];
    } catch (err) {
      outcomes = entries.map(() => err as Error); // the metadata write itself failed: every entry reports it
    }
    outcomes.forEach((err, i) => {
      if (!err) return;
      outs[i].errorCode = errorCodeOf(err, ctx.services.logger);
      outs[i].errorMessage = errorMessageOf(err);
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
});
