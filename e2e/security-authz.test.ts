// Authorization with authenticated users: a broker with a PLAINTEXT and a SASL_PLAINTEXT listener,
// authorizer=simple, super.users=User:admin, and SCRAM users made at start. KafkaJS runs every cell of the matrix
// (e2e/helpers/authz-matrix.ts: produce, fetch, group join/commit, create/delete topic, describe/alter configs,
// create ACLs) as every principal (no credentials, wrong password, user without ACL, user with ACL, super user).
// Each cell must give what Kafka gives in that case (e2e/security-vs-kafka.test.ts checks the same matrix against
// Apache Kafka itself); the matrix is printed.
import { strict as assert } from 'node:assert';
import { useBroker } from './helpers/suite';
import { freePort } from './helpers/util';
import {
  AUTHZ_CELLS,
  AUTHZ_PRINCIPALS,
  formatAuthzMatrix,
  runAuthzMatrix,
  strataAuthzArgs,
  type AuthzCell,
  type AuthzPrincipal,
} from './helpers/authz-matrix';

describe('security: authorization of authenticated users (KafkaJS over SASL_PLAINTEXT)', function () {
  this.timeout(180_000);
  let saslPort = 0;
  before(async () => {
    saslPort = await freePort();
  });
  const ref = useBroker({ name: 'sec-authz', autoCreateTopics: false, extraArgs: (port) => strataAuthzArgs(port, saslPort) });

  it('every cell gives what Kafka gives for that principal', async () => {
    const denied: Record<AuthzCell, string> = {
      produce: 'TOPIC_AUTHORIZATION_FAILED',
      fetch: 'TOPIC_AUTHORIZATION_FAILED',
      'group join/commit': 'TOPIC_AUTHORIZATION_FAILED', // the subscription's Metadata is refused first
      'create topic': 'TOPIC_AUTHORIZATION_FAILED',
      'delete topic': 'TOPIC_AUTHORIZATION_FAILED',
      'describe configs': 'TOPIC_AUTHORIZATION_FAILED',
      'alter configs': 'TOPIC_AUTHORIZATION_FAILED',
      'create ACLs': 'CLUSTER_AUTHORIZATION_FAILED',
      'find group coordinator': 'GROUP_AUTHORIZATION_FAILED',
      'describe ACLs': 'CLUSTER_AUTHORIZATION_FAILED',
    };
    const expected = (who: AuthzPrincipal, cell: AuthzCell): string => {
      if (who === 'wrong password') return 'SASL_AUTHENTICATION_FAILED';
      if (who === 'no credentials' || who === 'user without ACL') return denied[cell];
      return 'ok';
    };
    const matrix = await runAuthzMatrix({ plaintext: ref.broker.bootstrap, saslPlaintext: `127.0.0.1:${saslPort}` });
    console.log(formatAuthzMatrix(matrix).replace(/^/gm, '      '));
    const wrong = AUTHZ_CELLS.flatMap((cell) =>
      AUTHZ_PRINCIPALS.filter((who) => matrix[cell][who] !== expected(who, cell)).map(
        (who) => `${cell} as ${who}: got ${matrix[cell][who]}, expected ${expected(who, cell)}`,
      ),
    );
    assert.deepEqual(wrong, []);
  });

  it('denials and authentications are counted', async () => {
    const text = await ref.broker.metricsText();
    // KafkaJS asks for the topic's Metadata before it produces or fetches: that is where those cells are refused.
    assert.match(text, /strata_authorization_denied_total\{api="Metadata",resource_type="TOPIC"\} [1-9]/);
    assert.match(text, /strata_authorization_denied_total\{api="DeleteTopics",resource_type="TOPIC"\} [1-9]/);
    assert.match(text, /strata_authorization_denied_total\{api="CreateAcls",resource_type="CLUSTER"\} [1-9]/);
    assert.match(text, /strata_authentication_total\{listener="SASL_PLAINTEXT",mechanism="SCRAM-SHA-512",result="failure"\} [1-9]/);
  });
});
