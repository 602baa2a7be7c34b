// DescribeCluster (key 60), v0–1 (KIP-700): cluster id, controller and brokers. Only the broker endpoint
// type (1) is served; a request for controller endpoints (2) gets UNSUPPORTED_ENDPOINT_TYPE. Brokers are
// listed with the endpoint of the listener the request came in on.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { listenerBrokers } from '../cluster/metadata-image';

const BROKERS = 1;

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const { image, nodeId } = ctx.services;
    const base = { throttleTimeMs: 0, endpointType: req.endpointType, clusterId: image.clusterId, controllerId: nodeId, clusterAuthorizedOperations: -2147483648 };
    if (req.endpointType !== BROKERS) {
      return { ...base, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: `Endpoint type ${req.endpointType} is not supported.`, brokers: [] };
    }
    return {
      ...base,
      errorCode: 0,
      errorMessage: null,
      brokers: listenerBrokers(image, ctx.listenerName).map(({ b, e }) => ({ brokerId: b.nodeId, host: e.host, port: e.port, rack: b.rack })),
    };
  },
});
