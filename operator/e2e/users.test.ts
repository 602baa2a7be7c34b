// StrataUser end to end: the operator process against a real kube-apiserver and a real broker process whose
// only listener is SASL_PLAINTEXT with the simple authorizer. The operator logs in as its own super user (the
// cluster's operator-credentials Secret), creates the user's SCRAM credential from a generated Secret, and
// keeps exactly the spec's ACLs: a real client (KafkaJS) logs in with the Secret's password and may do what
// the ACLs allow; changing them changes what it may do; deleting the Secret rotates the password; deleting
// the StrataUser revokes access.
import * as assert from 'assert';
import { stringify } from 'yaml';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerProcess } from '../../e2e/helpers/broker-process';
import { installCrds, Proc, showOperatorOnFailure, startControllerManager, startOperator, useApiServer, waitFor } from './harness';

const NS = 'default';
const CLUSTER = 'secure';
const OPERATOR_PASSWORD = 'operator-e2e-password';

describe('operator: StrataUser against a real kube-apiserver and a SASL broker', function () {
  this.timeout(90_000);
  const k = useApiServer();
  let operator: Proc | undefined;
  let kcm: Proc | undefined;
  let broker: BrokerProcess | undefined;
  const clients: Array<{ disconnect(): Promise<void> }> = [];

  before(async function () {
    this.timeout(120_000);
    await installCrds(k.api);
    kcm = startControllerManager(k.api, ['garbagecollector']);
    broker = await BrokerProcess.start({
      name: 'operator-users',
      autoCreateTopics: false,
      logLevel: 'warn',
      extraArgs: (port) => [
        '--listeners', `SASL_PLAINTEXT://127.0.0.1:${port}`,
        '--sasl-enabled-mechanisms', 'SCRAM-SHA-512',
        '--sasl-bootstrap-users', `strata-operator:${OPERATOR_PASSWORD}`,
        '--authorizer', 'simple',
        '--super-users', 'User:strata-operator',
      ],
    });
    // The brokers of a real cluster get this password from the Secret the operator creates; here the broker
    // was started first, so the test writes the Secret the operator would otherwise generate.
    await k.api.kubectl(['create', 'secret', 'generic', `${CLUSTER}-operator-credentials`, '-n', NS, `--from-literal=password=${OPERATOR_PASSWORD}`]);
    await k.api.kubectl(['apply', '-f', '-'], {
      input: [
        { apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', metadata: { name: CLUSTER, namespace: NS },
          spec: { brokers: 1, storage: { size: '1Gi' }, objectStore: { bucket: 'strata-test' },
            listeners: [{ name: 'sasl', port: 9092, sasl: ['SCRAM-SHA-512'] }], authorization: { type: 'simple' } } },
        ...['orders', 'audit'].map((t) => ({ apiVersion: 'strata.dev/v1alpha1', kind: 'StrataTopic', metadata: { name: t, namespace: NS, labels: { 'strata.dev/cluster': CLUSTER } }, spec: { partitions: 1, replicas: 1 } })),
      ].map((o) => stringify(o)).join('---\n'),
    });
    operator = await startOperator(k.api, broker.bootstrap);
  });

  after(async function () {
    this.timeout(30_000);
    for (const c of clients) await c.disconnect().catch(() => undefined);
    if (operator) await operator.stop();
    if (kcm) await kcm.stop();
    if (broker) await broker.cleanup();
  });

  showOperatorOnFailure(() => operator);

  const ready = (kind: string, name: string) =>
    waitFor(`${kind}/${name} Ready`, async () => {
      const o = await k.api.getJson([kind, name], NS);
      const c = o?.status?.conditions?.find((x: { type: string }) => x.type === 'Ready');
      return c?.status === 'True' && o.status.observedGeneration === o.metadata.generation ? o : undefined;
    }, 60_000);

  const password = async (secret: string): Promise<string> => {
    const s = await k.api.getJson(['secret', secret], NS);
    return Buffer.from(s.data.password, 'base64').toString('utf8');
  };

  /** Produces one record as `user`; resolves 'ok' or the Kafka error type (or 'auth-failed'). */
  async function produceAs(user: string, pw: string, topic: string): Promise<string> {
    const kafka = new Kafka({
      clientId: 'users-e2e', brokers: [broker!.bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: 3000,
      retry: { retries: 0 }, sasl: { mechanism: 'scram-sha-512', username: user, password: pw },
    });
    const producer = kafka.producer({ retry: { retries: 0 } });
    clients.push(producer);
    try {
      await producer.connect();
      await producer.send({ topic, messages: [{ value: `from ${user}` }] });
      return 'ok';
    } catch (err) {
      // KafkaJS wraps the broker's error (e.g. in KafkaJSNonRetriableError) with the protocol error as its cause.
      type E = { type?: string; name?: string; cause?: E };
      let e = err as E;
      while (!e.type && e.name !== 'KafkaJSSASLAuthenticationError' && e.cause) e = e.cause;
      if (e.name === 'KafkaJSSASLAuthenticationError') return 'auth-failed';
      return e.type ?? e.name ?? String(err);
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  const applyUser = (acls: unknown[]) =>
    k.api.kubectl(['apply', '-f', '-'], {
      input: stringify({ apiVersion: 'strata.dev/v1alpha1', kind: 'StrataUser', metadata: { name: 'alice', namespace: NS, labels: { 'strata.dev/cluster': CLUSTER } },
        spec: { authentication: { type: 'scram-sha-512' }, authorization: { acls }, quotas: { producerByteRate: 1048576 } } }),
    });

  it('reconciles topics over SASL as the operator\'s super user', async () => {
    await ready('stratatopic', 'orders');
    await ready('stratatopic', 'audit');
  });

  it('creates a user whose generated Secret logs in, with exactly the ACLs of its spec', async () => {
    await applyUser([{ resource: { type: 'topic', name: 'orders' }, operations: ['Write', 'Describe'] }]);
    const u = await ready('stratauser', 'alice');
    assert.strictEqual(u.status.username, 'alice');
    assert.strictEqual(u.status.secret, 'alice');
    const secret = await k.api.getJson(['secret', 'alice'], NS);
    assert.strictEqual(secret.metadata.ownerReferences[0].uid, u.metadata.uid);
    assert.match(Buffer.from(secret.data['sasl.jaas.config'], 'base64').toString(), /ScramLoginModule required username="alice"/);
    const pw = await password('alice');
    assert.strictEqual(await produceAs('alice', pw, 'orders'), 'ok');
    assert.strictEqual(await produceAs('alice', pw, 'audit'), 'TOPIC_AUTHORIZATION_FAILED');
    assert.strictEqual(await produceAs('alice', 'wrong-password', 'orders'), 'auth-failed');
  });

  it('changing the ACLs changes what the user may do', async () => {
    await applyUser([
      { resource: { type: 'topic', name: 'audit' }, operations: ['Write', 'Describe'] },
    ]);
    await ready('stratauser', 'alice');
    const pw = await password('alice');
    assert.strictEqual(await produceAs('alice', pw, 'audit'), 'ok');
    assert.strictEqual(await produceAs('alice', pw, 'orders'), 'TOPIC_AUTHORIZATION_FAILED');
  });

  it('deleting the Secret makes a new password; the old one stops working', async () => {
    const old = await password('alice');
    const oldUid = (await k.api.getJson(['secret', 'alice'], NS)).metadata.uid;
    await k.api.kubectl(['delete', 'secret', 'alice', '-n', NS]);
    await waitFor('a new Secret alice', async () => {
      const s = await k.api.getJson(['secret', 'alice'], NS);
      return s && s.metadata.uid !== oldUid;
    }, 60_000);
    await waitFor('the new password set on the cluster', async () => {
      const u = await k.api.getJson(['stratauser', 'alice'], NS);
      const s = await k.api.getJson(['secret', 'alice'], NS);
      return u.status.credentialVersion === `${s.metadata.uid}/${s.metadata.resourceVersion}`;
    }, 60_000);
    const fresh = await password('alice');
    assert.notStrictEqual(fresh, old);
    assert.strictEqual(await produceAs('alice', old, 'audit'), 'auth-failed');
    assert.strictEqual(await produceAs('alice', fresh, 'audit'), 'ok');
  });

  it('deleting the StrataUser revokes its access', async () => {
    const pw = await password('alice');
    await k.api.kubectl(['delete', 'stratauser', 'alice', '-n', NS, '--wait=true', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.strictEqual(await produceAs('alice', pw, 'audit'), 'auth-failed');
    await waitFor('Secret alice garbage-collected', async () => !(await k.api.getJson(['secret', 'alice'], NS)), 60_000);
  });
});
