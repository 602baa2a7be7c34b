// Reassignment planning (KIP-455): start, complete once the added replicas are in sync, cancel.
import { strict as assert } from 'node:assert';
import type { PartitionState } from '../../src/cluster/metadata-image';
import { cancelReassignment, completeIfInSync, isReassigning, originalReplicas, startReassignment, targetReplicas } from '../../src/cluster/reassignment';

const state = (over: Partial<PartitionState> = {}): PartitionState => ({ partition: 0, leader: 1, leaderEpoch: 3, replicas: [1, 2, 3], isr: [1, 2, 3], ...over });

describe('partition reassignment planning', () => {
  it('starts by adding the new replicas beside the old ones, leader and ISR unchanged', () => {
    const next = startReassignment(state(), [2, 3, 4]).next!;
    assert.deepEqual(next.replicas, [2, 3, 4, 1]);
    assert.deepEqual(next.addingReplicas, [4]);
    assert.deepEqual(next.removingReplicas, [1]);
    assert.equal(next.leader, 1);
    assert.equal(next.leaderEpoch, 3);
    assert.deepEqual(next.isr, [1, 2, 3]);
    assert.ok(isReassigning(next));
    assert.deepEqual(originalReplicas(next), [2, 3, 1]);
    assert.deepEqual(targetReplicas(next), [2, 3, 4]);
  });

  it('waits while an added replica is out of the ISR, then finishes and moves a removed leader', () => {
    const started = startReassignment(state(), [2, 3, 4]).next!;
    assert.equal(completeIfInSync(started), null);
    const done = completeIfInSync({ ...started, isr: [1, 2, 3, 4] })!;
    assert.deepEqual(done.replicas, [2, 3, 4]);
    assert.deepEqual(done.isr, [2, 3, 4]);
    assert.equal(done.leader, 2);
    assert.equal(done.leaderEpoch, 4);
    assert.equal(done.addingReplicas, undefined);
    assert.equal(done.removingReplicas, undefined);
    assert.ok(!isReassigning(done));
  });

  it('keeps the leader (and its epoch) when it stays a replica', () => {
    const done = completeIfInSync({ ...startReassignment(state(), [1, 2, 4]).next!, isr: [1, 2, 3, 4] })!;
    assert.deepEqual(done.replicas, [1, 2, 4]);
    assert.equal(done.leader, 1);
    assert.equal(done.leaderEpoch, 3);
  });

  it('completes at once when only removing replicas', () => {
    const next = startReassignment(state(), [1, 2]).next!;
    assert.deepEqual(next.replicas, [1, 2]);
    assert.deepEqual(next.isr, [1, 2]);
    assert.ok(!isReassigning(next));
  });

  it('changes nothing when the target is the current assignment', () => {
    assert.equal(startReassignment(state(), [1, 2, 3]).next, null);
  });

  it('cancels back to the original replicas', () => {
    const started = startReassignment(state(), [4, 5, 6]).next!;
    const cancelled = cancelReassignment({ ...started, isr: [1, 2, 3, 4] })!;
    assert.deepEqual(cancelled.replicas, [1, 2, 3]);
    assert.deepEqual(cancelled.isr, [1, 2, 3]);
    assert.equal(cancelled.leader, 1);
    assert.equal(cancelReassignment(state()), null);
  });

  it('replaces a reassignment in progress with a new target, measured from the original replicas', () => {
    const first = startReassignment(state(), [1, 2, 4]).next!;
    const second = startReassignment(first, [1, 2, 5]).next!;
    assert.deepEqual(second.addingReplicas, [5]);
    assert.deepEqual(second.removingReplicas, [3]);
    assert.deepEqual(second.replicas, [1, 2, 5, 3]);
  });
});
