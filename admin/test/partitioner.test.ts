// Kafka's default partitioner: murmur2 against the vectors in Apache Kafka's own UtilsTest, and placement.
import { strict as assert } from 'node:assert';
import { murmur2, partitionForKey, toPositive } from '../partitioner';

describe('admin partitioner (Kafka murmur2)', () => {
  it('hashes like org.apache.kafka.common.utils.Utils.murmur2', () => {
    // Vectors from Kafka's UtilsTest.testMurmur2: every tail length (0-3 extra bytes) is covered.
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [s, want] of cases) assert.equal(murmur2(Buffer.from(s, 'utf8')), want, s);
  });

  it('makes hashes positive by masking the sign bit, as Utils.toPositive', () => {
    assert.equal(toPositive(-1), 0x7fffffff);
    assert.equal(toPositive(-2147483648), 0);
    assert.equal(toPositive(5), 5);
  });

  it('places a key at toPositive(murmur2(key)) % partitions', () => {
    assert.equal(partitionForKey(Buffer.from('foobar'), 7), toPositive(-790332482) % 7);
    assert.equal(partitionForKey(Buffer.alloc(0), 1), 0);
    assert.throws(() => partitionForKey(Buffer.from('k'), 0), RangeError);
  });
});
