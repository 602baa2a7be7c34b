// The authorized-operations fields (KIP-430) of Metadata, DescribeCluster and DescribeGroups.
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import type { RequestContext } from './handler';

/** Kafka's value for an authorized-operations field that was not asked for (INT32_MIN). */
export const NO_OPERATIONS = -2147483648;

/** The cluster's authorized operations when asked for: as Kafka, 0 unless the principal may DESCRIBE the cluster. */
export function clusterAuthorizedOperations(ctx: RequestContext, wanted: boolean): number {
  if (!wanted) return NO_OPERATIONS;
  if (!ctx.authorize(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME, false)) return 0;
  return ctx.authorizedOperations(ResourceType.CLUSTER, CLUSTER_NAME);
}
