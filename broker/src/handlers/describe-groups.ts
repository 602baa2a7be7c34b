// DescribeGroups (key 15), v0–5. Unknown groups are reported in state "Dead" with no error, as Kafka does.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';

export default defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const { groups } = ctx.services;
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((id) => ({
        errorCode: groups.isLoaded ? ErrorCode.NONE : ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
        ...groups.describe(id),
        authorizedOperations: -2147483648,
      })),
    };
  },
});
