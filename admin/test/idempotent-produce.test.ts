// produceRecords as an idempotent producer, against a scripted in-memory broker (the e2e suite
// records-recovery proves it against real brokers): which producer id and sequence each batch carries, what is
// resent unchanged, and when the producer id is renewed or the produce given up.
import { strict as assert } from 'node:assert';
import { ApiKey } from '../../broker/src/protocol/apis';
import { ErrorCode } from '../../broker/src/protocol/errors';
import { readBatchHeader } from '../../broker/src/protocol/records';
import type { ClusterClient, TopicMetadata } from '../cluster-client';
import { AdminError } from '../errors';
import { IdempotentProducer } from '../idempotent-producer';
import { produceRecords } from '../records';

interface SentBatch {
  partition: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  bytes: Buffer;
}

/** Each Produce answer, in order: an error code for every partition, or 'lost' (the connection closes). */
type Answer = number | 'lost';

/** A one-broker cluster that answers InitProducerId with ids 7, 8, … (or the scripted errors) and Produce as scripted (default NONE). */
class FakeCluster {
  readonly sent: SentBatch[] = [];
  initCalls = 0;
  private nextOffset = new Map<number, number>();

  constructor(
    private readonly produceAnswers: Answer[] = [],
    private readonly initErrors: number[] = [],
  ) {}

  asClusterClient(): ClusterClient {
    const md: TopicMetadata = {
      name: 't',
      topicId: 'x',
      isInternal: false,
      errorCode: 0,
      partitions: [0, 1].map((partition) => ({ partition, errorCode: 0, leader: 1, leaderEpoch: 0, replicas: [1], isr: [1], offlineReplicas: [] })),
    };
    const client = {
      pickVersion: (_apiKey: number, want: number) => want,
      request: async (apiKey: number, _version: number, body: Record<string, unknown>) => this.request(apiKey, body),
    };
    return { topic: async () => md, any: async () => client, broker: async () => client } as unknown as ClusterClient;
  }

  private request(apiKey: number, body: Record<string, unknown>): unknown {
    if (apiKey === ApiKey.InitProducerId) {
      this.initCalls++;
      const errorCode = this.initErrors.shift() ?? ErrorCode.NONE;
      return { throttleTimeMs: 0, errorCode, producerId: errorCode === ErrorCode.NONE ? 6 + this.initCalls : -1, producerEpoch: errorCode === ErrorCode.NONE ? 0 : -1 };
    }
    assert.equal(apiKey, ApiKey.Produce);
    const data = (body.topicData as Array<{ partitionData: Array<{ index: number; records: Buffer }> }>)[0]!.partitionData;
    for (const p of data) {
      const h = readBatchHeader(p.records, 0);
      this.sent.push({ partition: p.index, producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence, bytes: p.records });
    }
    const answer = this.produceAnswers.shift() ?? ErrorCode.NONE;
    const written = answer === ErrorCode.NONE || answer === 'lost';
    const partitionResponses = data.map((p) => {
      const count = readBatchHeader(p.records, 0).lastOffsetDelta + 1;
      const baseOffset = this.nextOffset.get(p.index) ?? 0;
      if (written) this.nextOffset.set(p.index, baseOffset + count);
      return { index: p.index, errorCode: written ? ErrorCode.NONE : answer, baseOffset: written ? baseOffset : -1, errorMessage: null, recordErrors: [] };
    });
    if (answer === 'lost') throw new Error('connection to 127.0.0.1:1 closed');
    return { responses: [{ name: 't', partitionResponses }], throttleTimeMs: 0 };
  }
}

const values = (...vs: string[]) => vs.map((v) => ({ value: Buffer.from(v), partition: 0 }));
const failedWith = (kind: string, text: RegExp) => (e: unknown) => e instanceof AdminError && e.kind === kind && text.test(e.message);

describe('admin: idempotent produce', () => {
  it('asks for one producer id and continues each partition’s sequence across calls', async () => {
    const fake = new FakeCluster();
    const cc = fake.asClusterClient();
    const producer = new IdempotentProducer();
    await produceRecords(cc, 't', values('a', 'b', 'c'), { idempotence: producer });
    await produceRecords(cc, 't', [...values('d', 'e'), { value: Buffer.from('f'), partition: 1 }], { idempotence: producer });
    assert.equal(fake.initCalls, 1);
    assert.deepEqual(
      fake.sent.map((b) => [b.partition, b.producerId, b.producerEpoch, b.baseSequence]),
      [[0, 7, 0, 0], [0, 7, 0, 3], [1, 7, 0, 0]],
    );
  });

  it('sends a batch whose answer was lost again, byte for byte, and reports the offsets of the answer', async () => {
    const fake = new FakeCluster(['lost']);
    const results = await produceRecords(fake.asClusterClient(), 't', values('a', 'b'));
    assert.equal(fake.sent.length, 2);
    assert.ok(fake.sent[1]!.bytes.equals(fake.sent[0]!.bytes), 'the same batch, same sequence');
    // The fake wrote both copies (a real broker drops the second): the offsets are those of the answer received.
    assert.deepEqual(results, [{ partition: 0, offset: 2 }, { partition: 0, offset: 3 }]);
  });

  it('takes DUPLICATE_SEQUENCE_NUMBER as written', async () => {
    const fake = new FakeCluster([ErrorCode.DUPLICATE_SEQUENCE_NUMBER]);
    assert.deepEqual(await produceRecords(fake.asClusterClient(), 't', values('a')), [{ partition: 0, offset: -1 }]);
  });

  it('starts again under a new producer id at sequence 0 after UNKNOWN_PRODUCER_ID', async () => {
    const fake = new FakeCluster([ErrorCode.NONE, ErrorCode.UNKNOWN_PRODUCER_ID]);
    const cc = fake.asClusterClient();
    const producer = new IdempotentProducer();
    await produceRecords(cc, 't', values('a', 'b'), { idempotence: producer });
    await produceRecords(cc, 't', values('c'), { idempotence: producer });
    assert.equal(fake.initCalls, 2);
    assert.deepEqual(fake.sent.map((b) => [b.producerId, b.baseSequence]), [[7, 0], [7, 2], [8, 0]]);
  });

  it('gives up on UNKNOWN_PRODUCER_ID when the batch’s lost first copy may be in the log', async () => {
    const fake = new FakeCluster(['lost', ErrorCode.UNKNOWN_PRODUCER_ID]);
    await assert.rejects(produceRecords(fake.asClusterClient(), 't', values('a')), failedWith('failed', /UNKNOWN_PRODUCER_ID.*lost answer.*may have been written/));
    assert.equal(fake.initCalls, 1);
  });

  it('fails clearly on OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    const fake = new FakeCluster([ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER]);
    await assert.rejects(produceRecords(fake.asClusterClient(), 't', values('a')), failedWith('failed', /OUT_OF_ORDER_SEQUENCE_NUMBER.*lost this producer's earlier records/));
  });

  it('is off with acks=1 or idempotence false: no producer id, and a lost answer fails the call', async () => {
    for (const opts of [{ acks: 1 as const }, { idempotence: false as const }]) {
      const fake = new FakeCluster(['lost']);
      await assert.rejects(produceRecords(fake.asClusterClient(), 't', values('a'), opts), failedWith('unavailable', /closed/));
      assert.equal(fake.initCalls, 0);
      assert.deepEqual(fake.sent.map((b) => [b.producerId, b.baseSequence]), [[-1, -1]]);
    }
    await assert.rejects(produceRecords(new FakeCluster().asClusterClient(), 't', values('a'), { acks: 1, idempotence: new IdempotentProducer() }), failedWith('usage', /acks=all/));
  });

  it('retries InitProducerId while the broker is not ready, and explains a refusal', async () => {
    const loading = new FakeCluster([], [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
    await produceRecords(loading.asClusterClient(), 't', values('a'));
    assert.equal(loading.initCalls, 2);
    const denied = new FakeCluster([], [ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
    await assert.rejects(produceRecords(denied.asClusterClient(), 't', values('a')), failedWith('auth', /CLUSTER_AUTHORIZATION_FAILED.*IDEMPOTENT_WRITE.*--acks 1/));
    assert.equal(denied.sent.length, 0);
  });

  it('wraps sequence numbers to 0 after the largest int32', () => {
    const producer = new IdempotentProducer();
    assert.equal(producer.claim('t', 0, 2 ** 31 - 2), 0);
    assert.equal(producer.claim('t', 0, 3), 2 ** 31 - 2);
    assert.equal(producer.claim('t', 0, 1), 1);
    assert.equal(producer.claim('t', 1, 1), 0);
  });
});
