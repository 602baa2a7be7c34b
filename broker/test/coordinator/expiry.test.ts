// offsets.retention.minutes as Kafka applies it: offsets of an Empty group expire once it has been empty for the
// retention period, offsets of commit-only groups one by one from their commit time, offsets of topics a Stable
// consumer group no longer subscribes to likewise; a group left Empty without offsets is removed. Tombstones
// make the expiry survive a restart, and the group's metric series go with it. All on a manual clock.
import { strict as assert } from 'assert';
import type { OffsetCommit } from '../../src/coordinator/group-coordinator';
import { splitOffsetKey } from '../../src/coordinator/group';
import { BrokerMetrics } from '../../src/metrics/registry';
import { ErrorCode } from '../../src/protocol/errors';
import { ManualClock } from '../manual-clock';
import { FakeGroupStore, joinNew, newCoordinator, stableGroup, syncReq, useCoordinators } from './helpers';

const MINUTE = 60_000;
const RETENTION = 10 * MINUTE;
const CHECK_EVERY = MINUTE;

const commit = (topic: string, partition: number, offset: number): OffsetCommit => ({ topic, partition, offset, leaderEpoch: -1, metadata: null });

describe('group coordinator: offset expiry (offsets.retention.minutes)', () => {
  useCoordinators();

  let clock: ManualClock;
  const removed: string[] = [];
  beforeEach(() => {
    clock = new ManualClock();
    removed.length = 0;
  });

  function coordinator(store = new FakeGroupStore(), overrides: Parameters<typeof newCoordinator>[0] = {}) {
    return newCoordinator(
      { clock, offsetsRetentionMs: RETENTION, offsetsRetentionCheckIntervalMs: CHECK_EVERY, ...overrides },
      store,
      { onGroupRemoved: (g) => removed.push(g) },
    );
  }

  const committed = (coord: Awaited<ReturnType<typeof coordinator>>['coord'], group: string) =>
    coord.fetchOffsets(group, null).map((o) => `${o.topic}-${o.partition}`).sort();

  /** A consumer group whose only member commits a-0 and then leaves: Empty with one offset, at the current time. */
  async function emptiedConsumerGroup(coord: Awaited<ReturnType<typeof coordinator>>['coord']): Promise<void> {
    const a = await clock.runUntil(joinNew(coord));
    assert.equal((await coord.sync(syncReq(a))).errorCode, ErrorCode.NONE);
    assert.deepEqual(await coord.commitOffsets('g', a.generationId, a.memberId, null, [commit('a', 0, 7)]), [ErrorCode.NONE]);
    coord.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]);
    await clock.advance(0);
    assert.equal(coord.describe('g').groupState, 'Empty');
  }

  it('an Empty consumer group keeps its offsets for the retention period, then loses them and is removed', async () => {
    const { coord, store } = await coordinator();
    await emptiedConsumerGroup(coord);
    await clock.advance(RETENTION - 1);
    assert.deepEqual(committed(coord, 'g'), ['a-0'], 'kept 1 ms before the retention period ends');
    assert.equal(coord.describe('g').groupState, 'Empty');
    await clock.advance(CHECK_EVERY); // the next check after the period ended
    assert.deepEqual(committed(coord, 'g'), []);
    assert.equal(coord.describe('g').groupState, 'Dead');
    assert.deepEqual(coord.list().map((g) => g.groupId), []);
    assert.deepEqual(removed, ['g']);
    // Tombstones for the offset and the group are in the log, so a restarted coordinator does not bring it back.
    const tail = store.records().slice(-2);
    assert.deepEqual(tail.map((r) => [r.kind, r.value]), [['offset', null], ['group', null]]);
    const { coord: restarted } = await coordinator(store);
    assert.deepEqual(restarted.list(), []);
    assert.deepEqual(committed(restarted, 'g'), []);
  });

  it('counts an Empty group’s retention from when it became empty, across a restart', async () => {
    const store = new FakeGroupStore();
    const first = await coordinator(store);
    await emptiedConsumerGroup(first.coord);
    await clock.advance(5 * MINUTE);
    first.coord.close();
    const { coord } = await coordinator(store); // restarted 5 minutes into the retention period
    assert.equal(coord.describe('g').groupState, 'Empty');
    await clock.advance(RETENTION - 5 * MINUTE - 1);
    assert.deepEqual(committed(coord, 'g'), ['a-0'], 'still there 1 ms before the period that began before the restart ends');
    await clock.advance(CHECK_EVERY);
    assert.equal(coord.describe('g').groupState, 'Dead');
  });

  it('a commit-only group loses each offset once it is that old since its commit, and goes with the last one', async () => {
    const { coord } = await coordinator(undefined, { offsetsRetentionCheckIntervalMs: 24 * 60 * MINUTE }); // checks run by hand
    assert.deepEqual(await coord.commitOffsets('simple', -1, '', null, [commit('a', 0, 1)]), [ErrorCode.NONE]);
    await clock.advance(5 * MINUTE);
    assert.deepEqual(await coord.commitOffsets('simple', -1, '', null, [commit('a', 1, 1)]), [ErrorCode.NONE]);
    await clock.advance(RETENTION - 5 * MINUTE - 1);
    assert.deepEqual(await coord.expireOffsets(), { offsets: 0, groups: 0 }, 'nothing 1 ms before a-0 is retention old');
    await clock.advance(1);
    assert.deepEqual(await coord.expireOffsets(), { offsets: 1, groups: 0 });
    assert.deepEqual(committed(coord, 'simple'), ['a-1']);
    assert.equal(coord.describe('simple').groupState, 'Empty');
    assert.deepEqual(removed, []);
    await clock.advance(5 * MINUTE);
    assert.deepEqual(await coord.expireOffsets(), { offsets: 1, groups: 1 });
    assert.equal(coord.describe('simple').groupState, 'Dead');
    assert.deepEqual(removed, ['simple']);
  });

  it('a Stable consumer group keeps the offsets of topics it subscribes to and loses the others', async () => {
    const { coord } = await coordinator(undefined, { initialRebalanceDelayMs: 10, maxSessionTimeoutMs: 24 * 60 * MINUTE });
    const [m] = await stableGroup(coord, [{ clientId: 'm', sessionTimeoutMs: 2 * RETENTION, rebalanceTimeoutMs: 1000 }], 'g', clock); // subscribes to 'a'
    assert.deepEqual(await coord.commitOffsets('g', m.generationId, m.memberId, null, [commit('a', 0, 5), commit('b', 0, 5)]), [ErrorCode.NONE, ErrorCode.NONE]);
    await clock.advance(RETENTION + CHECK_EVERY);
    assert.equal(coord.describe('g').groupState, 'Stable');
    assert.deepEqual(committed(coord, 'g'), ['a-0']);
    assert.deepEqual(removed, []);
  });

  it('an Empty group without offsets is removed at the next check; a group whose tombstone write fails stays for the next', async () => {
    const { coord, store } = await coordinator();
    const a = await clock.runUntil(joinNew(coord));
    await coord.sync(syncReq(a));
    coord.leave('g', [{ memberId: a.memberId, groupInstanceId: null }]);
    await clock.advance(0);
    store.failNext = new Error('disk full');
    await clock.advance(CHECK_EVERY);
    assert.equal(coord.describe('g').groupState, 'Empty', 'kept while its tombstone cannot be written');
    await clock.advance(CHECK_EVERY);
    assert.equal(coord.describe('g').groupState, 'Dead');
    assert.deepEqual(removed, ['g']);
  });

  it('a deleted or expired group’s metric series are gone from /metrics', async () => {
    const metrics = new BrokerMetrics();
    const { coord } = await newCoordinator(
      { clock, offsetsRetentionMs: RETENTION, offsetsRetentionCheckIntervalMs: CHECK_EVERY },
      new FakeGroupStore(),
      { onRebalance: (g) => metrics.groupRebalanced(g), onCommit: (g, n) => metrics.offsetsCommitted(g, n), onGroupRemoved: (g) => metrics.groupRemoved(g) },
    );
    metrics.setGroupSource(function* () {
      for (const g of coord.allGroups()) {
        const offsets = [...g.offsets].map(([k, c]) => {
          const [topic, partition] = splitOffsetKey(k);
          return { topic, partition, committed: c.offset, logEndOffset: c.offset };
        });
        yield { group: g.groupId, state: g.state, members: g.members.size, offsets };
      }
    });
    await emptiedConsumerGroup(coord);
    assert.deepEqual(await coord.commitOffsets('other', -1, '', null, [commit('a', 0, 1)]), [ErrorCode.NONE]);
    const seriesOf = async (group: string) => (await metrics.scrape()).split('\n').filter((l) => l.includes(`group="${group}"`));
    assert.ok((await seriesOf('g')).length >= 3, 'rebalance, commit and lag series of g');
    assert.ok((await seriesOf('other')).length >= 2);
    assert.equal(await coord.deleteGroup('other'), ErrorCode.NONE);
    assert.deepEqual(await seriesOf('other'), [], 'deleted group: no series left');
    await clock.advance(RETENTION + CHECK_EVERY);
    assert.deepEqual(await seriesOf('g'), [], 'expired group: no series left');
  });
});
