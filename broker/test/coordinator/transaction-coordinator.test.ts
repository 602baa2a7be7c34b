// The transaction coordinator's state machine over an in-memory __transaction_state (records go through the real
// codec) and a recording marker writer, with a manual clock: InitProducerId epochs and fencing, AddPartitions,
// EndTxn's Prepare → markers → Complete sequence, produce verification, transaction.timeout.ms aborts,
// transactional.id.expiration.ms, completion of prepared transactions on load, and marker-write retries.
import { strict as assert } from 'assert';
import { ErrorCode } from '../../src/protocol/errors';
import { TransactionCoordinator, type TransactionCoordinatorOptions } from '../../src/coordinator/transaction-coordinator';
import { buildRecordBatch } from '../../src/protocol/records';
import { ManualClock } from '../manual-clock';
import { silentLogger } from './helpers';
import { FakeMarkers, FakeTxnStore } from './txn-helpers';

const TOPICS = new Map([
  ['a', 3],
  ['b', 2],
]);

describe('transaction coordinator', () => {
  let clock: ManualClock;
  let store: FakeTxnStore;
  let markers: FakeMarkers;
  let coordinators: TransactionCoordinator[];
  let nextPid: number;
  let events: { commits: number; aborts: number; fenced: number };

  beforeEach(() => {
    clock = new ManualClock();
    store = new FakeTxnStore();
    markers = new FakeMarkers();
    coordinators = [];
    nextPid = 1000;
    events = { commits: 0, aborts: 0, fenced: 0 };
  });
  afterEach(() => coordinators.forEach((c) => c.close()));

  async function coordinator(overrides: Partial<TransactionCoordinatorOptions> = {}): Promise<TransactionCoordinator> {
    const c = new TransactionCoordinator(
      store,
      {
        maxTimeoutMs: 900_000,
        idExpirationMs: 7 * 24 * 3600_000,
        abortCheckIntervalMs: 10_000,
        expirationCheckIntervalMs: 3600_000,
        partitionExists: (t, p) => p >= 0 && p < (TOPICS.get(t) ?? 0),
        nextProducerId: async () => nextPid++,
        markers,
        clock,
        ...overrides,
      },
      silentLogger,
      { onCommit: () => events.commits++, onAbort: () => events.aborts++, onFenced: () => events.fenced++ },
    );
    coordinators.push(c);
    await c.load();
    return c;
  }

  const addAll = (c: TransactionCoordinator, id: string, p: { producerId: number; producerEpoch: number }, topics = [{ name: 'a', partitions: [0, 2] }, { name: 'b', partitions: [1] }]) =>
    c.addPartitions(id, p, topics).then((r) => r.flatMap((t) => t.results.map((x) => x.errorCode)));

  it('InitProducerId: a new id gets a producer id at epoch 0, each later init bumps the epoch; timeouts are bounded', async () => {
    const c = await coordinator({ maxTimeoutMs: 60_000 });
    assert.deepEqual(await c.initProducerId('t', 30_000, null), { errorCode: ErrorCode.NONE, producerId: 1000, producerEpoch: 0 });
    assert.deepEqual(await c.initProducerId('t', 30_000, null), { errorCode: ErrorCode.NONE, producerId: 1000, producerEpoch: 1 });
    assert.equal((await c.initProducerId('t', 60_001, null)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await c.initProducerId('t', 0, null)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await c.initProducerId('', 1000, null)).errorCode, ErrorCode.INVALID_REQUEST);
    assert.deepEqual(store.states('t'), ['Empty', 'Empty']);
  });

  it('KIP-360: InitProducerId naming the current id/epoch bumps it; a stale one is fenced', async () => {
    const c = await coordinator();
    const p0 = await c.initProducerId('t', 30_000, null);
    const p1 = await c.initProducerId('t', 30_000, { producerId: p0.producerId, producerEpoch: 0 });
    assert.equal(p1.producerEpoch, 1);
    assert.equal((await c.initProducerId('t', 30_000, { producerId: p0.producerId, producerEpoch: 0 })).producerEpoch, 1, 'a retry of the same bump gets the same epoch');
    assert.equal((await c.initProducerId('t', 30_000, { producerId: 42, producerEpoch: 3 })).errorCode, ErrorCode.PRODUCER_FENCED);
  });

  it('EndTxn commit: PrepareCommit, a COMMIT marker to every partition with the coordinator epoch, then CompleteCommit', async () => {
    const c = await coordinator();
    const p = await c.initProducerId('t', 30_000, null);
    assert.deepEqual(await addAll(c, 't', p), [0, 0, 0]);
    assert.equal(c.describe('t').transactionState, 'Ongoing');
    assert.equal(c.openCount(), 1);
    assert.equal(await c.endTransaction('t', p, true), ErrorCode.NONE);
    assert.deepEqual(store.states('t'), ['Empty', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
    assert.deepEqual(
      markers.written.map((m) => `${m.topic}-${m.partition}:${m.marker.commit}:${m.marker.producerEpoch}:${m.marker.coordinatorEpoch}`),
      ['a-0:true:0:7', 'a-2:true:0:7', 'b-1:true:0:7'],
    );
    assert.equal(await c.endTransaction('t', p, true), ErrorCode.NONE, 'a retried commit succeeds');
    assert.equal(await c.endTransaction('t', p, false), ErrorCode.INVALID_TXN_STATE);
    assert.deepEqual(events, { commits: 1, aborts: 0, fenced: 0 });
    assert.equal(c.openCount(), 0);
  });

  it('AddPartitionsToTxn: unknown partitions and unwritable topics are refused with OPERATION_NOT_ATTEMPTED for the rest; wrong producer ids and epochs too', async () => {
    const c = await coordinator();
    const p = await c.initProducerId('t', 30_000, null);
    assert.deepEqual(await addAll(c, 't', p, [{ name: 'a', partitions: [0, 9] }]), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    // A topic the caller may not write (the handler's authorization) refuses the request the same way.
    const refused = await c.addPartitions('t', p, [{ name: 'a', partitions: [0] }, { name: 'b', partitions: [1, 9] }], (topic) => topic !== 'b');
    assert.deepEqual(refused.flatMap((t) => t.results.map((x) => x.errorCode)), [ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.TOPIC_AUTHORIZATION_FAILED]);
    assert.equal(c.describe('t').transactionState, 'Empty', 'nothing was added');
    assert.deepEqual(await addAll(c, 't', { producerId: 5, producerEpoch: 0 }), [ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.INVALID_PRODUCER_ID_MAPPING, ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    assert.deepEqual(await addAll(c, 'unknown', p, [{ name: 'a', partitions: [0] }]), [ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    assert.equal(await c.endTransaction('t', p, true), ErrorCode.INVALID_TXN_STATE, 'nothing to commit in Empty');
  });

  it('a new producer of the id aborts the open transaction under a bumped epoch and fences the old one', async () => {
    const c = await coordinator();
    const old = await c.initProducerId('t', 30_000, null);
    await addAll(c, 't', old);
    const fresh = await c.initProducerId('t', 30_000, null);
    assert.deepEqual(fresh, { errorCode: ErrorCode.NONE, producerId: old.producerId, producerEpoch: 2 });
    assert.deepEqual(store.states('t'), ['Empty', 'Ongoing', 'PrepareAbort', 'CompleteAbort', 'Empty']);
    assert.ok(markers.written.every((m) => !m.marker.commit && m.marker.producerEpoch === 1), 'ABORT markers with the fencing epoch');
    assert.equal(markers.written.length, 3);
    assert.deepEqual(await addAll(c, 't', old, [{ name: 'a', partitions: [0] }]), [ErrorCode.PRODUCER_FENCED]);
    assert.equal(await c.endTransaction('t', old, true), ErrorCode.PRODUCER_FENCED);
    assert.equal(events.fenced, 1);
    assert.equal(events.aborts, 1);
  });

  it('verifies transactional produces (KIP-890): only partitions of the open transaction, only at the current epoch', async () => {
    const c = await coordinator();
    const p = await c.initProducerId('t', 30_000, null);
    const batch = (epoch: number) => buildRecordBatch({ producerId: p.producerId, producerEpoch: epoch, baseSequence: 0, isTransactional: true, records: [{ value: Buffer.from('x') }] });
    assert.equal(c.verifyProduce('t', 'a', 0, batch(0)), ErrorCode.INVALID_TXN_STATE, 'not added yet');
    await addAll(c, 't', p, [{ name: 'a', partitions: [0] }]);
    assert.equal(c.verifyProduce('t', 'a', 0, batch(0)), ErrorCode.NONE);
    assert.equal(c.verifyProduce('t', 'a', 1, batch(0)), ErrorCode.INVALID_TXN_STATE, 'another partition');
    assert.equal(c.verifyProduce('other', 'a', 0, batch(0)), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    await c.initProducerId('t', 30_000, null);
    assert.equal(c.verifyProduce('t', 'a', 0, batch(0)), ErrorCode.INVALID_PRODUCER_EPOCH, 'fenced');
    assert.deepEqual(c.verifyPartitions('t', p, [{ name: 'a', partitions: [0] }])[0].results[0].errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('transaction.timeout.ms: the periodic check aborts an expired transaction with an epoch bump, not a younger one', async () => {
    const c = await coordinator();
    const p = await c.initProducerId('t', 15_000, null);
    const q = await c.initProducerId('u', 60_000, null);
    await addAll(c, 't', p);
    await addAll(c, 'u', q);
    await clock.advance(10_000);
    assert.equal(c.describe('t').transactionState, 'Ongoing', 'not yet expired at the first check');
    await clock.advance(10_000);
    assert.equal(c.describe('t').transactionState, 'CompleteAbort');
    assert.equal(c.describe('t').producerEpoch, 1);
    assert.equal(c.describe('u').transactionState, 'Ongoing');
    assert.equal(await c.endTransaction('t', p, true), ErrorCode.PRODUCER_FENCED);
    assert.deepEqual(events, { commits: 0, aborts: 1, fenced: 1 });
  });

  it('transactional.id.expiration.ms: an idle id is tombstoned and gone after a reload; an open one stays', async () => {
    const c = await coordinator({ idExpirationMs: 3600_000, expirationCheckIntervalMs: 600_000, abortCheckIntervalMs: 7200_000 });
    await c.initProducerId('idle', 30_000, null);
    const busy = await c.initProducerId('busy', 900_000, null);
    await addAll(c, 'busy', busy, [{ name: 'a', partitions: [0] }]);
    await clock.advance(3600_000 + 600_000);
    assert.equal(c.describe('idle').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    assert.equal(c.describe('busy').errorCode, ErrorCode.NONE);
    assert.deepEqual(store.states('idle'), ['Empty', null]);
    const reloaded = await coordinator();
    assert.equal(reloaded.describe('idle').errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    assert.equal(reloaded.describe('busy').transactionState, 'Ongoing');
  });

  it('a transaction found in PrepareCommit on load is completed as committed', async () => {
    const c = await coordinator({ afterPrepareCommit: () => (markers.failures = 100) });
    const p = await c.initProducerId('t', 30_000, null);
    await addAll(c, 't', p);
    await c.endTransaction('t', p, true);
    c.close(); // "crashed" after PrepareCommit: no marker written
    assert.deepEqual(store.states('t').slice(-1), ['PrepareCommit']);
    markers.failures = 0;
    const restarted = await coordinator();
    await clock.advance(0);
    assert.equal(restarted.describe('t').transactionState, 'CompleteCommit');
    assert.equal(markers.written.filter((m) => m.marker.commit).length, 3);
    assert.equal(await restarted.endTransaction('t', p, true), ErrorCode.NONE, "the client's retried EndTxn succeeds");
  });

  it('markers that cannot be written are retried; meanwhile the id answers CONCURRENT_TRANSACTIONS', async () => {
    const c = await coordinator();
    const p = await c.initProducerId('t', 30_000, null);
    await addAll(c, 't', p);
    markers.failures = 1;
    assert.equal(await c.endTransaction('t', p, false), ErrorCode.NONE, 'the decision is durable');
    assert.equal(c.describe('t').transactionState, 'PrepareAbort');
    assert.equal(await c.endTransaction('t', p, false), ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal((await c.initProducerId('t', 30_000, null)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    await clock.advance(500);
    assert.equal(c.describe('t').transactionState, 'CompleteAbort');
    assert.equal(markers.written.length, 3);
  });

  it('a new producer whose fencing abort cannot write its markers yet is told to retry, and then gets its epoch', async () => {
    const c = await coordinator();
    const old = await c.initProducerId('t', 30_000, null);
    await addAll(c, 't', old);
    markers.failures = 1;
    assert.equal((await c.initProducerId('t', 30_000, null)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(c.describe('t').transactionState, 'PrepareAbort');
    await clock.advance(500);
    assert.equal(c.describe('t').transactionState, 'CompleteAbort');
    assert.deepEqual(await c.initProducerId('t', 30_000, null), { errorCode: ErrorCode.NONE, producerId: old.producerId, producerEpoch: 2 });
  });

  it('ListTransactions filters by state, producer id and duration, and echoes unknown state names', async () => {
    const c = await coordinator();
    const p = await c.initProducerId('t', 30_000, null);
    await c.initProducerId('u', 30_000, null);
    await addAll(c, 't', p);
    await clock.advance(5000);
    assert.deepEqual(c.list(['Ongoing'], [], -1).transactionStates.map((t) => t.transactionalId), ['t']);
    assert.deepEqual(c.list([], [p.producerId], -1).transactionStates.map((t) => t.transactionalId), ['t']);
    assert.deepEqual(c.list(['Ongoing'], [], 4000).transactionStates.map((t) => t.transactionalId), ['t']);
    assert.deepEqual(c.list(['Ongoing'], [], 6000).transactionStates, []);
    assert.deepEqual(c.list(['Bogus'], [], -1).unknownStateFilters, ['Bogus']);
  });
});
