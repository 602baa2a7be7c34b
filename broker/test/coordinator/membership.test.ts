// The classic group protocol: JoinGroup (KIP-394), SyncGroup, Heartbeat, rebalance and session timeouts,
// protocol selection and the initial rebalance delay, against Kafka's GroupCoordinator behaviour.
import { strict as assert } from 'assert';
import { ErrorCode } from '../../src/protocol/errors';
import { ManualClock } from '../manual-clock';
import {
  FakeGroupStore,
  isPending,
  joinNew,
  joinReq,
  memberIdFor,
  newCoordinator,
  protocols,
  sleep,
  stableGroup,
  subscription,
  syncReq,
  useCoordinators,
  within,
} from './helpers';

describe('group coordinator: membership', () => {
  useCoordinators();

  describe('before load and request validation', () => {
    it('answers NOT_COORDINATOR before it leads the partition, COORDINATOR_LOAD_IN_PROGRESS while loading it', async () => {
      const store = new FakeGroupStore();
      const { coord } = await newCoordinator({}, store, {}, false);
      const p = coord.partitionFor('g');
      assert.equal(coord.isLoaded, false);
      assert.equal((await coord.join(joinReq())).errorCode, ErrorCode.NOT_COORDINATOR);
      const release = store.holdLoads();
      const loading = coord.onElection(p, 3);
      assert.equal(coord.isLoading, true);
      assert.equal((await coord.join(joinReq())).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      assert.equal(coord.heartbeat('g', 'm', null, 1), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      assert.equal((await coord.sync({ groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      assert.deepEqual(await coord.commitOffsets('g', -1, '', null, [{ topic: 'a', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }]), [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
      assert.equal(await coord.deleteGroup('g'), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      assert.equal((await coord.deleteOffsets('g', [])).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
      // A group of another partition is not this broker's at all.
      const other = ['h', 'i', 'j', 'k'].find((g) => coord.partitionFor(g) !== p)!;
      assert.equal((await coord.join(joinReq({ groupId: other }))).errorCode, ErrorCode.NOT_COORDINATOR);
      release();
      await loading;
      assert.equal(coord.isLoaded, true);
      assert.equal((await coord.join(joinReq())).errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      assert.equal((await coord.join(joinReq({ groupId: other }))).errorCode, ErrorCode.NOT_COORDINATOR);
    });

    it('rejects bad session timeouts, empty group ids, unknown member ids and empty protocols', async () => {
      const { coord } = await newCoordinator({ minSessionTimeoutMs: 100, maxSessionTimeoutMs: 1000 });
      assert.equal((await coord.join(joinReq({ sessionTimeoutMs: 99 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
      assert.equal((await coord.join(joinReq({ sessionTimeoutMs: 1001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
      assert.equal((await coord.join(joinReq({ sessionTimeoutMs: 500, groupId: '' }))).errorCode, ErrorCode.INVALID_GROUP_ID);
      // A member id for a group that does not exist: the member must reset its id (no group is created).
      const unknown = await coord.join(joinReq({ sessionTimeoutMs: 500, memberId: 'ghost' }));
      assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      assert.equal(coord.describe('g').groupState, 'Dead');
      // The first member must name a protocol type and at least one protocol.
      assert.equal((await coord.join(joinReq({ sessionTimeoutMs: 500, protocolType: '' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      assert.equal((await coord.join(joinReq({ sessionTimeoutMs: 500, protocols: [] }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    });
  });

  describe('JoinGroup', () => {
    it('KIP-394: a new member first gets MEMBER_ID_REQUIRED with its id, then joins with it', async () => {
      const { coord } = await newCoordinator();
      const first = await coord.join(joinReq({ clientId: 'consumer-1' }));
      assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
      assert.match(first.memberId, /^consumer-1-[0-9a-f-]{36}$/);
      assert.equal(first.generationId, -1);
      // Not a member yet: nothing joined, no rebalance started.
      assert.equal(coord.describe('g').members.length, 0);
      assert.equal(coord.describe('g').groupState, 'Empty');
      // An id the coordinator never handed out is refused.
      assert.equal((await coord.join(joinReq({ memberId: 'consumer-1-made-up' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

      const joined = await within(coord.join(joinReq({ clientId: 'consumer-1', memberId: first.memberId })), 1000);
      assert.equal(joined.errorCode, ErrorCode.NONE);
      assert.equal(joined.memberId, first.memberId);
      assert.equal(joined.generationId, 1);
      assert.equal(joined.leader, first.memberId);
      assert.equal(joined.protocolType, 'consumer');
      assert.equal(joined.protocolName, 'range');
      assert.deepEqual(
        joined.members.map((m) => [m.memberId, m.groupInstanceId, m.metadata.equals(subscription(['a']))]),
        [[first.memberId, null, true]],
      );
      assert.equal(coord.describe('g').groupState, 'CompletingRebalance');
    });

    it('before JoinGroup v4 a new member joins directly', async () => {
      const { coord } = await newCoordinator();
      const r = await within(coord.join(joinReq({ requireKnownMemberId: false, clientId: 'old' })), 1000);
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.match(r.memberId, /^old-/);
      assert.equal(r.generationId, 1);
    });

    it('a pending member (id handed out, never joined) stops holding up the rebalance after its session timeout', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ clock });
      const a = await joinNew(coord, { clientId: 'a' });
      await coord.sync(syncReq(a));
      // b asks for an id but never comes back.
      await memberIdFor(coord, { clientId: 'b', sessionTimeoutMs: 150 });
      const rejoin = coord.join(joinReq({ memberId: a.memberId, clientId: 'a' })); // leader rejoin → rebalance
      await clock.advance(149);
      assert.equal(await isPending(rejoin), true, 'waits for the pending member');
      await clock.advance(1);
      const r = await within(rejoin, 1000, 'join phase once the pending member expired');
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.generationId, 2);
      assert.deepEqual(r.members.map((m) => m.memberId), [a.memberId]);
    });

    it('three members: one generation, one leader that gets every member\'s metadata, followers get none', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord, { clientId: 'a', protocols: [{ name: 'range', metadata: subscription(['a']) }] });
      assert.equal(a.generationId, 1);
      assert.equal((await coord.sync(syncReq(a))).errorCode, ErrorCode.NONE);
      assert.equal(coord.describe('g').groupState, 'Stable');

      // b and c join: the group prepares a rebalance and waits for a to rejoin.
      const b = joinNew(coord, { clientId: 'b', protocols: [{ name: 'range', metadata: subscription(['b']) }] });
      const c = joinNew(coord, { clientId: 'c', protocols: [{ name: 'range', metadata: subscription(['a', 'c']) }] });
      await sleep(10);
      assert.equal(coord.describe('g').groupState, 'PreparingRebalance');
      assert.equal(await isPending(b), true);
      assert.equal(coord.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
      const a2 = coord.join(joinReq({ clientId: 'a', memberId: a.memberId, protocols: [{ name: 'range', metadata: subscription(['a']) }] }));

      const [ra, rb, rc] = await within(Promise.all([a2, b, c]), 2000);
      for (const r of [ra, rb, rc]) {
        assert.equal(r.errorCode, ErrorCode.NONE);
        assert.equal(r.generationId, 2);
        assert.equal(r.leader, a.memberId, 'the leader stays the leader when it rejoins');
        assert.equal(r.protocolName, 'range');
      }
      const ids = [ra.memberId, rb.memberId, rc.memberId];
      assert.equal(new Set(ids).size, 3);
      assert.deepEqual(new Set(ra.members.map((m) => m.memberId)), new Set(ids));
      const meta = new Map(ra.members.map((m) => [m.memberId, m.metadata]));
      assert.ok(meta.get(rb.memberId)!.equals(subscription(['b'])));
      assert.ok(meta.get(rc.memberId)!.equals(subscription(['a', 'c'])));
      assert.deepEqual(rb.members, []);
      assert.deepEqual(rc.members, []);
    });

    it('selects the protocol every member supports that gets the most first-choice votes', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const meta = subscription(['a']);
      const p = (...names: string[]) => names.map((name) => ({ name, metadata: meta }));
      const results = await within(
        Promise.all([
          joinNew(coord, { clientId: 'x', protocols: p('range', 'roundrobin') }),
          joinNew(coord, { clientId: 'y', protocols: p('roundrobin', 'range') }),
          // sticky is this member's first choice, but not everyone supports it: its vote goes to roundrobin.
          joinNew(coord, { clientId: 'z', protocols: p('sticky', 'roundrobin', 'range') }),
        ]),
        2000,
      );
      for (const r of results) assert.equal(r.protocolName, 'roundrobin');
      const leader = results.find((r) => r.memberId === r.leader)!;
      assert.equal(leader.members.length, 3);
    });

    it('refuses a member whose protocol type or protocols do not fit the group', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord, { protocols: protocols('range', 'roundrobin') });
      await coord.sync(syncReq(a));
      assert.equal((await coord.join(joinReq({ protocols: protocols('sticky') }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      assert.equal((await coord.join(joinReq({ protocolType: 'connect', protocols: protocols('range') }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      // One common protocol is enough.
      assert.equal((await coord.join(joinReq({ protocols: protocols('sticky', 'roundrobin') }))).errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    });

    it('a follower rejoining with unchanged metadata while Stable gets the current generation; the leader rejoining forces a rebalance', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [a, b] = await stableGroup(coord, [{ clientId: 'a' }, { clientId: 'b' }]);
      const leader = a.leader === a.memberId ? a : b;
      const follower = leader === a ? b : a;
      const again = await within(coord.join(joinReq({ memberId: follower.memberId })), 500);
      assert.equal(again.errorCode, ErrorCode.NONE);
      assert.equal(again.generationId, 1);
      assert.equal(again.leader, leader.memberId);
      assert.deepEqual(again.members, []);
      assert.equal(coord.describe('g').groupState, 'Stable');

      const leaderRejoin = coord.join(joinReq({ memberId: leader.memberId }));
      await sleep(5);
      assert.equal(coord.describe('g').groupState, 'PreparingRebalance');
      assert.equal(coord.heartbeat('g', follower.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
      const followerRejoin = coord.join(joinReq({ memberId: follower.memberId }));
      const [l, f] = await within(Promise.all([leaderRejoin, followerRejoin]), 1000);
      assert.equal(l.generationId, 2);
      assert.equal(f.generationId, 2);
    });

    it('a member rejoining with changed metadata while Stable forces a rebalance', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [a, b] = await stableGroup(coord, [{ clientId: 'a' }, { clientId: 'b' }]);
      const follower = a.leader === a.memberId ? b : a;
      const leader = follower === a ? b : a;
      const changed = coord.join(joinReq({ memberId: follower.memberId, protocols: [{ name: 'range', metadata: subscription(['a', 'b']) }] }));
      await sleep(5);
      assert.equal(coord.describe('g').groupState, 'PreparingRebalance');
      const l = await within(coord.join(joinReq({ memberId: leader.memberId })), 1000);
      const f = await changed;
      assert.equal(l.generationId, 2);
      assert.equal(f.generationId, 2);
      assert.ok(l.members.find((m) => m.memberId === follower.memberId)!.metadata.equals(subscription(['a', 'b'])));
    });
  });

  describe('SyncGroup', () => {
    it('the leader\'s assignment reaches every member; followers that sync first wait for it', async () => {
      const { coord, store } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const joins = await within(Promise.all([joinNew(coord, { clientId: 'a' }), joinNew(coord, { clientId: 'b' }), joinNew(coord, { clientId: 'c' })]), 2000);
      const leader = joins.find((j) => j.memberId === j.leader)!;
      const followers = joins.filter((j) => j !== leader);
      assert.equal(leader.members.length, 3);
      for (const f of followers) assert.deepEqual(f.members, []);

      const followerSyncs = followers.map((f) => coord.sync(syncReq(f)));
      assert.equal(await isPending(followerSyncs[0]), true, 'followers wait for the leader');
      assert.equal(coord.heartbeat('g', followers[0].memberId, null, 1), ErrorCode.NONE, 'heartbeats are fine while CompletingRebalance');

      const assignments = [
        { memberId: leader.memberId, assignment: Buffer.from('L') },
        { memberId: followers[0].memberId, assignment: Buffer.from('F0') },
        // followers[1] is missing: it gets an empty assignment. Unknown member ids are ignored.
        { memberId: 'nobody', assignment: Buffer.from('X') },
      ];
      const leaderSync = await within(coord.sync(syncReq(leader, { assignments })), 1000);
      assert.equal(leaderSync.errorCode, ErrorCode.NONE);
      assert.equal(leaderSync.assignment.toString(), 'L');
      assert.equal(leaderSync.protocolType, 'consumer');
      assert.equal(leaderSync.protocolName, 'range');
      const [s0, s1] = await within(Promise.all(followerSyncs), 1000);
      assert.equal(s0.errorCode, ErrorCode.NONE);
      assert.equal(s0.assignment.toString(), 'F0');
      assert.equal(s1.errorCode, ErrorCode.NONE);
      assert.equal(s1.assignment.length, 0);
      assert.equal(coord.describe('g').groupState, 'Stable');

      // The assignment was persisted with the group before it was handed out.
      const rec = store.lastGroupRecord('g')!;
      assert.equal(rec.value!.generation, 1);
      assert.equal(rec.value!.leader, leader.memberId);
      assert.equal(rec.value!.protocol, 'range');
      assert.equal(rec.value!.members.find((m) => m.memberId === followers[0].memberId)!.assignment.toString(), 'F0');

      // A late sync while Stable returns the stored assignment at once.
      const late = await within(coord.sync(syncReq(followers[0])), 100);
      assert.equal(late.assignment.toString(), 'F0');
    });

    it('rejects syncs with a wrong generation, unknown member or inconsistent protocol', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord);
      assert.equal((await coord.sync(syncReq(a, { generationId: 7 }))).errorCode, ErrorCode.ILLEGAL_GENERATION);
      assert.equal((await coord.sync(syncReq(a, { memberId: 'nobody' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      assert.equal((await coord.sync(syncReq(a, { groupId: 'other' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      assert.equal((await coord.sync(syncReq(a, { protocolName: 'roundrobin' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      assert.equal((await coord.sync(syncReq(a, { protocolType: 'connect' }))).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
      // Nulls (SyncGroup < v5) are not checked.
      assert.equal((await coord.sync(syncReq(a, { protocolType: null, protocolName: null }))).errorCode, ErrorCode.NONE);
    });

    it('a rebalance starting while members await their assignment answers them REBALANCE_IN_PROGRESS', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [a, b] = await within(Promise.all([joinNew(coord, { clientId: 'a' }), joinNew(coord, { clientId: 'b' })]), 2000);
      const follower = a.memberId === a.leader ? b : a;
      const waiting = coord.sync(syncReq(follower));
      assert.equal(await isPending(waiting), true);
      void joinNew(coord, { clientId: 'c' });
      const r = await within(waiting, 500);
      assert.equal(r.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
      assert.equal(coord.describe('g').groupState, 'PreparingRebalance');
      assert.equal((await coord.sync(syncReq(follower))).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
    });

    it('a leader that never sends SyncGroup is removed after the rebalance timeout and the rest rebalance', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const timeouts = { rebalanceTimeoutMs: 200 };
      const [a, b] = await within(Promise.all([joinNew(coord, { clientId: 'a', ...timeouts }), joinNew(coord, { clientId: 'b', ...timeouts })]), 2000);
      const [leader, follower] = a.memberId === a.leader ? [a, b] : [b, a];
      const waiting = coord.sync(syncReq(follower));
      const r = await within(waiting, 1000, 'follower sync');
      assert.equal(r.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
      const d = coord.describe('g');
      assert.equal(d.groupState, 'PreparingRebalance');
      assert.deepEqual(d.members.map((m) => m.memberId), [follower.memberId]);
      assert.equal(coord.heartbeat('g', leader.memberId, null, leader.generationId), ErrorCode.UNKNOWN_MEMBER_ID);
    });

    it('a failed write of the assignment answers COORDINATOR_NOT_AVAILABLE and rebalances', async () => {
      const { coord, store } = await newCoordinator();
      const a = await joinNew(coord);
      store.failNext = new Error('disk full');
      const r = await within(coord.sync(syncReq(a, { assignments: [{ memberId: a.memberId, assignment: Buffer.from('x') }] })), 500);
      assert.equal(r.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
      assert.notEqual(coord.describe('g').groupState, 'Stable');
    });
  });

  describe('Heartbeat', () => {
    it('NONE while Stable, REBALANCE_IN_PROGRESS once a new member joins; errors for bad member or generation', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord);
      await coord.sync(syncReq(a));
      assert.equal(coord.heartbeat('g', a.memberId, null, 1), ErrorCode.NONE);
      assert.equal(coord.heartbeat('g', a.memberId, null, 0), ErrorCode.ILLEGAL_GENERATION);
      assert.equal(coord.heartbeat('g', 'nobody', null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
      assert.equal(coord.heartbeat('nogroup', a.memberId, null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
      // An id request alone (KIP-394 step one) does not start a rebalance …
      const bId = await memberIdFor(coord, { clientId: 'b' });
      assert.equal(coord.heartbeat('g', a.memberId, null, 1), ErrorCode.NONE);
      // … the actual join does.
      const b = coord.join(joinReq({ clientId: 'b', memberId: bId }));
      await sleep(5);
      assert.equal(coord.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
      const ra = await within(coord.join(joinReq({ memberId: a.memberId })), 500);
      const rb = await b;
      assert.equal(ra.generationId, 2);
      assert.equal(rb.generationId, 2);
      assert.equal(coord.heartbeat('g', a.memberId, null, 1), ErrorCode.ILLEGAL_GENERATION);
      assert.equal(coord.heartbeat('g', a.memberId, null, 2), ErrorCode.NONE);
    });
  });

  describe('timeouts', () => {
    it('members that do not rejoin within the rebalance timeout are dropped from the next generation', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30, clock });
      const [a, b] = await stableGroup(coord, [
        { clientId: 'a', rebalanceTimeoutMs: 200 },
        { clientId: 'b', rebalanceTimeoutMs: 200 },
      ], 'g', clock);
      const c = joinNew(coord, { clientId: 'c', rebalanceTimeoutMs: 200 });
      await clock.advance(10);
      // a rejoins, b keeps heartbeating but never rejoins.
      const ra = coord.join(joinReq({ clientId: 'a', memberId: a.memberId, rebalanceTimeoutMs: 200 }));
      assert.equal(coord.heartbeat('g', b.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
      await clock.advance(189);
      assert.equal(await isPending(ra), true, 'waits for b until the rebalance timeout');
      await clock.advance(1);
      const [ja, jc] = await within(Promise.all([ra, c]), 1000, 'join phase at the rebalance timeout (200 ms)');
      assert.equal(ja.generationId, 2);
      assert.equal(jc.generationId, 2);
      const leader = [ja, jc].find((j) => j.memberId === j.leader)!;
      assert.deepEqual(new Set(leader.members.map((m) => m.memberId)), new Set([a.memberId, jc.memberId]));
      assert.equal(coord.heartbeat('g', b.memberId, null, 2), ErrorCode.UNKNOWN_MEMBER_ID);
      // b finds out and joins again as a new member.
      assert.equal((await coord.join(joinReq({ clientId: 'b', memberId: b.memberId }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    });

    it('the leader not rejoining in time: another member that did rejoin leads the next generation', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [a, b] = await stableGroup(coord, [
        { clientId: 'a', rebalanceTimeoutMs: 150 },
        { clientId: 'b', rebalanceTimeoutMs: 150 },
      ]);
      const leader = a.leader === a.memberId ? a : b;
      const follower = leader === a ? b : a;
      const r = await within(coord.join(joinReq({ memberId: follower.memberId, protocols: protocols('range', 'roundrobin'), rebalanceTimeoutMs: 150 })), 2000);
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.leader, follower.memberId);
      assert.deepEqual(r.members.map((m) => m.memberId), [follower.memberId]);
    });

    it('session expiry removes a member and rebalances the rest', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30, clock });
      const [a, b] = await stableGroup(coord, [
        { clientId: 'a', sessionTimeoutMs: 150 },
        { clientId: 'b', sessionTimeoutMs: 150 },
      ], 'g', clock);
      // a heartbeats every 30 ms, b goes silent: b's session ends 150 ms after its last contact.
      for (let t = 30; t < 150; t += 30) {
        await clock.advance(30);
        assert.equal(coord.heartbeat('g', a.memberId, null, 1), ErrorCode.NONE, `still stable at ${t} ms`);
      }
      await clock.advance(30);
      assert.equal(coord.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
      assert.deepEqual(coord.describe('g').members.map((m) => m.memberId), [a.memberId]);
      assert.equal(coord.heartbeat('g', b.memberId, null, 1), ErrorCode.UNKNOWN_MEMBER_ID);
      const r = await within(coord.join(joinReq({ clientId: 'a', memberId: a.memberId, sessionTimeoutMs: 150 })), 500);
      assert.equal(r.generationId, 2);
      assert.equal(r.leader, a.memberId);
      assert.deepEqual(r.members.map((m) => m.memberId), [a.memberId]);
    });

    it('the last member expiring leaves the group Empty with a new generation', async () => {
      const clock = new ManualClock();
      const { coord, store } = await newCoordinator({ clock });
      const a = await joinNew(coord, { sessionTimeoutMs: 60 });
      await coord.sync(syncReq(a));
      await clock.advance(59);
      assert.equal(coord.describe('g').groupState, 'Stable');
      await clock.advance(1);
      const d = coord.describe('g');
      assert.equal(d.groupState, 'Empty');
      assert.equal(d.members.length, 0);
      const rec = store.lastGroupRecord('g')!;
      assert.equal(rec.value!.generation, 2);
      assert.equal(rec.value!.members.length, 0);
      assert.equal(rec.value!.protocol, null);
    });

    it('a member waiting in JoinGroup is not expired by its session timeout', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30, clock });
      const [a, b] = await stableGroup(coord, [
        { clientId: 'a', sessionTimeoutMs: 80, rebalanceTimeoutMs: 1000 },
        { clientId: 'b', sessionTimeoutMs: 5000, rebalanceTimeoutMs: 1000 },
      ], 'g', clock);
      // a rejoins with new metadata (a rebalance whoever leads) and then waits, without heartbeats, well past
      // its 80 ms session timeout until b rejoins.
      const first = coord.join(joinReq({ clientId: 'a', memberId: a.memberId, sessionTimeoutMs: 80, rebalanceTimeoutMs: 1000, protocols: protocols('range', 'roundrobin') }));
      await clock.advance(250);
      assert.equal(coord.describe('g').members.length, 2);
      const second = coord.join(joinReq({ clientId: 'b', memberId: b.memberId, sessionTimeoutMs: 5000, rebalanceTimeoutMs: 1000 }));
      const [r1, r2] = await within(Promise.all([first, second]), 1000);
      assert.equal(r1.errorCode, ErrorCode.NONE);
      assert.equal(r2.errorCode, ErrorCode.NONE);
      assert.equal(r1.generationId, 2);
      assert.equal(r2.generationId, 2);
    });
  });

  describe('initial rebalance delay', () => {
    it('gathers members that join an empty group within the delay into one generation', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 150, clock });
      const a = joinNew(coord, { clientId: 'a' });
      await clock.advance(60);
      assert.equal(coord.describe('g').groupState, 'PreparingRebalance');
      assert.equal(await isPending(a), true);
      const b = joinNew(coord, { clientId: 'b' });
      await clock.advance(60);
      const c = joinNew(coord, { clientId: 'c' });
      // Each join pushed the delay back: it ends 150 ms after c's, at 270 ms.
      await clock.advance(149);
      assert.equal(await isPending(a), true, 'still gathering 1 ms before the delay ends');
      await clock.advance(1);
      const results = await within(Promise.all([a, b, c]), 1000, 'join phase at the end of the delay');
      for (const r of results) {
        assert.equal(r.errorCode, ErrorCode.NONE);
        assert.equal(r.generationId, 1);
      }
      const leader = results.find((r) => r.memberId === r.leader)!;
      assert.equal(leader.members.length, 3);
    });

    it('later joins push the delay back, but never beyond the rebalance timeout', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 100, clock });
      const joins = [joinNew(coord, { clientId: 'm0', rebalanceTimeoutMs: 300 })];
      // A new member every 60 ms extends the delay (to 160, 220, 280 ms) while the end stays within the 300 ms
      // rebalance timeout; the join at 240 ms would push it to 340 ms, so it does not.
      for (let t = 60; t <= 240; t += 60) {
        await clock.advance(60);
        assert.equal(await isPending(joins[0]), true, `still gathering at ${t} ms`);
        joins.push(joinNew(coord, { clientId: `m${joins.length}`, rebalanceTimeoutMs: 300 }));
      }
      await clock.advance(39);
      assert.equal(await isPending(joins[0]), true, 'still gathering at 279 ms');
      await clock.advance(1);
      const first = await within(joins[0], 1000, 'join phase at 280 ms');
      assert.equal(first.generationId, 1);
      assert.equal(first.leader, first.memberId, 'the first member leads');
      assert.equal(first.members.length, 5, 'every member that joined during the delay, the last one included');
    });
  });
});
