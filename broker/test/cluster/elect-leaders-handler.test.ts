// The ElectLeaders handler's authorization: without ALTER on the cluster every named partition is refused with
// CLUSTER_AUTHORIZATION_FAILED and nothing is elected.
import { strict as assert } from 'node:assert';
import handler from '../../src/handlers/elect-leaders';
import type { RequestContext } from '../../src/handlers/handler';
import { ErrorCode } from '../../src/protocol/errors';
import type { Authorizer } from '../../src/security/authorizer';
import { ANONYMOUS } from '../../src/security/principal';
import type { BrokerServices } from '../../src/services';
import { testSecurity } from '../security/context';

describe('ElectLeaders handler', () => {
  it('refuses every partition without ALTER on the cluster, electing nothing', async () => {
    let elections = 0;
    const denyAll: Authorizer = { enabled: true, authorize: () => false, authorizeByResourceType: () => false };
    const ctx: RequestContext = {
      apiVersion: 2,
      correlationId: 1,
      clientId: 'admin',
      remoteAddress: '127.0.0.1:1',
      principal: ANONYMOUS,
      listenerName: 'PLAINTEXT',
      securityProtocol: 'PLAINTEXT',
      services: { controller: { electLeaders: async () => (elections++, []) } } as unknown as BrokerServices,
      closeConnection: () => undefined,
      ...testSecurity({ authorizer: denyAll }),
    };
    const res = await handler.handle({ electionType: 0, topicPartitions: [{ topic: 't', partitions: [0, 1] }], timeoutMs: 1000 }, ctx);
    assert.equal(res!.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.deepEqual(res!.replicaElectionResults[0].partitionResult.map((p) => p.errorCode), [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
    assert.equal(elections, 0);
  });
});
