// BrokerHeartbeat (key 63), v0–1 (both flexible; v1 adds OfflineLogDirs, which we ignore: one log dir per
// broker). Kafka serves it on the controller listener; here the controller is whichever broker holds the
// lease, reached over the inter-broker listener (CLUSTER.md). It answers NOT_CONTROLLER when this broker does not
// hold the lease (the sender retries its current controller from the metadata image), else hands the heartbeat
// to the liveness table (cluster/broker-liveness.ts): it refreshes the broker's session, unfences a fenced
// broker, and runs controlled shutdown for wantShutDown. BrokerEpoch is not checked (our broker epoch, the
// registration's log position, is not the same number on every broker). An inter-broker API: it needs
// CLUSTER_ACTION on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { BrokerHeartbeatRequest, BrokerHeartbeatResponse } from '../protocol/schema/types';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { answerHeartbeat, refusedHeartbeat } from '../cluster/broker-liveness';
import { defineHandler } from './handler';

export default defineHandler<BrokerHeartbeatRequest, BrokerHeartbeatResponse>({
  apiKey: ApiKey.BrokerHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    if (!ctx.authorize(AclOperation.CLUSTER_ACTION, ResourceType.CLUSTER, CLUSTER_NAME)) return refusedHeartbeat(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    return answerHeartbeat(ctx.services.lease, ctx.services.liveness, req);
  },
});
