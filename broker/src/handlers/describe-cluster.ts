// DescribeCluster (key 60), v0–1 (KIP-700): cluster id, controller and brokers. Only the broker endpoint
// type (1) is served; a request for controller endpoints (2) gets UNSUPPORTED_ENDPOINT_TYPE. Brokers are
// listed with the endpoint of the listener the request came in on. As in Kafka, no ACL is needed; the cluster's
// authorized operations are filled when asked (0 without DESCRIBE on the cluster).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeClusterRequest, DescribeClusterResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { clusterAuthorizedOperations } from './authorized-operations';
import { listenerBrokers } from '../cluster/metadata-image';

const BROKERS = 1;

export default defineHandler<DescribeClusterRequest, DescribeClusterResponse>({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    const { image, nodeId } = ctx.services;
    const base = { throttleTimeMs: 0, endpointType: req.endpointType, clusterId: image.clusterId, controllerId: image.advertisedControllerId(nodeId), clusterAuthorizedOperations: clusterAuthorizedOperations(ctx, req.includeClusterAuthorizedOperations) };
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
