// Requests bounded as Kafka bounds them, names validated before they are echoed, internal topics protected.
// A broker process over TCP gets raw requests (the broker's own protocol client, and hand-built frames where
// the payload must be invalid UTF-8); each answer must be the error Kafka returns, promptly, and afterwards the
// broker is the same process and a second client (KafkaJS producer, kcat consumer) still produces and consumes.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import { ZERO_UUID } from '../broker/src/protocol/codec';
import { ErrorCode } from '../broker/src/protocol/errors';
import { decodeResponse } from '../broker/src/protocol/headers';
import { buildRecordBatch } from '../broker/src/protocol/records';
import { javaStringHash } from '../broker/src/coordinator/group-store';
import type {
  AlterConfigsResponse,
  CreatePartitionsResponse,
  CreateTopicsResponse,
  DeleteRecordsResponse,
  DeleteTopicsResponse,
  IncrementalAlterConfigsResponse,
  ListOffsetsResponse,
  MetadataResponse,
  OffsetCommitResponse,
  OffsetFetchResponse,
  ProduceResponse,
} from '../broker/src/protocol/schema/types';
import { SideChannel } from './helpers/side-channel';
import { requireKcat } from './helpers/kcat';
import { useBroker } from './helpers/suite';
import { uniqueName, withTimeout } from './helpers/util';
import { RawConnection, requestFrame, Writer } from './helpers/wire';
import { ensureGroupCoordinator } from './helpers/groups';

const INT32_MAX = 2 ** 31 - 1;
const OFFSETS = '__consumer_offsets';
const MAX_PARTITIONS = 200; // the suite's broker ceiling (max.partitions); __consumer_offsets takes 50 of it
const TOPIC_RESOURCE = 2;
/** A request that used to hang the broker must now be answered well within this. */
const ANSWER_MS = 30_000;

describe('request bounds, name validation and internal topics', function () {
  this.timeout(120_000);
  const ref = useBroker({ name: 'request-bounds', autoCreateTopics: false, extraArgs: ['--max-partitions', String(MAX_PARTITIONS)] });
  const probeTopic = uniqueName('bounds-probe');
  const target = uniqueName('bounds-target');
  let client: KafkaClient | undefined;
  let side: SideChannel;

  before(async function () {
    requireKcat();
    client = await KafkaClient.connect({ host: ref.broker.host, port: ref.broker.port, clientId: 'hostile' });
    // __consumer_offsets exists from the first group client on (FindCoordinator creates it); the suite needs it first.
    await ensureGroupCoordinator(ref.broker.host, ref.broker.port);
    const created = await createTopics([
      { name: target, numPartitions: 2 },
    ]);
    assert.deepEqual(created.topics.map((t) => t.errorCode), [0]);
    side = await SideChannel.open(ref.broker, probeTopic);
  });

  after(async function () {
    await client?.close().catch(() => undefined);
    await side?.close();
  });

  /** Same process, and another client on its own connections produces and consumes. */
  function assertHealthy(after: string): Promise<void> {
    return side.assertHealthy(after);
  }

  /** The protocol client of the hostile requests (one connection, opened in before()). */
  function c(): KafkaClient {
    assert.ok(client, 'client not connected');
    return client;
  }

  function answered<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, ANSWER_MS, what);
  }

  function createTopics(topics: Array<{ name: string; numPartitions: number }>, version = 7): Promise<CreateTopicsResponse> {
    return answered(
      c().request<CreateTopicsResponse>(ApiKey.CreateTopics, version, {
        topics: topics.map((t) => ({ ...t, replicationFactor: 1, assignments: [], configs: [] })),
        timeoutMs: 30_000,
        validateOnly: false,
      }),
      'CreateTopics',
    );
  }

  function createPartitions(name: string, count: number): Promise<CreatePartitionsResponse> {
    return answered(
      c().request<CreatePartitionsResponse>(ApiKey.CreatePartitions, 3, { topics: [{ name, count, assignments: null }], timeoutMs: 30_000, validateOnly: false }),
      'CreatePartitions',
    );
  }

  async function metadata(names: string[], version = 12): Promise<MetadataResponse> {
    return answered(
      c().request<MetadataResponse>(ApiKey.Metadata, version, { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), allowAutoTopicCreation: false }),
      `Metadata v${version}`,
    );
  }

  async function partitionCount(name: string): Promise<number> {
    const [t] = (await metadata([name])).topics;
    assert.equal(t.errorCode, 0, `metadata of ${name}`);
    return t.partitions.length;
  }

  it('side channel works before any hostile request', async () => {
    await assertHealthy('nothing');
  });

  describe('partition bounds', () => {
    it('CreatePartitions to 2^31-1 partitions: POLICY_VIOLATION at once, nothing allocated', async () => {
      const r = await createPartitions(target, INT32_MAX);
      assert.equal(r.results[0].errorCode, ErrorCode.POLICY_VIOLATION);
      assert.match(r.results[0].errorMessage ?? '', /Excessively large number of partitions per request/);
      assert.equal(await partitionCount(target), 2);
      await assertHealthy('CreatePartitions 2^31-1');
    });

    it('CreateTopics with numPartitions 2^31-1: POLICY_VIOLATION, no topic', async () => {
      const name = uniqueName('huge');
      const r = await createTopics([{ name, numPartitions: INT32_MAX }]);
      assert.equal(r.topics[0].name, name);
      assert.equal(r.topics[0].errorCode, ErrorCode.POLICY_VIOLATION);
      assert.match(r.topics[0].errorMessage ?? '', /Excessively large/);
      assert.equal((await metadata([name])).topics[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      await assertHealthy('CreateTopics 2^31-1');
    });

    it('CreateTopics asking for 20,000 partitions in one request fails as a whole, as in Kafka', async () => {
      const single = await createTopics([{ name: uniqueName('twenty-k'), numPartitions: 20_000 }]);
      assert.equal(single.topics[0].errorCode, ErrorCode.POLICY_VIOLATION);
      // Two topics of 10,000: each alone is allowed by the per-request bound, together they are not.
      const a = uniqueName('half-a');
      const b = uniqueName('half-b');
      const split = await createTopics([
        { name: a, numPartitions: 10_000 },
        { name: b, numPartitions: 10_000 },
      ]);
      assert.deepEqual(split.topics.map((t) => t.errorCode), [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION]);
      assert.deepEqual((await metadata([a, b])).topics.map((t) => t.errorCode), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      await assertHealthy('CreateTopics 20,000 partitions');
    });

    it('max.partitions: a topic that would pass the broker ceiling is refused, one that fits is created', async () => {
      const tooBig = uniqueName('over-ceiling');
      const r = await createTopics([{ name: tooBig, numPartitions: MAX_PARTITIONS }]);
      assert.equal(r.topics[0].errorCode, ErrorCode.POLICY_VIOLATION);
      assert.match(r.topics[0].errorMessage ?? '', /max\.partitions/);
      const grow = await createPartitions(target, MAX_PARTITIONS);
      assert.equal(grow.results[0].errorCode, ErrorCode.POLICY_VIOLATION);
      assert.match(grow.results[0].errorMessage ?? '', /max\.partitions/);
      const fits = await createTopics([{ name: uniqueName('fits'), numPartitions: 10 }]);
      assert.equal(fits.topics[0].errorCode, 0);
      await assertHealthy('max.partitions');
    });
  });

  describe('names', () => {
    it('Metadata v0-v12 naming "": INVALID_TOPIC_EXCEPTION with the empty name echoed', async () => {
      for (let v = 0; v <= 12; v++) {
        const r = await metadata([''], v);
        assert.equal(r.topics.length, 1, `v${v}`);
        assert.equal(r.topics[0].name, '', `v${v}`);
        assert.equal(r.topics[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, `v${v}`);
      }
      await assertHealthy('Metadata ""');
    });

    it('Metadata naming a 32,767-byte name: INVALID_TOPIC_EXCEPTION, the name echoed whole', async () => {
      const name = 'n'.repeat(32_767);
      const r = await metadata([name, probeTopic], 9);
      assert.equal(r.topics[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
      assert.equal(r.topics[0].name, name);
      assert.equal(r.topics[1].errorCode, 0, 'the valid name in the same request is answered');
      await assertHealthy('Metadata 32,767-byte name');
    });

    it('Metadata naming 32,767 bytes of invalid UTF-8: answered with a bounded echo, not an encoder failure', async () => {
      const conn = await RawConnection.open(ref.broker.host, ref.broker.port);
      try {
        for (const [label, bytes] of [
          ['0xff', Buffer.alloc(32_767, 0xff)],
          ['11 KiB of 0xc3', Buffer.alloc(11 * 1024, 0xc3)],
        ] as const) {
          const body = new Writer().int32(1).int16(bytes.length).raw(bytes).build(); // Metadata v1: [topics]
          const frame = await conn.request(requestFrame(ApiKey.Metadata, 1, 7, body));
          const r = decodeResponse<MetadataResponse>(ApiKey.Metadata, 1, frame).body;
          assert.equal(r.topics[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION, label);
          assert.ok(Buffer.byteLength(r.topics[0].name!) <= 32_767, label);
        }
      } finally {
        conn.destroy();
      }
      await assertHealthy('Metadata invalid UTF-8');
    });

    it('Produce and ListOffsets naming 32,767 bytes of invalid UTF-8: UNKNOWN_TOPIC_OR_PARTITION with a bounded echo', async () => {
      const name = Buffer.alloc(32_767, 0xfe);
      const conn = await RawConnection.open(ref.broker.host, ref.broker.port);
      try {
        const batch = buildRecordBatch({ records: [{ key: null, value: Buffer.from('v') }] });
        // Produce v3: transactional id, acks, timeout, [topic name, [partition, records]].
        const produce = new Writer().string(null).int16(-1).int32(10_000).int32(1).int16(name.length).raw(name).int32(1).int32(0).bytes(batch).build();
        const p = decodeResponse<ProduceResponse>(ApiKey.Produce, 3, await conn.request(requestFrame(ApiKey.Produce, 3, 8, produce))).body;
        assert.equal(p.responses[0].partitionResponses[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assert.ok(Buffer.byteLength(p.responses[0].name) <= 32_767);
        // ListOffsets v1: replica id, [topic name, [partition, timestamp]].
        const list = new Writer().int32(-1).int32(1).int16(name.length).raw(name).int32(1).int32(0).int64(-1n).build();
        const l = decodeResponse<ListOffsetsResponse>(ApiKey.ListOffsets, 1, await conn.request(requestFrame(ApiKey.ListOffsets, 1, 9, list))).body;
        assert.equal(l.topics[0].partitions[0].errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        assert.ok(Buffer.byteLength(l.topics[0].name) <= 32_767);
      } finally {
        conn.destroy();
      }
      await assertHealthy('Produce/ListOffsets invalid UTF-8');
    });

    it('CreateTopics with illegal names: INVALID_TOPIC_EXCEPTION with messages of bounded size', async () => {
      const names = ['', '..', 'has space', 'x'.repeat(250), 'é'.repeat(16_000)];
      const r = await createTopics(names.map((name) => ({ name, numPartitions: 1 })));
      assert.deepEqual(r.topics.map((t) => t.errorCode), names.map(() => ErrorCode.INVALID_TOPIC_EXCEPTION));
      for (const t of r.topics) assert.ok((t.errorMessage ?? '').length < 1000, `message of ${t.errorMessage?.length} characters`);
      await assertHealthy('CreateTopics illegal names');
    });

    it('IncrementalAlterConfigs with a 32,767-byte config name and value: INVALID_CONFIG', async () => {
      for (const [name, value] of [
        ['c'.repeat(32_767), '1'],
        ['retention.ms', '9'.repeat(32_767)],
      ]) {
        const r = await answered(
          c().request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
            resources: [{ resourceType: TOPIC_RESOURCE, resourceName: target, configs: [{ name, configOperation: 0, value }] }],
            validateOnly: false,
          }),
          'IncrementalAlterConfigs',
        );
        assert.equal(r.responses[0].errorCode, ErrorCode.INVALID_CONFIG);
        assert.ok((r.responses[0].errorMessage ?? '').length < 1000);
      }
      await assertHealthy('long config name/value');
    });

    it('AlterConfigs naming one topic 10,000 times: every copy gets INVALID_REQUEST, nothing is written', async () => {
      const resource = { resourceType: TOPIC_RESOURCE, resourceName: target, configs: [{ name: 'retention.ms', value: '12345' }] };
      const r = await answered(
        c().request<AlterConfigsResponse>(ApiKey.AlterConfigs, 1, { resources: Array.from({ length: 10_000 }, () => resource), validateOnly: false }),
        'AlterConfigs',
      );
      assert.equal(r.responses.length, 10_000);
      assert.ok(r.responses.every((x) => x.errorCode === ErrorCode.INVALID_REQUEST && /Duplicate resource/.test(x.errorMessage ?? '')));
      await assertHealthy('duplicate resources');
    });
  });

  describe(`internal topics (${OFFSETS})`, () => {
    it('Produce: INVALID_TOPIC_EXCEPTION, nothing appended', async () => {
      const batch = buildRecordBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('forged offset commit') }] });
      const r = await answered(
        c().request<ProduceResponse>(ApiKey.Produce, 9, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [{ name: OFFSETS, partitionData: [{ index: 0, records: batch }] }],
        }),
        'Produce',
      );
      const p = r.responses[0].partitionResponses[0];
      assert.equal(p.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
      assert.match(p.errorMessage ?? '', /internal topic/);
      await assertHealthy('Produce to __consumer_offsets');
    });

    it('DeleteTopics: TOPIC_AUTHORIZATION_FAILED, the topic stays', async () => {
      const r = await answered(c().request<DeleteTopicsResponse>(ApiKey.DeleteTopics, 4, { topicNames: [OFFSETS], timeoutMs: 10_000 }), 'DeleteTopics');
      assert.equal(r.responses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assert.equal(await partitionCount(OFFSETS), 50);
      await assertHealthy('DeleteTopics __consumer_offsets');
    });

    it('CreatePartitions: TOPIC_AUTHORIZATION_FAILED', async () => {
      const r = await createPartitions(OFFSETS, 60);
      assert.equal(r.results[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assert.equal(await partitionCount(OFFSETS), 50);
      await assertHealthy('CreatePartitions __consumer_offsets');
    });

    it('AlterConfigs and IncrementalAlterConfigs: TOPIC_AUTHORIZATION_FAILED', async () => {
      const resource = { resourceType: TOPIC_RESOURCE, resourceName: OFFSETS };
      const legacy = await answered(
        c().request<AlterConfigsResponse>(ApiKey.AlterConfigs, 1, { resources: [{ ...resource, configs: [{ name: 'retention.ms', value: '1' }] }], validateOnly: false }),
        'AlterConfigs',
      );
      assert.equal(legacy.responses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const incremental = await answered(
        c().request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, 1, {
          resources: [{ ...resource, configs: [{ name: 'cleanup.policy', configOperation: 0, value: 'delete' }] }],
          validateOnly: false,
        }),
        'IncrementalAlterConfigs',
      );
      assert.equal(incremental.responses[0].errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      await assertHealthy('alter configs of __consumer_offsets');
    });

    it('DeleteRecords: INVALID_TOPIC_EXCEPTION', async () => {
      const r = await answered(
        c().request<DeleteRecordsResponse>(ApiKey.DeleteRecords, 2, { topics: [{ name: OFFSETS, partitions: [{ partitionIndex: 0, offset: -1 }] }], timeoutMs: 10_000 }),
        'DeleteRecords',
      );
      assert.equal(r.topics[0].partitions[0].errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
      await assertHealthy('DeleteRecords __consumer_offsets');
    });
  });

  describe('start-up', () => {
    it(`an undecodable record in ${OFFSETS} is skipped and counted; the broker starts and keeps the groups`, async () => {
      const group = uniqueName('bounds-group');
      const commit = await answered(
        c().request<OffsetCommitResponse>(ApiKey.OffsetCommit, 8, {
          groupId: group,
          generationIdOrMemberEpoch: -1,
          memberId: '',
          groupInstanceId: null,
          topics: [{ name: target, partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null }] }],
        }),
        'OffsetCommit',
      );
      assert.equal(commit.topics[0].partitions[0].errorCode, 0);
      await client!.close();
      client = undefined;

      // A crash, then a well-framed batch (valid CRC) whose record key is garbage at the end of a partition the
      // group does not use: the log's recovery keeps it, the group loader must skip it.
      await ref.broker.kill9();
      const h = javaStringHash(group);
      const partition = (((h === -2147483648 ? 0 : Math.abs(h)) % 50) + 1) % 50;
      const garbage = buildRecordBatch({ records: [{ key: Buffer.from([0x00, 0x01, 0x7f, 0xff]), value: Buffer.from('garbage') }] });
      fs.appendFileSync(path.join(ref.broker.dataDir, `${OFFSETS}-${partition}`, '00000000000000000000.log'), garbage);
      await ref.broker.restart();
      side.brokerRestarted();

      const metrics = await (await fetch(`http://${ref.broker.host}:${ref.broker.metricsPort}/metrics`)).text();
      assert.match(metrics, /^strata_offsets_load_skipped_total 1$/m);
      client = await KafkaClient.connect({ host: ref.broker.host, port: ref.broker.port, clientId: 'after-restart' });
      const fetched = await answered(
        c().request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: target, partitionIndexes: [0] }], requireStable: false }),
        'OffsetFetch',
      );
      assert.equal(fetched.errorCode, 0);
      assert.equal(fetched.topics[0].partitions[0].committedOffset, 3, 'the committed offset was loaded');
      await assertHealthy('restart with a garbage offsets record');
    });
  });
});
