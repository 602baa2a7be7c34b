// Authorization with authenticated users: a broker with a PLAINTEXT and a SASL_PLAINTEXT listener,
// authorizer=simple, super.users=User:admin, and SCRAM users made at start. KafkaJS (SCRAM-SHA-512, and no
// credentials on the PLAINTEXT listener) runs every cell of the matrix — produce, fetch, group join/commit,
// create/delete topic, describe/alter configs, create ACLs — as: no credentials (User:ANONYMOUS), a wrong
// password, a user without ACLs (bob), a user with ACLs (alice: ALL on topics and groups prefixed "alice-", ALTER on
// the cluster), and the super user. Each cell must give what Kafka gives in that case; the matrix is printed.
import { strict as assert } from 'node:assert';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  Kafka,
  logLevel,
  ResourcePatternTypes,
  type SASLOptions,
} from 'kafkajs';
import { useBroker } from './helpers/suite';
import { freePort } from './helpers/util';
import { fetchWithoutGroup } from './helpers/kafkajs-fetch';

const USERS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' };
const TOPIC = 'alice-data';
const CELLS = ['produce', 'fetch', 'group join/commit', 'create topic', 'delete topic', 'describe configs', 'alter configs', 'create ACLs'] as const;
type Cell = (typeof CELLS)[number];

interface Who {
  label: string;
  port: () => number;
  sasl?: SASLOptions;
}

/** "ok", or the Kafka error name a KafkaJS error carries (SASL failures as SASL_AUTHENTICATION_FAILED). */
function outcomeOf(err: unknown): string {
  const seen = new Set<unknown>();
  const walk = (e: unknown): string | undefined => {
    if (!e || typeof e !== 'object' || seen.has(e)) return undefined;
    seen.add(e);
    const x = e as { type?: unknown; name?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown[] };
    if (x.name === 'KafkaJSSASLAuthenticationError') return 'SASL_AUTHENTICATION_FAILED';
    if (typeof x.type === 'string' && /^[A-Z_]+$/.test(x.type)) return x.type;
    for (const inner of [x.cause, x.originalError, ...(Array.isArray(x.errors) ? x.errors : [])]) {
      const t = walk(inner);
      if (t) return t;
    }
    return undefined;
  };
  return walk(err) ?? `${(err as Error)?.name}: ${(err as Error)?.message}`;
}

describe('security: authorization of authenticated users (KafkaJS over SASL_PLAINTEXT)', function () {
  this.timeout(180_000);
  let saslPort = 0;
  before(async () => {
    saslPort = await freePort();
  });
  const ref = useBroker({
    name: 'sec-authz',
    autoCreateTopics: false,
    extraArgs: (port) => [
      '--listeners', `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
      '--sasl-enabled-mechanisms', 'SCRAM-SHA-512',
      '--sasl-bootstrap-users', Object.entries(USERS).map(([u, p]) => `${u}:${p}`).join(','),
      '--authorizer', 'simple',
      '--super-users', 'User:admin',
    ],
  });

  const kafkaFor = (who: Who) =>
    new Kafka({
      clientId: `authz-${who.label}`,
      brokers: [`127.0.0.1:${who.port()}`],
      connectionTimeout: 5000,
      requestTimeout: 10_000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
      ...(who.sasl ? { sasl: who.sasl } : {}),
    });
  const scram = (username: string, password: string): SASLOptions => ({ mechanism: 'scram-sha-512', username, password });
  const admin: Who = { label: 'super user', port: () => saslPort, sasl: scram('admin', USERS.admin) };
  const principals: Who[] = [
    { label: 'no credentials', port: () => ref.broker.port },
    { label: 'wrong password', port: () => saslPort, sasl: scram('alice', 'not-her-password') },
    { label: 'user without ACL', port: () => saslPort, sasl: scram('bob', USERS.bob) },
    { label: 'user with ACL', port: () => saslPort, sasl: scram('alice', USERS.alice) },
    admin,
  ];

  /** One cell: run as `who`, "ok" or the error. Names are per principal so cells do not depend on each other. */
  async function run(cell: Cell, who: Who, n: number): Promise<string> {
    const kafka = kafkaFor(who);
    try {
      switch (cell) {
        case 'produce': {
          const p = kafka.producer({ allowAutoTopicCreation: false });
          await p.connect();
          try {
            await p.send({ topic: TOPIC, messages: [{ value: `from ${who.label}` }] });
          } finally {
            await p.disconnect();
          }
          break;
        }
        case 'fetch': {
          const records = await fetchWithoutGroup(kafka, TOPIC, new Map([[0, 1n]]), { fromOffset: 0n, timeoutMs: 10_000 });
          assert.ok((records.get(0) ?? []).length > 0);
          break;
        }
        case 'group join/commit': {
          const consumer = kafka.consumer({ groupId: `alice-group-${n}`, sessionTimeout: 10_000, heartbeatInterval: 500 });
          await consumer.connect();
          try {
            await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
            const consumed = new Promise<void>((resolve, reject) => {
              consumer.on(consumer.events.CRASH, (e: { payload: { error: unknown } }) => reject(e.payload.error));
              void consumer
                .run({ autoCommit: false, eachMessage: async () => resolve() })
                .catch(reject);
            });
            await consumed;
            await consumer.commitOffsets([{ topic: TOPIC, partition: 0, offset: '1' }]);
          } finally {
            await consumer.disconnect();
          }
          break;
        }
        case 'create topic':
        case 'delete topic':
        case 'describe configs':
        case 'alter configs':
        case 'create ACLs': {
          const a = kafka.admin();
          await a.connect();
          try {
            if (cell === 'create topic') await a.createTopics({ topics: [{ topic: `alice-new-${n}`, numPartitions: 1 }] });
            if (cell === 'delete topic') await a.deleteTopics({ topics: [`alice-del-${n}`] });
            if (cell === 'describe configs') {
              const r = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC }] });
              const code = r.resources[0].errorCode;
              if (code !== 0) return `error code ${code}`;
            }
            if (cell === 'alter configs') {
              await a.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configEntries: [{ name: 'retention.ms', value: String(3_600_000 + n) }] }] });
            }
            if (cell === 'create ACLs') {
              await a.createAcls({
                acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: `carol-${n}`, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:carol', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }],
              });
            }
          } finally {
            await a.disconnect();
          }
          break;
        }
      }
      return 'ok';
    } catch (err) {
      return outcomeOf(err);
    }
  }

  before(async function () {
    this.timeout(60_000);
    // The super user sets the scene: the topic with a record, topics to delete, and alice's ACLs.
    const kafka = kafkaFor(admin);
    const a = kafka.admin();
    await a.connect();
    await a.createTopics({ topics: [TOPIC, ...principals.map((_, n) => `alice-del-${n}`)].map((topic) => ({ topic, numPartitions: 1 })) });
    const alice = (resourceType: number, resourceName: string, patternType: number, operation: number) => ({
      resourceType,
      resourceName,
      resourcePatternType: patternType,
      principal: 'User:alice',
      host: '*',
      operation,
      permissionType: AclPermissionTypes.ALLOW,
    });
    await a.createAcls({
      acl: [
        alice(AclResourceTypes.TOPIC, 'alice-', ResourcePatternTypes.PREFIXED, AclOperationTypes.ALL),
        alice(AclResourceTypes.GROUP, 'alice-', ResourcePatternTypes.PREFIXED, AclOperationTypes.ALL),
        alice(AclResourceTypes.CLUSTER, 'kafka-cluster', ResourcePatternTypes.LITERAL, AclOperationTypes.ALTER),
      ],
    });
    await a.disconnect();
    const p = kafka.producer();
    await p.connect();
    await p.send({ topic: TOPIC, messages: [{ value: 'seed' }] });
    await p.disconnect();
  });

  it('every cell gives what Kafka gives for that principal', async () => {
    const denied: Record<Cell, string> = {
      produce: 'TOPIC_AUTHORIZATION_FAILED',
      fetch: 'TOPIC_AUTHORIZATION_FAILED',
      'group join/commit': 'TOPIC_AUTHORIZATION_FAILED', // the subscription's Metadata is refused first
      'create topic': 'TOPIC_AUTHORIZATION_FAILED',
      'delete topic': 'TOPIC_AUTHORIZATION_FAILED',
      'describe configs': 'TOPIC_AUTHORIZATION_FAILED',
      'alter configs': 'TOPIC_AUTHORIZATION_FAILED',
      'create ACLs': 'CLUSTER_AUTHORIZATION_FAILED',
    };
    const expected = (who: Who, cell: Cell): string => {
      if (who.label === 'wrong password') return 'SASL_AUTHENTICATION_FAILED';
      if (who.label === 'no credentials' || who.label === 'user without ACL') return denied[cell];
      return 'ok';
    };
    const rows: string[] = [];
    const wrong: string[] = [];
    for (const cell of CELLS) {
      const got: string[] = [];
      for (let n = 0; n < principals.length; n++) {
        const outcome = await run(cell, principals[n], n);
        got.push(outcome);
        if (outcome !== expected(principals[n], cell)) wrong.push(`${cell} as ${principals[n].label}: got ${outcome}, expected ${expected(principals[n], cell)}`);
      }
      rows.push(`| ${cell} | ${got.join(' | ')} |`);
    }
    console.log(['', `| cell | ${principals.map((p) => p.label).join(' | ')} |`, `|${' --- |'.repeat(principals.length + 1)}`, ...rows].map((l) => `      ${l}`).join('\n'));
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
