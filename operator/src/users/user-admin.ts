// The Kafka admin calls behind a StrataUser: its SCRAM credential, its ACLs and its client quotas, over the
// project's own client. Each call throws a readable Error on a Kafka error (retried by the work queue) except
// where "already gone" is the goal.
import { randomBytes } from 'node:crypto';
import { ApiKey } from '../../../broker/src/protocol/apis';
import type { KafkaClient } from '../../../broker/src/protocol/client';
import { ErrorCode, errorName } from '../../../broker/src/protocol/errors';
import { MECHANISM_CODES, saltedPassword } from '../../../broker/src/security/scram';
import type {
  AlterClientQuotasResponse,
  AlterUserScramCredentialsResponse,
  CreateAclsResponse,
  DeleteAclsResponse,
  DescribeAclsResponse,
  DescribeClientQuotasResponse,
  DescribeUserScramCredentialsResponse,
} from '../../../broker/src/protocol/schema/types';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding } from '../../../broker/src/security/acl';

/** Kafka's ScramMechanism code for SCRAM-SHA-512, and the iteration count we create credentials with. */
const SCRAM_SHA_512 = MECHANISM_CODES['SCRAM-SHA-512'];
export const SCRAM_ITERATIONS = 8192;
const MATCH_EXACT = 0;

function check(what: string, errorCode: number, message?: string | null): void {
  if (errorCode !== ErrorCode.NONE) throw new Error(`${what}: ${errorName(errorCode)}${message ? `: ${message}` : ''}`);
}

/** Whether the user has a SCRAM-SHA-512 credential on the cluster. */
export async function hasScramCredential(c: KafkaClient, user: string): Promise<boolean> {
  const res = await c.request<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, 0, { users: [{ name: user }] });
  check('DescribeUserScramCredentials', res.errorCode, res.errorMessage);
  const r = res.results.find((x) => x.user === user);
  if (!r || r.errorCode === ErrorCode.RESOURCE_NOT_FOUND) return false;
  check(`DescribeUserScramCredentials ${user}`, r.errorCode, r.errorMessage);
  return r.credentialInfos.some((i) => i.mechanism === SCRAM_SHA_512);
}

/** Sets the user's SCRAM-SHA-512 credential from a password (salted here: the password never goes on the wire). */
export async function upsertScramCredential(c: KafkaClient, user: string, password: string): Promise<void> {
  const salt = randomBytes(32);
  const res = await c.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, {
    deletions: [],
    upsertions: [{ name: user, mechanism: SCRAM_SHA_512, iterations: SCRAM_ITERATIONS, salt, saltedPassword: await saltedPassword('SCRAM-SHA-512', password, salt, SCRAM_ITERATIONS) }],
  });
  for (const r of res.results) check(`setting the SCRAM credential of ${r.user}`, r.errorCode, r.errorMessage);
}

/** Removes the user's SCRAM-SHA-512 credential; a user without one is fine. */
export async function deleteScramCredential(c: KafkaClient, user: string): Promise<void> {
  const res = await c.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, {
    deletions: [{ name: user, mechanism: SCRAM_SHA_512 }],
    upsertions: [],
  });
  for (const r of res.results) if (r.errorCode !== ErrorCode.RESOURCE_NOT_FOUND) check(`deleting the SCRAM credential of ${r.user}`, r.errorCode, r.errorMessage);
}

/** Every ACL binding of one principal. */
export async function describePrincipalAcls(c: KafkaClient, principal: string): Promise<AclBinding[]> {
  const res = await c.request<DescribeAclsResponse>(ApiKey.DescribeAcls, c.pickVersion(ApiKey.DescribeAcls, 3), {
    resourceTypeFilter: ResourceType.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY,
    principalFilter: principal, hostFilter: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY,
  });
  check(`DescribeAcls ${principal}`, res.errorCode, res.errorMessage);
  return res.resources.flatMap((r) =>
    r.acls.map((a) => ({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType })),
  );
}

export async function createAcls(c: KafkaClient, bindings: AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  const res = await c.request<CreateAclsResponse>(ApiKey.CreateAcls, c.pickVersion(ApiKey.CreateAcls, 3), {
    creations: bindings.map((b) => ({ ...b, resourcePatternType: b.patternType })),
  });
  res.results.forEach((r, i) => check(`creating ACL ${describeAcl(bindings[i]!)}`, r.errorCode, r.errorMessage));
}

/** Deletes exactly these bindings (each filter names every field, so nothing else matches). */
export async function deleteAcls(c: KafkaClient, bindings: AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  const res = await c.request<DeleteAclsResponse>(ApiKey.DeleteAcls, c.pickVersion(ApiKey.DeleteAcls, 3), {
    filters: bindings.map((b) => ({
      resourceTypeFilter: b.resourceType, resourceNameFilter: b.resourceName, patternTypeFilter: b.patternType,
      principalFilter: b.principal, hostFilter: b.host, operation: b.operation, permissionType: b.permissionType,
    })),
  });
  res.filterResults.forEach((r, i) => check(`deleting ACL ${describeAcl(bindings[i]!)}`, r.errorCode, r.errorMessage));
}

export function describeAcl(b: AclBinding): string {
  return `${AclPermissionType[b.permissionType]} ${b.principal} ${AclOperation[b.operation]} on ${ResourceType[b.resourceType]} ${PatternType[b.patternType]}:${b.resourceName} from ${b.host}`;
}

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

export async function alterUserQuotas(c: KafkaClient, user: string, ops: Array<{ key: string; value: number; remove: boolean }>): Promise<void> {
  if (ops.length === 0) return;
  const res = await c.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, c.pickVersion(ApiKey.AlterClientQuotas, 1), {
    entries: [{ entity: [{ entityType: 'user', entityName: user }], ops }],
    validateOnly: false,
  });
  for (const e of res.entries) check(`altering the quotas of ${user}`, e.errorCode, e.errorMessage);
}
