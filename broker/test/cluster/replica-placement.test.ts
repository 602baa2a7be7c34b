// Replica placement: brokers in rack-interleaved order, so round-robin placement spreads each partition's replicas
// over racks (broker.rack), and brokers without a rack behave as before (ids in order).
import { strict as assert } from 'node:assert';
import { rackInterleaved } from '../../src/cluster/controller';

describe('replica placement order', () => {
  it('keeps id order without racks', () => {
    assert.deepEqual(rackInterleaved([{ id: 3, rack: null }, { id: 1, rack: null }, { id: 2, rack: null }]), [1, 2, 3]);
  });

  it('alternates racks, so any 3 consecutive brokers sit in 3 racks', () => {
    const order = rackInterleaved([
      { id: 1, rack: 'a' }, { id: 2, rack: 'a' }, { id: 3, rack: 'b' }, { id: 4, rack: 'b' }, { id: 5, rack: 'c' }, { id: 6, rack: 'c' },
    ]);
    assert.deepEqual(order, [1, 3, 5, 2, 4, 6]);
    const rack = (id: number) => 'aabbcc'[id - 1];
    for (let p = 0; p < order.length; p++) {
      const replicas = [0, 1, 2].map((i) => order[(p + i) % order.length]);
      assert.equal(new Set(replicas.map(rack)).size, 3, `partition ${p}: ${replicas}`);
    }
  });

  it('places every broker once when racks are uneven', () => {
    const order = rackInterleaved([{ id: 1, rack: 'a' }, { id: 2, rack: 'a' }, { id: 3, rack: 'a' }, { id: 4, rack: 'b' }]);
    assert.deepEqual(order, [1, 4, 2, 3]);
  });
});
