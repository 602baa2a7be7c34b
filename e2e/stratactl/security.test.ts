// stratactl's SASL login and its user and acl commands, run as a process against a Strata broker and Apache
// Kafka 4.1.1 that both accept only SASL/SCRAM-SHA-512 clients and enforce ACLs (no ACL: denied; User:admin is the
// super user; users admin, alice and bob exist from the start). Users created by stratactl must be able to log
// in, deleted ones not; ACLs created by stratactl must change what a principal may do, for stratactl and KafkaJS.
import { strict as assert } from 'node:assert';
import { Kafka, logLevel } from 'kafkajs';
import { AUTHZ_USERS, kafkaAuthzOptions } from '../helpers/authz-matrix';
import { stratactl } from '../helpers/stratactl';
import { waitFor } from '../helpers/util';
import { forEachTarget } from './targets';

const TOPIC = 'secret-data';
const GROUP = 'carol-readers';
const CAROL = { user: 'carol', password: 'carol-secret' };

/** A Strata broker like the Kafka one: only a SASL_PLAINTEXT listener, the users, the simple authorizer. */
function strataSecureArgs(port: number): string[] {
  return [
    '--listeners', `SASL_PLAINTEXT://127.0.0.1:${port}`,
    '--sasl-enabled-mechanisms', 'SCRAM-SHA-512',
    '--sasl-bootstrap-users', Object.entries(AUTHZ_USERS).map(([u, p]) => `${u}:${p}`).join(','),
    '--authorizer', 'simple',
    '--super-users', 'User:admin',
  ];
}

forEachTarget(
  'stratactl SASL login, users and ACLs',
  (target) => {
    /** stratactl logged in as `user` (password through the environment, as scripts should pass it). */
    const as = (user: string, password: string, args: string[], input?: string) =>
      stratactl(['--brokers', target().bootstrap, '--sasl-mechanism', 'SCRAM-SHA-512', '--sasl-username', user, ...args], { env: { STRATA_SASL_PASSWORD: password }, input });
    const admin = (...args: string[]) => as('admin', AUTHZ_USERS.admin, args);
    const carol = (...args: string[]) => as(CAROL.user, CAROL.password, args);
    const json = async (p: Promise<{ code: number | null; stdout: string; stderr: string }>) => {
      const r = await p;
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    /** Kafka applies users and ACLs when its broker replays the controller's record: wait for the effect. */
    const eventually = (what: string, run: () => Promise<{ code: number | null }>, code: number) =>
      waitFor(async () => (await run()).code === code, { timeoutMs: 20_000, intervalMs: 200, what });
    const kafkaAs = (username: string, password: string) =>
      new Kafka({ clientId: `stratactl-security-${username}`, brokers: [target().bootstrap], sasl: { mechanism: 'scram-sha-512', username, password }, connectionTimeout: 5000, retry: { retries: 3 }, logLevel: logLevel.NOTHING });

    it('logs in with --sasl-*; a wrong password exits 5', async () => {
      const ok = await admin('-o', 'json', 'cluster', 'info');
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).brokers.length, 1);
      const flag = await stratactl(['--brokers', target().bootstrap, '--sasl-username', 'admin', '--sasl-password', AUTHZ_USERS.admin, 'cluster', 'info']);
      assert.equal(flag.code, 0, flag.stderr);
      const wrong = await as('admin', 'not-the-password', ['cluster', 'info']);
      assert.equal(wrong.code, 5, wrong.stderr);
      assert.equal(wrong.stdout, '');
      assert.match(wrong.stderr, /^stratactl: .*authentication failed/i);
    });

    it('creates users that can log in and lists every SCRAM user', async () => {
      const created = await as('admin', AUTHZ_USERS.admin, ['user', 'create', CAROL.user, '--password-stdin'], `${CAROL.password}\n`);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(created.stdout, 'User carol can log in with SCRAM-SHA-512\n');
      const dave = await admin('-o', 'json', 'user', 'create', 'dave', '--password', 'dave-secret', '--mechanism', 'SCRAM-SHA-256', '--iterations', '4096');
      assert.equal(dave.code, 0, dave.stderr);
      assert.deepEqual(JSON.parse(dave.stdout), { user: 'dave', mechanism: 'SCRAM-SHA-256', iterations: 4096 });

      await eventually('carol to log in', () => carol('cluster', 'info'), 0);
      assert.equal((await as(CAROL.user, 'wrong', ['cluster', 'info'])).code, 5);

      const users = await json(admin('-o', 'json', 'user', 'list'));
      const byName = new Map(users.map((u: { user: string; credentials: unknown }) => [u.user, u.credentials]));
      assert.deepEqual([...byName.keys()].sort(), ['admin', 'alice', 'bob', 'carol', 'dave']);
      assert.deepEqual(byName.get('carol'), [{ mechanism: 'SCRAM-SHA-512', iterations: 8192 }]);
      assert.deepEqual(byName.get('dave'), [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }]);
      const table = await admin('user', 'list');
      assert.match(table.stdout, /^carol\s+SCRAM-SHA-512 \(8192 iterations\)$/m);
    });

    it('refuses user and ACL administration to a user without cluster rights (exit 5) and bad flags (exit 2)', async () => {
      const userCreate = await as('bob', AUTHZ_USERS.bob, ['user', 'create', 'eve', '--password', 'x']);
      assert.equal(userCreate.code, 5, userCreate.stderr);
      assert.match(userCreate.stderr, /CLUSTER_AUTHORIZATION_FAILED/);
      const aclList = await as('bob', AUTHZ_USERS.bob, ['acl', 'list']);
      assert.equal(aclList.code, 5, aclList.stderr);
      for (const args of [
        ['user', 'create', 'eve'],
        ['acl', 'create', '--principal', 'User:carol', '--operation', 'Read'],
        ['acl', 'create', '--principal', 'User:carol', '--operation', 'Fly', '--topic', TOPIC],
        ['acl', 'create', '--principal', 'carol', '--operation', 'Read', '--topic', TOPIC],
        ['acl', 'create', '--principal', 'User:carol', '--operation', 'Read', '--topic', TOPIC, '--group', GROUP],
        ['acl', 'delete'],
      ]) {
        const r = await admin(...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      }
    });

    it('ACLs created by stratactl take effect for stratactl and a real client, and delete cleanly', async () => {
      const k = kafkaAs('admin', AUTHZ_USERS.admin);
      const a = k.admin();
      await a.connect();
      await a.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
      await a.disconnect();
      const producer = k.producer();
      await producer.connect();
      await producer.send({ topic: TOPIC, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
      await producer.disconnect();

      // Without ACLs carol may not even look at the group or the topic.
      const resetArgs = ['-o', 'json', 'group', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest'];
      const denied = await carol(...resetArgs);
      assert.equal(denied.code, 5, denied.stderr);
      assert.match(denied.stderr, /AUTHORIZATION_FAILED/);
      const consume = ['topic', 'consume', TOPIC];
      const unread = await carol(...consume);
      assert.equal(unread.code, 5, unread.stderr);
      assert.equal(unread.stdout, '');

      const created = await json(admin('-o', 'json', 'acl', 'create', '--principal', 'User:carol', '--operation', 'Read', '--operation', 'Describe', '--topic', 'secret-', '--pattern', 'prefixed'));
      assert.equal(created.created.length, 2);
      assert.equal((await admin('acl', 'create', '--principal', 'User:carol', '--operation', 'Read', '--group', GROUP)).code, 0);
      const acls = await json(admin('-o', 'json', 'acl', 'list', '--principal', 'User:carol'));
      assert.deepEqual(acls, [
        { resourceType: 'TOPIC', resourceName: 'secret-', patternType: 'PREFIXED', principal: 'User:carol', host: '*', operation: 'READ', permissionType: 'ALLOW' },
        { resourceType: 'TOPIC', resourceName: 'secret-', patternType: 'PREFIXED', principal: 'User:carol', host: '*', operation: 'DESCRIBE', permissionType: 'ALLOW' },
        { resourceType: 'GROUP', resourceName: GROUP, patternType: 'LITERAL', principal: 'User:carol', host: '*', operation: 'READ', permissionType: 'ALLOW' },
      ]);
      // MATCH: every ACL that applies to the topic secret-data (here the prefixed ones).
      assert.equal((await json(admin('-o', 'json', 'acl', 'list', '--topic', TOPIC, '--pattern', 'match'))).length, 2);

      // Now carol reads with a real client and commits; stratactl as carol sees her group.
      await eventually('carol to be allowed the reset dry run', () => carol(...resetArgs), 0);
      const read = await carol(...consume);
      assert.equal(read.code, 0, read.stderr);
      assert.equal(read.stdout, 'a\nb\nc\n');
      const consumer = kafkaAs(CAROL.user, CAROL.password).consumer({ groupId: GROUP });
      try {
        await consumer.connect();
        await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
        const seen: string[] = [];
        await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
        await waitFor(() => seen.length === 3, { timeoutMs: 30_000, what: 'carol to read 3 records' });
        assert.deepEqual(seen, ['a', 'b', 'c']);
        await consumer.commitOffsets([{ topic: TOPIC, partition: 0, offset: '3' }]);
      } finally {
        await consumer.disconnect();
      }
      const d = await json(carol('-o', 'json', 'group', 'describe', GROUP));
      assert.deepEqual(d.offsets.map((o: { committedOffset: number; lag: number }) => [o.committedOffset, o.lag]), [[3, 0]]);

      // A DENY on the topic wins over the prefixed ALLOW: the read is refused again.
      assert.equal((await admin('acl', 'create', '--principal', 'User:carol', '--operation', 'Read', '--operation', 'Describe', '--topic', TOPIC, '--deny')).code, 0);
      await eventually('the DENY to refuse carol', () => carol(...consume), 5);
      assert.equal((await carol(...resetArgs)).code, 5);
      const blocked = kafkaAs(CAROL.user, CAROL.password).consumer({ groupId: GROUP });
      try {
        await blocked.connect();
        await assert.rejects(blocked.subscribe({ topic: TOPIC, fromBeginning: true }), /authoriz/i);
      } finally {
        await blocked.disconnect();
      }

      // Deleting by filter removes just the DENY, and the read is allowed again.
      const deleted = await json(admin('-o', 'json', 'acl', 'delete', '--principal', 'User:carol', '--topic', TOPIC, '--deny'));
      assert.deepEqual(deleted.deleted.map((e: { operation: string; permissionType: string }) => [e.operation, e.permissionType]), [['READ', 'DENY'], ['DESCRIBE', 'DENY']]);
      await eventually('carol to be allowed again', () => carol(...consume), 0);
      const rest = await json(admin('-o', 'json', 'acl', 'delete', '--principal', 'User:carol'));
      assert.equal(rest.deleted.length, 3);
      assert.deepEqual(await json(admin('-o', 'json', 'acl', 'list', '--principal', 'User:carol')), []);
    });

    it('deletes users: they can no longer log in; deleting again exits 3', async () => {
      const r = await admin('user', 'delete', CAROL.user);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Deleted user carol (SCRAM-SHA-512)\n');
      await eventually('carol to be refused', () => carol('cluster', 'info'), 5);
      const again = await admin('user', 'delete', CAROL.user);
      assert.equal(again.code, 3, again.stderr);
      const users = await json(admin('-o', 'json', 'user', 'list'));
      assert.deepEqual(users.map((u: { user: string }) => u.user), ['admin', 'alice', 'bob', 'dave']);
    });
  },
  { strata: { extraArgs: strataSecureArgs }, kafka: kafkaAuthzOptions(), kafkaListener: 'SASL_PLAINTEXT' },
);
