// ControllerLease over a shared local object store, with injected monotonic clocks: takeover only after leaseMs
// without renewal on the watcher's clock, renewals keep the holder active, a deposed holder learns it at its next
// renewal, isActive lapses 2/3 leaseMs after the last successful renewal (so renewals taking up to leaseMs/3 never
// lapse it), and resign hands over at once.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllerLease } from '../../src/cluster/controller-lease';
import { LocalObjectStore } from '../../src/tier/local-object-store';
import type { ObjectStore } from '../../src/tier/object-store';
import { ManualClock } from '../manual-clock';
import { silentLogger } from '../coordinator/helpers';
import { metadataNode, until, type TestNode } from './metadata-node';

const LEASE_MS = 300;
const STEP = 10;
const KEY = 'c/metadata/controller';

/** Rejects the next `failures` putIfMatch calls, as an unreachable object store would. */
class FlakyStore extends LocalObjectStore {
  failures = 0;
  override putIfMatch(key: string, body: Buffer, etag: string): Promise<{ etag: string } | null> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('injected object store failure'));
    }
    return super.putIfMatch(key, body, etag);
  }
}

/** Answers every putIfMatch `delayMs` late on `clock` (a slow object store or a loaded disk). */
class SlowStore extends LocalObjectStore {
  constructor(
    dir: string,
    private readonly clock: ManualClock,
    private readonly delayMs: number,
  ) {
    super(dir);
  }
  override async putIfMatch(key: string, body: Buffer, etag: string): Promise<{ etag: string } | null> {
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.delayMs));
    return super.putIfMatch(key, body, etag);
  }
}

interface Broker {
  node: TestNode;
  lease: ControllerLease;
  clock: ManualClock;
  events: string[];
}

describe('ControllerLease', () => {
  let dir: string;
  const started: ControllerLease[] = [];

  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-lease-'));
  });
  afterEach(async () => {
    for (const l of started.splice(0)) l.stop();
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function broker(nodeId: number, clock = new ManualClock(0), store: ObjectStore = new LocalObjectStore(dir)): Promise<Broker> {
    const node = await metadataNode(dir, nodeId);
    const lease = new ControllerLease({
      store,
      key: KEY,
      nodeId,
      leaseMs: LEASE_MS,
      claim: (epoch) => node.controller.claimController(epoch),
      knownEpoch: () => node.image.controllerEpoch,
      clock,
      logger: silentLogger,
    });
    const events: string[] = [];
    lease.on('elected', (e) => events.push(`elected ${e}`));
    lease.on('deposed', (e) => events.push(`deposed ${e}`));
    started.push(lease);
    return { node, lease, clock, events };
  }

  /** Advances `clock` by `ms` in STEPs, waiting after each for the ticks it fired to finish (their I/O is real). */
  async function run(clock: ManualClock, ms: number, timers: number, each?: () => void): Promise<void> {
    for (let t = 0; t < ms; t += STEP) {
      await clock.advance(STEP);
      await until(() => clock.pendingTimers === timers, 'lease ticks finished');
      each?.();
    }
  }

  it('a lone broker takes an absent lease at start, claims its epoch and stays active by renewing', async () => {
    const a = await broker(1);
    await a.lease.start();
    assert.ok(a.lease.isActive());
    assert.deepEqual(a.events, ['elected 1']);
    assert.deepEqual([a.node.image.controllerId, a.node.image.controllerEpoch], [1, 1]);
    await run(a.clock, 5 * LEASE_MS, 1, () => assert.ok(a.lease.isActive(), `active at ${a.clock.now()}`));
    const body = JSON.parse((await new LocalObjectStore(dir).get(KEY)).toString());
    assert.equal(body.nodeId, 1);
    assert.ok(body.renewals >= 14, `renewed every leaseMs/3: ${body.renewals}`);
  });

  it('another broker watches while the holder renews and takes over leaseMs after the renewals stop', async () => {
    const clock = new ManualClock(0);
    const a = await broker(1, clock);
    const b = await broker(2, clock);
    await a.lease.start();
    await b.lease.start();
    assert.equal(b.lease.isActive(), false);
    assert.deepEqual(b.lease.current(), { nodeId: 1, epoch: 1 });
    await run(clock, 4 * LEASE_MS, 2, () => assert.equal(b.lease.isActive(), false, 'took over from a live holder'));
    a.lease.stop(); // the holder dies
    const stoppedAt = clock.now();
    let electedAt = -1;
    b.lease.on('elected', () => (electedAt = clock.now()));
    await run(clock, 3 * LEASE_MS, 1);
    assert.ok(electedAt >= stoppedAt + (2 * LEASE_MS) / 3, `took over ${electedAt - stoppedAt} ms after the last renewal window`);
    assert.ok(electedAt <= stoppedAt + LEASE_MS + LEASE_MS / 3 + 2 * STEP, `took over only ${electedAt - stoppedAt} ms after the holder died`);
    assert.ok(b.lease.isActive());
    assert.deepEqual(b.events, ['elected 2']);
    await a.node.log.catchUp(a.node.image);
    assert.deepEqual([a.node.image.controllerId, a.node.image.controllerEpoch], [2, 2]);
  });

  it('a paused holder learns at its next renewal that it was deposed', async () => {
    const a = await broker(1, new ManualClock(0));
    const b = await broker(2, new ManualClock(0));
    await a.lease.start();
    await b.lease.start();
    // a's clock stands still (the process is paused); b's runs on until it takes over.
    await run(b.clock, 2 * LEASE_MS, 1);
    assert.ok(b.lease.isActive());
    // a resumes: its overdue renewal fails, it is deposed and watches the new holder.
    await run(a.clock, STEP * 10, 1);
    assert.equal(a.lease.isActive(), false);
    assert.deepEqual(a.events, ['elected 1', 'deposed 1']);
    assert.deepEqual(a.lease.current(), { nodeId: 2, epoch: 2 });
  });

  it('stays active throughout while each renewal takes just under leaseMs/3 (renewals keep their cadence)', async () => {
    const clock = new ManualClock(0);
    const a = await broker(1, clock, new SlowStore(dir, clock, LEASE_MS / 3 - STEP));
    await a.lease.start();
    assert.ok(a.lease.isActive());
    // One timer at a time: the next renewal's, or the slow store's answer to the one in flight.
    await run(clock, 6 * LEASE_MS, 1, () => assert.ok(a.lease.isActive(), `active at ${clock.now()}`));
  });

  it('stops being active 2/3 leaseMs after its last successful renewal when the store fails, and recovers', async () => {
    const store = new FlakyStore(dir);
    const a = await broker(1, new ManualClock(0), store);
    await a.lease.start();
    store.failures = 1_000;
    const lastOk = a.clock.now();
    await run(a.clock, LEASE_MS, 1, () => assert.equal(a.lease.isActive(), a.clock.now() - lastOk < (2 * LEASE_MS) / 3, `at ${a.clock.now()}`));
    store.failures = 0;
    await run(a.clock, LEASE_MS / 3 + STEP, 1);
    assert.ok(a.lease.isActive(), 'active again after a successful renewal');
    assert.deepEqual(a.events, ['elected 1']);
  });

  it('a holder is deposed once its metadata log names a newer controller epoch (it wrote the lease after a long pause)', async () => {
    const clock = new ManualClock(0);
    const a = await broker(1, clock);
    const b = await broker(2, clock);
    await a.lease.start();
    await b.lease.start();
    assert.ok(a.lease.isActive());
    // Broker 2 claimed a newer epoch in the log (it took the lease while broker 1 was paused mid-renewal).
    await b.node.controller.claimController(7);
    await a.node.log.catchUp(a.node.image);
    assert.equal(a.lease.isActive(), false, 'not active against a newer epoch in the log');
    await run(clock, LEASE_MS / 3 + STEP, 2);
    // Deposed at its next renewal; the object still names broker 1 (here nobody rewrote it), so it takes it again
    // at once, but only with an epoch above the log's: it never acts under the superseded one.
    assert.deepEqual(a.events, ['elected 1', 'deposed 1', 'elected 8']);
    assert.equal(a.lease.epoch, 8);
  });

  it('resign hands the lease over at the next look, without waiting leaseMs', async () => {
    const clock = new ManualClock(0);
    const a = await broker(1, clock);
    const b = await broker(2, clock);
    await a.lease.start();
    await b.lease.start();
    await a.lease.resign();
    assert.equal(a.lease.isActive(), false);
    assert.deepEqual(a.events, ['elected 1', 'deposed 1']);
    const resignedAt = clock.now();
    await run(clock, LEASE_MS / 3 + STEP, 1);
    assert.ok(b.lease.isActive(), `took over within ${clock.now() - resignedAt} ms`);
    assert.equal(b.lease.epoch, 2);
  });

  it('stepDown hands the lease over at once and keeps the broker from taking it back during the cool-down', async () => {
    const clock = new ManualClock(0);
    const a = await broker(1, clock);
    const b = await broker(2, clock);
    await a.lease.start();
    await b.lease.start();
    await a.lease.stepDown(10 * LEASE_MS);
    assert.equal(a.lease.isActive(), false);
    // Both watch (2 timers): b takes the resigned lease at its next look, a never does, also long after.
    await run(clock, LEASE_MS / 3 + STEP, 2);
    assert.ok(b.lease.isActive(), 'the other broker took the lease');
    b.lease.stop();
    await run(clock, 3 * LEASE_MS, 1);
    assert.equal(a.lease.isActive(), false, 'no taking it back during the cool-down, even when it expires');
    await run(clock, 8 * LEASE_MS, 1);
    assert.ok(a.lease.isActive(), 'after the cool-down an expired lease is taken again');
  });

  it('a restarted broker takes back the lease its crashed previous life held, at once', async () => {
    const a = await broker(1);
    await a.lease.start();
    a.lease.stop();
    const again = await broker(1);
    await again.lease.start();
    assert.ok(again.lease.isActive());
    assert.equal(again.lease.epoch, 2);
  });
});
