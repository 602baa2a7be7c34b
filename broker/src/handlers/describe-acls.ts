// DescribeAcls (key 29), v0–3. Needs DESCRIBE on the cluster and an authorizer (as Kafka: SECURITY_DISABLED
// without one). Returns the bindings the filter selects (acl.ts filterMatches: ANY, MATCH, exact), grouped by
// resource pattern. A filter with an unknown code is INVALID_REQUEST. v0 filters are LITERAL.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeAclsRequest, DescribeAclsResponse } from '../protocol/schema/types';
import { AclOperation, filterError, filterMatches } from '../security/acl';
import { defineHandler } from './handler';
import { aclApiError, aclToWire, filterFromWire } from './acl-requests';

type Resource = DescribeAclsResponse['resources'][number];

export default defineHandler<DescribeAclsRequest, DescribeAclsResponse>({
  apiKey: ApiKey.DescribeAcls,
  minVersion: 0,
  maxVersion: 3,
  handle(req, ctx) {
    const denied = aclApiError(ctx, AclOperation.DESCRIBE);
    if (denied) return { throttleTimeMs: 0, ...denied, resources: [] };
    const filter = filterFromWire(req);
    const invalid = filterError(filter);
    if (invalid) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid, resources: [] };
    const resources = new Map<string, Resource>();
    for (const b of ctx.services.image.acls.values()) {
      if (!filterMatches(filter, b)) continue;
      const key = JSON.stringify([b.resourceType, b.patternType, b.resourceName]);
      let r = resources.get(key);
      if (!r) resources.set(key, (r = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
      r.acls.push(aclToWire(b));
    }
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, resources: [...resources.values()] };
  },
});
