// DescribeClientQuotas (key 48), v0–1 (KIP-546). Needs DESCRIBE_CONFIGS on the cluster (else
// CLUSTER_AUTHORIZATION_FAILED). Filter components per entity type (user, client-id): exact name, default, or
// any specified; `strict` excludes entities with further parts. A bad filter is INVALID_REQUEST.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeClientQuotasRequest, DescribeClientQuotasResponse } from '../protocol/schema/types';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { entityToWire, quotaFilterError, quotaFilterMatches } from '../security/client-quotas';
import { defineHandler } from './handler';

export default defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>({
  apiKey: ApiKey.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    if (!ctx.authorize(AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE_CONFIGS on the cluster is required.', entries: null };
    }
    const invalid = quotaFilterError(req.components);
    if (invalid) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, entries: null };
    const entries = [];
    for (const { entity, values } of ctx.services.image.quotas.values()) {
      if (!quotaFilterMatches(req.components, req.strict, entity)) continue;
      entries.push({ entity: entityToWire(entity), values: Object.entries(values).map(([key, value]) => ({ key, value })) });
    }
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries };
  },
});
