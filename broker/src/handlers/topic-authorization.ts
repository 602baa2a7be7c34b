// Kafka's filterByAuthorized for the commit APIs (OffsetCommit, TxnOffsetCommit): the service sees only the
// topics the principal may `op` (and is not called when none is allowed); the answer keeps the request's order,
// with TOPIC_AUTHORIZATION_FAILED for every partition of a denied topic. Each topic is asked once per request
// (RequestSecurity remembers its decisions, so a denial counts once).
import { ErrorCode } from '../protocol/errors';
import { ResourceType, type AclOperation } from '../security/acl';
import type { RequestSecurity } from '../security/request-security';
import { echoName } from '../cluster/topic-names';

interface RequestTopic {
  name: string;
  partitions: ReadonlyArray<{ partitionIndex: number }>;
}

/**
 * Runs `serve` on the allowed topics; it returns one code per partition of those, in order. Returns one code per
 * partition of every requested topic (`codes[topic][partition]`).
 */
export async function onAuthorizedTopics<T extends RequestTopic>(
  security: Pick<RequestSecurity, 'authorize'>,
  op: AclOperation,
  topics: readonly T[],
  serve: (allowed: T[]) => Promise<ErrorCode[]>,
): Promise<ErrorCode[][]> {
  const allowed = new Set(topics.filter((t) => security.authorize(op, ResourceType.TOPIC, t.name)));
  const codes = allowed.size > 0 ? await serve([...allowed]) : [];
  let i = 0;
  return topics.map((t) => t.partitions.map(() => (allowed.has(t) ? codes[i++] : ErrorCode.TOPIC_AUTHORIZATION_FAILED)));
}

/** The per-partition answer of a commit request: `codes[topic][partition]`, or one code for every partition. */
export function partitionResults(topics: readonly RequestTopic[], codes: ErrorCode | ErrorCode[][]) {
  return topics.map((t, ti) => ({
    name: echoName(t.name),
    partitions: t.partitions.map((p, pi) => ({ partitionIndex: p.partitionIndex, errorCode: typeof codes === 'number' ? codes : codes[ti][pi] })),
  }));
}
