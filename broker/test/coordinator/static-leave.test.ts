// Static membership (KIP-345) and LeaveGroup (single and batched), against Kafka's classic coordinator.
import { encode, Writer } from '../../src/protocol/codec';
import { ConsumerProtocolSubscriptionSpec } from '../../src/protocol/schema/messages';
import { strict as assert } from 'assert';
import { ErrorCode } from '../../src/protocol/errors';
import { ManualClock } from '../manual-clock';
import { isPending, joinNew, joinReq, memberIdFor, newCoordinator, protocols, sleep, stableGroup, subscription, syncReq, useCoordinators, within } from './helpers';

describe('group coordinator: static membership and LeaveGroup', () => {
  useCoordinators();

  describe('static members (group.instance.id)', () => {
    it('join without KIP-394 round trip; the member id starts with the instance id', async () => {
      const { coord } = await newCoordinator();
      const r = await within(coord.join(joinReq({ groupInstanceId: 'inst-1' })), 500);
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.match(r.memberId, /^inst-1-/);
      assert.deepEqual(r.members.map((m) => [m.memberId, m.groupInstanceId]), [[r.memberId, 'inst-1']]);
    });

    it('a restart while Stable (empty member id, same instance id) keeps the generation and fences the old member id', async () => {
      const { coord, store } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [dyn, stat] = await stableGroup(coord, [{ clientId: 'dyn' }, { clientId: 'stat', groupInstanceId: 's1' }]);
      // The dynamic member joined first: it leads; the static one follows.
      assert.equal(dyn.leader, dyn.memberId);
      const oldId = stat.memberId;

      const restarted = await within(coord.join(joinReq({ clientId: 'stat', groupInstanceId: 's1' })), 200);
      assert.equal(restarted.errorCode, ErrorCode.NONE);
      assert.equal(restarted.generationId, 1, 'no rebalance');
      assert.notEqual(restarted.memberId, oldId);
      assert.match(restarted.memberId, /^s1-/);
      assert.equal(restarted.leader, dyn.memberId);
      assert.deepEqual(restarted.members, []);
      assert.equal(coord.describe('g').groupState, 'Stable');

      // The old incarnation is fenced everywhere; the new one carries on with the old assignment.
      assert.equal(coord.heartbeat('g', oldId, 's1', 1), ErrorCode.FENCED_INSTANCE_ID);
      assert.equal((await coord.sync(syncReq(stat, { groupInstanceId: 's1' }))).errorCode, ErrorCode.FENCED_INSTANCE_ID);
      assert.deepEqual(await coord.commitOffsets('g', 1, oldId, 's1', [{ topic: 'a', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }]), [ErrorCode.FENCED_INSTANCE_ID]);
      assert.equal((await coord.join(joinReq({ clientId: 'stat', groupInstanceId: 's1', memberId: oldId }))).errorCode, ErrorCode.FENCED_INSTANCE_ID);
      assert.equal(coord.heartbeat('g', restarted.memberId, 's1', 1), ErrorCode.NONE);
      assert.equal(coord.heartbeat('g', dyn.memberId, null, 1), ErrorCode.NONE, 'the other member sees no rebalance');
      const s = await within(coord.sync(syncReq(restarted, { groupInstanceId: 's1' })), 200);
      assert.equal(s.errorCode, ErrorCode.NONE);
      assert.equal(s.assignment.toString(), 'assignment-1');
      assert.equal(coord.describe('g').groupState, 'Stable');

      // The new member id is persisted, so it survives a coordinator restart.
      await sleep(5);
      const rec = store.lastGroupRecord('g')!;
      assert.deepEqual(
        rec.value!.members.map((m) => [m.memberId, m.groupInstanceId]).sort(),
        [
          [dyn.memberId, null],
          [restarted.memberId, 's1'],
        ].sort(),
      );
    });

    it('a restart of the static leader while Stable does not rebalance either and is not told it leads', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [lead, other] = await stableGroup(coord, [
        { clientId: 'lead', groupInstanceId: 'L' },
        { clientId: 'other', groupInstanceId: 'O' },
      ]);
      assert.equal(lead.leader, lead.memberId);
      const restarted = await within(coord.join(joinReq({ clientId: 'lead', groupInstanceId: 'L' })), 200);
      assert.equal(restarted.errorCode, ErrorCode.NONE);
      assert.equal(restarted.generationId, 1);
      // Kafka answers with the previous leader id, so the restarted member does not run a trivial assignment
      // that a Stable group would never hand out.
      assert.notEqual(restarted.leader, restarted.memberId);
      assert.deepEqual(restarted.members, []);
      assert.equal(coord.describe('g').groupState, 'Stable');
      assert.equal(coord.heartbeat('g', other.memberId, 'O', 1), ErrorCode.NONE);
      const s = await coord.sync(syncReq(restarted, { groupInstanceId: 'L' }));
      assert.equal(s.assignment.toString(), 'assignment-0');
      // In the next rebalance the new incarnation leads.
      const r1 = coord.join(joinReq({ clientId: 'other', groupInstanceId: 'O', memberId: other.memberId, protocols: protocols('range', 'roundrobin') }));
      const r2 = coord.join(joinReq({ clientId: 'lead', groupInstanceId: 'L', memberId: restarted.memberId }));
      const [j1, j2] = await within(Promise.all([r1, r2]), 1000);
      assert.equal(j1.generationId, 2);
      assert.equal(j2.leader, restarted.memberId);
      assert.equal(j2.members.length, 2);
    });

    it('a restart with the same topics but new metadata bytes (owned partitions, generation) does not rebalance', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      await stableGroup(coord, [{ clientId: 'dyn' }, { clientId: 'stat', groupInstanceId: 's1' }]);
      const w = new Writer();
      w.writeInt16(1);
      encode(ConsumerProtocolSubscriptionSpec, 1, { topics: ['a'], userData: null, ownedPartitions: [{ topic: 'a', partitions: [0, 1] }] }, w);
      const r = await within(coord.join(joinReq({ clientId: 'stat', groupInstanceId: 's1', protocols: [{ name: 'range', metadata: w.toBuffer() }] })), 500);
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.generationId, 1);
      assert.equal(coord.describe('g').groupState, 'Stable');
    });

    it('a restart with different metadata rebalances', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [dyn] = await stableGroup(coord, [{ clientId: 'dyn' }, { clientId: 'stat', groupInstanceId: 's1' }]);
      const restarted = coord.join(joinReq({ clientId: 'stat', groupInstanceId: 's1', protocols: [{ name: 'range', metadata: subscription(['a', 'b']) }] }));
      await sleep(5);
      assert.equal(coord.describe('g').groupState, 'PreparingRebalance');
      assert.equal(coord.heartbeat('g', dyn.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
      const l = await within(coord.join(joinReq({ clientId: 'dyn', memberId: dyn.memberId })), 500);
      const r = await restarted;
      assert.equal(l.generationId, 2);
      assert.equal(r.generationId, 2);
      assert.ok(l.members.find((m) => m.groupInstanceId === 's1')!.metadata.equals(subscription(['a', 'b'])));
    });

    it('a restart while the old incarnation waits in JoinGroup fences that request and takes its place', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30, clock });
      const [dyn, stat] = await stableGroup(coord, [
        { clientId: 'dyn', rebalanceTimeoutMs: 3000 },
        { clientId: 'stat', groupInstanceId: 's1', rebalanceTimeoutMs: 3000 },
      ], 'g', clock);
      const oldJoin = coord.join(joinReq({ clientId: 'stat', groupInstanceId: 's1', memberId: stat.memberId, protocols: protocols('range', 'roundrobin'), rebalanceTimeoutMs: 3000 }));
      await sleep(5);
      assert.equal(coord.describe('g').groupState, 'PreparingRebalance');
      const newJoin = coord.join(joinReq({ clientId: 'stat', groupInstanceId: 's1', rebalanceTimeoutMs: 3000 }));
      const fenced = await within(oldJoin, 200);
      assert.equal(fenced.errorCode, ErrorCode.FENCED_INSTANCE_ID);
      // Once the dynamic member rejoins too, the join phase completes at once: the clock does not move, so
      // waiting for any timer would never end.
      const d = await within(coord.join(joinReq({ clientId: 'dyn', memberId: dyn.memberId, rebalanceTimeoutMs: 3000 })), 1000);
      const n = await within(newJoin, 1000);
      assert.equal(d.generationId, 2);
      assert.equal(n.errorCode, ErrorCode.NONE);
      assert.equal(n.generationId, 2);
      assert.deepEqual(new Set(d.members.map((m) => m.memberId)), new Set([dyn.memberId, n.memberId]));
    });

    it('a static member that misses a rebalance stays in the group until its session times out', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [dyn, stat] = await stableGroup(coord, [
        { clientId: 'dyn', rebalanceTimeoutMs: 150, sessionTimeoutMs: 5000 },
        { clientId: 'stat', groupInstanceId: 's1', rebalanceTimeoutMs: 150, sessionTimeoutMs: 5000 },
      ]);
      // A third member joins; the static member is away (e.g. restarting) and does not rejoin in time.
      const c = joinNew(coord, { clientId: 'c', rebalanceTimeoutMs: 150, sessionTimeoutMs: 5000 });
      const d = coord.join(joinReq({ clientId: 'dyn', memberId: dyn.memberId, rebalanceTimeoutMs: 150, sessionTimeoutMs: 5000 }));
      const [jd, jc] = await within(Promise.all([d, c]), 2000);
      assert.equal(jd.generationId, 2);
      const leader = [jd, jc].find((j) => j.memberId === j.leader)!;
      assert.ok(leader, 'a member that rejoined leads');
      assert.deepEqual(new Set(leader.members.map((m) => m.memberId)), new Set([dyn.memberId, jc.memberId, stat.memberId]));
      // The rebalance completes with the absent member's slot kept (the leader assigns it partitions) …
      const assignments = [
        { memberId: dyn.memberId, assignment: Buffer.from('D') },
        { memberId: jc.memberId, assignment: Buffer.from('C') },
        { memberId: stat.memberId, assignment: Buffer.from('S') },
      ];
      const follower = leader === jd ? jc : jd;
      const [sl, sf] = await within(Promise.all([coord.sync(syncReq(leader, { assignments })), coord.sync(syncReq(follower))]), 1000);
      assert.equal(sl.errorCode, ErrorCode.NONE);
      assert.equal(sf.errorCode, ErrorCode.NONE);
      assert.equal(coord.describe('g').groupState, 'Stable');
      // … and when it comes back it takes over its slot without another rebalance.
      const back = await within(coord.join(joinReq({ clientId: 'stat', groupInstanceId: 's1', rebalanceTimeoutMs: 150, sessionTimeoutMs: 5000 })), 200);
      assert.equal(back.errorCode, ErrorCode.NONE);
      assert.equal(back.generationId, 2);
      assert.equal((await coord.sync(syncReq(back, { groupInstanceId: 's1' }))).assignment.toString(), 'S');
      assert.equal(coord.heartbeat('g', stat.memberId, 's1', 2), ErrorCode.FENCED_INSTANCE_ID);
    });

    it('an absent static member is removed once its session expires', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30, clock });
      const [dyn, stat] = await stableGroup(coord, [
        { clientId: 'dyn', rebalanceTimeoutMs: 100, sessionTimeoutMs: 5000 },
        { clientId: 'stat', groupInstanceId: 's1', rebalanceTimeoutMs: 100, sessionTimeoutMs: 250 },
      ], 'g', clock);
      // dyn keeps heartbeating; the static member is gone for good.
      await clock.advance(249);
      assert.equal(coord.heartbeat('g', dyn.memberId, null, 1), ErrorCode.NONE);
      await clock.advance(1);
      assert.equal(coord.heartbeat('g', dyn.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
      assert.equal(coord.heartbeat('g', stat.memberId, 's1', 1), ErrorCode.UNKNOWN_MEMBER_ID);
      const r = await within(coord.join(joinReq({ clientId: 'dyn', memberId: dyn.memberId, rebalanceTimeoutMs: 100, sessionTimeoutMs: 5000 })), 1000);
      assert.deepEqual(r.members.map((m) => m.memberId), [dyn.memberId]);
    });

    it('when no member rejoins (only absent static members), the join phase is postponed, not completed empty', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30, clock });
      const [s1, s2, d] = await stableGroup(coord, [
        { clientId: 's1', groupInstanceId: 'i1', rebalanceTimeoutMs: 100, sessionTimeoutMs: 5000 },
        { clientId: 's2', groupInstanceId: 'i2', rebalanceTimeoutMs: 100, sessionTimeoutMs: 5000 },
        { clientId: 'd', rebalanceTimeoutMs: 100, sessionTimeoutMs: 5000 },
      ], 'g', clock);
      coord.leave('g', [{ memberId: d.memberId, groupInstanceId: null }]);
      await clock.advance(150); // past the rebalance timeout (100 ms): nobody rejoined
      const desc = coord.describe('g');
      assert.equal(desc.groupState, 'PreparingRebalance');
      assert.deepEqual(new Set(desc.members.map((m) => m.memberId)), new Set([s1.memberId, s2.memberId]));
      // s1 rejoins: the next timeout (at 200 ms) completes the phase with s1 leading and s2's slot kept.
      const join = coord.join(joinReq({ clientId: 's1', groupInstanceId: 'i1', memberId: s1.memberId, rebalanceTimeoutMs: 100, sessionTimeoutMs: 5000 }));
      await clock.advance(49);
      assert.equal(await isPending(join), true, 'waits for the postponed deadline');
      await clock.advance(1);
      const r = await within(join, 1000, 'join phase at the postponed deadline');
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.generationId, 2);
      assert.equal(r.leader, s1.memberId);
      assert.deepEqual(new Set(r.members.map((m) => m.memberId)), new Set([s1.memberId, s2.memberId]));
    });

    it('a static restart during a rebalance does not push back the rebalance timeout', async () => {
      const clock = new ManualClock();
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30, clock });
      const [a, , s] = await stableGroup(coord, [
        { clientId: 'a', rebalanceTimeoutMs: 300 },
        { clientId: 'b', rebalanceTimeoutMs: 300 },
        { clientId: 's', groupInstanceId: 's1', rebalanceTimeoutMs: 300 },
      ], 'g', clock);
      const ja = coord.join(joinReq({ clientId: 'a', memberId: a.memberId, rebalanceTimeoutMs: 300 })); // the leader: rebalance
      await clock.advance(200);
      const js = coord.join(joinReq({ clientId: 's', groupInstanceId: 's1', rebalanceTimeoutMs: 300 })); // s restarts; b never rejoins
      await clock.advance(99);
      assert.equal(await isPending(ja), true, 'still joining 1 ms before the original deadline');
      await clock.advance(1);
      const [ra, rs] = await within(Promise.all([ja, js]), 1000, 'join phase at the original deadline (300 ms)');
      assert.equal(ra.generationId, 2);
      assert.equal(rs.errorCode, ErrorCode.NONE);
      assert.notEqual(rs.memberId, s.memberId);
      assert.deepEqual(new Set(ra.members.map((m) => m.memberId)), new Set([a.memberId, rs.memberId]));
    });

    it('a static member with an unknown instance id and a member id must rejoin without one', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord);
      await coord.sync(syncReq(a));
      // Kafka: an instance id that is not registered → UNKNOWN_MEMBER_ID, even with a valid member id.
      assert.equal((await coord.join(joinReq({ memberId: a.memberId, groupInstanceId: 'nobody' }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
      assert.equal(coord.heartbeat('g', a.memberId, 'nobody', 1), ErrorCode.UNKNOWN_MEMBER_ID);
    });
  });

  describe('LeaveGroup', () => {
    it('a leaving member triggers a rebalance; the rest form the next generation', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [a, b] = await stableGroup(coord, [{ clientId: 'a' }, { clientId: 'b' }]);
      assert.deepEqual(coord.leave('g', [{ memberId: b.memberId, groupInstanceId: null }]), [{ memberId: b.memberId, groupInstanceId: null, errorCode: ErrorCode.NONE }]);
      assert.equal(coord.heartbeat('g', a.memberId, null, 1), ErrorCode.REBALANCE_IN_PROGRESS);
      const r = await within(coord.join(joinReq({ clientId: 'a', memberId: a.memberId })), 500);
      assert.equal(r.generationId, 2);
      assert.deepEqual(r.members.map((m) => m.memberId), [a.memberId]);
    });

    it('v3 batch: per-member errors for unknown members and fenced instances, the others leave', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [a, b, s] = await stableGroup(coord, [{ clientId: 'a' }, { clientId: 'b' }, { clientId: 's', groupInstanceId: 's1' }]);
      const s2 = await within(coord.join(joinReq({ clientId: 's', groupInstanceId: 's1' })), 200); // restart: s's old id is fenced
      assert.equal(s2.errorCode, ErrorCode.NONE);
      const results = coord.leave('g', [
        { memberId: a.memberId, groupInstanceId: null },
        { memberId: 'nobody', groupInstanceId: null },
        { memberId: s.memberId, groupInstanceId: 's1' },
        { memberId: '', groupInstanceId: 'unknown-instance' },
      ]);
      assert.deepEqual(results, [
        { memberId: a.memberId, groupInstanceId: null, errorCode: ErrorCode.NONE },
        { memberId: 'nobody', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
        { memberId: s.memberId, groupInstanceId: 's1', errorCode: ErrorCode.FENCED_INSTANCE_ID },
        { memberId: '', groupInstanceId: 'unknown-instance', errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
      ]);
      assert.deepEqual(new Set(coord.describe('g').members.map((m) => m.memberId)), new Set([b.memberId, s2.memberId]));
      assert.equal(coord.describe('g').groupState, 'PreparingRebalance');
    });

    it('an admin can remove a static member by instance id alone', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [, s] = await stableGroup(coord, [{ clientId: 'a' }, { clientId: 's', groupInstanceId: 's1' }]);
      assert.deepEqual(coord.leave('g', [{ memberId: '', groupInstanceId: 's1' }]), [{ memberId: '', groupInstanceId: 's1', errorCode: ErrorCode.NONE }]);
      assert.equal(coord.heartbeat('g', s.memberId, 's1', 1), ErrorCode.UNKNOWN_MEMBER_ID);
      assert.equal(coord.describe('g').members.length, 1);
    });

    it('unknown group: every member gets UNKNOWN_MEMBER_ID', async () => {
      const { coord } = await newCoordinator();
      assert.deepEqual(coord.leave('nogroup', [{ memberId: 'm', groupInstanceId: null }]), [{ memberId: 'm', groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID }]);
    });

    it('a pending member (KIP-394 id handed out) can leave, and then no longer holds up the rebalance', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord);
      await coord.sync(syncReq(a));
      const pendingId = await memberIdFor(coord, { clientId: 'b', sessionTimeoutMs: 30_000 });
      const rejoin = coord.join(joinReq({ memberId: a.memberId })); // leader rejoins → rebalance, waits for the pending member
      assert.equal(await isPending(rejoin), true);
      assert.deepEqual(coord.leave('g', [{ memberId: pendingId, groupInstanceId: null }]), [{ memberId: pendingId, groupInstanceId: null, errorCode: ErrorCode.NONE }]);
      const r = await within(rejoin, 200);
      assert.equal(r.generationId, 2);
      // The id is gone: joining with it now is refused.
      assert.equal((await coord.join(joinReq({ memberId: pendingId }))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    });

    it('the last member leaving makes the group Empty', async () => {
      const { coord } = await newCoordinator();
      const a = await joinNew(coord);
      await coord.sync(syncReq(a));
      coord.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]);
      await sleep(5);
      assert.equal(coord.describe('g').groupState, 'Empty');
    });

    it('a member waiting in JoinGroup that leaves is answered UNKNOWN_MEMBER_ID', async () => {
      const { coord } = await newCoordinator({ initialRebalanceDelayMs: 30 });
      const [a, b] = await stableGroup(coord, [{ clientId: 'a' }, { clientId: 'b' }]);
      const follower = a.leader === a.memberId ? b : a;
      const leader = follower === a ? b : a;
      const waiting = coord.join(joinReq({ memberId: leader.memberId }));
      assert.equal(await isPending(waiting), true);
      coord.leave('g', [{ memberId: leader.memberId, groupInstanceId: null }]);
      assert.equal((await within(waiting, 100)).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    });
  });
});
