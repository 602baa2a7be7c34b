// Client quotas of a user entity over the Kafka protocol (DescribeClientQuotas, AlterClientQuotas), used by the
// operator's StrataUser reconciler. Any broker answers (Kafka forwards to its controller).
import { ApiKey } from '../broker/src/protocol/apis';
import type { KafkaClient } from '../broker/src/protocol/client';
import type { AlterClientQuotasResponse, DescribeClientQuotasResponse } from '../broker/src/protocol/schema/types';
import { check } from './errors';

const MATCH_EXACT = 0;

/** The user entity's quota values (exact match on the user, no client id). */
export async function describeUserQuotas(c: KafkaClient, user: string): Promise<Map<string, number>> {
  const res = await c.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, c.pickVersion(ApiKey.DescribeClientQuotas, 1), {
    components: [{ entityType: 'user', matchType: MATCH_EXACT, match: user }],
    strict: true,
  });
  check(`DescribeClientQuotas ${user}`, res.errorCode, res.errorMessage);
  const entry = (res.entries ?? []).find((e) => e.entity.length === 1 && e.entity[0]!.entityType === 'user' && e.entity[0]!.entityName === user);
  return new Map((entry?.values ?? []).map((v) => [v.key, v.value]));
}

/** Sets or removes (remove: true) quota values of the user entity. */
export async function alterUserQuotas(c: KafkaClient, user: string, ops: Array<{ key: string; value: number; remove: boolean }>): Promise<void> {
  if (ops.length === 0) return;
  const res = await c.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, c.pickVersion(ApiKey.AlterClientQuotas, 1), {
    entries: [{ entity: [{ entityType: 'user', entityName: user }], ops }],
    validateOnly: false,
  });
  for (const e of res.entries) check(`altering the quotas of ${user}`, e.errorCode, e.errorMessage);
}
