// Cross-checks the codec against KafkaJS's independent hand-written encoders and decoders (a devDependency):
// requests KafkaJS sends must decode and re-encode to the same bytes; responses we encode must parse in KafkaJS.
import * as assert from 'assert';
import { API_SPECS, ApiKey } from '../../src/protocol/apis';
import { Writer, encode } from '../../src/protocol/codec';
import { decodeRequestBody, decodeRequestHeader, encodeRequestFrame } from '../../src/protocol/headers';
import type { MessageInput } from '../../src/protocol/schema/spec';
import type { FetchResponse, ProduceRequest } from '../../src/protocol/schema/types';

interface KafkaJsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
}
interface KafkaJsProtocol {
  request: KafkaJsRequest;
  response: { decode(payload: Buffer): Promise<Record<string, unknown>> };
}
type KafkaJsApi = { protocol(o: { version: number }): (args: object) => KafkaJsProtocol; versions: string[] };

const kafkajsApi = (dir: string): KafkaJsApi => require(`kafkajs/src/protocol/requests/${dir}`) as KafkaJsApi;
const kafkajsFrame = require('kafkajs/src/protocol/request') as (o: {
  correlationId: number;
  clientId: string;
  request: KafkaJsRequest;
}) => Promise<{ buffer: Buffer }>;

async function kafkajsRequestFrame(dir: string, version: number, args: object): Promise<Buffer> {
  const { request } = kafkajsApi(dir).protocol({ version })(args);
  return (await kafkajsFrame({ correlationId: 77, clientId: 'kjs', request })).buffer;
}

async function kafkajsDecodeResponse(dir: string, version: number, apiKey: number, body: object): Promise<Record<string, unknown>> {
  const { response } = kafkajsApi(dir).protocol({ version })({});
  const w = new Writer();
  encode(API_SPECS.get(apiKey)!.response, version, body, w);
  return response.decode(w.toBuffer());
}

const topicPartitions = (extra: object) => [{ topic: 't', partitions: [{ partition: 2, ...extra }] }];

/** KafkaJS request arguments per api directory, shared by all its versions. */
const REQUESTS: Record<string, object> = {
  apiVersions: {},
  metadata: { topics: ['a', 'b'], allowAutoTopicCreation: false },
  produce: {
    acks: -1,
    timeout: 30000,
    topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: 1700000000000 }] }] }],
  },
  fetch: {
    replicaId: -1,
    maxWaitTime: 100,
    minBytes: 1,
    maxBytes: 1048576,
    isolationLevel: 1,
    topics: topicPartitions({ fetchOffset: '5', maxBytes: 1000 }),
  },
  listOffsets: { replicaId: -1, isolationLevel: 1, topics: topicPartitions({ timestamp: -1 }) },
  findCoordinator: { groupId: 'g', coordinatorType: 0 },
  joinGroup: {
    groupId: 'g',
    sessionTimeout: 30000,
    rebalanceTimeout: 60000,
    memberId: '',
    protocolType: 'consumer',
    groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from('meta') }],
  },
  syncGroup: { groupId: 'g', generationId: 1, memberId: 'm', groupAssignment: [{ memberId: 'm', memberAssignment: Buffer.from('a') }] },
  heartbeat: { groupId: 'g', groupGenerationId: 1, memberId: 'm' },
  offsetCommit: { groupId: 'g', groupGenerationId: 1, memberId: 'm', topics: topicPartitions({ offset: '10' }) },
  offsetFetch: { groupId: 'g', topics: topicPartitions({}) },
  describeGroups: { groupIds: ['g', 'h'] },
  listGroups: {},
  createTopics: {
    topics: [{ topic: 't', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
    timeout: 5000,
    validateOnly: false,
  },
  deleteTopics: { topics: ['t'], timeout: 5000 },
  initProducerId: { transactionalId: 'tx', transactionTimeout: 5000 },
  saslHandshake: { mechanism: 'PLAIN' },
  // KafkaJS's SASL mechanisms hand over the bytes already length-prefixed.
  saslAuthenticate: { authBytes: Buffer.from('0000000a 00 75736572 00 70617373'.replace(/ /g, ''), 'hex') },
  describeConfigs: { resources: [{ type: 2, name: 't', configNames: ['retention.ms'] }], includeSynonyms: false },
  createPartitions: { topicPartitions: [{ topic: 't', count: 4 }], timeout: 5000, validateOnly: false },
  deleteRecords: { topics: topicPartitions({ offset: '5' }), timeout: 5000 },
  addPartitionsToTxn: { transactionalId: 'tx', producerId: '1', producerEpoch: 0, topics: topicPartitions({}) },
  addOffsetsToTxn: { transactionalId: 'tx', producerId: '1', producerEpoch: 0, groupId: 'g' },
  endTxn: { transactionalId: 'tx', producerId: '1', producerEpoch: 0, transactionResult: true },
  txnOffsetCommit: { transactionalId: 'tx', groupId: 'g', producerId: '1', producerEpoch: 0, topics: topicPartitions({ offset: '3' }) },
};

describe('KafkaJS requests decode and re-encode byte for byte', () => {
  for (const [dir, args] of Object.entries(REQUESTS)) {
    for (const version of kafkajsApi(dir).versions.map(Number)) {
      it(`${dir} v${version}`, async () => {
        const frame = await kafkajsRequestFrame(dir, version, args);
        const payload = frame.subarray(4);
        const header = decodeRequestHeader(payload);
        assert.strictEqual(header.correlationId, 77);
        assert.strictEqual(header.clientId, 'kjs');
        const body = decodeRequestBody<object>(header, payload);
        const again = Buffer.concat(encodeRequestFrame(header.apiKey, version, 77, 'kjs', body));
        assert.deepStrictEqual(again, frame);
      });
    }
  }

  it('produce v3 records are handed over untouched', async () => {
    const frame = await kafkajsRequestFrame('produce', 3, REQUESTS.produce);
    const payload = frame.subarray(4);
    const body = decodeRequestBody<ProduceRequest>(decodeRequestHeader(payload), payload);
    const records = body.topicData[0].partitionData[0].records as Buffer;
    assert.strictEqual(records.readInt8(16), 2, 'a magic v2 record batch');
    assert.strictEqual(records.buffer, frame.buffer, 'a slice of the request frame');
  });
});

describe('responses we encode parse in KafkaJS', () => {
  it('ApiVersions v0-v2', async () => {
    for (const v of [0, 1, 2]) {
      const apiKeys = [{ apiKey: 0, minVersion: 0, maxVersion: 9 }];
      const res = await kafkajsDecodeResponse('apiVersions', v, ApiKey.ApiVersions, { errorCode: 0, apiKeys, throttleTimeMs: 0 });
      assert.deepStrictEqual(res.apiVersions, apiKeys);
    }
  });

  it('Metadata v0-v6', async () => {
    for (let v = 0; v <= 6; v++) {
      const body = {
        brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
        clusterId: 'c',
        controllerId: 1,
        topics: [{ errorCode: 0, name: 't', partitions: [{ partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }] }],
      };
      const res = await kafkajsDecodeResponse('metadata', v, ApiKey.Metadata, body);
      const brokers = res.brokers as Array<Record<string, unknown>>;
      assert.strictEqual(brokers[0].host, 'localhost');
      const topic = (res.topicMetadata as Array<Record<string, unknown>>)[0];
      assert.strictEqual(topic.topic, 't');
      assert.deepStrictEqual((topic.partitionMetadata as Array<Record<string, unknown>>)[0].replicas, [1]);
    }
  });

  it('Produce v3-v7', async () => {
    for (let v = 3; v <= 7; v++) {
      const body = { responses: [{ name: 't', partitionResponses: [{ index: 0, errorCode: 0, baseOffset: 42, logStartOffset: 0 }] }] };
      const res = await kafkajsDecodeResponse('produce', v, ApiKey.Produce, body);
      const partition = (res.topics as Array<{ partitions: Array<Record<string, unknown>> }>)[0].partitions[0];
      assert.strictEqual(partition.baseOffset, '42');
    }
  });

  it('Fetch v4-v11 carrying a record batch KafkaJS produced', async () => {
    const frame = await kafkajsRequestFrame('produce', 3, REQUESTS.produce);
    const payload = frame.subarray(4);
    const produce = decodeRequestBody<ProduceRequest>(decodeRequestHeader(payload), payload);
    const batch = produce.topicData[0].partitionData[0].records as Buffer;
    for (let v = 4; v <= 11; v++) {
      const partition = { partitionIndex: 0, highWatermark: 1, lastStableOffset: 1, logStartOffset: 0, abortedTransactions: [], records: [batch] };
      const body: MessageInput<FetchResponse> = { responses: [{ topic: 't', partitions: [partition] }] };
      const res = await kafkajsDecodeResponse('fetch', v, ApiKey.Fetch, body);
      const p = (res.responses as Array<{ partitions: Array<{ messages: Array<Record<string, unknown>> }> }>)[0].partitions[0];
      assert.strictEqual(p.messages.length, 1);
      assert.strictEqual(String(p.messages[0].value), 'v');
    }
  });

  it('FindCoordinator, JoinGroup, SyncGroup, OffsetFetch', async () => {
    const fc = await kafkajsDecodeResponse('findCoordinator', 2, ApiKey.FindCoordinator, { nodeId: 3, host: 'h', port: 1 });
    assert.deepStrictEqual(fc.coordinator, { nodeId: 3, host: 'h', port: 1 });

    const members = [{ memberId: 'm', metadata: Buffer.from('meta') }];
    const jg = await kafkajsDecodeResponse('joinGroup', 5, ApiKey.JoinGroup, { generationId: 4, protocolName: 'rr', leader: 'm', memberId: 'm', members });
    assert.strictEqual(jg.generationId, 4);
    assert.strictEqual(jg.groupProtocol, 'rr');
    assert.deepStrictEqual((jg.members as Array<Record<string, unknown>>)[0].memberMetadata, Buffer.from('meta'));

    const sg = await kafkajsDecodeResponse('syncGroup', 3, ApiKey.SyncGroup, { assignment: Buffer.from('asg') });
    assert.deepStrictEqual(sg.memberAssignment, Buffer.from('asg'));

    const topics = [{ name: 't', partitions: [{ partitionIndex: 2, committedOffset: 9, metadata: '' }] }];
    const of = await kafkajsDecodeResponse('offsetFetch', 4, ApiKey.OffsetFetch, { topics });
    const partition = (of.responses as Array<{ partitions: Array<Record<string, unknown>> }>)[0].partitions[0];
    assert.strictEqual(partition.offset, '9');
  });
});
