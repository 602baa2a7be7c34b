// Authentication end to end: one broker process with four listeners (PLAINTEXT, SASL_PLAINTEXT, SASL_SSL, and
// SSL asking for client certificates), a CA made by the test with openssl, and real clients over TCP:
// KafkaJS (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 over SASL_PLAINTEXT and SASL_SSL, and SSL), kcat/librdkafka
// (SASL_SSL with SCRAM-SHA-512 and PLAIN), the Java client (SCRAM-SHA-512 over SASL_SSL, and its Admin for
// Alter/DescribeUserScramCredentials). Also: each listener advertises its own endpoint, wrong passwords fail,
// nothing but ApiVersions and SASL is served before authentication, the mutual-TLS principal, and the counters.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { useBroker } from './helpers/suite';
import { freePort, makeTempDir, removeTempDir, uniqueName, waitFor } from './helpers/util';
import { TestCa } from './helpers/test-ca';
import { kcat, requireKcat } from './helpers/kcat';
import { requireJavaClient, runJava, summary } from './helpers/java';
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode, KafkaError } from '../broker/src/protocol/errors';

const ADMIN = { username: 'admin', password: 'admin-secret' };

describe('security: authentication over real clients', function () {
  this.timeout(120_000);
  const dir = makeTempDir('sec-auth');
  const ports = { sasl: 0, saslSsl: 0, ssl: 0 };
  let ca: TestCa;
  let server: { cert: string; key: string };
  let client: { cert: string; key: string };

  before(async () => {
    requireKcat();
    requireJavaClient();
    ca = new TestCa(dir);
    server = ca.issue('broker', '/O=Strata/CN=broker', { server: true });
    client = ca.issue('app', '/O=Strata/OU=payments/CN=app');
    ports.sasl = await freePort();
    ports.saslSsl = await freePort();
    ports.ssl = await freePort();
  });
  after(() => removeTempDir(dir));

  const ref = useBroker({
    name: 'sec-auth',
    autoCreateTopics: true,
    logLevel: 'debug',
    extraArgs: (port) => [
      '--listeners', `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${ports.sasl},SASL_SSL://127.0.0.1:${ports.saslSsl},SSL://127.0.0.1:${ports.ssl}`,
      '--sasl-enabled-mechanisms', 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      '--sasl-bootstrap-users', `${ADMIN.username}:${ADMIN.password}`,
      '--ssl-certificate-location', server.cert,
      '--ssl-key-location', server.key,
      '--ssl-ca-location', ca.cert,
      '--ssl-client-auth', 'requested',
    ],
  });

  const caPem = () => fs.readFileSync(ca.cert, 'utf8');

  function kafkajs(port: number, opts: { sasl?: SASLOptions; ssl?: tls.ConnectionOptions | boolean }): Kafka {
    return new Kafka({
      clientId: 'sec-auth',
      brokers: [`127.0.0.1:${port}`],
      connectionTimeout: 5000,
      requestTimeout: 15_000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
      ...opts,
    });
  }

  async function roundTrip(k: Kafka, label: string): Promise<void> {
    const topic = uniqueName(`sec-${label}`);
    const admin = k.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    } finally {
      await admin.disconnect();
    }
    const producer = k.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k', value: `hello-${label}` }] });
    await producer.disconnect();
    const consumer = k.consumer({ groupId: `${topic}-g` });
    await consumer.connect();
    const got: string[] = [];
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) });
      await waitFor(() => got.length > 0, { timeoutMs: 30_000, what: `a record consumed over ${label}` });
    } finally {
      await consumer.disconnect();
    }
    assert.deepEqual(got, [`hello-${label}`]);
  }

  async function authCounter(listener: string, mechanism: string, result: string): Promise<number> {
    const text = await ref.broker.metricsText();
    const m = new RegExp(`^strata_authentication_total\\{listener="${listener}",mechanism="${mechanism}",result="${result}"\\} (\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  }

  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512'] as const) {
    it(`KafkaJS ${mechanism} over SASL_PLAINTEXT and SASL_SSL: create, produce, group consume`, async () => {
      const sasl = { mechanism, ...ADMIN } as SASLOptions;
      await roundTrip(kafkajs(ports.sasl, { sasl }), `${mechanism}-plaintext`);
      await roundTrip(kafkajs(ports.saslSsl, { sasl, ssl: { ca: [caPem()] } }), `${mechanism}-ssl`);
    });
  }

  it('each listener advertises its own endpoint (Metadata and DescribeCluster)', async () => {
    const cases: Array<[number, Partial<Parameters<typeof kafkajs>[1]>]> = [
      [ref.broker.port, {}],
      [ports.sasl, { sasl: { mechanism: 'scram-sha-512', ...ADMIN } }],
      [ports.saslSsl, { sasl: { mechanism: 'plain', ...ADMIN }, ssl: { ca: [caPem()] } }],
      [ports.ssl, { ssl: { ca: [caPem()] } }],
    ];
    for (const [port, opts] of cases) {
      const admin = kafkajs(port, opts).admin();
      await admin.connect();
      try {
        const { brokers } = await admin.describeCluster();
        assert.deepEqual(brokers.map((b) => `${b.host}:${b.port}`), [`127.0.0.1:${port}`]);
      } finally {
        await admin.disconnect();
      }
    }
  });

  it('a wrong password or an unknown user fails with SASL_AUTHENTICATION_FAILED, and failures are counted', async () => {
    const before = await authCounter('SASL_SSL', 'SCRAM-SHA-512', 'failure');
    for (const sasl of [
      { mechanism: 'scram-sha-512', username: 'admin', password: 'wrong' },
      { mechanism: 'scram-sha-512', username: 'nobody', password: 'x' },
    ] as SASLOptions[]) {
      const admin = kafkajs(ports.saslSsl, { sasl, ssl: { ca: [caPem()] } }).admin();
      await assert.rejects(admin.connect(), (err: Error) => /SASL_AUTHENTICATION_FAILED|authentication failed/i.test(`${(err as { type?: string }).type} ${err.message}`));
    }
    // Our own client sees the error code itself.
    await assert.rejects(
      KafkaClient.connect({ host: '127.0.0.1', port: ports.sasl, sasl: { mechanism: 'PLAIN', username: 'admin', password: 'nope' } }),
      (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.SASL_AUTHENTICATION_FAILED,
    );
    assert.equal(await authCounter('SASL_SSL', 'SCRAM-SHA-512', 'failure'), before + 2);
    assert.ok((await authCounter('SASL_PLAINTEXT', 'PLAIN', 'failure')) >= 1);
    assert.ok((await authCounter('SASL_SSL', 'SCRAM-SHA-512', 'success')) >= 1);
  });

  it('before authentication only ApiVersions and the SASL APIs are served', async () => {
    const c = await KafkaClient.connect({ host: '127.0.0.1', port: ports.sasl });
    try {
      const versions = await c.apiVersions();
      assert.ok(versions.has(ApiKey.SaslHandshake) && versions.has(ApiKey.SaslAuthenticate));
      await assert.rejects(c.request(ApiKey.Metadata, 1, { topics: null }), /closed/);
    } finally {
      await c.close();
    }
    // The same request after authentication is answered.
    const authed = await KafkaClient.connect({ host: '127.0.0.1', port: ports.sasl, sasl: { mechanism: 'SCRAM-SHA-256', ...ADMIN } });
    try {
      const md = await authed.request<{ brokers: Array<{ port: number }> }>(ApiKey.Metadata, 1, { topics: null });
      assert.deepEqual(md.brokers.map((b) => b.port), [ports.sasl]);
    } finally {
      await authed.close();
    }
  });

  it('kcat (librdkafka) over SASL_SSL with SCRAM-SHA-512 and PLAIN: produce and consume', async () => {
    for (const mechanism of ['SCRAM-SHA-512', 'PLAIN']) {
      const topic = uniqueName(`sec-kcat-${mechanism.toLowerCase()}`);
      const common = [
        '-b', `127.0.0.1:${ports.saslSsl}`,
        '-X', 'security.protocol=SASL_SSL',
        '-X', `sasl.mechanisms=${mechanism}`,
        '-X', `sasl.username=${ADMIN.username}`,
        '-X', `sasl.password=${ADMIN.password}`,
        '-X', `ssl.ca.location=${ca.cert}`,
      ];
      await kcat([...common, '-P', '-t', topic, '-p', '0'], { stdin: 'one\ntwo\n' });
      const { stdout } = await kcat([...common, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-q']);
      assert.deepEqual(stdout.trim().split('\n'), ['one', 'two']);
    }
    const bad = await kcat(
      ['-b', `127.0.0.1:${ports.saslSsl}`, '-X', 'security.protocol=SASL_SSL', '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=admin', '-X', 'sasl.password=wrong', '-X', `ssl.ca.location=${ca.cert}`, '-L', '-m', '5'],
      { allowFailure: true },
    );
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /SASL authentication error|Authentication failed/i);
  });

  it('Java client: SCRAM-SHA-512 over SASL_SSL; its Admin creates, describes and deletes a SCRAM user that KafkaJS then uses', async () => {
    const props = path.join(dir, 'java-admin.properties');
    const javaProps = (user: string, password: string) =>
      [
        'security.protocol=SASL_SSL',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`,
        'ssl.truststore.type=PEM',
        `ssl.truststore.location=${ca.cert}`,
      ].join('\n');
    fs.writeFileSync(props, javaProps(ADMIN.username, ADMIN.password));
    const env = { STRATA_CLIENT_PROPERTIES: props };
    const bs = `127.0.0.1:${ports.saslSsl}`;
    const topic = uniqueName('sec-java');
    summary(await runJava('create-topic', [bs, topic, 1], 60_000, env), 'create-topic');
    assert.equal(summary(await runJava('produce', [bs, topic, 5, 'none'], 60_000, env), 'produce').acked, 5);
    assert.equal(summary(await runJava('consume', [bs, topic, 5, 20_000], 60_000, env), 'consume').count, 5);

    assert.equal(summary(await runJava('scram-upsert', [bs, 'carol', 'SCRAM-SHA-512', 8192, 'carol-pw'], 60_000, env), 'scram-alter').failure, null);
    const tooFew = summary(await runJava('scram-upsert', [bs, 'dan', 'SCRAM-SHA-256', 100, 'x'], 60_000, env), 'scram-alter');
    assert.match(String(tooFew.failure), /UnacceptableCredentialException/);
    const described = summary(await runJava('scram-describe', [bs], 60_000, env), 'scram-describe');
    assert.deepEqual(described.users, {
      admin: [
        { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
        { mechanism: 'SCRAM-SHA-512', iterations: 4096 },
      ],
      carol: [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }],
    });
    const missing = summary(await runJava('scram-describe', [bs, 'nobody'], 60_000, env), 'scram-describe');
    assert.match(String((missing.users as Record<string, unknown>).nobody), /ResourceNotFoundException/);

    // carol works with SCRAM-SHA-512 and with PLAIN (checked against the SCRAM credential the Admin stored).
    for (const mechanism of ['scram-sha-512', 'plain'] as const) {
      const admin = kafkajs(ports.saslSsl, { sasl: { mechanism, username: 'carol', password: 'carol-pw' } as SASLOptions, ssl: { ca: [caPem()] } }).admin();
      await admin.connect();
      await admin.disconnect();
    }
    // The Java client logs in as carol too.
    fs.writeFileSync(props, javaProps('carol', 'carol-pw'));
    summary(await runJava('describe-cluster', [bs], 60_000, env), 'describe-cluster');
    fs.writeFileSync(props, javaProps(ADMIN.username, ADMIN.password));

    assert.equal(summary(await runJava('scram-delete', [bs, 'carol', 'SCRAM-SHA-512'], 60_000, env), 'scram-alter').failure, null);
    const gone = kafkajs(ports.saslSsl, { sasl: { mechanism: 'scram-sha-512', username: 'carol', password: 'carol-pw' }, ssl: { ca: [caPem()] } }).admin();
    await assert.rejects(gone.connect());
  });

  it('SSL listener: KafkaJS round trip; a client certificate becomes the principal; an untrusted one is refused', async () => {
    await roundTrip(kafkajs(ports.ssl, { ssl: { ca: [caPem()], cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key) } }), 'mtls');
    await waitFor(() => ref.broker.logTail(400).includes('"principal":"User:CN=app,OU=payments,O=Strata"') || undefined, {
      timeoutMs: 10_000,
      what: 'the TLS principal in the broker log',
    });
    // Without a certificate (ssl.client.auth=requested): anonymous, still served.
    const anon = await KafkaClient.connect({ host: '127.0.0.1', port: ports.ssl, tls: { ca: caPem() } });
    await anon.apiVersions();
    await anon.close();
    // A certificate from another CA: refused.
    const other = new TestCa(dir, 'Other CA').issue('mallory', '/CN=mallory');
    const rogue = await KafkaClient.connect({
      host: '127.0.0.1',
      port: ports.ssl,
      timeoutMs: 10_000,
      tls: { ca: caPem(), cert: fs.readFileSync(other.cert), key: fs.readFileSync(other.key) },
    }).catch((err: Error) => err);
    if (rogue instanceof KafkaClient) {
      await assert.rejects(rogue.apiVersions(), /closed|reset|failed/);
      await rogue.close();
    }
    assert.ok(!ref.broker.logTail(400).includes('User:CN=mallory'));
  });
});
