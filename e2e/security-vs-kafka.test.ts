// The authorization matrix of issue 11 (e2e/helpers/authz-matrix.ts) run by the same KafkaJS code against a Strata
// broker and against Apache Kafka 4.1.1 (KRaft, one node, from the jars of bench/java/install.sh), both set up the
// same way: a PLAINTEXT listener (User:ANONYMOUS), a SASL_PLAINTEXT listener with SCRAM-SHA-512, the users admin,
// alice and bob, an authorizer with allow.everyone.if.no.acl.found=false, super.users=User:admin. Every cell must
// give the same outcome on both; the two matrices are printed side by side (Strata / Kafka).
import { strict as assert } from 'node:assert';
import { KafkaBroker } from '../bench/vs-kafka/kafka-broker';
import { useBroker } from './helpers/suite';
import { freePort } from './helpers/util';
import {
  AUTHZ_CELLS,
  AUTHZ_PRINCIPALS,
  formatAuthzMatrix,
  kafkaAuthzOptions,
  runAuthzMatrix,
  strataAuthzArgs,
  type AuthzMatrix,
} from './helpers/authz-matrix';

describe('security: the authorization matrix, Strata vs Apache Kafka 4.1.1', function () {
  this.timeout(240_000);
  let saslPort = 0;
  before(async () => {
    saslPort = await freePort();
  });
  const ref = useBroker({ name: 'sec-authz-vs-kafka', autoCreateTopics: false, extraArgs: (port) => strataAuthzArgs(port, saslPort) });

  let kafka: KafkaBroker | undefined;
  before(async function () {
    this.timeout(120_000);
    kafka = await KafkaBroker.start({ numPartitions: 1, segmentBytes: 1 << 30 }, kafkaAuthzOptions());
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && kafka) console.log(`--- kafka log tail ---\n${kafka.logTail(40)}\n--- end of kafka log ---`);
  });
  after(async function () {
    this.timeout(60_000);
    await kafka?.cleanup();
  });

  it('every cell gives the same outcome on Strata and on Kafka', async () => {
    const strata: AuthzMatrix = await runAuthzMatrix({ plaintext: ref.broker.bootstrap, saslPlaintext: `127.0.0.1:${saslPort}` });
    const k = kafka!;
    const reference: AuthzMatrix = await runAuthzMatrix({ plaintext: k.bootstrap, saslPlaintext: k.listenerBootstrap('SASL_PLAINTEXT') });
    console.log(`      Strata / Kafka 4.1.1\n${formatAuthzMatrix(strata, reference).replace(/^/gm, '      ')}`);
    const differ = AUTHZ_CELLS.flatMap((cell) =>
      AUTHZ_PRINCIPALS.filter((who) => strata[cell][who] !== reference[cell][who]).map(
        (who) => `${cell} as ${who}: Strata ${strata[cell][who]}, Kafka ${reference[cell][who]}`,
      ),
    );
    assert.deepEqual(differ, []);
  });
});
