// The transaction coordinator over TCP with the project's protocol client, for what the Java client never shows:
//  - FindCoordinator key type 1 (TRANSACTION); InitProducerId bounds transaction.timeout.ms;
//  - KIP-890 part 1: a transactional Produce to a partition not added to the transaction is refused with
//    INVALID_TXN_STATE and nothing is appended; AddPartitionsToTxn v4 verify_only reports the same per partition;
//  - TxnOffsetCommit: offsets of aborted, committed and still-open transactions after a kill -9 and restart
//    (replayed from __consumer_offsets with its markers); OffsetFetch require_stable answers UNSTABLE_OFFSET_COMMIT
//    while a transaction holds an offset, until a new producer of that transactional id aborts it.
import { strict as assert } from 'node:assert';
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode } from '../broker/src/protocol/errors';
import { buildRecordBatch } from '../broker/src/protocol/records';
import type {
  AddOffsetsToTxnResponse,
  AddPartitionsToTxnResponse,
  EndTxnResponse,
  FindCoordinatorResponse,
  InitProducerIdResponse,
  OffsetFetchResponse,
  ProduceResponse,
  TxnOffsetCommitResponse,
} from '../broker/src/protocol/schema/types';
import { createKafka } from './helpers/kafkajs';
import { WireClient } from './helpers/protocol-batches';
import { useBroker } from './helpers/suite';
import { uniqueName } from './helpers/util';
import { initTransactional } from './helpers/txn-wire';

interface TxnProducer {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  seq: number;
}

describe('transactions: the coordinator over the wire (broker process)', function () {
  this.timeout(120_000);
  const ref = useBroker({
    name: 'txn-wire',
    autoCreateTopics: false,
    extraArgs: ['--offsets-topic-num-partitions', '4', '--transaction-state-log-num-partitions', '4', '--transaction-abort-timed-out-transaction-cleanup-interval-ms', '200'],
  });
  const topic = uniqueName('txn-wire');
  let w: WireClient;

  before(async function () {
    const admin = createKafka(ref.broker.bootstrap, 'txn-wire-admin').admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    } finally {
      await admin.disconnect();
    }
    w = await WireClient.connect(ref.broker.host, ref.broker.port, 'txn-wire-e2e');
  });

  after(async () => {
    await w?.close();
  });

  const c = () => w.client;

  async function init(transactionalId: string, transactionTimeoutMs = 60_000): Promise<TxnProducer> {
    const r = await initTransactional(c(), transactionalId, transactionTimeoutMs);
    assert.equal(r.errorCode, ErrorCode.NONE);
    return { transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch, seq: 0 };
  }

  async function addPartitions(p: TxnProducer, partitions: number[]): Promise<number[]> {
    const r = await c().request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 3, {
      v3AndBelowTransactionalId: p.transactionalId,
      v3AndBelowProducerId: p.producerId,
      v3AndBelowProducerEpoch: p.producerEpoch,
      v3AndBelowTopics: [{ name: topic, partitions }],
    });
    return r.resultsByTopicV3AndBelow[0].resultsByPartition.map((x) => x.partitionErrorCode);
  }

  async function produce(p: TxnProducer, partition: number, value: string): Promise<number> {
    const batch = buildRecordBatch({ producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: p.seq, isTransactional: true, records: [{ value: Buffer.from(value) }] });
    const r = await c().request<ProduceResponse>(ApiKey.Produce, 9, { transactionalId: p.transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }] });
    const code = r.responses[0].partitionResponses[0].errorCode;
    if (code === ErrorCode.NONE) p.seq++;
    return code;
  }

  async function endTxn(p: TxnProducer, committed: boolean): Promise<number> {
    return (await c().request<EndTxnResponse>(ApiKey.EndTxn, 3, { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, committed })).errorCode;
  }

  it('FindCoordinator key type TRANSACTION names this broker; InitProducerId refuses a timeout above transaction.max.timeout.ms', async () => {
    const f = await c().request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { key: '', keyType: 1, coordinatorKeys: ['some-txn'] });
    assert.equal(f.coordinators[0].errorCode, ErrorCode.NONE);
    assert.equal(f.coordinators[0].port, ref.broker.port);
    const r = await c().request<InitProducerIdResponse>(ApiKey.InitProducerId, 4, { transactionalId: uniqueName('t'), transactionTimeoutMs: 900_001, producerId: -1, producerEpoch: -1 });
    assert.equal(r.errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it('KIP-890: a transactional produce to a partition not in the transaction is refused and not appended', async () => {
    const p = await init(uniqueName('verify'));
    const before = await w.offset(topic, 0);
    assert.equal(await produce(p, 0, 'not-added'), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await w.offset(topic, 0), before, 'nothing appended');
    assert.deepEqual(await addPartitions(p, [0]), [ErrorCode.NONE]);
    const verify = await c().request<AddPartitionsToTxnResponse>(ApiKey.AddPartitionsToTxn, 4, {
      transactions: [{ transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly: true, topics: [{ name: topic, partitions: [0, 1] }] }],
    });
    assert.deepEqual(verify.resultsByTransaction[0].topicResults[0].resultsByPartition.map((x) => x.partitionErrorCode), [ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE]);
    assert.equal(await produce(p, 0, 'added'), ErrorCode.NONE);
    assert.equal(await produce(p, 1, 'other-partition'), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await endTxn(p, true), ErrorCode.NONE);
    assert.equal(await produce(p, 0, 'after-commit'), ErrorCode.INVALID_TXN_STATE, 'the transaction is over');
    const fenced = { ...p, producerEpoch: p.producerEpoch };
    await init(p.transactionalId);
    assert.equal(await produce(fenced, 0, 'zombie'), ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('TxnOffsetCommit: aborted, committed and open transactions are replayed right after kill -9; require_stable waits for the open one', async () => {
    const group = uniqueName('txn-wire-group');
    const commitOffset = async (p: TxnProducer, offset: number) => {
      const add = await c().request<AddOffsetsToTxnResponse>(ApiKey.AddOffsetsToTxn, 3, { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, groupId: group });
      assert.equal(add.errorCode, ErrorCode.NONE);
      const r = await c().request<TxnOffsetCommitResponse>(ApiKey.TxnOffsetCommit, 3, {
        transactionalId: p.transactionalId,
        groupId: group,
        producerId: p.producerId,
        producerEpoch: p.producerEpoch,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        topics: [{ name: topic, partitions: [{ partitionIndex: 1, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      assert.equal(r.topics[0].partitions[0].errorCode, ErrorCode.NONE);
    };
    const fetchOffset = async (requireStable: boolean) => {
      const r = await c().request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: group, topics: [{ name: topic, partitionIndexes: [1] }], groups: [], requireStable });
      const p = r.topics[0].partitions[0];
      return { offset: p.committedOffset, errorCode: p.errorCode || r.errorCode };
    };
    const aborted = await init(uniqueName('offsets-aborted'));
    await commitOffset(aborted, 5);
    assert.equal(await endTxn(aborted, false), ErrorCode.NONE);
    const committed = await init(uniqueName('offsets-committed'));
    await commitOffset(committed, 9);
    assert.equal(await endTxn(committed, true), ErrorCode.NONE);
    const open = await init(uniqueName('offsets-open'));
    await commitOffset(open, 11);
    assert.deepEqual(await fetchOffset(false), { offset: 9, errorCode: ErrorCode.NONE });
    const metrics = await ref.broker.metricsText();
    assert.equal(metric(metrics, 'strata_transactions_open'), 1, 'the open transaction is counted');
    assert.ok(metric(metrics, 'strata_transactions_total{result="commit"}') >= 1);
    assert.ok(metric(metrics, 'strata_transactions_total{result="abort"}') >= 1);

    await w.close();
    await ref.broker.kill9();
    await ref.broker.restart();
    w = await WireClient.connect(ref.broker.host, ref.broker.port, 'txn-wire-e2e');
    assert.deepEqual(await fetchOffset(false), { offset: 9, errorCode: ErrorCode.NONE });
    assert.deepEqual(await fetchOffset(true), { offset: 9, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }, 'the open transaction still holds an offset');
    // A new producer of the open transaction's id aborts it: its offset is dropped, the committed one stays.
    await init(open.transactionalId);
    assert.deepEqual(await fetchOffset(true), { offset: 9, errorCode: ErrorCode.NONE });
  });
});

function metric(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}
