// Leader elections as pure functions: who leads and who stays in the ISR when a broker is fenced, shuts down,
// registers again (same or new incarnation), returns, or an admin asks for a preferred or unclean election.
import { strict as assert } from 'node:assert';
import type { PartitionState } from '../../src/cluster/metadata-image';
import { electOffline, electPreferred, electUnclean, registerReplica, removeBroker, withLeader } from '../../src/cluster/partition-election';

const p = (leader: number, isr: number[], replicas = [1, 2, 3], leaderEpoch = 5): PartitionState => ({ partition: 0, leader, leaderEpoch, replicas, isr });
const aliveSet = (...ids: number[]) => (id: number) => ids.includes(id);
const FENCE = { unclean: false, keepLeadershipIfAlone: false };
const SHUTDOWN = { unclean: false, keepLeadershipIfAlone: true };

describe('partition election', () => {
  describe('withLeader', () => {
    it('bumps the epoch on a leadership change only', () => {
      assert.deepEqual(withLeader(p(1, [1, 2]), 2, [2]), p(2, [2], [1, 2, 3], 6));
      assert.deepEqual(withLeader(p(1, [1, 2]), 1, [1]), p(1, [1], [1, 2, 3], 5));
      assert.equal(withLeader(p(1, [1, 2]), 1, [1, 2]), null);
    });
  });

  describe('removeBroker (fencing)', () => {
    it('moves the leadership to the first alive ISR member in replica order', () => {
      const next = removeBroker(p(1, [3, 2, 1]), 1, aliveSet(2, 3), FENCE);
      assert.deepEqual(next, p(2, [3, 2], [1, 2, 3], 6));
    });

    it('skips ISR members that are not alive', () => {
      assert.deepEqual(removeBroker(p(1, [1, 2, 3]), 1, aliveSet(3), FENCE), p(3, [2, 3], [1, 2, 3], 6));
    });

    it('takes a follower out of the ISR without touching the leader or its epoch', () => {
      assert.deepEqual(removeBroker(p(1, [1, 2, 3]), 2, aliveSet(1, 3), FENCE), p(1, [1, 3]));
    });

    it('keeps the last ISR member in the ISR and leaves the partition without a leader', () => {
      assert.deepEqual(removeBroker(p(1, [1]), 1, aliveSet(2, 3), FENCE), p(-1, [1], [1, 2, 3], 6));
    });

    it('a follower that is the last ISR member besides nobody stays (nothing changes)', () => {
      assert.equal(removeBroker(p(-1, [2]), 2, aliveSet(1, 3), FENCE), null);
    });

    it('elects outside the ISR only when unclean election is allowed', () => {
      assert.deepEqual(removeBroker(p(1, [1]), 1, aliveSet(3), { ...FENCE, unclean: true }), p(3, [3], [1, 2, 3], 6));
      assert.deepEqual(removeBroker(p(1, [1, 2]), 1, aliveSet(3), FENCE), p(-1, [2], [1, 2, 3], 6));
    });

    it('ignores partitions the broker is not part of', () => {
      assert.equal(removeBroker(p(1, [1, 2], [1, 2]), 3, aliveSet(1, 2), FENCE), null);
    });
  });

  describe('removeBroker (controlled shutdown)', () => {
    it('hands the leadership over when another ISR member is alive', () => {
      assert.deepEqual(removeBroker(p(1, [1, 2]), 1, aliveSet(2, 3), SHUTDOWN), p(2, [2], [1, 2, 3], 6));
    });

    it('keeps a leadership nobody else can take', () => {
      assert.equal(removeBroker(p(1, [1]), 1, aliveSet(2, 3), SHUTDOWN), null);
      assert.equal(removeBroker(p(1, [1], [1]), 1, aliveSet(), SHUTDOWN), null);
    });
  });

  describe('registerReplica', () => {
    it('leaves the ISR and the leadership where another alive member can take over', () => {
      assert.deepEqual(registerReplica(p(1, [1, 2, 3]), 1, true, aliveSet(1, 2, 3), false), p(2, [2, 3], [1, 2, 3], 6));
    });

    it('a follower leaves the ISR; the alive leader keeps its epoch', () => {
      assert.deepEqual(registerReplica(p(2, [1, 2]), 1, true, aliveSet(1, 2), false), p(2, [2]));
    });

    it('keeps leading, with the next epoch, a partition only it can lead when its incarnation is unchanged', () => {
      assert.deepEqual(registerReplica(p(1, [1]), 1, true, aliveSet(1, 2, 3), false), p(1, [1], [1, 2, 3], 6));
      assert.deepEqual(registerReplica(p(-1, [1, 2]), 1, true, aliveSet(1), false), p(1, [1, 2], [1, 2, 3], 6));
    });

    it('a single-replica partition keeps its leader even with a new incarnation (single-broker behaviour)', () => {
      assert.deepEqual(registerReplica(p(1, [1], [1]), 1, false, aliveSet(1), false), p(1, [1], [1], 6));
    });

    it('a new incarnation (wiped disk) never leads a replicated partition it was the only ISR member of', () => {
      assert.deepEqual(registerReplica(p(1, [1]), 1, false, aliveSet(1, 2, 3), false), p(-1, [], [1, 2, 3], 6));
      assert.deepEqual(registerReplica(p(-1, [1, 2]), 1, false, aliveSet(1), false), p(-1, [2]));
    });

    it('with unclean election allowed, a new incarnation alone may lead', () => {
      assert.deepEqual(registerReplica(p(1, [1]), 1, false, aliveSet(1), true), p(1, [1], [1, 2, 3], 6));
      assert.deepEqual(registerReplica(p(1, [1], [3, 2, 1]), 1, false, aliveSet(1, 3), true), p(3, [3], [3, 2, 1], 6));
    });

    it('ignores partitions where it is neither replica nor ISR member', () => {
      assert.equal(registerReplica(p(2, [2, 3]), 1, true, aliveSet(1, 2, 3), false), null);
      assert.equal(registerReplica(p(2, [2], [2, 3]), 1, true, aliveSet(1, 2, 3), false), null);
    });
  });

  describe('electOffline', () => {
    it('gives a leaderless partition the first alive ISR member, keeping the ISR', () => {
      assert.deepEqual(electOffline(p(-1, [2, 3]), aliveSet(3), false), p(3, [2, 3], [1, 2, 3], 6));
    });

    it('leaves a partition with an alive leader alone', () => {
      assert.equal(electOffline(p(1, [1, 2]), aliveSet(1, 2), false), null);
    });

    it('a dead leader with no alive ISR member: no leader, or unclean', () => {
      assert.deepEqual(electOffline(p(1, [1]), aliveSet(2), false), p(-1, [1], [1, 2, 3], 6));
      assert.equal(electOffline(p(-1, [1]), aliveSet(2), false), null);
      assert.deepEqual(electOffline(p(-1, [1]), aliveSet(2), true), p(2, [2], [1, 2, 3], 6));
    });
  });

  describe('admin elections', () => {
    it('preferred: the first replica when alive and in the ISR', () => {
      assert.deepEqual(electPreferred(p(2, [1, 2]), aliveSet(1, 2)), { state: p(1, [1, 2], [1, 2, 3], 6) });
      assert.deepEqual(electPreferred(p(1, [1, 2]), aliveSet(1, 2)), { error: 'not-needed' });
      assert.deepEqual(electPreferred(p(2, [2, 3]), aliveSet(1, 2, 3)), { error: 'not-available' });
      assert.deepEqual(electPreferred(p(2, [1, 2]), aliveSet(2)), { error: 'not-available' });
    });

    it('unclean: only without an alive leader; from outside the ISR if need be', () => {
      assert.deepEqual(electUnclean(p(1, [1]), aliveSet(1, 2)), { error: 'not-needed' });
      assert.deepEqual(electUnclean(p(-1, [1]), aliveSet(3)), { state: p(3, [3], [1, 2, 3], 6) });
      assert.deepEqual(electUnclean(p(-1, [1]), aliveSet()), { error: 'not-available' });
    });
  });
});
