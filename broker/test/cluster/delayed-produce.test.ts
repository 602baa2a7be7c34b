// The acks=all purgatory of replicated partitions: success when the HW passes the records, NOT_ENOUGH_REPLICAS_
// AFTER_APPEND when it got there by the ISR shrinking below min.insync.replicas, NOT_LEADER_OR_FOLLOWER when
// leadership moves, REQUEST_TIMED_OUT after the produce's timeout (manual clock).
import { strict as assert } from 'node:assert';
import { DelayedProduces, type ProducedPartition } from '../../src/cluster/delayed-produce';
import { ErrorCode, KafkaError } from '../../src/protocol/errors';
import { ManualClock } from '../manual-clock';

class FakePartition implements ProducedPartition {
  key = 't-0';
  isLeader = true;
  leaderEpoch = 3;
  isr: number[] = [1, 2, 3];
  log = { highWatermark: 0 };
}

const failsWith = (code: ErrorCode) => (err: unknown) => err instanceof KafkaError && err.code === code;

/** The outcome of a promise so far: pending, resolved, or the error. */
function track(p: Promise<void>) {
  const state: { done: boolean; error?: unknown } = { done: false };
  p.then(
    () => (state.done = true),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

describe('cluster: delayed produce (acks=all)', () => {
  it('resolves once the HW is past the last offset, not before', async () => {
    const clock = new ManualClock();
    const delayed = new DelayedProduces(clock);
    const p = new FakePartition();
    const outcome = track(delayed.wait(p, 9, 3, 2, 30_000));
    p.log.highWatermark = 9;
    delayed.check(p);
    await clock.advance(0);
    assert.equal(outcome.done, false, 'HW 9 does not cover offset 9');
    p.log.highWatermark = 10;
    delayed.check(p);
    await clock.advance(0);
    assert.deepEqual(outcome, { done: true });
    assert.equal(delayed.size, 0);
    assert.equal(clock.pendingTimers, 0, 'the timeout timer is cleared');
  });

  it('resolves at once when the HW already covers the records', async () => {
    const delayed = new DelayedProduces(new ManualClock());
    const p = new FakePartition();
    p.log.highWatermark = 20;
    await delayed.wait(p, 5, 3, 2, 30_000);
  });

  it('answers NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below min.insync.replicas while waiting', async () => {
    const delayed = new DelayedProduces(new ManualClock());
    const p = new FakePartition();
    const waiting = delayed.wait(p, 4, 3, 2, 30_000);
    p.isr = [1]; // the followers were dropped: the HW follows the leader alone
    p.log.highWatermark = 5;
    delayed.check(p);
    await assert.rejects(waiting, failsWith(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND));
  });

  it('answers NOT_LEADER_OR_FOLLOWER when this broker stops leading or the epoch changes', async () => {
    const delayed = new DelayedProduces(new ManualClock());
    const p = new FakePartition();
    const first = delayed.wait(p, 4, 3, 2, 30_000);
    p.isLeader = false;
    delayed.check(p);
    await assert.rejects(first, failsWith(ErrorCode.NOT_LEADER_OR_FOLLOWER));

    p.isLeader = true;
    const second = delayed.wait(p, 4, 3, 2, 30_000);
    p.leaderEpoch = 4; // re-elected: the records may have been truncated by the leader in between
    p.log.highWatermark = 10;
    delayed.check(p);
    await assert.rejects(second, failsWith(ErrorCode.NOT_LEADER_OR_FOLLOWER));
  });

  it('answers REQUEST_TIMED_OUT after the timeout, exactly', async () => {
    const clock = new ManualClock();
    const delayed = new DelayedProduces(clock);
    const p = new FakePartition();
    const outcome = track(delayed.wait(p, 4, 3, 2, 1500));
    await clock.advance(1499);
    assert.equal(outcome.done, false);
    await clock.advance(1);
    assert.ok(failsWith(ErrorCode.REQUEST_TIMED_OUT)(outcome.error));
    assert.equal(delayed.size, 0);
  });

  it('failAll answers every waiter (shutdown)', async () => {
    const clock = new ManualClock();
    const delayed = new DelayedProduces(clock);
    const p = new FakePartition();
    const a = delayed.wait(p, 1, 3, 1, 30_000);
    const b = delayed.wait(p, 2, 3, 1, 30_000);
    delayed.failAll();
    await assert.rejects(a, failsWith(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    await assert.rejects(b, failsWith(ErrorCode.NOT_LEADER_OR_FOLLOWER));
    assert.equal(clock.pendingTimers, 0);
  });
});
