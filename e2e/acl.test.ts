// ACLs against a broker process with real clients (KafkaJS, kcat, the Java client) and the repo's protocol client
// for exact per-API error codes. Until authentication exists every client is User:ANONYMOUS, so the suite runs in
// two phases over the same directories: first with super.users=User:ANONYMOUS (the ACL APIs, Java and KafkaJS
// admin, bad input), then restarted without super users, so ANONYMOUS may do only what the ACLs (kept in the
// metadata log across the restart) grant: ALL on topics, groups and transactional ids prefixed "ok-", a DENY of
// WRITE on "ok-readonly", nothing on "no-…". Each cell below is one API × (allowed, denied), with Kafka's error.
// A last suite runs the Java transactional producer as a SASL user with and without its transactional id's ACL.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ConfigResourceTypes,
  ResourcePatternTypes,
  type Admin,
  type Kafka,
} from 'kafkajs';
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import { ZERO_UUID } from '../broker/src/protocol/codec';
import { ErrorCode } from '../broker/src/protocol/errors';
import { buildRecordBatch } from '../broker/src/protocol/records';
import type {
  AddOffsetsToTxnResponse,
  AddPartitionsToTxnResponse,
  AlterClientQuotasResponse,
  DescribeTransactionsResponse,
  EndTxnResponse,
  ListTransactionsResponse,
  TxnOffsetCommitResponse,
  CreatePartitionsResponse,
  DeleteGroupsResponse,
  DeleteRecordsResponse,
  DescribeClientQuotasResponse,
  DescribeClusterResponse,
  DescribeGroupsResponse,
  HeartbeatResponse,
  IncrementalAlterConfigsResponse,
  LeaveGroupResponse,
  ListGroupsResponse,
  ListOffsetsResponse,
  OffsetDeleteResponse,
  OffsetFetchResponse,
  OffsetForLeaderEpochResponse,
  SyncGroupResponse,
  WriteTxnMarkersResponse,
  CreateAclsResponse,
  DeleteAclsResponse,
  DescribeAclsResponse,
  FetchResponse,
  FindCoordinatorResponse,
  JoinGroupResponse,
  MetadataResponse,
  OffsetCommitResponse,
  ProduceResponse,
} from '../broker/src/protocol/schema/types';
import { createKafka } from './helpers/kafkajs';
import { kcat, requireKcat } from './helpers/kcat';
import { requireJavaClient, runJava, summary } from './helpers/java';
import { useBroker } from './helpers/suite';
import { freePort, makeTempDir, removeTempDir } from './helpers/util';
import { TxnShell } from './helpers/txn-shell';
import { stopAll, type JsonLinesProcess } from './helpers/json-process';
import { initTransactional } from './helpers/txn-wire';

const ANON = 'User:ANONYMOUS';

/** The Kafka error name a KafkaJS error carries (on itself, its cause or its nested errors). */
function kafkaErrorType(err: unknown): string | undefined {
  const e = err as { type?: string; cause?: unknown; errors?: unknown[]; originalError?: unknown } | undefined;
  if (!e) return undefined;
  if (typeof e.type === 'string' && /^[A-Z_]+$/.test(e.type)) return e.type;
  for (const inner of [e.cause, e.originalError, ...(e.errors ?? [])]) {
    const t = kafkaErrorType(inner);
    if (t) return t;
  }
  return undefined;
}

async function rejectsWithType(p: Promise<unknown>, type: string): Promise<void> {
  let caught: unknown = null;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught, `expected ${type}, but the call succeeded`);
  assert.equal(kafkaErrorType(caught), type, `error: ${String(caught)}`);
}

const aclFilterAny = { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };

describe('ACLs with authorizer=none (the default)', function () {
  this.timeout(60_000);
  const ref = useBroker({ name: 'acl-none' });

  it('ACL APIs answer SECURITY_DISABLED, as Kafka without an authorizer', async () => {
    const admin = createKafka(ref.broker.bootstrap, 'acl-none', { retries: 0 }).admin();
    await admin.connect();
    try {
      await rejectsWithType(
        admin.describeAcls({
          resourceType: AclResourceTypes.ANY,
          resourcePatternType: ResourcePatternTypes.ANY,
          operation: AclOperationTypes.ANY,
          permissionType: AclPermissionTypes.ANY,
        }),
        'SECURITY_DISABLED',
      );
    } finally {
      await admin.disconnect();
    }
  });
});

describe('ACLs with authorizer=simple', function () {
  this.timeout(120_000);
  // Mutated between the phases: the broker reads its extra arguments at each start.
  const extraArgs = ['--authorizer', 'simple', '--super-users', ANON, '--quota-window-num', '11'];
  const ref = useBroker({ name: 'acl-simple', autoCreateTopics: true, extraArgs });
  let kafka: Kafka;
  let admin: Admin;
  let client: KafkaClient;

  const okTopic = 'ok-data';
  const readonlyTopic = 'ok-readonly';
  const noTopic = 'no-data';
  const txnTopic = 'ok-txn';

  const aclOf = (resourceType: number, resourceName: string, patternType: number, operation: number, permissionType = AclPermissionTypes.ALLOW) => ({
    resourceType,
    resourceName,
    resourcePatternType: patternType,
    principal: ANON,
    host: '*',
    operation,
    permissionType,
  });

  // Transactional APIs over the wire (the transactional id's producer id and epoch come from InitProducerId).
  type Txn = { transactionalId: string; producerId: number; producerEpoch: number };
  const initTxn = async (transactionalId: string, transactionTimeoutMs = 60_000): Promise<Txn> => {
    const r = await initTransactional(client, transactionalId, transactionTimeoutMs);
    assert.equal(r.errorCode, 0, `InitProducerId ${transactionalId}`);
    return { transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch };
  };
  /** A transactional id without an ACL gets no producer id: these requests carry made-up ones. */
  const unauthorizedTxn: Txn = { transactionalId: 'no-txn', producerId: 1, producerEpoch: 0 };
  const addPartitions = async (t: Txn, topics: Array<[string, number]>): Promise<number[]> => {
    const r = await client.request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: t.transactionalId,
      v3AndBelowProducerId: t.producerId,
      v3AndBelowProducerEpoch: t.producerEpoch,
      v3AndBelowTopics: topics.map(([name, partition]) => ({ name, partitions: [partition] })),
    });
    return r.resultsByTopicV3AndBelow.flatMap((x) => x.resultsByPartition.map((p) => p.partitionErrorCode));
  };
  const describeTxns = (ids: string[]) => client.request<DescribeTransactionsResponse>(ApiKey.DescribeTransactions, 0, { transactionalIds: ids });

  before(async () => {
    requireKcat();
    requireJavaClient();
    kafka = createKafka(ref.broker.bootstrap, 'acl-suite', { retries: 1, initialRetryTime: 100, maxRetryTime: 500 });
    admin = kafka.admin();
    await admin.connect();
    client = await KafkaClient.connect({ host: ref.broker.host, port: ref.broker.port, clientId: 'acl-wire' });
  });
  after(async () => {
    await admin?.disconnect();
    await client?.close();
  });

  describe('phase 1: ANONYMOUS is a super user', () => {
    it('KafkaJS admin: createAcls, describeAcls (ANY, MATCH), deleteAcls', async () => {
      await admin.createAcls({
        acl: [
          aclOf(AclResourceTypes.TOPIC, 'tmp-', ResourcePatternTypes.PREFIXED, AclOperationTypes.READ),
          aclOf(AclResourceTypes.TOPIC, 'tmp-x', ResourcePatternTypes.LITERAL, AclOperationTypes.WRITE, AclPermissionTypes.DENY),
          aclOf(AclResourceTypes.GROUP, 'tmp-g', ResourcePatternTypes.LITERAL, AclOperationTypes.READ),
        ],
      });
      const match = await admin.describeAcls({
        resourceType: AclResourceTypes.TOPIC,
        resourceName: 'tmp-x',
        resourcePatternType: ResourcePatternTypes.MATCH,
        operation: AclOperationTypes.ANY,
        permissionType: AclPermissionTypes.ANY,
      });
      const found = match.resources.map((r) => `${r.resourceName}/${r.resourcePatternType}/${r.acls.map((a) => `${a.operation}:${a.permissionType}`).join(',')}`).sort();
      assert.deepEqual(found, [`tmp-/${ResourcePatternTypes.PREFIXED}/${AclOperationTypes.READ}:${AclPermissionTypes.ALLOW}`, `tmp-x/${ResourcePatternTypes.LITERAL}/${AclOperationTypes.WRITE}:${AclPermissionTypes.DENY}`]);
      const deleted = await admin.deleteAcls({
        filters: [{ resourceType: AclResourceTypes.ANY, resourceName: 'tmp-g', resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }],
      });
      assert.equal(deleted.filterResponses[0].errorCode, 0);
      assert.deepEqual(deleted.filterResponses[0].matchingAcls.map((a) => a.resourceName), ['tmp-g']);
      const left = await admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY });
      assert.deepEqual(left.resources.map((r) => r.resourceName).sort(), ['tmp-', 'tmp-x']);
    });

    it('Java Admin: createAcls, describeAcls, deleteAcls', async () => {
      await runJava('acl-create', [ref.broker.bootstrap, 'TOPIC', 'java-t', 'LITERAL', ANON, '*', 'DESCRIBE', 'ALLOW']);
      const described = summary(await runJava('acl-describe', [ref.broker.bootstrap, 'TOPIC', 'java-t', 'MATCH']), 'acl-describe');
      assert.deepEqual(described.acls, [{ resourceType: 'TOPIC', name: 'java-t', patternType: 'LITERAL', principal: ANON, host: '*', operation: 'DESCRIBE', permission: 'ALLOW' }]);
      const deleted = summary(await runJava('acl-delete', [ref.broker.bootstrap, 'ANY', '-', 'ANY']), 'acl-delete');
      assert.deepEqual((deleted.acls as Array<{ name: string }>).map((a) => a.name).sort(), ['java-t', 'tmp-', 'tmp-x']);
      const none = summary(await runJava('acl-describe', [ref.broker.bootstrap, 'ANY', '-', 'ANY']), 'acl-describe');
      assert.deepEqual(none.acls, []);
    });

    it('hostile ACL input: unknown enum values, filter-only codes and huge strings get INVALID_REQUEST per item', async () => {
      const creation = { resourceType: 2, resourceName: 'x', resourcePatternType: 3, principal: ANON, host: '*', operation: 3, permissionType: 3 };
      const r = await client.request<CreateAclsResponse>(ApiKey.CreateAcls, 3, {
        creations: [
          { ...creation, resourceType: 99 },
          { ...creation, resourcePatternType: 2 }, // MATCH is for filters only
          { ...creation, operation: 1 }, // ANY
          { ...creation, permissionType: 77 },
          { ...creation, resourceName: 'n'.repeat(30_000) },
          { ...creation, principal: 'no-colon' },
          { ...creation, resourceType: 4, resourceName: 'not-kafka-cluster' },
        ],
      });
      assert.deepEqual(r.results.map((x) => x.errorCode), Array(7).fill(ErrorCode.INVALID_REQUEST));
      for (const x of r.results) assert.ok((x.errorMessage ?? '').length < 1100, 'messages are bounded');
      const d = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, { ...aclFilterAny, patternTypeFilter: 42 });
      assert.equal(d.errorCode, ErrorCode.INVALID_REQUEST);
      const d2 = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, { ...aclFilterAny, principalFilter: 'User:'.padEnd(30_000, 'y') });
      assert.equal(d2.errorCode, ErrorCode.INVALID_REQUEST);
      const del = await client.request<DeleteAclsResponse>(ApiKey.DeleteAcls, 3, { filters: [{ ...aclFilterAny, operation: 0 }, { ...aclFilterAny, resourceNameFilter: 'nothing-matches' }] });
      assert.deepEqual(del.filterResults.map((f) => f.errorCode), [ErrorCode.INVALID_REQUEST, 0]);
    });

    it('10,000 ACLs in one CreateAcls: all stored in one metadata entry, listed, deleted; the broker stays responsive', async () => {
      const creations = Array.from({ length: 10_000 }, (_, i) => ({ resourceType: 2, resourceName: `bulk-${i}`, resourcePatternType: 3, principal: ANON, host: '*', operation: 3, permissionType: 3 }));
      const created = await client.request<CreateAclsResponse>(ApiKey.CreateAcls, 3, { creations });
      assert.equal(created.results.filter((x) => x.errorCode === 0).length, 10_000);
      const listed = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, { ...aclFilterAny, resourceNameFilter: 'bulk-9999' });
      assert.equal(listed.resources.length, 1);
      const all = await client.request<DescribeAclsResponse>(ApiKey.DescribeAcls, 3, aclFilterAny);
      assert.equal(all.resources.length, 10_000);
      const deleted = await client.request<DeleteAclsResponse>(ApiKey.DeleteAcls, 3, { filters: [{ ...aclFilterAny, resourceTypeFilter: 2 }] });
      assert.equal(deleted.filterResults[0].matchingAcls.length, 10_000);
      const md = await client.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.ok(md.brokers.length === 1);
    });

    it('sets up the phase 2 ACLs and topics', async () => {
      await admin.createTopics({ topics: [okTopic, readonlyTopic, noTopic, 'ok-deletable', 'no-deletable', txnTopic].map((topic) => ({ topic, numPartitions: 1 })) });
      const producer = kafka.producer();
      await producer.connect();
      for (const topic of [okTopic, readonlyTopic, noTopic]) await producer.send({ topic, messages: [{ value: `hello ${topic}` }] });
      await producer.disconnect();
      // A group ANONYMOUS will not see in phase 2 (an offset committed from outside any group creates it).
      await admin.setOffsets({ groupId: 'no-hidden', topic: noTopic, partitions: [{ partition: 0, offset: '1' }] });
      await admin.createAcls({
        acl: [
          aclOf(AclResourceTypes.TOPIC, 'ok-', ResourcePatternTypes.PREFIXED, AclOperationTypes.ALL),
          aclOf(AclResourceTypes.TOPIC, readonlyTopic, ResourcePatternTypes.LITERAL, AclOperationTypes.WRITE, AclPermissionTypes.DENY),
          aclOf(AclResourceTypes.GROUP, 'ok-', ResourcePatternTypes.PREFIXED, AclOperationTypes.ALL),
          aclOf(AclResourceTypes.TRANSACTIONAL_ID, 'ok-', ResourcePatternTypes.PREFIXED, AclOperationTypes.ALL),
        ],
      });
      // Transactions ANONYMOUS will describe and list in phase 2: one it may see, open (for the whole run) on a
      // topic it may describe and on one it may not; one it may not see at all.
      const mixed = await initTxn('ok-mixed', 900_000);
      assert.deepEqual(await addPartitions(mixed, [[txnTopic, 0], [noTopic, 0]]), [0, 0]);
      await initTxn('no-hidden-txn');
    });

    it('AddPartitionsToTxn refuses internal topics even to a super user (TOPIC_AUTHORIZATION_FAILED, as Kafka)', async () => {
      const t = await initTxn('ok-internal');
      assert.deepEqual(await addPartitions(t, [['__consumer_offsets', 0], [txnTopic, 0]]), [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.OPERATION_NOT_ATTEMPTED]);
    });
  });

  describe('phase 2: ANONYMOUS has only its ACLs', () => {
    before(async function () {
      this.timeout(60_000);
      await admin.disconnect();
      await client.close();
      extraArgs.splice(extraArgs.indexOf('--super-users'), 2);
      await ref.broker.restart();
      admin = kafka.admin();
      await admin.connect();
      client = await KafkaClient.connect({ host: ref.broker.host, port: ref.broker.port, clientId: 'acl-wire' });
    });

    it('Produce: WRITE allowed on ok-*; TOPIC_AUTHORIZATION_FAILED on no-* and where a DENY wins', async () => {
      const produce = (topic: string) =>
        client.request<ProduceResponse>(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: 1,
          timeoutMs: 5000,
          topicData: [{ name: topic, partitionData: [{ index: 0, records: buildRecordBatch({ records: [{ key: null, value: Buffer.from('v') }] }) }] }],
        });
      const code = async (topic: string) => (await produce(topic)).responses[0].partitionResponses[0].errorCode;
      assert.equal(await code(okTopic), 0);
      assert.equal(await code(noTopic), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assert.equal(await code(readonlyTopic), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assert.equal(await code('no-such-topic-at-all'), ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'authorization comes before existence');
      // KafkaJS: allowed and denied.
      const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
      await producer.connect();
      try {
        await producer.send({ topic: okTopic, messages: [{ value: 'kafkajs' }] });
        await rejectsWithType(producer.send({ topic: noTopic, messages: [{ value: 'x' }] }), 'TOPIC_AUTHORIZATION_FAILED');
      } finally {
        await producer.disconnect();
      }
    });

    it('Fetch: READ allowed on ok-* (and on ok-readonly: the DENY is for WRITE); TOPIC_AUTHORIZATION_FAILED on no-*', async () => {
      const fetch = async (topic: string) => {
        const r = await client.request<FetchResponse>(ApiKey.Fetch, 12, {
          replicaId: -1,
          maxWaitMs: 0,
          minBytes: 0,
          maxBytes: 1 << 20,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
          forgottenTopicsData: [],
          rackId: '',
        });
        return r.responses[0].partitions[0];
      };
      assert.equal((await fetch(okTopic)).errorCode, 0);
      assert.ok(((await fetch(readonlyTopic)).records as Buffer).length > 0);
      const denied = await fetch(noTopic);
      assert.equal(denied.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assert.equal((denied.records as Buffer | null)?.length ?? 0, 0, 'no data leaks');
      // kcat (librdkafka): consuming the allowed topic works, the denied one fails with Kafka's error.
      const ok = await kcat(['-b', ref.broker.bootstrap, '-C', '-t', okTopic, '-o', 'beginning', '-e', '-q']);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /hello ok-data/);
      const no = await kcat(['-b', ref.broker.bootstrap, '-C', '-t', noTopic, '-o', 'beginning', '-e', '-q'], { allowFailure: true });
      assert.notEqual(no.code, 0);
      assert.match(no.stderr, /authoriz/i);
    });

    it('Metadata hides topics ANONYMOUS may not describe; a named one answers TOPIC_AUTHORIZATION_FAILED; auto-creation needs CREATE', async () => {
      const topics = await admin.listTopics();
      assert.ok(topics.includes(okTopic) && topics.includes(readonlyTopic));
      assert.ok(!topics.includes(noTopic), `no-* is hidden: ${topics.join(',')}`);
      const md = await client.request<MetadataResponse>(ApiKey.Metadata, 12, {
        topics: [{ name: noTopic, topicId: ZERO_UUID }, { name: 'ok-auto', topicId: ZERO_UUID }, { name: 'no-auto', topicId: ZERO_UUID }, { name: okTopic, topicId: ZERO_UUID }],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: true,
      });
      const byName = new Map(md.topics.map((t) => [t.name, t]));
      assert.equal(byName.get(noTopic)!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assert.equal(byName.get(noTopic)!.partitions.length, 0);
      assert.equal(byName.get('ok-auto')!.errorCode, 0, 'created: ALL on ok-* includes CREATE');
      assert.equal(byName.get('no-auto')!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      // ALL on the topic: every topic operation (READ 3 … ALTER_CONFIGS 11) is in the authorized-operations field.
      const ops = byName.get(okTopic)!.topicAuthorizedOperations;
      for (const op of [3, 4, 5, 6, 7, 8, 10, 11]) assert.ok(ops & (1 << op), `operation ${op} in ${ops.toString(2)}`);
    });

    it('groups: join and commit allowed for ok-* groups; GROUP_AUTHORIZATION_FAILED for others; commit needs READ on the topic', async () => {
      const find = (key: string) => client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 3, { key, keyType: 0, coordinatorKeys: [] });
      assert.equal((await find('ok-group')).errorCode, 0);
      assert.equal((await find('no-group')).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const join = (groupId: string) =>
        client.request<JoinGroupResponse>(ApiKey.JoinGroup, 5, { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null });
      assert.equal((await join('no-group')).errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const commit = (groupId: string, topic: string) =>
        client.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, {
          groupId,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' }] }],
        });
      const code = async (g: string, t: string) => (await commit(g, t)).topics[0].partitions[0].errorCode;
      assert.equal(await code('ok-admin-commit', okTopic), 0);
      assert.equal(await code('no-group', okTopic), ErrorCode.GROUP_AUTHORIZATION_FAILED);
      assert.equal(await code('ok-admin-commit', noTopic), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      // A real KafkaJS consumer group on an allowed group and topic consumes and commits.
      const consumer = kafka.consumer({ groupId: 'ok-kafkajs', sessionTimeout: 10_000, heartbeatInterval: 500 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topic: okTopic, fromBeginning: true });
        const got = new Promise<string>((resolve) => void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) }));
        assert.match(await got, /hello ok-data|kafkajs|^v$/);
      } finally {
        await consumer.disconnect();
      }
      const offsets = await admin.fetchOffsets({ groupId: 'ok-kafkajs', topics: [okTopic] });
      assert.ok(Number(offsets[0].partitions[0].offset) > 0, 'the consumer committed');
      // (KafkaJS reports a coordinator lookup refused this way only as "group coordinator not found"; the Java
      // Admin surfaces Kafka's error.)
      const javaDenied = summary(await runJava('group-offsets', [ref.broker.bootstrap, 'no-group']), 'group-offsets');
      assert.match(String(javaDenied.failed), /GroupAuthorization/);
    });

    it('create and delete topics: allowed on ok-*, TOPIC_AUTHORIZATION_FAILED on no-*', async () => {
      assert.equal(await admin.createTopics({ topics: [{ topic: 'ok-created', numPartitions: 1 }] }), true);
      await rejectsWithType(admin.createTopics({ topics: [{ topic: 'no-created', numPartitions: 1 }] }), 'TOPIC_AUTHORIZATION_FAILED');
      await admin.deleteTopics({ topics: ['ok-deletable'] });
      await rejectsWithType(admin.deleteTopics({ topics: ['no-deletable'] }), 'TOPIC_AUTHORIZATION_FAILED');
    });

    it('describe and alter configs: allowed on ok-*, TOPIC_AUTHORIZATION_FAILED on no-*, CLUSTER_AUTHORIZATION_FAILED for the broker', async () => {
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: okTopic }] });
      assert.equal(described.resources[0].errorCode, 0);
      const deniedDescribe = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: noTopic }] }).catch((e: unknown) => e);
      assert.equal(kafkaErrorType(deniedDescribe) ?? (deniedDescribe as { resources: Array<{ errorCode: number }> }).resources[0].errorCode, kafkaErrorType(deniedDescribe) ? 'TOPIC_AUTHORIZATION_FAILED' : ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: okTopic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
      await rejectsWithType(
        admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: noTopic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] }),
        'TOPIC_AUTHORIZATION_FAILED',
      );
      // The Java client: topic configs it may describe, and the broker's it may not.
      const java = summary(await runJava('describe-config', [ref.broker.bootstrap, okTopic]), 'describe-config');
      assert.equal((java.values as Record<string, string>)['retention.ms'], '3600000');
      await assert.rejects(runJava('describe-config', [ref.broker.bootstrap, noTopic]), /TopicAuthorizationException/);
    });

    it('ACL APIs need the cluster: CLUSTER_AUTHORIZATION_FAILED for KafkaJS and the Java client', async () => {
      await rejectsWithType(admin.createAcls({ acl: [aclOf(AclResourceTypes.TOPIC, 'x', ResourcePatternTypes.LITERAL, AclOperationTypes.READ)] }), 'CLUSTER_AUTHORIZATION_FAILED');
      await rejectsWithType(
        admin.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY }),
        'CLUSTER_AUTHORIZATION_FAILED',
      );
      await assert.rejects(runJava('acl-create', [ref.broker.bootstrap, 'TOPIC', 'x', 'LITERAL', ANON, '*', 'READ', 'ALLOW']), /ClusterAuthorizationException/);
    });

    it('the Java producer (idempotent by default) gets a producer id from WRITE on some topic and writes to ok-*, not to no-*', async () => {
      const ok = summary(await runJava('produce', [ref.broker.bootstrap, okTopic, 3, 'none']), 'produce');
      assert.equal(ok.acked ?? ok.sent ?? 3, 3);
      await assert.rejects(runJava('produce', [ref.broker.bootstrap, noTopic, 1, 'none'], 40_000), /TopicAuthorizationException|not authorized/i);
    });

    it('every other API answers Kafka\'s authorization error for a resource without ACLs (wire client)', async () => {
      const c = client;
      const lo = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
        replicaId: -1,
        isolationLevel: 0,
        timeoutMs: 5000,
        topics: [okTopic, noTopic].map((name) => ({ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] })),
      });
      assert.deepEqual(lo.topics.map((t) => t.partitions[0].errorCode), [0, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
      const ofle = await c.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 4, {
        replicaId: -1,
        topics: [okTopic, noTopic].map((topic) => ({ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] })),
      });
      assert.deepEqual(ofle.topics.map((t) => t.partitions[0].errorCode), [0, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
      const follower = await c.request<OffsetForLeaderEpochResponse>(ApiKey.OffsetForLeaderEpoch, 4, {
        replicaId: 2,
        topics: [{ topic: okTopic, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
      });
      assert.equal(follower.topics[0].partitions[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'a follower needs CLUSTER_ACTION');
      const hb = await c.request<HeartbeatResponse>(ApiKey.Heartbeat, 4, { groupId: 'no-g', generationId: 1, memberId: 'm', groupInstanceId: null });
      assert.equal(hb.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const sync = await c.request<SyncGroupResponse>(ApiKey.SyncGroup, 5, { groupId: 'no-g', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
      assert.equal(sync.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const leave = await c.request<LeaveGroupResponse>(ApiKey.LeaveGroup, 5, { groupId: 'no-g', memberId: '', members: [{ memberId: 'm', groupInstanceId: null, reason: null }] });
      assert.equal(leave.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const dg = await c.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, { groups: ['no-hidden', 'ok-kafkajs'], includeAuthorizedOperations: true });
      assert.equal(dg.groups[0].errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      assert.equal(dg.groups[1].errorCode, 0);
      assert.equal(dg.groups[1].authorizedOperations, (1 << 3) | (1 << 6) | (1 << 8), 'READ, DELETE, DESCRIBE on the group');
      const lg = await c.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
      const listed = lg.groups.map((g) => g.groupId);
      assert.ok(listed.includes('ok-kafkajs') && !listed.includes('no-hidden'), `ListGroups shows only describable groups: ${listed.join(',')}`);
      const of = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: 'no-hidden', topics: null, groups: [], requireStable: false });
      assert.equal(of.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const odel = await c.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, { groupId: 'no-hidden', topics: [{ name: noTopic, partitions: [{ partitionIndex: 0 }] }] });
      assert.equal(odel.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const delg = await c.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, { groupsNames: ['no-hidden'] });
      assert.equal(delg.results[0].errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
      const dr = await c.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, { topics: [{ name: noTopic, partitions: [{ partitionIndex: 0, offset: 1 }] }], timeoutMs: 5000 });
      assert.equal(dr.topics[0].partitions[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const cp = await c.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, { topics: [{ name: noTopic, count: 2, assignments: null }], timeoutMs: 5000, validateOnly: true });
      assert.equal(cp.results[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const iac = await c.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
        resources: [
          { resourceType: 2, resourceName: noTopic, configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] },
          { resourceType: 4, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1000' }] },
        ],
        validateOnly: true,
      });
      assert.deepEqual(iac.responses.map((r) => r.errorCode), [ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
      const pid = await initTransactional(c, 'no-txn');
      assert.equal(pid.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      const markers = await c.request<WriteTxnMarkersResponse>(ApiKey.WriteTxnMarkers, 1, {
        markers: [{ producerId: 1, producerEpoch: 0, transactionResult: false, topics: [{ name: okTopic, partitionIndexes: [0] }], coordinatorEpoch: 0 }],
      });
      assert.equal(markers.markers[0].topics[0].partitions[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'an inter-broker API: CLUSTER_ACTION');
      const dc = await c.request<DescribeClusterResponse>(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
      assert.equal(dc.errorCode, 0);
      assert.equal(dc.clusterAuthorizedOperations, 0, 'no DESCRIBE on the cluster: no operations');
      const da = await c.request<DeleteAclsResponse>(ApiKey.DeleteAcls, 3, { filters: [aclFilterAny] });
      assert.equal(da.filterResults[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      const acq = await c.request<AlterClientQuotasResponse>(ApiKey.AlterClientQuotas, 1, {
        entries: [{ entity: [{ entityType: 'user', entityName: null }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] }],
        validateOnly: false,
      });
      assert.equal(acq.entries[0].errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      const dcq = await c.request<DescribeClientQuotasResponse>(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false });
      assert.equal(dcq.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    });

    it('transactions: AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn need WRITE on the transactional id, and each its group and topic ACLs', async () => {
      const group = 'ok-txn-group';
      const t = await initTxn('ok-txn-wire');
      const describedState = async () => (await describeTxns([t.transactionalId])).transactionStates[0].transactionState;
      // AddPartitionsToTxn v3: the transactional id, then WRITE on every topic (one denied topic: nothing added).
      assert.deepEqual(await addPartitions(unauthorizedTxn, [[txnTopic, 0], [noTopic, 0]]), [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
      assert.deepEqual(await addPartitions(t, [[txnTopic, 0], [noTopic, 0]]), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
      assert.deepEqual(await addPartitions(t, [[txnTopic, 0], [readonlyTopic, 0]]), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.TOPIC_AUTHORIZATION_FAILED], 'the DENY of WRITE wins');
      assert.equal(await describedState(), 'Empty', 'nothing was added');
      assert.deepEqual(await addPartitions(t, [[txnTopic, 0]]), [ErrorCode.NONE]);
      // v4+ is the brokers' form: CLUSTER_ACTION on the cluster, answered at the top level.
      const v4 = await client.request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 4, {
        transactions: [{ ...t, verifyOnly: true, topics: [{ name: txnTopic, partitions: [0] }] }],
      });
      assert.equal(v4.errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      assert.deepEqual(v4.resultsByTransaction, []);

      // AddOffsetsToTxn: WRITE on the transactional id, then READ on the group.
      const addOffsets = async (x: Txn, groupId: string) => (await client.request<AddOffsetsToTxnResponse>(ApiKey.AddOffsetsToTxn, 3, { ...x, groupId })).errorCode;
      assert.equal(await addOffsets(unauthorizedTxn, group), ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      assert.equal(await addOffsets(t, 'no-group'), ErrorCode.GROUP_AUTHORIZATION_FAILED);
      assert.equal(await addOffsets(t, group), ErrorCode.NONE);

      // TxnOffsetCommit: the transactional id and the group for every partition, READ per topic.
      const commitOffsets = async (x: Txn, groupId: string) => {
        const r = await client.request<TxnOffsetCommitResponse>(ApiKey.TxnOffsetCommit, 3, {
          ...x,
          groupId,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [txnTopic, noTopic].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] })),
        });
        return r.topics.map((x) => x.partitions[0].errorCode);
      };
      assert.deepEqual(await commitOffsets(unauthorizedTxn, group), [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
      assert.deepEqual(await commitOffsets(t, 'no-group'), [ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED]);
      assert.deepEqual(await commitOffsets(t, group), [ErrorCode.NONE, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);

      // EndTxn: WRITE on the transactional id; the allowed commit makes the offset visible.
      const endTxn = async (x: Txn) => (await client.request<EndTxnResponse>(ApiKey.EndTxn, 3, { ...x, committed: true })).errorCode;
      assert.equal(await endTxn(unauthorizedTxn), ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      assert.equal(await endTxn(t), ErrorCode.NONE);
      const fetched = await client.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: txnTopic, partitionIndexes: [0] }], groups: [], requireStable: true });
      assert.equal(fetched.topics[0].partitions[0].committedOffset, 1);
    });

    it('transactions: FindCoordinator, DescribeTransactions and ListTransactions show only what ANONYMOUS may describe', async () => {
      const find = await client.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['ok-mixed', 'no-hidden-txn'] });
      assert.deepEqual(find.coordinators.map((c) => c.errorCode), [ErrorCode.NONE, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);
      const described = await describeTxns(['ok-mixed', 'no-hidden-txn']);
      const [mixed, hidden] = described.transactionStates;
      assert.equal(mixed.errorCode, ErrorCode.NONE);
      assert.equal(mixed.transactionState, 'Ongoing');
      assert.deepEqual(mixed.topics, [{ topic: txnTopic, partitions: [0] }], `partitions of ${noTopic} are left out: ${JSON.stringify(mixed.topics)}`);
      assert.equal(hidden.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
      assert.equal(hidden.producerId, 0, "nothing of it is shown (Kafka's defaults)");
      const listed = await client.request<ListTransactionsResponse>(ApiKey.ListTransactions, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1 });
      const ids = listed.transactionStates.map((x) => x.transactionalId);
      assert.ok(ids.includes('ok-mixed') && ids.includes('ok-txn-wire'), `listed: ${ids.join(',')}`);
      assert.ok(!ids.includes('no-hidden-txn'), `no-hidden-txn is hidden: ${ids.join(',')}`);
    });

    it('denials are counted by API and resource type', async () => {
      const text = await ref.broker.metricsText();
      assert.match(text, /strata_authorization_denied_total\{api="Produce",resource_type="TOPIC"\} [1-9]/);
      assert.match(text, /strata_authorization_denied_total\{api="CreateAcls",resource_type="CLUSTER"\} [1-9]/);
      assert.match(text, /strata_authorization_denied_total\{api="JoinGroup",resource_type="GROUP"\} [1-9]/);
      assert.match(text, /strata_authorization_denied_total\{api="EndTxn",resource_type="TRANSACTIONAL_ID"\} [1-9]/);
      assert.doesNotMatch(text, /strata_authorization_denied_total\{api="ListTransactions"/, 'a list filtered by ACLs is not a denial');
    });
  });
});

describe('ACLs: the Java transactional producer as a SASL user', function () {
  this.timeout(180_000);
  const USER = { name: 'txn-app', password: 'txn-app-secret' };
  let saslPort = 0;
  before(async () => {
    requireJavaClient();
    saslPort = await freePort();
  });
  // PLAINTEXT (User:ANONYMOUS) is the super user that sets things up; the application connects with SCRAM.
  const ref = useBroker({
    name: 'acl-txn-java',
    autoCreateTopics: false,
    extraArgs: (port) => [
      '--listeners', `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
      '--sasl-enabled-mechanisms', 'SCRAM-SHA-512',
      '--sasl-bootstrap-users', `${USER.name}:${USER.password}`,
      '--authorizer', 'simple',
      '--super-users', ANON,
    ],
  });
  const jvms: JsonLinesProcess[] = [];
  const dir = makeTempDir('acl-txn-java');
  after(async () => {
    await stopAll(jvms);
    removeTempDir(dir);
  });

  it('commits with WRITE on its transactional id and topic (and READ on the group for its offsets); without the transactional id ACL, TransactionalIdAuthorizationException', async () => {
    const principal = `User:${USER.name}`;
    const allow = (resourceType: number, resourceName: string, operation: number) => ({ resourceType, resourceName, resourcePatternType: 3, principal, host: '*', operation, permissionType: 3 });
    const client = await KafkaClient.connect({ host: ref.broker.host, port: ref.broker.port, clientId: 'acl-txn-setup' });
    try {
      const created = await client.request<CreateAclsResponse>(ApiKey.CreateAcls, 3, {
        creations: [allow(5, 'app-txn', 4), allow(2, 'app-out', 4), allow(2, 'app-in', 3), allow(3, 'app-group', 3)], // WRITE txn id, WRITE out, READ in, READ group
      });
      assert.deepEqual(created.results.map((r) => r.errorCode), [0, 0, 0, 0]);
    } finally {
      await client.close();
    }
    summary(await runJava('create-topic', [ref.broker.bootstrap, 'app-out', 1]), 'create-topic');
    summary(await runJava('create-topic', [ref.broker.bootstrap, 'app-in', 1]), 'create-topic');
    const props = path.join(dir, 'txn-app.properties');
    fs.writeFileSync(
      props,
      [
        'security.protocol=SASL_PLAINTEXT',
        'sasl.mechanism=SCRAM-SHA-512',
        `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${USER.name}" password="${USER.password}";`,
      ].join('\n'),
    );
    const env = { STRATA_CLIENT_PROPERTIES: props };
    const bootstrap = `127.0.0.1:${saslPort}`;

    const app = new TxnShell(bootstrap, 'app-txn', 60_000, jvms, env);
    await app.ok('init', 'begin', 'send app-out k committed-1', 'offsets app-group app-in 0 1', 'commit');
    // A group it may not read: the offsets are refused (GROUP_AUTHORIZATION_FAILED), the transaction can be aborted.
    await app.ok('begin', 'send app-out k aborted-1');
    const denied = await app.op('offsets other-group app-in 0 2');
    assert.equal(denied.ok, false);
    assert.match(String(denied.exception), /GroupAuthorizationException/);
    await app.ok('abort', 'close');
    const read = await runJava('txn-read', [ref.broker.bootstrap, 'app-out', 'read_committed', 30_000], 60_000);
    assert.deepEqual(read.lines.filter((l) => typeof l.v === 'string').map((l) => l.v), ['committed-1']);
    const offsets = summary(await runJava('group-offsets', [ref.broker.bootstrap, 'app-group']), 'group-offsets');
    assert.deepEqual(offsets.offsets, { 'app-in': { '0': 1 } }, 'the committed transaction\'s offsets, not the aborted one\'s');

    const stranger = new TxnShell(bootstrap, 'other-txn', 60_000, jvms, env);
    const init = await stranger.op('init');
    assert.equal(init.ok, false);
    assert.match(String(init.exception), /TransactionalIdAuthorizationException/);
    await stranger.op('close');
  });
});
