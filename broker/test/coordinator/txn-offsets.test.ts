// Transactional offset commits in the group coordinator: pending until the transaction's marker lands in the
// group's __consumer_offsets partition (COMMIT: visible; ABORT: dropped), and replayed the same way on load.
import { strict as assert } from 'assert';
import { ErrorCode } from '../../src/protocol/errors';
import { FakeGroupStore, newCoordinator, useCoordinators } from './helpers';

describe('group coordinator: transactional offsets', () => {
  useCoordinators();
  const commit = (offset: number) => [{ topic: 'a', partition: 0, offset, leaderEpoch: -1, metadata: null }];
  const committed = (coord: Awaited<ReturnType<typeof newCoordinator>>['coord'], group: string) => coord.fetchOffsets(group, [{ name: 'a', partitions: [0] }])[0].committed?.offset ?? -1;

  it('are pending until COMMIT, dropped on ABORT, and reported as pending for require_stable', async () => {
    const { coord, store } = await newCoordinator();
    const partition = store.partitionFor('g');
    assert.deepEqual(await coord.commitTransactionalOffsets('g', { producerId: 9, producerEpoch: 0 }, -1, '', null, commit(5)), [ErrorCode.NONE]);
    assert.equal(committed(coord, 'g'), -1);
    assert.equal(coord.hasPendingOffset('g', 'a', 0), true);
    coord.completeTransaction(9, (partition + 1) % 50, true);
    assert.equal(committed(coord, 'g'), -1, 'a marker in another partition does not complete it');
    coord.completeTransaction(9, partition, false);
    assert.equal(committed(coord, 'g'), -1);
    assert.equal(coord.hasPendingOffset('g', 'a', 0), false);
    await coord.commitTransactionalOffsets('g', { producerId: 9, producerEpoch: 0 }, -1, '', null, commit(7));
    coord.completeTransaction(9, partition, true);
    assert.equal(committed(coord, 'g'), 7);
  });

  it('are replayed from the log on load: committed ones count, aborted and still-open ones do not', async () => {
    const store = new FakeGroupStore();
    const { coord } = await newCoordinator({}, store);
    const partition = store.partitionFor('g');
    await coord.commitTransactionalOffsets('g', { producerId: 1, producerEpoch: 0 }, -1, '', null, commit(3));
    store.appendMarker(1, partition, true);
    await coord.commitTransactionalOffsets('g', { producerId: 2, producerEpoch: 0 }, -1, '', null, commit(10));
    store.appendMarker(2, partition, false);
    await coord.commitTransactionalOffsets('g', { producerId: 3, producerEpoch: 0 }, -1, '', null, commit(20));
    const { coord: reloaded } = await newCoordinator({}, store);
    assert.equal(committed(reloaded, 'g'), 3);
    assert.equal(reloaded.hasPendingOffset('g', 'a', 0), true, 'the open transaction is still pending');
    reloaded.completeTransaction(3, partition, true);
    assert.equal(committed(reloaded, 'g'), 20);
  });
});
