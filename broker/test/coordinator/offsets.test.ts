// Committed offsets (OffsetCommit validation, OffsetFetch, OffsetDelete), DeleteGroups, describe/list, and
// rebuilding everything from __consumer_offsets records on load.
import { strict as assert } from 'assert';
import type { OffsetCommit } from '../../src/coordinator/group-coordinator';
import { ErrorCode } from '../../src/protocol/errors';
import { ManualClock } from '../manual-clock';
import { FakeGroupStore, isPending, joinNew, joinReq, newCoordinator, sleep, stableGroup, subscription, syncReq, useCoordinators, within } from './helpers';

const commit = (topic: string, partition: number, offset: number, metadata: string | null = null, leaderEpoch = -1): OffsetCommit => ({ topic, partition, offset, leaderEpoch, metadata });

function sorted<T extends { topic: string; partition: number }>(xs: T[]): T[] {
  return [...xs].sort((x, y) => (x.topic === y.topic ? x.partition - y.partition : x.topic < y.topic ? -1 : 1));
}

describe('group coordinator: offsets and admin', () => {
  useCoordinators();

  describe('OffsetCommit', () => {
    it('a simple (generation -1, no member) commit to an unknown group creates it Empty and stores the offsets', async () => {
      const commits: Array<[string, number]> = [];
      const clock = new ManualClock();
      const { coord, store } = await newCoordinator({ clock }, new FakeGroupStore(), { onCommit: (g, n) => commits.push([g, n]) });
      const codes = await coord.commitOffsets('simple', -1, '', null, [commit('a', 0, 10, 'meta', 3), commit('a', 1, 20)]);
      assert.deepEqual(codes, [ErrorCode.NONE, ErrorCode.NONE]);
      assert.deepEqual(commits, [['simple', 2]]);
      const d = coord.describe('simple');
      assert.equal(d.groupState, 'Empty');
      assert.equal(d.members.length, 0);
      const fetched = sorted(coord.fetchOffsets('simple', null));
      assert.deepEqual(
        fetched.map((f) => [f.topic, f.partition, f.committed!.offset, f.committed!.leaderEpoch, f.committed!.metadata]),
        [
          ['a', 0, 10, 3, 'meta'],
          ['a', 1, 20, -1, ''],
        ],
      );
      assert.equal(fetched[0].committed!.commitTimestamp, clock.now(), 'stamped with the commit time');
      // Written to the store as offset records of this group.
      assert.deepEqual(
        store.records().map((r) => [r.kind, r.group, r.kind === 'offset' ? `${r.topic}-${r.partition}:${r.value?.offset}` : '']),
        [
          ['offset', 'simple', 'a-0:10'],
          ['offset', 'simple', 'a-1:20'],
        ],
      );
      // A later commit replaces the offset.
      await coord.commitOffsets('simple', -1, '', null, [commit('a', 0, 11)]);
      assert.equal(coord.fetchOffsets('simple', [{ name: 'a', partitions: [0] }])[0].committed!.offset, 11);
    });

    it('a simple commit to a group with members is refused with UNKNOWN_MEMBER_ID', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord);
      await coord.sync(syncReq(a));
      assert.deepEqual(await coord.commitOffsets('g', -1, '', null, [commit('a', 0, 1)]), [ErrorCode.UNKNOWN_MEMBER_ID]);
      assert.deepEqual(coord.fetchOffsets('g', null), []);
    });

    it('member commits: validated by member id and generation', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord);
      await coord.sync(syncReq(a));
      assert.deepEqual(await coord.commitOffsets('g', 1, a.memberId, null, [commit('a', 0, 5)]), [ErrorCode.NONE]);
      assert.deepEqual(await coord.commitOffsets('g', 2, a.memberId, null, [commit('a', 0, 6)]), [ErrorCode.ILLEGAL_GENERATION]);
      assert.deepEqual(await coord.commitOffsets('g', 0, a.memberId, null, [commit('a', 0, 6)]), [ErrorCode.ILLEGAL_GENERATION]);
      assert.deepEqual(await coord.commitOffsets('g', 1, 'nobody', null, [commit('a', 0, 6)]), [ErrorCode.UNKNOWN_MEMBER_ID]);
      // A generation for a group that does not exist: a commit from an older incarnation.
      assert.deepEqual(await coord.commitOffsets('other', 3, 'm', null, [commit('a', 0, 6)]), [ErrorCode.ILLEGAL_GENERATION]);
      assert.deepEqual(await coord.commitOffsets('', -1, '', null, [commit('a', 0, 6)]), [ErrorCode.INVALID_GROUP_ID]);
      assert.equal(coord.fetchOffsets('g', [{ name: 'a', partitions: [0] }])[0].committed!.offset, 5);
    });

    it('during a rebalance: allowed while PreparingRebalance (Kafka relies on the heartbeat), refused while CompletingRebalance', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord);
      // CompletingRebalance: the member has its generation but not yet its assignment.
      assert.deepEqual(await coord.commitOffsets('g', 1, a.memberId, null, [commit('a', 0, 1)]), [ErrorCode.REBALANCE_IN_PROGRESS]);
      await coord.sync(syncReq(a));
      // A second member joins: PreparingRebalance. The consumer commits what it processed before it rejoins
      // (onPartitionsRevoked / auto-commit in onJoinPrepare); Kafka accepts that commit.
      void joinNew(coord, { clientId: 'b' });
      await sleep(5);
      assert.equal(coord.describe('g').groupState, 'PreparingRebalance');
      assert.deepEqual(await coord.commitOffsets('g', 1, a.memberId, null, [commit('a', 0, 42)]), [ErrorCode.NONE]);
      assert.equal(coord.fetchOffsets('g', [{ name: 'a', partitions: [0] }])[0].committed!.offset, 42);
    });

    it('per partition: metadata too large and unknown partitions are refused, the rest is committed', async () => {
      const { coord, store } = await newCoordinator({ offsetMetadataMaxBytes: 4 });
      const codes = await coord.commitOffsets('g', -1, '', null, [
        commit('a', 0, 1, 'abcd'),
        commit('a', 1, 1, 'abcde'),
        commit('nope', 0, 1),
        commit('a', 99, 1),
        commit('b', 2, 7, null),
      ]);
      assert.deepEqual(codes, [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NONE]);
      assert.deepEqual(
        sorted(coord.fetchOffsets('g', null)).map((f) => `${f.topic}-${f.partition}`),
        ['a-0', 'b-2'],
      );
      assert.equal(store.records().length, 2);
    });

    it('a failed write answers COORDINATOR_NOT_AVAILABLE and commits nothing', async () => {
      const { coord, store } = await newCoordinator();
      store.failNext = new Error('not leader');
      assert.deepEqual(await coord.commitOffsets('g', -1, '', null, [commit('a', 0, 1), commit('nope', 0, 1)]), [ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      assert.deepEqual(coord.fetchOffsets('g', null), []);
    });

    it('a member commit keeps its session alive', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ clock });
      const a = await joinNew(coord, { sessionTimeoutMs: 120 });
      await coord.sync(syncReq(a));
      for (let i = 0; i < 6; i++) {
        await clock.advance(100); // 600 ms in all, well past the 120 ms session without the commits
        assert.deepEqual(await coord.commitOffsets('g', 1, a.memberId, null, [commit('a', 0, i)]), [ErrorCode.NONE]);
      }
      assert.equal(coord.describe('g').groupState, 'Stable');
    });
  });

  describe('OffsetFetch', () => {
    it('null topics = every committed partition; named partitions without a commit are null; unknown group is empty', async () => {
      const { coord } = await newCoordinator();
      await coord.commitOffsets('g', -1, '', null, [commit('a', 0, 1), commit('a', 3, 4), commit('b', 1, 9)]);
      assert.deepEqual(
        sorted(coord.fetchOffsets('g', null)).map((f) => [f.topic, f.partition, f.committed!.offset]),
        [
          ['a', 0, 1],
          ['a', 3, 4],
          ['b', 1, 9],
        ],
      );
      assert.deepEqual(
        coord.fetchOffsets('g', [{ name: 'a', partitions: [0, 1] }, { name: 'c', partitions: [0] }]).map((f) => [f.topic, f.partition, f.committed?.offset ?? null]),
        [
          ['a', 0, 1],
          ['a', 1, null],
          ['c', 0, null],
        ],
      );
      assert.deepEqual(coord.fetchOffsets('nogroup', null), []);
      assert.deepEqual(coord.fetchOffsets('nogroup', [{ name: 'a', partitions: [0] }]), [{ topic: 'a', partition: 0, committed: null }]);
    });
  });

  describe('DeleteGroups', () => {
    it('GROUP_ID_NOT_FOUND for unknown groups, NON_EMPTY_GROUP while members remain, else tombstones everything', async () => {
      const { coord, store } = await newCoordinator();
      assert.equal(await coord.deleteGroup('nogroup'), ErrorCode.GROUP_ID_NOT_FOUND);
      const a = await joinNew(coord);
      assert.equal(await coord.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP, 'CompletingRebalance');
      await coord.sync(syncReq(a));
      await coord.commitOffsets('g', 1, a.memberId, null, [commit('a', 0, 1), commit('b', 0, 2)]);
      assert.equal(await coord.deleteGroup('g'), ErrorCode.NON_EMPTY_GROUP, 'Stable');
      coord.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]);
      await sleep(5);
      assert.equal(coord.describe('g').groupState, 'Empty');
      const before = store.log.length;
      assert.equal(await coord.deleteGroup('g'), ErrorCode.NONE);
      const written = store.records().slice(before);
      assert.deepEqual(
        written.map((r) => (r.kind === 'offset' ? `offset ${r.topic}-${r.partition} ${r.value}` : `group ${r.group} ${r.value}`)).sort(),
        ['group g null', 'offset a-0 null', 'offset b-0 null'],
      );
      assert.equal(coord.describe('g').groupState, 'Dead');
      assert.deepEqual(coord.fetchOffsets('g', null), []);
      assert.ok(!coord.list().some((g) => g.groupId === 'g'));
      assert.equal(await coord.deleteGroup('g'), ErrorCode.GROUP_ID_NOT_FOUND);
    });

    it('a group with only simple-consumer offsets can be deleted', async () => {
      const { coord } = await newCoordinator();
      await coord.commitOffsets('simple', -1, '', null, [commit('a', 0, 1)]);
      assert.equal(await coord.deleteGroup('simple'), ErrorCode.NONE);
      assert.deepEqual(coord.fetchOffsets('simple', null), []);
    });
  });

  describe('OffsetDelete', () => {
    it('GROUP_SUBSCRIBED_TO_TOPIC for topics an active consumer group subscribes to; other offsets are deleted', async () => {
      const { coord, store } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      await coord.commitOffsets('g', -1, '', null, [commit('a', 0, 1), commit('a', 1, 1), commit('b', 0, 1), commit('c', 0, 1)]);
      // Members subscribe to a (one of them also to c), not to b.
      await stableGroup(coord, [
        { clientId: 'x', protocols: [{ name: 'range', metadata: subscription(['a'], 0) }] },
        { clientId: 'y', protocols: [{ name: 'range', metadata: subscription(['a', 'c'], 3) }] },
      ]);
      const before = store.log.length;
      const r = await coord.deleteOffsets('g', [
        { topic: 'a', partition: 0 },
        { topic: 'b', partition: 0 },
        { topic: 'c', partition: 0 },
        { topic: 'b', partition: 3 }, // never committed: fine, nothing to delete
      ]);
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.deepEqual(r.partitions, [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
      assert.deepEqual(
        sorted(coord.fetchOffsets('g', null)).map((f) => `${f.topic}-${f.partition}`),
        ['a-0', 'a-1', 'c-0'],
      );
      const written = store.records().slice(before);
      assert.deepEqual(written.map((r) => (r.kind === 'offset' ? `${r.topic}-${r.partition}:${r.value}` : 'group')), ['b-0:null']);
    });

    it('an empty group loses any offsets; unknown group → GROUP_ID_NOT_FOUND; an active non-consumer group → NON_EMPTY_GROUP', async () => {
      const { coord } = await newCoordinator();
      assert.equal((await coord.deleteOffsets('nogroup', [{ topic: 'a', partition: 0 }])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
      await coord.commitOffsets('g', -1, '', null, [commit('a', 0, 1), commit('a', 1, 1)]);
      const r = await coord.deleteOffsets('g', [{ topic: 'a', partition: 0 }]);
      assert.deepEqual(r, { errorCode: ErrorCode.NONE, partitions: [ErrorCode.NONE] });
      assert.deepEqual(coord.fetchOffsets('g', null).map((f) => f.partition), [1]);

      const c = await joinNew(coord, { groupId: 'conn', protocolType: 'connect', protocols: [{ name: 'sessioned', metadata: Buffer.from('x') }] });
      await coord.sync(syncReq(c, {}, 'conn'));
      assert.equal((await coord.deleteOffsets('conn', [{ topic: 'a', partition: 0 }])).errorCode, ErrorCode.NON_EMPTY_GROUP);
    });
  });

  describe('describe and list', () => {
    it('describe shows protocol, member metadata and assignments only when Stable', async () => {
      const { coord } = await newCoordinator();
      assert.deepEqual(coord.describe('nogroup'), { groupId: 'nogroup', groupState: 'Dead', protocolType: '', protocolData: '', members: [] });
      const a = await joinNew(coord, { clientId: 'cli', clientHost: '/10.0.0.1' });
      let d = coord.describe('g');
      assert.equal(d.groupState, 'CompletingRebalance');
      assert.equal(d.protocolType, 'consumer');
      assert.equal(d.protocolData, '');
      assert.equal(d.members[0].memberMetadata.length, 0);
      await coord.sync(syncReq(a, { assignments: [{ memberId: a.memberId, assignment: Buffer.from('asg') }] }));
      d = coord.describe('g');
      assert.equal(d.groupState, 'Stable');
      assert.equal(d.protocolData, 'range');
      assert.deepEqual(
        d.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.memberMetadata.equals(subscription(['a'])), m.memberAssignment.toString()]),
        [[a.memberId, 'cli', '/10.0.0.1', true, 'asg']],
      );
      await coord.commitOffsets('simple', -1, '', null, [commit('a', 0, 1)]);
      assert.deepEqual(
        coord
          .list()
          .map((g) => [g.groupId, g.state])
          .sort(),
        [
          ['g', 'Stable'],
          ['simple', 'Empty'],
        ],
      );
    });
  });

  describe('load', () => {
    it('rebuilds groups, members and offsets from the records, honouring tombstones', async () => {
      const store = new FakeGroupStore();
      const first = await newCoordinator({ initialRebalanceDelayMs: 30 }, store);
      const c1 = first.coord;
      // A stable group with a static and a dynamic member, and offsets.
      const [dyn, stat] = await stableGroup(c1, [{ clientId: 'dyn', sessionTimeoutMs: 5000 }, { clientId: 'stat', groupInstanceId: 's1', sessionTimeoutMs: 5000 }]);
      await c1.commitOffsets('g', 1, dyn.memberId, null, [commit('a', 0, 100, 'm', 2), commit('a', 1, 200)]);
      await c1.commitOffsets('g', 1, dyn.memberId, null, [commit('a', 0, 150)]);
      // Offsets of an empty group, one of them deleted again.
      await c1.commitOffsets('simple', -1, '', null, [commit('b', 0, 5), commit('b', 1, 6)]);
      await c1.deleteOffsets('simple', [{ topic: 'b', partition: 1 }]);
      // A group that is deleted entirely.
      await c1.commitOffsets('gone', -1, '', null, [commit('c', 0, 1)]);
      assert.equal(await c1.deleteGroup('gone'), ErrorCode.NONE);
      c1.close();

      const { coord } = await newCoordinator({}, store);
      assert.equal(coord.isLoaded, true);
      const d = coord.describe('g');
      assert.equal(d.groupState, 'Stable');
      assert.equal(d.protocolType, 'consumer');
      assert.equal(d.protocolData, 'range');
      assert.deepEqual(
        d.members.map((m) => [m.memberId, m.groupInstanceId, m.clientId, m.memberAssignment.toString(), m.memberMetadata.equals(subscription(['a']))]).sort(),
        [
          [dyn.memberId, null, 'dyn', 'assignment-0', true],
          [stat.memberId, 's1', 'stat', 'assignment-1', true],
        ].sort(),
      );
      // Members carry on in the restored generation.
      assert.equal(coord.heartbeat('g', dyn.memberId, null, 1), ErrorCode.NONE);
      assert.equal(coord.heartbeat('g', stat.memberId, 's1', 1), ErrorCode.NONE);
      assert.equal(coord.heartbeat('g', dyn.memberId, null, 2), ErrorCode.ILLEGAL_GENERATION);
      assert.equal((await coord.sync(syncReq(stat, { groupInstanceId: 's1' }))).assignment.toString(), 'assignment-1');
      assert.deepEqual(
        sorted(coord.fetchOffsets('g', null)).map((f) => [f.topic, f.partition, f.committed!.offset, f.committed!.leaderEpoch, f.committed!.metadata]),
        [
          ['a', 0, 150, -1, ''],
          ['a', 1, 200, -1, ''],
        ],
      );
      // The leader is restored: its JoinGroup forces a rebalance, a follower's does not.
      const again = await within(coord.join(joinReq({ clientId: 'stat', groupInstanceId: 's1', memberId: stat.memberId, sessionTimeoutMs: 5000 })), 200);
      assert.equal(again.leader, dyn.memberId);
      assert.equal(again.generationId, 1);

      assert.equal(coord.describe('simple').groupState, 'Empty');
      assert.deepEqual(coord.fetchOffsets('simple', null).map((f) => `${f.topic}-${f.partition}:${f.committed!.offset}`), ['b-0:5']);
      assert.equal(coord.describe('gone').groupState, 'Dead');
      assert.deepEqual(coord.fetchOffsets('gone', null), []);
      assert.deepEqual(coord.list().map((g) => g.groupId).sort(), ['g', 'simple']);
    });

    it('an empty group record (all members gone) loads as Empty with its generation', async () => {
      const store = new FakeGroupStore();
      const { coord: c1 } = await newCoordinator({}, store);
      const a = await joinNew(c1);
      await c1.sync(syncReq(a));
      c1.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]);
      await sleep(5);
      c1.close();
      const { coord } = await newCoordinator({}, store);
      assert.equal(coord.describe('g').groupState, 'Empty');
      // A new member starts generation 3 (1 = a, 2 = empty).
      const b = await joinNew(coord);
      assert.equal(b.generationId, 3);
    });

    it('restored members that never heartbeat again expire after their session timeout', async () => {
      const store = new FakeGroupStore();
      const clock = new ManualClock();
      const { coord: c1 } = await newCoordinator({ clock }, store);
      const a = await joinNew(c1, { sessionTimeoutMs: 100 });
      await c1.sync(syncReq(a));
      c1.close();
      const { coord } = await newCoordinator({ clock }, store);
      assert.equal(coord.describe('g').groupState, 'Stable');
      await clock.advance(99);
      assert.equal(coord.describe('g').groupState, 'Stable');
      await clock.advance(1);
      assert.equal(coord.describe('g').groupState, 'Empty');
    });

    it('a join in progress during load waits for nothing: requests while loading are refused, not parked', async () => {
      const store = new FakeGroupStore();
      const { coord } = await newCoordinator({}, store, {}, false);
      const release = store.holdLoads();
      const loading = coord.load();
      const r = coord.join(joinReq());
      assert.equal(await isPending(r), false);
      assert.equal((await r).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      release();
      await loading;
    });
  });
});
