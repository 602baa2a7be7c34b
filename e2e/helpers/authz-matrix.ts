// The authorization matrix of issue 11, run by KafkaJS against any broker (Strata or Apache Kafka) that has a
// PLAINTEXT listener (no credentials: User:ANONYMOUS), a SASL_PLAINTEXT listener with SCRAM-SHA-512, the SCRAM
// users of AUTHZ_USERS, an authorizer on, and super.users=User:admin. Cells: produce, fetch, group join/commit,
// create/delete topic, describe/alter configs, create ACLs, and two that reach past KafkaJS's Metadata request:
// find group coordinator and describe ACLs; principals: no credentials, a wrong password, a user
// without ACLs (bob), a user with ACLs (alice: ALL on topics and groups prefixed "alice-", ALTER on the cluster),
// and the super user. Each cell gives "ok" or the Kafka error name the client saw. The same code runs against both
// brokers so their outcomes can be compared cell by cell.
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
import type { KafkaOptions } from '../../bench/vs-kafka/kafka-broker';
import { fetchWithoutGroup, findGroupCoordinator } from './kafkajs-fetch';

/** SCRAM-SHA-512 users every target must have (admin is the super user). */
export const AUTHZ_USERS = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret' } as const;
export const AUTHZ_TOPIC = 'alice-data';
export const AUTHZ_CELLS = ['produce', 'fetch', 'group join/commit', 'create topic', 'delete topic', 'describe configs', 'alter configs', 'create ACLs', 'find group coordinator', 'describe ACLs'] as const;
export type AuthzCell = (typeof AUTHZ_CELLS)[number];
export const AUTHZ_PRINCIPALS = ['no credentials', 'wrong password', 'user without ACL', 'user with ACL', 'super user'] as const;
export type AuthzPrincipal = (typeof AUTHZ_PRINCIPALS)[number];

/** A Strata broker as a target: the flags for: both listeners, SCRAM users, the simple authorizer. */
export function strataAuthzArgs(port: number, saslPort: number): string[] {
  return [
    '--listeners', `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
    '--sasl-enabled-mechanisms', 'SCRAM-SHA-512',
    '--sasl-bootstrap-users', Object.entries(AUTHZ_USERS).map(([u, p]) => `${u}:${p}`).join(','),
    '--authorizer', 'simple',
    '--super-users', 'User:admin',
  ];
}

/**
 * Kafka with the matrix's listeners. Clients meet PLAINTEXT (ANONYMOUS, not a super user) and SASL_PLAINTEXT
 * (SCRAM-SHA-512, users created at format time). The controller listener uses SASL PLAIN with a static JAAS user
 * `admin`, so the broker reaches its controller as the super user without making ANONYMOUS one.
 */
export function kafkaAuthzOptions(): KafkaOptions {
  const admin = AUTHZ_USERS.admin;
  return {
    extraListeners: ['SASL_PLAINTEXT'],
    heap: ['-Xmx768m', '-Xms768m'],
    properties: {
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'sasl.mechanism.controller.protocol': 'PLAIN',
      'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.controller.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${admin}" user_admin="${admin}";`,
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found': 'false',
      'super.users': 'User:admin',
    },
    formatArgs: Object.entries(AUTHZ_USERS).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]),
  };
}

/** The broker under test: its two listeners (host:port). */
export interface AuthzTarget {
  plaintext: string;
  saslPlaintext: string;
}

/** Outcome per cell and principal. */
export type AuthzMatrix = Record<AuthzCell, Record<AuthzPrincipal, string>>;

interface Who {
  label: AuthzPrincipal;
  bootstrap: string;
  sasl?: SASLOptions;
}

const scram = (username: string, password: string): SASLOptions => ({ mechanism: 'scram-sha-512', username, password });

function principalsOf(t: AuthzTarget): Who[] {
  const whos: Record<AuthzPrincipal, Who> = {
    'no credentials': { label: 'no credentials', bootstrap: t.plaintext },
    'wrong password': { label: 'wrong password', bootstrap: t.saslPlaintext, sasl: scram('alice', 'not-her-password') },
    'user without ACL': { label: 'user without ACL', bootstrap: t.saslPlaintext, sasl: scram('bob', AUTHZ_USERS.bob) },
    'user with ACL': { label: 'user with ACL', bootstrap: t.saslPlaintext, sasl: scram('alice', AUTHZ_USERS.alice) },
    'super user': { label: 'super user', bootstrap: t.saslPlaintext, sasl: scram('admin', AUTHZ_USERS.admin) },
  };
  return AUTHZ_PRINCIPALS.map((p) => whos[p]);
}

/** Cells run without retries (an error is the outcome); the scene set-up retries what is retriable. */
const kafkaFor = (who: Who, retries = 0): Kafka =>
  new Kafka({
    clientId: `authz-${who.label.replace(/ /g, '-')}`,
    brokers: [who.bootstrap],
    connectionTimeout: 5000,
    requestTimeout: 10_000,
    retry: { retries },
    logLevel: logLevel.NOTHING,
    ...(who.sasl ? { sasl: who.sasl } : {}),
  });

/** "ok", or the Kafka error name a KafkaJS error carries (SASL failures as SASL_AUTHENTICATION_FAILED). */
export function outcomeOf(err: unknown): string {
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

/**
 * The super user sets the scene: the topic with one record, a topic per principal to delete, and alice's ACLs.
 * It also waits until the group coordinator answers (Kafka creates __consumer_offsets on the first FindCoordinator
 * and says COORDINATOR_NOT_AVAILABLE until then), so the group cells see authorization, not a cold start.
 */
async function setScene(t: AuthzTarget): Promise<void> {
  const kafka = kafkaFor(principalsOf(t).find((w) => w.label === 'super user')!, 10);
  const a = kafka.admin();
  await a.connect();
  try {
    const topics = [AUTHZ_TOPIC, ...AUTHZ_PRINCIPALS.map((_, n) => `alice-del-${n}`)];
    await a.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: 1 })) });
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
    await a.describeGroups(['alice-scene']);
  } finally {
    await a.disconnect();
  }
  const p = kafka.producer();
  await p.connect();
  try {
    await p.send({ topic: AUTHZ_TOPIC, messages: [{ value: 'seed' }] });
  } finally {
    await p.disconnect();
  }
}

/** One cell: run as `who`, "ok" or the error. Names are per principal so cells do not depend on each other. */
async function runCell(cell: AuthzCell, who: Who, n: number): Promise<string> {
  const kafka = kafkaFor(who);
  try {
    switch (cell) {
      case 'produce': {
        const p = kafka.producer({ allowAutoTopicCreation: false });
        await p.connect();
        try {
          await p.send({ topic: AUTHZ_TOPIC, messages: [{ value: `from ${who.label}` }] });
        } finally {
          await p.disconnect();
        }
        break;
      }
      case 'fetch': {
        const records = await fetchWithoutGroup(kafka, AUTHZ_TOPIC, new Map([[0, 1n]]), { fromOffset: 0n, timeoutMs: 10_000 });
        assert.ok((records.get(0) ?? []).length > 0);
        break;
      }
      case 'group join/commit': {
        const consumer = kafka.consumer({ groupId: `alice-group-${n}`, sessionTimeout: 10_000, heartbeatInterval: 500 });
        await consumer.connect();
        try {
          await consumer.subscribe({ topic: AUTHZ_TOPIC, fromBeginning: true });
          const consumed = new Promise<void>((resolve, reject) => {
            consumer.on(consumer.events.CRASH, (e: { payload: { error: unknown } }) => reject(e.payload.error));
            void consumer.run({ autoCommit: false, eachMessage: async () => resolve() }).catch(reject);
          });
          await consumed;
          await consumer.commitOffsets([{ topic: AUTHZ_TOPIC, partition: 0, offset: '1' }]);
        } finally {
          await consumer.disconnect();
        }
        break;
      }
      case 'find group coordinator':
        // FindCoordinator needs DESCRIBE on the group: the group's own authorization, past KafkaJS's Metadata.
        await findGroupCoordinator(kafka, `alice-group-${n}`);
        break;
      case 'create topic':
      case 'delete topic':
      case 'describe configs':
      case 'alter configs':
      case 'create ACLs':
      case 'describe ACLs': {
        const a = kafka.admin();
        await a.connect();
        try {
          if (cell === 'create topic') // The outcome is CreateTopics' answer; KafkaJS's optional wait for leaders would only measure how fast
          // Kafka's controller propagates the new topic to its broker.
          await a.createTopics({ waitForLeaders: false, topics: [{ topic: `alice-new-${n}`, numPartitions: 1 }] });
          if (cell === 'delete topic') await a.deleteTopics({ topics: [`alice-del-${n}`] });
          if (cell === 'describe configs') {
            const r = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: AUTHZ_TOPIC }] });
            const code = r.resources[0].errorCode;
            if (code !== 0) return `error code ${code}`;
          }
          if (cell === 'alter configs') {
            await a.alterConfigs({
              validateOnly: false,
              resources: [{ type: ConfigResourceTypes.TOPIC, name: AUTHZ_TOPIC, configEntries: [{ name: 'retention.ms', value: String(3_600_000 + n) }] }],
            });
          }
          if (cell === 'create ACLs') {
            await a.createAcls({
              acl: [{ resourceType: AclResourceTypes.TOPIC, resourceName: `carol-${n}`, resourcePatternType: ResourcePatternTypes.LITERAL, principal: 'User:carol', host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW }],
            });
          }
          // DescribeAcls needs DESCRIBE on the cluster (alice has it implied by ALTER).
          if (cell === 'describe ACLs') {
            await a.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
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

/** Sets the scene on a fresh target, then runs every cell as every principal (one at a time, in order). */
export async function runAuthzMatrix(t: AuthzTarget): Promise<AuthzMatrix> {
  await setScene(t);
  const whos = principalsOf(t);
  const matrix = {} as AuthzMatrix;
  for (const cell of AUTHZ_CELLS) {
    const row = {} as Record<AuthzPrincipal, string>;
    for (let n = 0; n < whos.length; n++) row[whos[n].label] = await runCell(cell, whos[n], n);
    matrix[cell] = row;
  }
  return matrix;
}

/** A markdown table, cell × principal; several matrices share a table, their outcomes joined by " / " in each entry. */
export function formatAuthzMatrix(...matrices: AuthzMatrix[]): string {
  const sep = matrices.length > 1 ? ' / ' : '';
  const rows = AUTHZ_CELLS.map((cell) => `| ${cell} | ${AUTHZ_PRINCIPALS.map((p) => matrices.map((m) => m[cell][p]).join(sep)).join(' | ')} |`);
  return [`| cell | ${AUTHZ_PRINCIPALS.join(' | ')} |`, `|${' --- |'.repeat(AUTHZ_PRINCIPALS.length + 1)}`, ...rows].join('\n');
}
