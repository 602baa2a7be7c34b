// DeleteAcls (key 31), v0–3. Needs ALTER on the cluster and an authorizer, as CreateAcls. Each filter deletes
// every binding it selects and lists them; a filter with an unknown code gets INVALID_REQUEST on its own.
// All deletions of one request are written to the metadata log in one entry.
import { ApiKey } from '../protocol/apis';
import type { DeleteAclsRequest, DeleteAclsResponse } from '../protocol/schema/types';
import { AclOperation } from '../security/acl';
import { defineHandler } from './handler';
import { aclApiError, aclToWire, filterFromWire } from './acl-requests';
import { clientMessage } from './error-code';

export default defineHandler<DeleteAclsRequest, DeleteAclsResponse>({
  apiKey: ApiKey.DeleteAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const denied = aclApiError(ctx, AclOperation.ALTER);
    if (denied) return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ ...denied, matchingAcls: [] })) };
    const results = await ctx.services.controller.deleteAcls(req.filters.map(filterFromWire));
    return {
      throttleTimeMs: 0,
      filterResults: results.map((r) =>
        Array.isArray(r)
          ? {
              errorCode: 0,
              errorMessage: null,
              matchingAcls: r.map((b) => ({ errorCode: 0, errorMessage: null, resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, ...aclToWire(b) })),
            }
          : { errorCode: r.code, errorMessage: clientMessage(r.message), matchingAcls: [] },
      ),
    };
  },
});
