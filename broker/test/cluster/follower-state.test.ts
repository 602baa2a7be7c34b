// Leader-side replication state: the high watermark over the ISR, ISR expansion when a follower reaches the HW,
// ISR shrink when a follower has not caught up within replica.lag.time.max.ms (manual clock: exact times).
import { strict as assert } from 'node:assert';
import { FollowerStates, type LeaderLog } from '../../src/cluster/follower-state';
import { createLogger, setLogLevel } from '../../src/logger';
import { ManualClock } from '../manual-clock';

setLogLevel((process.env.STRATA_LOG_LEVEL as 'debug' | undefined) ?? 'error');
const logger = createLogger('follower-state-test');

class FakeLog implements LeaderLog {
  logEndOffset = 0;
  highWatermark = 0;
  updateHighWatermark(hw: number): boolean {
    const next = Math.min(hw, this.logEndOffset);
    if (next <= this.highWatermark) return false;
    this.highWatermark = next;
    return true;
  }
}

const LAG_MS = 10_000;

function setup(opts: { isr?: number[]; replicas?: number[]; logEnd?: number; eligible?: (id: number) => boolean } = {}) {
  const clock = new ManualClock();
  const log = new FakeLog();
  log.logEndOffset = opts.logEnd ?? 0;
  const changes: number[][] = [];
  let commit: ((isr: number[]) => void) | null = null;
  const states: FollowerStates = new FollowerStates({
    nodeId: 1,
    log,
    replicas: opts.replicas ?? [1, 2, 3],
    isr: opts.isr ?? [1, 2, 3],
    leaderEpochStartOffset: log.logEndOffset,
    replicaLagTimeMaxMs: LAG_MS,
    clock,
    // The controller commits at once, and the image hands the committed ISR back, as ReplicaManager.sync does.
    alterIsr: async (isr) => {
      changes.push(isr);
      commit?.(isr);
    },
    isrEligible: opts.eligible,
    logger,
  });
  commit = (isr) => states.updateIsr(isr);
  return { clock, log, states, changes };
}

/** Lets the alterIsr promise chain run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('cluster: follower state (leader side)', () => {
  it('the HW is the smallest log end offset over the ISR, and waits for every ISR follower to fetch once', () => {
    const { log, states } = setup();
    log.logEndOffset = 10;
    assert.equal(states.maybeAdvanceHighWatermark(), false, 'followers not heard from yet: the HW holds');
    states.recordFetch(2, 10);
    assert.equal(log.highWatermark, 0, 'follower 3 has not fetched');
    states.recordFetch(3, 4);
    assert.equal(log.highWatermark, 4);
    states.recordFetch(3, 10);
    assert.equal(log.highWatermark, 10);
  });

  it('the HW never moves backwards', () => {
    const { log, states } = setup();
    log.logEndOffset = 10;
    states.recordFetch(2, 10);
    states.recordFetch(3, 10);
    assert.equal(log.highWatermark, 10);
    states.recordFetch(3, 5); // a follower that truncated
    assert.equal(log.highWatermark, 10);
  });

  it('with only the leader in the ISR the HW follows the log end', () => {
    const { log, states } = setup({ isr: [1] });
    log.logEndOffset = 7;
    assert.equal(states.maybeAdvanceHighWatermark(), true);
    assert.equal(log.highWatermark, 7);
  });

  it('a fetch from a broker that is not a replica is refused', () => {
    const { states } = setup();
    assert.equal(states.recordFetch(9, 0), false);
    assert.equal(states.isFollower(9), false);
    assert.equal(states.isFollower(2), true);
  });

  it('a follower outside the ISR joins once its fetch offset reaches the HW', async () => {
    const { log, states, changes } = setup({ isr: [1, 2] });
    log.logEndOffset = 10;
    states.recordFetch(2, 10);
    assert.equal(log.highWatermark, 10);
    states.recordFetch(3, 6);
    await settle();
    assert.deepEqual(changes, [], 'below the HW: not in sync');
    states.recordFetch(3, 10);
    await settle();
    assert.deepEqual(changes, [[1, 2, 3]]);
    assert.deepEqual(states.currentIsr, [1, 2, 3]);
  });

  it('a replica added under the same epoch (reassignment) is tracked and joins the ISR once caught up', async () => {
    const { log, states, changes } = setup({ isr: [1, 2], replicas: [1, 2] });
    log.logEndOffset = 10;
    states.recordFetch(2, 10);
    assert.equal(states.recordFetch(3, 10), false, 'not a replica yet');
    states.updateReplicas([1, 2, 3]);
    assert.equal(states.recordFetch(3, 10), true);
    await settle();
    assert.deepEqual(changes, [[1, 2, 3]]);
    states.updateReplicas([1, 3]);
    assert.equal(states.isFollower(2), false, 'a removed replica is forgotten');
  });

  it('a fenced follower does not join the ISR however far it caught up', async () => {
    const { log, states, changes } = setup({ isr: [1, 2], eligible: (id) => id !== 3 });
    log.logEndOffset = 10;
    states.recordFetch(2, 10);
    states.recordFetch(3, 10);
    await settle();
    assert.deepEqual(changes, []);
  });

  it('an ISR follower that has not caught up for replica.lag.time.max.ms is removed, and the HW then advances', async () => {
    const { clock, log, states, changes } = setup();
    states.start();
    log.logEndOffset = 10;
    states.recordFetch(2, 10);
    states.recordFetch(3, 0); // follower 3 fetches once, then stops
    assert.equal(log.highWatermark, 0);
    // Follower 2 keeps fetching to the end; 3 stays silent.
    for (let t = 0; t < LAG_MS; t += 1000) {
      await clock.advance(1000);
      states.recordFetch(2, log.logEndOffset);
    }
    await settle();
    assert.deepEqual(changes, [], 'exactly the lag time is still in sync');
    await clock.advance(LAG_MS / 2);
    states.recordFetch(2, log.logEndOffset);
    await settle();
    assert.deepEqual(changes, [[1, 2]]);
    assert.equal(log.highWatermark, 10, 'the HW no longer waits for the removed follower');
    states.stop();
  });

  it('a follower that keeps fetching but never reaches the log end is removed too (lastCaughtUpTime rule)', async () => {
    const { clock, log, states, changes } = setup({ isr: [1, 2], replicas: [1, 2] });
    states.start();
    // The leader's log grows faster than follower 2 fetches it: each fetch is below the end the previous one saw.
    for (let i = 1; i <= 15; i++) {
      log.logEndOffset = i * 100 + 100;
      states.recordFetch(2, i * 100 - 50);
      await clock.advance(1000);
    }
    await settle();
    assert.deepEqual(changes, [[1]]);
    states.stop();
  });

  it('one ISR change is in flight at a time; a refused change is tried again on the next check', async () => {
    const clock = new ManualClock();
    const log = new FakeLog();
    let attempts = 0;
    const states = new FollowerStates({
      nodeId: 1,
      log,
      replicas: [1, 2],
      isr: [1, 2],
      leaderEpochStartOffset: 0,
      replicaLagTimeMaxMs: LAG_MS,
      clock,
      alterIsr: async () => {
        attempts++;
        throw new Error('refused');
      },
      logger,
    });
    states.start();
    await clock.advance(LAG_MS + LAG_MS / 2);
    await settle();
    assert.equal(attempts, 1);
    await clock.advance(LAG_MS / 2);
    await settle();
    assert.equal(attempts, 2);
    states.stop();
    await clock.advance(LAG_MS * 2);
    assert.equal(attempts, 2, 'stopped: no more checks');
  });
});
