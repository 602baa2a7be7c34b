// The ElectLeaders handler's authorization: without ALTER on the cluster every named partition is refused with
// CLUSTER_AUTHORIZATION_FAILED and nothing is elected.
import { strict as assert } from 'node:assert';
import handler from '../../src/handlers/elect-leaders';
import { ErrorCode } from '../../src/protocol/errors';
import type { Authorizer } from '../../src/security/authorizer';
import { testRequestContext } from '../security/context';

describe('ElectLeaders handler', () => {
  it('refuses every partition without ALTER on the cluster, electing nothing', async () => {
    let elections = 0;
    const denyAll: Authorizer = { enabled: true, authorize: () => false, authorizeByResourceType: () => false };
    const ctx = testRequestContext({ controller: { electLeaders: async () => (elections++, []) } }, { apiVersion: 2, clientId: 'admin', authorizer: denyAll });
    const res = await handler.handle({ electionType: 0, topicPartitions: [{ topic: 't', partitions: [0, 1] }], timeoutMs: 1000 }, ctx);
    assert.equal(res!.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    assert.deepEqual(res!.replicaElectionResults[0].partitionResult.map((p) => p.errorCode), [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
    assert.equal(elections, 0);
  });
});
