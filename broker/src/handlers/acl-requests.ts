// The shared part of the ACL APIs: wire creations and filters as acl.ts types, and the Kafka answer when
// authorization is off (SECURITY_DISABLED, as Kafka answers without an authorizer) or the principal may not.
import { ErrorCode } from '../protocol/errors';
import { AclOperation, CLUSTER_NAME, ResourceType, type AclBinding, type AclFilter } from '../security/acl';
import type { RequestContext } from './handler';
import type { DeleteAclsRequestDeleteAclsFilter } from '../protocol/schema/types';

/** A filter as DescribeAcls and DeleteAcls carry it (the generated schema type; DescribeAcls's request has the same fields). */
export type WireFilter = DeleteAclsRequestDeleteAclsFilter;

export function filterFromWire(f: WireFilter): AclFilter {
  return {
    resourceType: f.resourceTypeFilter,
    resourceName: f.resourceNameFilter,
    patternType: f.patternTypeFilter,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permissionType: f.permissionType,
  };
}

/** A stored binding in the wire shape DescribeAcls/DeleteAcls use for one ACL. */
export function aclToWire(b: AclBinding) {
  return { principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType };
}

/**
 * Null when the request may go on; else the error for every item: SECURITY_DISABLED without an authorizer,
 * CLUSTER_AUTHORIZATION_FAILED without `op` on the cluster (ALTER to change ACLs, DESCRIBE to list them).
 */
export function aclApiError(ctx: RequestContext, op: AclOperation): { errorCode: ErrorCode; errorMessage: string } | null {
  if (!ctx.services.authorizer.enabled) return { errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured (authorizer=none).' };
  if (!ctx.authorize(op, ResourceType.CLUSTER, CLUSTER_NAME)) {
    return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: `${AclOperation[op]} on the cluster is required.` };
  }
  return null;
}
