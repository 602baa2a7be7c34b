// The BrokerHeartbeat handler's gates: CLUSTER_ACTION on the cluster, and NOT_CONTROLLER unless this broker holds
// the controller lease; past them, the liveness table's answer.
import { strict as assert } from 'node:assert';
import handler from '../../src/handlers/broker-heartbeat';
import type { RequestContext } from '../../src/handlers/handler';
import type { BrokerLiveness, HeartbeatInput } from '../../src/cluster/broker-liveness';
import { ErrorCode } from '../../src/protocol/errors';
import type { BrokerHeartbeatRequest } from '../../src/protocol/schema/types';
import { AclOperation, ResourceType } from '../../src/security/acl';
import type { Authorizer } from '../../src/security/authorizer';
import { testRequestContext } from '../security/context';

const req: BrokerHeartbeatRequest = { brokerId: 2, brokerEpoch: -1, currentMetadataOffset: 0, wantFence: false, wantShutDown: true };

function context(opts: { allowed: boolean; active: boolean; seen: HeartbeatInput[]; refused?: number[] }): RequestContext {
  const authorizer: Authorizer = {
    enabled: true,
    authorize: (_s, op, type) => opts.allowed && op === AclOperation.CLUSTER_ACTION && type === ResourceType.CLUSTER,
    authorizeByResourceType: () => false,
  };
  const liveness = {
    heartbeat: async (input: HeartbeatInput) => {
      opts.seen.push(input);
      return { errorCode: ErrorCode.NONE, isFenced: false, shouldShutDown: true };
    },
    heardWhileInactive: (brokerId: number) => opts.refused?.push(brokerId),
  } as unknown as BrokerLiveness;
  return testRequestContext({ lease: { isActive: () => opts.active, epoch: 1 }, liveness }, { apiVersion: 1, clientId: 'broker-2', authorizer });
}

describe('BrokerHeartbeat handler', () => {
  it('refuses without CLUSTER_ACTION on the cluster', async () => {
    const seen: HeartbeatInput[] = [];
    const res = await handler.handle(req, context({ allowed: false, active: true, seen }));
    assert.equal(res!.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.deepEqual(seen, []);
  });

  it('answers NOT_CONTROLLER when this broker does not hold the lease (the sender still counts as heard)', async () => {
    const seen: HeartbeatInput[] = [];
    const refused: number[] = [];
    const res = await handler.handle(req, context({ allowed: true, active: false, seen, refused }));
    assert.equal(res!.errorCode, ErrorCode.NOT_CONTROLLER);
    assert.equal(res!.isFenced, true);
    assert.deepEqual(seen, []);
    assert.deepEqual(refused, [req.brokerId]);
  });

  it('hands the heartbeat to the liveness table on the lease holder', async () => {
    const seen: HeartbeatInput[] = [];
    const res = await handler.handle(req, context({ allowed: true, active: true, seen }));
    assert.deepEqual(res, { throttleTimeMs: 0, errorCode: ErrorCode.NONE, isCaughtUp: true, isFenced: false, shouldShutDown: true });
    assert.deepEqual(seen, [{ brokerId: 2, wantShutDown: true }]);
  });
});
