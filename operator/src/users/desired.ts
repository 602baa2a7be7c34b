// What a StrataUser asks of its cluster, in Kafka's terms, and the difference from what the cluster has:
// the ACL bindings of exactly that principal and its client quotas. Pure functions (unit-tested).
import type { AclRule, StrataUserSpec } from '../api/strata-user';
import { AclOperation, AclPermissionType, CLUSTER_NAME, PatternType, ResourceType, type AclBinding } from '../../../broker/src/security/acl';

export const principalOf = (username: string): string => `User:${username}`;

const RESOURCE_TYPES: Record<AclRule['resource']['type'], ResourceType> = {
  topic: ResourceType.TOPIC,
  group: ResourceType.GROUP,
  cluster: ResourceType.CLUSTER,
  transactionalId: ResourceType.TRANSACTIONAL_ID,
};

/** "DescribeConfigs" → AclOperation.DESCRIBE_CONFIGS. */
function operationCode(op: AclRule['operations'][number]): AclOperation {
  const key = op.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase() as keyof typeof AclOperation;
  return AclOperation[key];
}

/** One binding per (rule, operation), sorted and without duplicates. */
export function desiredAcls(username: string, spec: StrataUserSpec): AclBinding[] {
  const out = new Map<string, AclBinding>();
  for (const rule of spec.authorization?.acls ?? []) {
    const resourceType = RESOURCE_TYPES[rule.resource.type];
    const isCluster = resourceType === ResourceType.CLUSTER;
    for (const op of rule.operations) {
      const b: AclBinding = {
        resourceType,
        resourceName: isCluster ? CLUSTER_NAME : rule.resource.name!,
        patternType: !isCluster && rule.resource.patternType === 'prefixed' ? PatternType.PREFIXED : PatternType.LITERAL,
        principal: principalOf(username),
        host: rule.host ?? '*',
        operation: operationCode(op),
        permissionType: rule.type === 'deny' ? AclPermissionType.DENY : AclPermissionType.ALLOW,
      };
      out.set(aclKey(b), b);
    }
  }
  return [...out.values()].sort((a, b) => aclKey(a).localeCompare(aclKey(b)));
}

export function aclKey(b: AclBinding): string {
  return [b.resourceType, b.patternType, b.resourceName, b.principal, b.host, b.operation, b.permissionType].join('\u0000');
}

/** Bindings to create and to delete so the cluster holds exactly `desired` for the principal. */
export function aclDiff(current: AclBinding[], desired: AclBinding[]): { create: AclBinding[]; delete: AclBinding[] } {
  const have = new Set(current.map(aclKey));
  const want = new Set(desired.map(aclKey));
  return { create: desired.filter((b) => !have.has(aclKey(b))), delete: current.filter((b) => !want.has(aclKey(b))) };
}

/** Kafka quota keys → values from the spec (absent keys are not limited). */
export function desiredQuotas(spec: StrataUserSpec): Map<string, number> {
  const q = spec.quotas ?? {};
  const out = new Map<string, number>();
  if (q.producerByteRate !== undefined) out.set('producer_byte_rate', Number(q.producerByteRate));
  if (q.consumerByteRate !== undefined) out.set('consumer_byte_rate', Number(q.consumerByteRate));
  if (q.requestPercentage !== undefined) out.set('request_percentage', q.requestPercentage);
  return out;
}

/** AlterClientQuotas ops turning `current` into `desired`: set what differs, remove what the spec lacks. */
export function quotaOps(current: Map<string, number>, desired: Map<string, number>): Array<{ key: string; value: number; remove: boolean }> {
  const ops: Array<{ key: string; value: number; remove: boolean }> = [];
  for (const [key, value] of desired) if (current.get(key) !== value) ops.push({ key, value, remove: false });
  for (const key of current.keys()) if (!desired.has(key)) ops.push({ key, value: 0, remove: true });
  return ops;
}
