// ACLs over the Kafka protocol (DescribeAcls, CreateAcls, DeleteAcls), for stratactl, the console and the operator's
// StrataUser reconciler. Any broker answers these (Kafka forwards them to its controller), so each call takes one
// connection. Bindings keep Kafka's wire codes (broker/src/security/acl.ts); AclEntry is the same binding with the
// codes as names, for printing and JSON; parse* read the names people type (Read, describe-configs, prefixed…).
import { ApiKey } from '../broker/src/protocol/apis';
import type { KafkaClient } from '../broker/src/protocol/client';
import type { CreateAclsResponse, DeleteAclsResponse, DescribeAclsResponse } from '../broker/src/protocol/schema/types';
import { AclOperation, AclPermissionType, type AclBinding, type AclFilter, CLUSTER_NAME, PatternType, ResourceType } from '../broker/src/security/acl';
import { AdminError, check } from './errors';

export { AclOperation, AclPermissionType, CLUSTER_NAME, PatternType, ResourceType, type AclBinding, type AclFilter };

/** A binding with names instead of codes: what stratactl prints and the console shows. */
export interface AclEntry {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permissionType: string;
}

/** The filter that selects every binding; callers narrow it. */
export const MATCH_ALL: AclFilter = {
  resourceType: ResourceType.ANY,
  resourceName: null,
  patternType: PatternType.ANY,
  principal: null,
  host: null,
  operation: AclOperation.ANY,
  permissionType: AclPermissionType.ANY,
};

/** Every binding the filter selects. */
export async function describeAcls(c: KafkaClient, filter: Partial<AclFilter> = {}): Promise<AclBinding[]> {
  const f = { ...MATCH_ALL, ...filter };
  const res = await c.request<DescribeAclsResponse>(ApiKey.DescribeAcls, c.pickVersion(ApiKey.DescribeAcls, 3), {
    resourceTypeFilter: f.resourceType,
    resourceNameFilter: f.resourceName,
    patternTypeFilter: f.patternType,
    principalFilter: f.principal,
    hostFilter: f.host,
    operation: f.operation,
    permissionType: f.permissionType,
  });
  check('listing ACLs', res.errorCode, res.errorMessage);
  return res.resources.flatMap((r) =>
    r.acls.map((a) => ({ resourceType: r.resourceType, resourceName: r.resourceName, patternType: r.patternType, principal: a.principal, host: a.host, operation: a.operation, permissionType: a.permissionType })),
  );
}

/** Every ACL binding of one principal. */
export function describePrincipalAcls(c: KafkaClient, principal: string): Promise<AclBinding[]> {
  return describeAcls(c, { principal });
}

export async function createAcls(c: KafkaClient, bindings: AclBinding[]): Promise<void> {
  if (bindings.length === 0) return;
  const res = await c.request<CreateAclsResponse>(ApiKey.CreateAcls, c.pickVersion(ApiKey.CreateAcls, 3), {
    creations: bindings.map((b) => ({ ...b, resourcePatternType: b.patternType })),
  });
  res.results.forEach((r, i) => check(`creating ACL ${describeAcl(bindings[i]!)}`, r.errorCode, r.errorMessage));
}

/** Deletes every binding each filter selects; returns the bindings the cluster removed. */
export async function deleteAclsMatching(c: KafkaClient, filters: AclFilter[]): Promise<AclBinding[]> {
  if (filters.length === 0) return [];
  const res = await c.request<DeleteAclsResponse>(ApiKey.DeleteAcls, c.pickVersion(ApiKey.DeleteAcls, 3), {
    filters: filters.map((f) => ({
      resourceTypeFilter: f.resourceType, resourceNameFilter: f.resourceName, patternTypeFilter: f.patternType,
      principalFilter: f.principal, hostFilter: f.host, operation: f.operation, permissionType: f.permissionType,
    })),
  });
  const deleted: AclBinding[] = [];
  res.filterResults.forEach((r, i) => {
    check(`deleting ACLs matching ${describeFilter(filters[i]!)}`, r.errorCode, r.errorMessage);
    for (const m of r.matchingAcls) {
      check(`deleting ACL ${m.principal} on ${m.resourceName}`, m.errorCode, m.errorMessage);
      deleted.push({ resourceType: m.resourceType, resourceName: m.resourceName, patternType: m.patternType, principal: m.principal, host: m.host, operation: m.operation, permissionType: m.permissionType });
    }
  });
  return deleted;
}

/** Deletes exactly these bindings (each filter names every field, so nothing else matches). */
export async function deleteAcls(c: KafkaClient, bindings: AclBinding[]): Promise<void> {
  await deleteAclsMatching(c, bindings);
}

export function describeAcl(b: AclBinding): string {
  return `${AclPermissionType[b.permissionType]} ${b.principal} ${AclOperation[b.operation]} on ${ResourceType[b.resourceType]} ${PatternType[b.patternType]}:${b.resourceName} from ${b.host}`;
}

function describeFilter(f: AclFilter): string {
  const parts = [
    f.principal !== null ? `principal ${f.principal}` : '',
    f.resourceType !== ResourceType.ANY ? `${ResourceType[f.resourceType]}` : '',
    f.resourceName !== null ? `${PatternType[f.patternType]}:${f.resourceName}` : '',
    f.operation !== AclOperation.ANY ? AclOperation[f.operation] : '',
    f.permissionType !== AclPermissionType.ANY ? AclPermissionType[f.permissionType] : '',
    f.host !== null ? `host ${f.host}` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(' ') : 'anything';
}

export function toAclEntry(b: AclBinding): AclEntry {
  return {
    resourceType: ResourceType[b.resourceType] ?? String(b.resourceType),
    resourceName: b.resourceName,
    patternType: PatternType[b.patternType] ?? String(b.patternType),
    principal: b.principal,
    host: b.host,
    operation: AclOperation[b.operation] ?? String(b.operation),
    permissionType: AclPermissionType[b.permissionType] ?? String(b.permissionType),
  };
}

/** Sorted for stable output: by resource, then principal, host, operation and permission. */
export function sortAcls(bindings: AclBinding[]): AclBinding[] {
  const str = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...bindings].sort(
    (a, b) =>
      a.resourceType - b.resourceType ||
      str(a.resourceName, b.resourceName) ||
      a.patternType - b.patternType ||
      str(a.principal, b.principal) ||
      str(a.host, b.host) ||
      a.operation - b.operation ||
      a.permissionType - b.permissionType,
  );
}

/** Reads an enum value by name, ignoring case, '-' and '_' ("Read", "describe-configs", "IDEMPOTENT_WRITE"). */
function parseName<E extends Record<string, string | number>>(e: E, what: string, text: string, allowed: (v: number) => boolean): number {
  const norm = (s: string) => s.replace(/[-_]/g, '').toLowerCase();
  const found = Object.entries(e).find(([name, v]) => typeof v === 'number' && norm(name) === norm(text) && allowed(v));
  if (!found) {
    const names = Object.entries(e).filter(([, v]) => typeof v === 'number' && allowed(v)).map(([n]) => n);
    throw new AdminError(`unknown ${what} "${text}": expected one of ${names.join(', ')}`, 'usage');
  }
  return found[1] as number;
}

/** An operation name; ANY only where a filter allows it. */
export function parseOperation(text: string, allowAny = false): AclOperation {
  return parseName(AclOperation, 'operation', text, (v) => v !== AclOperation.UNKNOWN && (allowAny || v !== AclOperation.ANY));
}

/** literal or prefixed for a binding; any and match too for a filter. */
export function parsePatternType(text: string, forFilter = false): PatternType {
  return parseName(PatternType, 'pattern type', text, (v) => v === PatternType.LITERAL || v === PatternType.PREFIXED || (forFilter && (v === PatternType.ANY || v === PatternType.MATCH)));
}

/** Kafka's principal form "Type:name" (User:alice). */
export function parsePrincipal(text: string): string {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) throw new AdminError(`principal "${text}" must be Type:name, e.g. User:alice`, 'usage');
  return text;
}
