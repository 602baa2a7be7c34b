// The console connects with its own SASL user, so what it can show and change is bounded by that user's ACLs,
// even with writes enabled: a broker with a SASL_PLAINTEXT listener, SCRAM users and the simple authorizer; the
// console (its own process) logs in as `console`, which may only describe one topic. A wrong password keeps
// /readyz at 503 with the reason.
import { strict as assert } from 'node:assert';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { BrokerProcess } from '../helpers/broker-process';
import { freePort } from '../helpers/util';
import { ConsoleProcess } from './console-process';

const USERS = { admin: 'admin-secret', console: 'console-secret' };
const VISIBLE = 'visible-topic';
const HIDDEN = 'hidden-topic';

describe('web console: its own SASL user, bounded by ACLs (broker process, console process)', function () {
  this.timeout(120_000);
  let broker: BrokerProcess;
  let saslBootstrap: string;
  const consoles: ConsoleProcess[] = [];

  before(async () => {
    const saslPort = await freePort();
    saslBootstrap = `127.0.0.1:${saslPort}`;
    broker = await BrokerProcess.start({
      name: 'console-sasl',
      autoCreateTopics: false,
      extraArgs: (port) => [
        '--listeners', `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://${saslBootstrap}`,
        '--sasl-enabled-mechanisms', 'SCRAM-SHA-512',
        '--sasl-bootstrap-users', Object.entries(USERS).map(([u, p]) => `${u}:${p}`).join(','),
        '--authorizer', 'simple',
        '--super-users', 'User:admin',
      ],
    });
  });

  after(async () => {
    for (const c of consoles) await c.stop();
    await broker?.cleanup();
  });

  /** The super user, over SASL (e2e/helpers/kafkajs.ts has no SASL option). */
  function adminClient() {
    return new Kafka({ clientId: 'console-sasl-setup', brokers: [saslBootstrap], sasl: { mechanism: 'scram-sha-512', username: 'admin', password: USERS.admin }, logLevel: logLevel.NOTHING }).admin();
  }

  it('shows only what its user may describe and refuses writes the ACLs do not allow', async () => {
    const admin = adminClient();
    await admin.connect();
    try {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: VISIBLE, numPartitions: 1 }, { topic: HIDDEN, numPartitions: 1 }] });
      await admin.createAcls({
        acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: VISIBLE, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:console', host: '*', operation: AclOperationTypes.DESCRIBE, permissionType: AclPermissionTypes.ALLOW }],
      });
    } finally {
      await admin.disconnect();
    }
    const c = await ConsoleProcess.start({
      STRATA_BROKERS: saslBootstrap,
      STRATA_SASL_MECHANISM: 'SCRAM-SHA-512',
      STRATA_SASL_USERNAME: 'console',
      STRATA_SASL_PASSWORD: USERS.console,
      STRATA_CONSOLE_WRITE_ENABLED: 'true',
    });
    consoles.push(c);

    const topics = await (await fetch(`${c.url}/topics`)).text();
    assert.match(topics, new RegExp(`>${VISIBLE}</a>`));
    assert.doesNotMatch(topics, new RegExp(HIDDEN), 'a topic the console user may not describe is not listed');

    const hidden = await fetch(`${c.url}/topics/${HIDDEN}`);
    assert.equal(hidden.status, 403);
    assert.match(await hidden.text(), /TOPIC_AUTHORIZATION_FAILED/);

    // Writes are enabled in the console, but its user may not create topics: the cluster refuses, the page says so.
    const token = /name="_csrf" value="([^"]+)"/.exec(topics)?.[1];
    assert.ok(token, 'the create form carries a CSRF token');
    const created = await fetch(`${c.url}/topics`, { method: 'POST', body: new URLSearchParams({ _csrf: token, name: 'not-allowed' }), headers: { origin: c.url }, redirect: 'manual' });
    assert.equal(created.status, 403);
    assert.match(await created.text(), /AUTHORIZATION_FAILED/);
  });

  it('with a wrong password it stays up but not ready, and /readyz says why', async () => {
    const c = await ConsoleProcess.start({ STRATA_BROKERS: saslBootstrap, STRATA_SASL_USERNAME: 'console', STRATA_SASL_PASSWORD: 'wrong' }, { until: 'healthz' });
    consoles.push(c);
    const ready = await fetch(`${c.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(await ready.text(), /cluster unreachable: .*SASL_AUTHENTICATION_FAILED|cluster unreachable: .*[Aa]uthentication failed/);
  });
});
