// DescribeGroups (key 15), v0–5. Unknown groups are reported in state "Dead" with no error, as Kafka does.
// Needs DESCRIBE on each group (else GROUP_AUTHORIZATION_FAILED); v3+ may ask for the authorized operations.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { boundUtf8 } from '../protocol/bounded-string';
import { NO_OPERATIONS } from './authorized-operations';

export default defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const { groups } = ctx.services;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => {
        if (!ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, id)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId: boundUtf8(id), groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: NO_OPERATIONS };
        }
        return {
          errorCode: groups.errorFor(id),
          ...groups.describe(id),
          authorizedOperations: req.includeAuthorizedOperations ? ctx.authorizedOperations(ResourceType.GROUP, id) : NO_OPERATIONS,
        };
      }),
    };
  },
});
