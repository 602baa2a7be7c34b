// The broker's heartbeats on a manual clock with a fake controller: sent every interval to the current
// controller, selfFenced after a session without success, controlled shutdown until shouldShutDown or timeout.
import { strict as assert } from 'node:assert';
import { HeartbeatSender } from '../../src/cluster/heartbeat-sender';
import { ErrorCode } from '../../src/protocol/errors';
import type { BrokerHeartbeatRequest, BrokerHeartbeatResponse } from '../../src/protocol/schema/types';
import { ManualClock } from '../manual-clock';

const INTERVAL = 500;
const SESSION = 6000;

describe('heartbeat sender', () => {
  let clock: ManualClock;
  let sent: Array<{ to: number; req: BrokerHeartbeatRequest }>;
  let answer: (to: number, req: BrokerHeartbeatRequest) => Promise<BrokerHeartbeatResponse>;
  let controllerId: number;
  let sender: HeartbeatSender;

  const ok = (over: Partial<BrokerHeartbeatResponse> = {}): BrokerHeartbeatResponse => ({ throttleTimeMs: 0, errorCode: 0, isCaughtUp: true, isFenced: false, shouldShutDown: false, ...over });

  beforeEach(() => {
    clock = new ManualClock();
    sent = [];
    controllerId = 2;
    answer = async () => ok();
    sender = new HeartbeatSender({
      nodeId: 1,
      controllerId: () => controllerId,
      send: (to, req) => {
        sent.push({ to, req });
        return answer(to, req);
      },
      clock,
      intervalMs: INTERVAL,
      sessionTimeoutMs: SESSION,
    });
    sender.start();
  });
  afterEach(() => sender.stop());

  it('heartbeats the current controller every interval', async () => {
    await clock.advance(4 * INTERVAL);
    assert.equal(sent.length, 5);
    assert.ok(sent.every((s) => s.to === 2 && s.req.brokerId === 1 && !s.req.wantShutDown));
    controllerId = 3;
    await clock.advance(INTERVAL);
    assert.equal(sent.at(-1)!.to, 3);
    controllerId = -1;
    await clock.advance(2 * INTERVAL);
    assert.equal(sent.length, 6, 'no controller known: nothing sent');
  });

  it('gives up on a controller that never answers after half a session, so the next heartbeat reaches the new controller', async () => {
    answer = (to) => (to === 2 ? new Promise<BrokerHeartbeatResponse>(() => undefined) : Promise.resolve(ok())); // 2 black-holed
    await clock.advance(INTERVAL);
    const toOld = sent.length;
    controllerId = 3; // another broker took the lease over
    await clock.advance(SESSION / 2 + 2 * INTERVAL);
    assert.ok(sent.slice(toOld).some((s) => s.to === 3), `heartbeats reached the new controller: ${JSON.stringify(sent.map((s) => s.to))}`);
    assert.equal(sender.selfFenced(), false);
  });

  it('is self-fenced after a session without a successful heartbeat, and not before', async () => {
    await clock.advance(2 * INTERVAL);
    assert.equal(sender.selfFenced(), false);
    answer = async () => {
      throw new Error('connection refused');
    };
    await clock.advance(SESSION - INTERVAL);
    assert.equal(sender.selfFenced(), false);
    await clock.advance(2 * INTERVAL);
    assert.equal(sender.selfFenced(), true);
    answer = async () => ok({ isFenced: true });
    await clock.advance(INTERVAL);
    assert.equal(sender.selfFenced(), true, 'an answer saying fenced is no success');
    answer = async () => ok({ errorCode: ErrorCode.NOT_CONTROLLER });
    await clock.advance(INTERVAL);
    assert.equal(sender.selfFenced(), true, 'an error is no success');
    answer = async () => ok();
    await clock.advance(INTERVAL);
    assert.equal(sender.selfFenced(), false);
  });

  it('controlled shutdown asks at once and resolves when the controller says shouldShutDown', async () => {
    let rounds = 0;
    answer = async (_to, req) => ok({ shouldShutDown: req.wantShutDown && ++rounds === 3 });
    const done = sender.shutDown(30_000);
    const result = await clock.runUntil(done, 100);
    assert.equal(result, true);
    const asked = sent.filter((s) => s.req.wantShutDown);
    assert.equal(asked.length, 3);
    assert.ok(clock.now() - 1_700_000_000_000 < 4 * INTERVAL, 'first request immediately, then every interval');
    const count = sent.length;
    await clock.advance(5 * INTERVAL);
    assert.equal(sent.length, count, 'no heartbeats after shouldShutDown');
  });

  it('controlled shutdown gives up after its timeout when the controller never agrees', async () => {
    const done = sender.shutDown(3000);
    await clock.advance(2999);
    let settled = false;
    void done.then(() => (settled = true));
    await clock.advance(0);
    assert.equal(settled, false);
    await clock.advance(1);
    assert.equal(await done, false);
  });
});
