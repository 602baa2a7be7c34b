// CreateAcls (key 30), v0–3. Needs ALTER on the cluster (else CLUSTER_AUTHORIZATION_FAILED per creation) and an
// authorizer (else SECURITY_DISABLED), as in Kafka. Each creation is validated on its own (INVALID_REQUEST with
// Kafka's reason: UNKNOWN/ANY enum values, MATCH/ANY pattern types, empty names, CLUSTER not named
// kafka-cluster, a principal without "Type:", an operation the resource type does not have); valid ones are
// written to the metadata log in one entry, so every broker enforces them. v0 creations are LITERAL.
import { ApiKey } from '../protocol/apis';
import type { CreateAclsRequest, CreateAclsResponse } from '../protocol/schema/types';
import { AclOperation } from '../security/acl';
import { defineHandler } from './handler';
import { aclApiError } from './acl-requests';
import { clientMessage } from './error-code';

export default defineHandler<CreateAclsRequest, CreateAclsResponse>({
  apiKey: ApiKey.CreateAcls,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const denied = aclApiError(ctx, AclOperation.ALTER);
    if (denied) return { throttleTimeMs: 0, results: req.creations.map(() => denied) };
    const outcomes = await ctx.services.controller.createAcls(
      req.creations.map((c) => ({
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      })),
    );
    return {
      throttleTimeMs: 0,
      results: outcomes.map((err) => (err ? { errorCode: err.code, errorMessage: clientMessage(err.message) } : { errorCode: 0, errorMessage: null })),
    };
  },
});
