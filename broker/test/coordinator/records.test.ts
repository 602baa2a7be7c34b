// __consumer_offsets record layout (byte for byte as Kafka writes it), the group → partition mapping
// (Java's String.hashCode and Kafka's Utils.abs), and the consumer-protocol subscription reader.
import { strict as assert } from 'assert';
import { subscribedTopics } from '../../src/coordinator/consumer-protocol';
import { GroupStore, javaStringHash } from '../../src/coordinator/group-store';
import { decodeOffsetsRecord, encodeOffsetsRecord, type GroupMetadataValue } from '../../src/coordinator/offsets-records';
import type { ReplicaManager } from '../../src/cluster/replica-manager';
import { subscription } from './helpers';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'latin1').toString('hex');

describe('__consumer_offsets records', () => {
  it('offset commit: key v1 and value v3 match Kafka\'s byte layout', () => {
    const { key, value } = encodeOffsetsRecord({
      kind: 'offset',
      group: 'grp',
      topic: 'tp',
      partition: 7,
      value: { offset: 1234567890123, leaderEpoch: 4, metadata: 'md', commitTimestamp: 1700000000000 },
    });
    // key: int16 version 1, string group, string topic, int32 partition
    assert.equal(key.toString('hex'), hex(`0001 0003 ${ascii('grp')} 0002 ${ascii('tp')} 00000007`).toString('hex'));
    // value: int16 version 3, int64 offset, int32 leader epoch, string metadata, int64 commit timestamp
    assert.equal(value!.toString('hex'), hex(`0003 0000011f71fb04cb 00000004 0002 ${ascii('md')} 0000018bcfe56800`).toString('hex'));

    const back = decodeOffsetsRecord(key, value);
    assert.deepEqual(back, {
      kind: 'offset',
      group: 'grp',
      topic: 'tp',
      partition: 7,
      value: { offset: 1234567890123, leaderEpoch: 4, metadata: 'md', commitTimestamp: 1700000000000 },
    });
  });

  it('an offset key v0 (same layout) written by old brokers is read too', () => {
    const key = hex(`0000 0001 ${ascii('g')} 0001 ${ascii('t')} 00000000`);
    const value = hex(`0003 0000000000000005 ffffffff 0000 0000000000000001`);
    assert.deepEqual(decodeOffsetsRecord(key, value), { kind: 'offset', group: 'g', topic: 't', partition: 0, value: { offset: 5, leaderEpoch: -1, metadata: '', commitTimestamp: 1 } });
  });

  it('group metadata: key v2 and value v3 match Kafka\'s byte layout', () => {
    const value: GroupMetadataValue = {
      protocolType: 'consumer',
      generation: 5,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 1700000000000,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: null,
          clientId: 'c',
          clientHost: '/h',
          rebalanceTimeout: 300000,
          sessionTimeout: 45000,
          subscription: Buffer.from([1, 2]),
          assignment: Buffer.alloc(0),
        },
      ],
    };
    const enc = encodeOffsetsRecord({ kind: 'group', group: 'grp', value });
    assert.equal(enc.key.toString('hex'), hex(`0002 0003 ${ascii('grp')}`).toString('hex'));
    const expected = hex(
      [
        '0003', // value version
        `0008 ${ascii('consumer')}`, // protocol type
        '00000005', // generation
        `0005 ${ascii('range')}`, // protocol (nullable string)
        `0002 ${ascii('m1')}`, // leader (nullable string)
        '0000018bcfe56800', // current state timestamp
        '00000001', // members: int32 count
        `0002 ${ascii('m1')}`, // member id
        'ffff', // group instance id: null
        `0001 ${ascii('c')}`, // client id
        `0002 ${ascii('/h')}`, // client host
        '000493e0', // rebalance timeout 300000
        '0000afc8', // session timeout 45000
        '00000002 0102', // subscription: int32 length + bytes
        '00000000', // assignment: empty
      ].join(' '),
    );
    assert.equal(enc.value!.toString('hex'), expected.toString('hex'));
    assert.deepEqual(decodeOffsetsRecord(enc.key, enc.value), { kind: 'group', group: 'grp', value });
  });

  it('a group with no members and no protocol (Empty) round-trips with null protocol and leader', () => {
    const value: GroupMetadataValue = { protocolType: 'consumer', generation: 2, protocol: null, leader: null, currentStateTimestamp: 5, members: [] };
    const enc = encodeOffsetsRecord({ kind: 'group', group: 'g', value });
    assert.equal(enc.value!.toString('hex'), hex(`0003 0008 ${ascii('consumer')} 00000002 ffff ffff 0000000000000005 00000000`).toString('hex'));
    assert.deepEqual(decodeOffsetsRecord(enc.key, enc.value), { kind: 'group', group: 'g', value });
  });

  it('tombstones: a null value decodes as a null value for both kinds', () => {
    const o = encodeOffsetsRecord({ kind: 'offset', group: 'g', topic: 't', partition: 1, value: null });
    assert.equal(o.value, null);
    assert.deepEqual(decodeOffsetsRecord(o.key, null), { kind: 'offset', group: 'g', topic: 't', partition: 1, value: null });
    const g = encodeOffsetsRecord({ kind: 'group', group: 'g', value: null });
    assert.equal(g.value, null);
    assert.deepEqual(decodeOffsetsRecord(g.key, null), { kind: 'group', group: 'g', value: null });
  });

  it('unknown key versions (e.g. KIP-848 consumer-group records) are skipped', () => {
    assert.equal(decodeOffsetsRecord(hex(`0003 0001 ${ascii('g')}`), hex('0000')), null);
    assert.equal(decodeOffsetsRecord(hex(`000b 0001 ${ascii('g')}`), null), null);
  });
});

describe('group → __consumer_offsets partition', () => {
  it('javaStringHash is Java\'s String.hashCode', () => {
    // Values from java.lang.String#hashCode.
    const cases: Array<[string, number]> = [
      ['', 0],
      ['a', 97],
      ['hello', 99162322],
      ['my-consumer-group', 1513705513],
      ['console-consumer-12345', 158455506],
      ['abcdefghij', -634317659], // overflows to a negative int
      ['polygenelubricants', -2147483648], // Integer.MIN_VALUE
      ['groupé', -1237460406], // non-ASCII: UTF-16 code units
      ['\u{1F600}emoji', -1233692477], // a surrogate pair counts as two chars
    ];
    for (const [s, h] of cases) assert.equal(javaStringHash(s), h, JSON.stringify(s));
  });

  it('partitionFor is Utils.abs(hashCode) % partitions, with Integer.MIN_VALUE → 0', () => {
    const store = new GroupStore({} as ReplicaManager, 50);
    const cases: Array<[string, number]> = [
      ['', 0],
      ['a', 47],
      ['hello', 22],
      ['my-consumer-group', 13],
      ['abcdefghij', 9], // |-634317659| % 50
      ['polygenelubricants', 0], // Math.abs(MIN_VALUE) would stay negative in Java; Kafka's Utils.abs maps it to 0
      ['groupé', 6],
    ];
    for (const [s, p] of cases) assert.equal(store.partitionFor(s), p, JSON.stringify(s));
    const small = new GroupStore({} as ReplicaManager, 3);
    assert.equal(small.partitionFor('abcdefghij'), 634317659 % 3);
  });
});

describe('consumer protocol subscription', () => {
  it('reads the topics of every known version and of newer versions', () => {
    for (const v of [0, 1, 2, 3]) assert.deepEqual(subscribedTopics(subscription(['x', 'y'], v)), ['x', 'y'], `v${v}`);
    // A newer version only appends fields: read as the highest known one.
    const v9 = Buffer.concat([subscription(['x'], 3), Buffer.from([0xde, 0xad])]);
    v9.writeInt16BE(9, 0);
    assert.deepEqual(subscribedTopics(v9), ['x']);
    assert.equal(subscribedTopics(Buffer.from([0, 1, 0xff])), null);
    assert.equal(subscribedTopics(Buffer.alloc(0)), null);
  });
});
