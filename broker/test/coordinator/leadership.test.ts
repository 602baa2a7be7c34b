// Coordinators moving with the leadership of their internal topic's partitions (CLUSTER.md "Coordinators"):
// load on election (COORDINATOR_LOAD_IN_PROGRESS meanwhile), drop on resignation (in-flight JoinGroup/SyncGroup
// get NOT_COORDINATOR, nothing is written, timers stop), reload from the log on the next election; transaction
// markers carry the election's leader epoch and the next leader completes what the previous one prepared; and
// followLeadership routing ReplicaManager.leadership changes of one topic to its coordinator.
import { strict as assert } from 'assert';
import { EventEmitter } from 'node:events';
import { ErrorCode } from '../../src/protocol/errors';
import { TransactionCoordinator } from '../../src/coordinator/transaction-coordinator';
import { followLeadership, type LeadershipSource } from '../../src/coordinator/leadership';
import { ManualClock } from '../manual-clock';
import { FakeGroupStore, isPending, joinReq, memberIdFor, newCoordinator, silentLogger, syncReq, useCoordinators, within } from './helpers';
import { FakeMarkers, FakeTxnStore } from './txn-helpers';

const commit = (offset: number) => ({ topic: 'a', partition: 0, offset, leaderEpoch: -1, metadata: null });

describe('coordinators follow partition leadership', () => {
  useCoordinators();

  describe('group coordinator', () => {
    it('on resignation answers a pending JoinGroup with NOT_COORDINATOR, writes nothing, and ends member sessions; re-election reloads from the log', async () => {
      const clock = new ManualClock();
      const store = new FakeGroupStore();
      const { coord } = await newCoordinator({ clock, initialRebalanceDelayMs: 3000 }, store, {}, false);
      const p = coord.partitionFor('g');
      await coord.onElection(p, 1);
      assert.deepEqual(await coord.commitOffsets('g', -1, '', null, [commit(42)]), [ErrorCode.NONE]);
      const memberId = await memberIdFor(coord, { sessionTimeoutMs: 5000 });
      const joining = coord.join(joinReq({ memberId, sessionTimeoutMs: 5000 }));
      assert.ok(await isPending(joining), 'held by the initial rebalance delay');
      const appends = store.appends;

      coord.onResignation(p);
      assert.equal((await within(joining, 1000, 'join')).errorCode, ErrorCode.NOT_COORDINATOR);
      assert.equal(coord.errorFor('g'), ErrorCode.NOT_COORDINATOR);
      assert.equal(coord.heartbeat('g', memberId, null, 0), ErrorCode.NOT_COORDINATOR);
      assert.deepEqual(await coord.commitOffsets('g', -1, '', null, [commit(43)]), [ErrorCode.NOT_COORDINATOR]);
      assert.equal(coord.list().length, 0);
      await clock.advance(60_000); // rebalance delay, session and expiry timers would all have fired
      assert.equal(store.appends, appends, 'a coordinator that lost its partition writes nothing');

      await coord.onElection(p, 2);
      assert.equal(coord.errorFor('g'), ErrorCode.NONE);
      assert.deepEqual(
        coord.fetchOffsets('g', null).map((f) => f.committed?.offset),
        [42],
      );
    });

    it('on resignation answers a pending SyncGroup with NOT_COORDINATOR', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 }, new FakeGroupStore(), {}, false);
      const p = coord.partitionFor('g');
      await coord.onElection(p, 1);
      const ids = [await memberIdFor(coord), await memberIdFor(coord)];
      const joins = await within(Promise.all(ids.map((memberId) => coord.join(joinReq({ memberId })))), 5000, 'join phase');
      const follower = joins.find((j) => j.leader !== j.memberId)!;
      const syncing = coord.sync(syncReq(follower));
      assert.ok(await isPending(syncing), "a follower waits for the leader's assignment");
      coord.onResignation(p);
      assert.equal((await within(syncing, 1000, 'sync')).errorCode, ErrorCode.NOT_COORDINATOR);
    });

    it('answers COORDINATOR_LOAD_IN_PROGRESS while loading, and a load that lost its leadership meanwhile installs nothing', async () => {
      const store = new FakeGroupStore();
      const first = await newCoordinator({}, store);
      assert.deepEqual(await first.coord.commitOffsets('g', -1, '', null, [commit(7)]), [ErrorCode.NONE]);

      const { coord } = await newCoordinator({}, store, {}, false);
      const p = coord.partitionFor('g');
      const release = store.holdLoads();
      const loading = coord.onElection(p, 1);
      assert.equal(coord.errorFor('g'), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      assert.equal((await coord.join(joinReq())).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      assert.equal(coord.isLoading, true);
      coord.onResignation(p);
      release();
      await loading;
      assert.equal(coord.errorFor('g'), ErrorCode.NOT_COORDINATOR);
      assert.equal(coord.isLoading, false);
      assert.equal(coord.list().length, 0, 'the stale load installed no group');
    });

    it('a transaction marker that lands while the partition loads is applied once its groups are in', async () => {
      const store = new FakeGroupStore();
      const first = await newCoordinator({}, store);
      assert.deepEqual(await first.coord.commitTransactionalOffsets('g', { producerId: 5, producerEpoch: 0 }, -1, '', null, [commit(9)]), [ErrorCode.NONE]);

      const { coord } = await newCoordinator({}, store, {}, false);
      const p = coord.partitionFor('g');
      const release = store.holdLoads();
      const loading = coord.onElection(p, 1);
      coord.completeTransaction(5, p, true); // the marker went into the log after the load read past its end
      release();
      await loading;
      assert.equal(coord.hasPendingOffset('g', 'a', 0), false);
      assert.deepEqual(
        coord.fetchOffsets('g', null).map((f) => f.committed?.offset),
        [9],
      );
    });

    it('offset expiry acts only on groups of partitions this broker leads', async () => {
      const clock = new ManualClock();
      const store = new FakeGroupStore();
      const { coord } = await newCoordinator({ clock, offsetsRetentionMs: 1000 }, store, {}, false);
      const other = ['h', 'i', 'j', 'k', 'l'].find((g) => coord.partitionFor(g) !== coord.partitionFor('g'))!;
      await coord.onElection(coord.partitionFor('g'), 1);
      await coord.onElection(coord.partitionFor(other), 1);
      await coord.commitOffsets('g', -1, '', null, [commit(1)]);
      await coord.commitOffsets(other, -1, '', null, [commit(1)]);
      coord.onResignation(coord.partitionFor(other));
      await clock.advance(2000);
      const tombstones = store.records().filter((r) => r.kind === 'offset' && r.value === null);
      assert.equal((await coord.expireOffsets()).offsets, 1);
      assert.deepEqual(
        store.records().filter((r) => r.kind === 'offset' && r.value === null).slice(tombstones.length).map((r) => r.group),
        ['g'],
      );
    });
  });

  describe('transaction coordinator', () => {
    let clock: ManualClock;
    let store: FakeTxnStore;
    let markers: FakeMarkers;
    const coordinators: TransactionCoordinator[] = [];
    beforeEach(() => {
      clock = new ManualClock();
      store = new FakeTxnStore();
      markers = new FakeMarkers();
    });
    afterEach(() => coordinators.splice(0).forEach((c) => c.close()));

    let nextPid = 1000;
    function coordinator(): TransactionCoordinator {
      const c = new TransactionCoordinator(
        store,
        {
          maxTimeoutMs: 900_000,
          idExpirationMs: 7 * 24 * 3600_000,
          abortCheckIntervalMs: 10_000,
          expirationCheckIntervalMs: 3600_000,
          partitionExists: (t, p) => t === 'a' && p >= 0 && p < 2,
          nextProducerId: async () => nextPid++,
          markers,
          clock,
        },
        silentLogger,
      );
      coordinators.push(c);
      return c;
    }
    const topics = [{ name: 'a', partitions: [0, 1] }];

    it('markers carry the election epoch; on resignation requests get NOT_COORDINATOR and marker retries stop; the next leader completes the transaction under its own epoch', async () => {
      const c1 = coordinator();
      const p = c1.partitionFor('t');
      await c1.onElection(p, 4);
      const producer = await c1.initProducerId('t', 30_000, null);
      assert.equal(producer.errorCode, ErrorCode.NONE);
      await c1.addPartitions('t', producer, topics);
      markers.failures = 1;
      assert.equal(await c1.endTransaction('t', producer, true), ErrorCode.NONE, 'PrepareCommit is durable');
      assert.equal(c1.describe('t').transactionState, 'PrepareCommit');
      const writtenByC1 = markers.written.length; // the markers that did not fail
      assert.ok(markers.written.every((m) => m.marker.coordinatorEpoch === 4));

      c1.onResignation(p);
      assert.equal((await c1.initProducerId('t', 30_000, null)).errorCode, ErrorCode.NOT_COORDINATOR);
      assert.equal(await c1.endTransaction('t', producer, true), ErrorCode.NOT_COORDINATOR);
      assert.equal(c1.describe('t').errorCode, ErrorCode.NOT_COORDINATOR);
      await clock.advance(10_000);
      assert.equal(markers.written.length, writtenByC1, 'the deposed coordinator stopped retrying its markers');

      const c2 = coordinator();
      await c2.onElection(p, 5);
      await clock.advance(0);
      assert.equal(c2.describe('t').transactionState, 'CompleteCommit');
      assert.deepEqual(
        markers.written.slice(writtenByC1).map((m) => [m.partition, m.marker.commit, m.marker.coordinatorEpoch]),
        [
          [0, true, 5],
          [1, true, 5],
        ],
      );
    });

    it('answers COORDINATOR_LOAD_IN_PROGRESS while loading and NOT_COORDINATOR for ids of partitions it does not lead', async () => {
      const c = coordinator();
      const p = c.partitionFor('t');
      const other = ['u', 'v', 'w', 'x', 'y'].find((id) => c.partitionFor(id) !== p)!;
      const release = store.holdLoads();
      const loading = c.onElection(p, 1);
      assert.equal((await c.initProducerId('t', 30_000, null)).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      assert.equal(c.list([], [], -1).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      release();
      await loading;
      assert.equal((await c.initProducerId('t', 30_000, null)).errorCode, ErrorCode.NONE);
      assert.equal((await c.initProducerId(other, 30_000, null)).errorCode, ErrorCode.NOT_COORDINATOR);
      // A write checked by a broker that does not coordinate the id is left to the markers (not refused here).
      assert.equal(c.verifyWrite(other, { producerId: 1, producerEpoch: 0 }, 'a', 0), ErrorCode.NONE);
      assert.equal(c.verifyWrite('t', { producerId: 1, producerEpoch: 0 }, 'a', 0), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    });

    it('the timeout pass aborts only transactions of partitions it leads', async () => {
      const c = coordinator();
      const other = ['u', 'v', 'w', 'x', 'y'].find((id) => c.partitionFor(id) !== c.partitionFor('t'))!;
      await c.onElection(c.partitionFor('t'), 1);
      await c.onElection(c.partitionFor(other), 1);
      for (const id of ['t', other]) {
        const producer = await c.initProducerId(id, 1000, null);
        await c.addPartitions(id, producer, topics);
      }
      c.onResignation(c.partitionFor(other));
      const written = store.log.length;
      await clock.advance(10_000);
      assert.deepEqual(store.states('t').slice(-2), ['PrepareAbort', 'CompleteAbort']);
      assert.equal(store.log.length, written + 2, 'only the led transaction was aborted');
    });
  });

  describe('followLeadership', () => {
    it('takes on the partitions led now, then loads and drops partitions of its topic as leadership changes', async () => {
      const leadership = new EventEmitter<{ change: [string, number, boolean, number] }>();
      const source: LeadershipSource = { leadership, ledPartitions: (topic) => (topic === '__consumer_offsets' ? [{ index: 1, leaderEpoch: 3 }] : []) };
      const calls: string[] = [];
      const coordinator = {
        onElection: async (p: number, epoch: number) => void calls.push(`elect ${p}@${epoch}`),
        onResignation: (p: number) => void calls.push(`resign ${p}`),
      };
      await followLeadership(source, '__consumer_offsets', coordinator, silentLogger);
      assert.deepEqual(calls, ['elect 1@3']);
      leadership.emit('change', '__transaction_state', 2, true, 1);
      leadership.emit('change', 'orders', 1, false, 1);
      leadership.emit('change', '__consumer_offsets', 2, true, 1);
      leadership.emit('change', '__consumer_offsets', 1, false, 3);
      assert.deepEqual(calls, ['elect 1@3', 'elect 2@1', 'resign 1']);
    });
  });
});
