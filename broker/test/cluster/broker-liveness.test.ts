// The controller's heartbeat table on a manual clock with a fake controller: fencing after the session timeout,
// grace periods on becoming the lease holder and after a local pause (not after a lapse of the same lease),
// unfencing on the next heartbeat, and controlled shutdown answered once the controller reports nothing left.
import { strict as assert } from 'node:assert';
import { BrokerLiveness, answerHeartbeat, type LeaseView, type LivenessController } from '../../src/cluster/broker-liveness';
import type { BrokerImage } from '../../src/cluster/metadata-image';
import { ErrorCode } from '../../src/protocol/errors';
import { ManualClock } from '../manual-clock';
import { silentLogger } from '../coordinator/helpers';

const SESSION = 6000;
const LEASE = 5000;
/** The table ticks every min(session, lease)/4. */
const TICK = 1250;

class FakeController implements LivenessController {
  readonly fenced: number[][] = [];
  readonly unfenced: number[] = [];
  readonly shutdowns: number[] = [];
  readonly shuttingDown = new Set<number>();
  pendingAfterShutdown = 0;
  preferredElections = 0;
  constructor(private readonly brokers: Map<number, BrokerImage>) {}
  async fenceBrokers(ids: readonly number[]): Promise<void> {
    this.fenced.push([...ids]);
    for (const id of ids) this.brokers.get(id)!.fenced = true;
  }
  cancelShutdown(id: number): void {
    this.shuttingDown.delete(id);
  }
  async electLeaders(): Promise<Array<{ topic: string; partition: number; error: unknown }>> {
    this.preferredElections++;
    return [{ topic: 't', partition: 0, error: null }];
  }
  async unfenceBroker(id: number): Promise<void> {
    this.unfenced.push(id);
    this.brokers.get(id)!.fenced = false;
  }
  async shutDownBroker(id: number): Promise<{ pending: number }> {
    this.shutdowns.push(id);
    this.shuttingDown.add(id);
    return { pending: this.pendingAfterShutdown };
  }
}

const broker = (nodeId: number, fenced = false): BrokerImage => ({ nodeId, host: 'h', port: 1, rack: null, incarnationId: 'x', fenced, epoch: 1 });

describe('broker liveness (controller heartbeat table)', () => {
  let clock: ManualClock;
  let brokers: Map<number, BrokerImage>;
  let controller: FakeController;
  let active: boolean;
  /** The fake lease's epoch: a new one is a new holding, the same one after a lapse is not. */
  let epoch: number;
  const lease: LeaseView = { isActive: () => active, get epoch() { return epoch; } };
  let liveness: BrokerLiveness;

  beforeEach(() => {
    clock = new ManualClock();
    brokers = new Map([1, 2, 3].map((id) => [id, broker(id)]));
    controller = new FakeController(brokers);
    active = true;
    epoch = 1;
    liveness = new BrokerLiveness({ image: { brokers }, controller, lease, clock, sessionTimeoutMs: SESSION, leaseMs: LEASE, logger: silentLogger });
    liveness.start();
  });
  afterEach(() => liveness.stop());

  /** Heartbeats from `ids` every 500 ms for `ms`. */
  async function beatFor(ms: number, ids: number[]): Promise<void> {
    for (let t = 0; t < ms; t += 500) {
      for (const id of ids) assert.equal((await liveness.heartbeat({ brokerId: id, wantShutDown: false })).errorCode, ErrorCode.NONE);
      await clock.advance(500);
    }
  }

  it('fences a broker whose heartbeats stopped for the session timeout, and only it', async () => {
    await beatFor(SESSION, [1, 2, 3]);
    assert.deepEqual(controller.fenced, []);
    await beatFor(SESSION - 500, [1, 2]);
    assert.deepEqual(controller.fenced, [], 'not before the session timeout');
    await beatFor(TICK + 1000, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]]);
    await beatFor(SESSION * 2, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]], 'a fenced broker is not fenced again');
    assert.equal(controller.preferredElections, 0, 'no preferred elections without an interval');
  });

  it('a fenced broker that registers again gets a new session instead of being fenced again at once', async () => {
    await beatFor(SESSION + 2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]]);
    await beatFor(60_000, [1, 2]);
    brokers.get(3)!.fenced = false; // its registration record, written by broker 3 itself
    await beatFor(SESSION - 500, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]], 'not fenced again before a session without heartbeats passed');
    await beatFor(2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, [[3], [3]]);
  });

  it('a broker fenced and registered again before the next tick still gets a new session (its broker epoch changed)', async () => {
    await beatFor(SESSION + 2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]]);
    brokers.set(3, { ...broker(3), epoch: 2 }); // fence and new registration both applied between two ticks
    await beatFor(SESSION - 500, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]], 'the new registration is not fenced for its previous life\'s silence');
    await beatFor(2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, [[3], [3]], 'silent for a whole session of its own: fenced');
  });

  it('fences brokers that never heartbeat after a grace period of one session from becoming active', async () => {
    await beatFor(SESSION, [1, 2]);
    assert.deepEqual(controller.fenced, []);
    await beatFor(2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]]);
  });

  it('hearing from no majority of 3+ registered brokers, fences nobody and steps down (it may be the one cut off)', async () => {
    const stepDowns: number[] = [];
    liveness.stop();
    liveness = new BrokerLiveness({
      image: { brokers },
      controller,
      lease: { isActive: () => active, epoch: 1, stepDown: async (ms) => void stepDowns.push(ms) },
      clock,
      sessionTimeoutMs: SESSION,
      leaseMs: LEASE,
      logger: silentLogger,
    });
    liveness.start();
    await beatFor(SESSION + 2 * TICK, [1]); // only itself (broker 1) is heard: 1 of 3
    assert.deepEqual(controller.fenced, [], 'a minority fences nobody');
    assert.deepEqual(stepDowns, [2 * LEASE]);
    // Two brokers of four heard is no majority either; three of four is.
    brokers.set(4, broker(4));
    await beatFor(SESSION + 2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, []);
    await beatFor(SESSION + 2 * TICK, [1, 2, 3]);
    assert.deepEqual(controller.fenced, [[4]]);
  });

  it('a two-broker cluster fences the silent one (two cannot form a majority without it)', async () => {
    brokers.delete(3);
    await beatFor(SESSION + 2 * TICK, [1]);
    assert.deepEqual(controller.fenced, [[2]]);
  });

  it('fenced brokers still count: a cut-off controller cannot fence its peers one by one as their sessions expire', async () => {
    const stepDowns: number[] = [];
    liveness.stop();
    liveness = new BrokerLiveness({ image: { brokers }, controller, lease: { isActive: () => active, epoch: 1, stepDown: async (ms) => void stepDowns.push(ms) }, clock, sessionTimeoutMs: SESSION, leaseMs: LEASE, logger: silentLogger });
    liveness.start();
    // Broker 3 falls silent first: 2 of 3 heard, so it is fenced.
    await beatFor(SESSION + 2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]]);
    // Then broker 2: only itself heard of the 3 registered, so nobody more is fenced; it hands the lease over.
    await beatFor(SESSION + 2 * TICK, [1]);
    assert.deepEqual(controller.fenced, [[3]]);
    assert.ok(stepDowns.length > 0, 'stepped down');
  });

  it('hearsMajority counts heartbeats that arrived, not the grace period of a new lease', async () => {
    await clock.advance(TICK); // the first active tick: a grace period for everyone
    assert.equal(liveness.hearsMajority(), false, 'a new controller has heard nobody yet (it may be cut off)');
    await beatFor(1000, [1, 2]);
    assert.equal(liveness.hearsMajority(), true, 'two of three heard');
  });

  it('decides nothing without the lease, and grants a new session to everyone on getting it', async () => {
    active = false;
    await clock.advance(SESSION * 3);
    assert.deepEqual(controller.fenced, []);
    active = true;
    epoch = 2;
    await beatFor(SESSION, [1, 2]);
    assert.deepEqual(controller.fenced, [], 'brokers silent while we were not the controller get a full session');
    await beatFor(2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]]);
  });

  it('a lapse of the same lease (a slow renewal) keeps the sessions: heartbeats refused meanwhile count, silence still fences', async () => {
    await beatFor(SESSION / 2, [1, 2, 3]);
    // The lease lapses for most of a session; brokers 1 and 2 go on heartbeating (refused: NOT_CONTROLLER), 3 stops.
    active = false;
    for (let t = 0; t < SESSION - TICK; t += 500) {
      for (const id of [1, 2]) assert.equal((await answerHeartbeat(lease, liveness, { brokerId: id, brokerEpoch: 1, currentMetadataOffset: 0, wantFence: false, wantShutDown: false, offlineLogDirs: [] })).errorCode, ErrorCode.NOT_CONTROLLER);
      await clock.advance(500);
    }
    active = true; // the same epoch: no new grace period
    await beatFor(2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]], 'the silent broker is fenced on time; those refused during the lapse are not');
  });

  it('a local pause (a tick later than lease/2) gives every broker a new session instead of fencing them', async () => {
    liveness.stop();
    // A clock that can jump forward without firing timers: what this process sees after being stopped (SIGSTOP,
    // a long GC) while the brokers kept heartbeating to nobody.
    let skew = 0;
    const pausable = { now: () => clock.now() + skew, setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock) };
    liveness = new BrokerLiveness({ image: { brokers }, controller, lease, clock: pausable, sessionTimeoutMs: SESSION, leaseMs: LEASE, logger: silentLogger });
    liveness.start();
    await beatFor(SESSION, [1, 2, 3]);
    skew += 10_000;
    await clock.advance(TICK);
    assert.deepEqual(controller.fenced, [], 'the late tick grants a new session');
    await beatFor(SESSION, [1, 2, 3]);
    assert.deepEqual(controller.fenced, []);
    // Without the pause check the same silence fences: brokers that really stopped are still fenced after it.
    await beatFor(SESSION + 2 * TICK, [1, 2]);
    assert.deepEqual(controller.fenced, [[3]]);
  });

  it('a pause noticed while the lease lapsed still gives every broker a new session when the same lease is active again', async () => {
    liveness.stop();
    let skew = 0;
    const pausable = { now: () => clock.now() + skew, setTimeout: clock.setTimeout.bind(clock), clearTimeout: clock.clearTimeout.bind(clock) };
    const stepDowns: number[] = [];
    const lapsing: LeaseView = { isActive: () => active, epoch: 1, stepDown: async (ms) => void stepDowns.push(ms) };
    liveness = new BrokerLiveness({ image: { brokers }, controller, lease: lapsing, clock: pausable, sessionTimeoutMs: SESSION, leaseMs: LEASE, logger: silentLogger });
    liveness.start();
    await beatFor(SESSION, [1, 2, 3]);
    // Paused mid-renewal: on resuming, the lease has lapsed (the renewal is late) and the brokers heartbeat elsewhere.
    active = false;
    skew += 10_000;
    await clock.advance(TICK);
    active = true; // the late renewal lands: the same epoch is active again
    await clock.advance(TICK);
    assert.deepEqual(controller.fenced, [], 'no broker is fenced for the silence of the pause');
    assert.deepEqual(stepDowns, [], 'nor is the silence taken for being cut off');
  });

  it('runs a preferred leader election every interval while it holds the lease, none when the interval is 0', async () => {
    liveness.stop();
    liveness = new BrokerLiveness({ image: { brokers }, controller, lease, clock, sessionTimeoutMs: SESSION, leaseMs: LEASE, preferredElectionIntervalMs: 60_000, logger: silentLogger });
    liveness.start();
    await beatFor(59_000, [1, 2, 3]);
    assert.equal(controller.preferredElections, 0);
    await beatFor(3_000, [1, 2, 3]); // due a minute after the first tick (the grace tick when it became controller)
    assert.equal(controller.preferredElections, 1);
    active = false;
    await beatFor(120_000, [1, 2, 3]);
    assert.equal(controller.preferredElections, 1, 'not without the lease');
    active = true;
    epoch = 2;
    await beatFor(59_000, [1, 2, 3]);
    assert.equal(controller.preferredElections, 1, 'a new lease holder waits a full interval');
    await beatFor(3_000, [1, 2, 3]);
    assert.equal(controller.preferredElections, 2);
    assert.deepEqual(controller.fenced, []);
  });

  it('unfences a fenced broker on its next heartbeat', async () => {
    brokers.get(2)!.fenced = true;
    const r = await liveness.heartbeat({ brokerId: 2, wantShutDown: false });
    assert.deepEqual(r, { errorCode: ErrorCode.NONE, isFenced: false, shouldShutDown: false });
    assert.deepEqual(controller.unfenced, [2]);
    await liveness.heartbeat({ brokerId: 2, wantShutDown: false });
    assert.deepEqual(controller.unfenced, [2], 'an unfenced broker is not unfenced again');
  });

  it('answers BROKER_ID_NOT_REGISTERED for an unknown broker', async () => {
    const r = await liveness.heartbeat({ brokerId: 9, wantShutDown: false });
    assert.equal(r.errorCode, ErrorCode.BROKER_ID_NOT_REGISTERED);
  });

  it('controlled shutdown: shouldShutDown only once the controller reports nothing left', async () => {
    controller.pendingAfterShutdown = 2;
    assert.equal((await liveness.heartbeat({ brokerId: 1, wantShutDown: true })).shouldShutDown, false);
    controller.pendingAfterShutdown = 0;
    assert.equal((await liveness.heartbeat({ brokerId: 1, wantShutDown: true })).shouldShutDown, true);
    assert.deepEqual(controller.shutdowns, [1, 1]);
    assert.ok(controller.shuttingDown.has(1));
    await liveness.heartbeat({ brokerId: 1, wantShutDown: false });
    assert.ok(!controller.shuttingDown.has(1), 'a heartbeat without wantShutDown: the broker runs on, eligible again');
  });

  it('a failing controller write is answered with an error, and retried on the next heartbeat', async () => {
    brokers.get(3)!.fenced = true;
    let failures = 1;
    const unfence = controller.unfenceBroker.bind(controller);
    controller.unfenceBroker = async (id) => {
      if (failures-- > 0) throw new Error('object store unavailable');
      return unfence(id);
    };
    const first = await liveness.heartbeat({ brokerId: 3, wantShutDown: false });
    assert.equal(first.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
    assert.equal(first.isFenced, true);
    assert.equal((await liveness.heartbeat({ brokerId: 3, wantShutDown: false })).isFenced, false);
  });
});
