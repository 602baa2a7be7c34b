import * as assert from 'assert';
import { ProtocolError, Reader, Writer, ZERO_UUID, decode, elementBudget, encode } from '../../src/protocol/codec';
import {
  ApiVersionsResponseSpec,
  ConsumerGroupHeartbeatResponseSpec,
  FetchResponseSpec,
  MetadataRequestSpec,
  ProduceRequestSpec,
  RequestHeaderSpec,
} from '../../src/protocol/schema/messages';
import type { ConsumerGroupHeartbeatResponse, FetchResponse, MetadataRequest, ProduceRequest } from '../../src/protocol/schema/types';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');
}

function written(fn: (w: Writer) => void): Buffer {
  const w = new Writer();
  fn(w);
  return w.toBuffer();
}

describe('varints', () => {
  const unsigned: Array<[number, string]> = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [300, 'ac02'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2 ** 31 - 1, 'ffffffff07'],
    [2 ** 32 - 1, 'ffffffff0f'],
  ];
  for (const [v, h] of unsigned) {
    it(`unsigned varint ${v} <-> ${h}`, () => {
      assert.deepStrictEqual(written((w) => w.writeUnsignedVarint(v)), hex(h));
      assert.strictEqual(new Reader(hex(h)).readUnsignedVarint(), v);
    });
  }

  const signed: Array<[number, string]> = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-64, '7f'],
    [64, '8001'],
    [2 ** 31 - 1, 'feffffff0f'],
    [-(2 ** 31), 'ffffffff0f'],
  ];
  for (const [v, h] of signed) {
    it(`zigzag varint ${v} <-> ${h}`, () => {
      assert.deepStrictEqual(written((w) => w.writeVarint(v)), hex(h));
      assert.strictEqual(new Reader(hex(h)).readVarint(), v);
    });
  }

  const longs: Array<[number, string]> = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [2 ** 31, '8080808010'],
    [-(2 ** 31) - 1, '8180808010'],
    [Number.MAX_SAFE_INTEGER, 'feffffffffffff1f'],
    [Number.MIN_SAFE_INTEGER, 'fdffffffffffff1f'],
  ];
  for (const [v, h] of longs) {
    it(`zigzag varlong ${v} <-> ${h}`, () => {
      assert.deepStrictEqual(written((w) => w.writeVarlong(v)), hex(h));
      assert.strictEqual(new Reader(hex(h)).readVarlong(), v);
    });
  }

  it('reads the extreme 10-byte varlongs', () => {
    assert.strictEqual(new Reader(hex('feffffffffffffffff01')).readVarlong(), 2 ** 63);
    assert.strictEqual(new Reader(hex('ffffffffffffffffff01')).readVarlong(), -(2 ** 63));
  });

  it('rejects overlong and truncated varints with ProtocolError', () => {
    assert.throws(() => new Reader(hex('ffffffffff01')).readUnsignedVarint(), ProtocolError);
    assert.throws(() => new Reader(hex('ffffffff10')).readUnsignedVarint(), ProtocolError);
    assert.throws(() => new Reader(hex('8080')).readUnsignedVarint(), ProtocolError);
    assert.throws(() => new Reader(hex('ffffffffffffffffffff01')).readVarlong(), ProtocolError);
    assert.throws(() => new Reader(hex('ff')).readVarlong(), ProtocolError);
  });

  it('refuses to write out-of-range varints', () => {
    assert.throws(() => new Writer().writeUnsignedVarint(-1), ProtocolError);
    assert.throws(() => new Writer().writeUnsignedVarint(2 ** 32), ProtocolError);
    assert.throws(() => new Writer().writeVarint(2 ** 31), ProtocolError);
    assert.throws(() => new Writer().writeVarlong(1.5), ProtocolError);
  });
});

describe('fixed-width values', () => {
  it('int64 round-trips across the safe range and saturates beyond it', () => {
    for (const v of [0, -1, 1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      assert.strictEqual(new Reader(written((w) => w.writeInt64(v))).readInt64(), v);
    }
    assert.deepStrictEqual(written((w) => w.writeInt64(-1)), hex('ffffffffffffffff'));
    assert.deepStrictEqual(written((w) => w.writeInt64(2 ** 60)), hex('1000000000000000'));
    assert.throws(() => new Writer().writeInt64(2 ** 63), ProtocolError);
    assert.throws(() => new Writer().writeInt64(0.5), ProtocolError);
  });

  it('uuids are canonical lowercase strings', () => {
    const bytes = hex('5f1c0a559e3c4b9a8d3e2a1b3c4d5e6f');
    assert.strictEqual(new Reader(bytes).readUuid(), '5f1c0a55-9e3c-4b9a-8d3e-2a1b3c4d5e6f');
    assert.deepStrictEqual(written((w) => w.writeUuid('5F1C0A55-9E3C-4B9A-8D3E-2A1B3C4D5E6F')), bytes);
    assert.throws(() => new Writer().writeUuid('not-a-uuid'), ProtocolError);
  });

  it('float64, uint16, uint32, bool', () => {
    const buf = written((w) => {
      w.writeFloat64(-2.5);
      w.writeUInt16(65535);
      w.writeUInt32(4294967295);
      w.writeBool(true);
    });
    const r = new Reader(buf);
    assert.strictEqual(r.readFloat64(), -2.5);
    assert.strictEqual(r.readUInt16(), 65535);
    assert.strictEqual(r.readUInt32(), 4294967295);
    assert.strictEqual(r.readBool(), true);
    assert.strictEqual(r.remaining(), 0);
  });

  it('a Reader over a region never reads past its end', () => {
    const r = new Reader(hex('0102030405060708'), 2, 4);
    assert.strictEqual(r.readInt16(), 0x0304);
    assert.throws(() => r.readInt8(), ProtocolError);
    assert.throws(() => new Reader(hex('00')).readSlice(-1), ProtocolError);
  });
});

describe('malformed input', () => {
  it('a 2 GiB bytes length in a small frame is a ProtocolError, not an allocation', () => {
    // ProduceRequest v3: transactionalId null, acks, timeout, one topic, one partition with records length 0x7fffffff.
    const body = hex('ffff 0001 00000064 00000001 0001 74 00000001 00000000 7fffffff 0000');
    assert.throws(() => decode(ProduceRequestSpec, 3, new Reader(body)), ProtocolError);
  });

  it('huge array lengths are refused before allocating', () => {
    assert.throws(() => decode(MetadataRequestSpec, 1, new Reader(hex('7fffffff 0000'))), /array length 2147483647/);
    assert.throws(() => decode(MetadataRequestSpec, 9, new Reader(hex('ffffffff0f 00'))), ProtocolError);
  });

  it('an element budget bounds what one message decodes to, counted per message', () => {
    // Metadata v1 naming 1,000 empty topics: 2 bytes each on the wire.
    const body = Buffer.alloc(4 + 2 * 1000);
    body.writeInt32BE(1000, 0);
    assert.equal(decode<MetadataRequest>(MetadataRequestSpec, 1, new Reader(body, 0, body.length, elementBudget(1000))).topics!.length, 1000);
    assert.throws(() => decode(MetadataRequestSpec, 1, new Reader(body, 0, body.length, elementBudget(999))), /more than 999 array elements/);
  });

  it('huge string lengths are refused', () => {
    assert.throws(() => decode(RequestHeaderSpec, 1, new Reader(hex('0012 0000 00000001 7fff 61'))), ProtocolError);
    // compact string of 2^32-2 bytes
    assert.throws(() => decode(MetadataRequestSpec, 9, new Reader(hex('02 ffffffff0f'))), ProtocolError);
  });

  it('null where the version does not allow it is a ProtocolError', () => {
    // Metadata v0: topics is not nullable.
    assert.throws(() => decode(MetadataRequestSpec, 0, new Reader(hex('ffffffff'))), /non-nullable array/);
    // RequestHeader v1 with a negative-length non-nullable... client id is nullable, so it decodes as null.
    assert.strictEqual(decode<{ clientId: string | null }>(RequestHeaderSpec, 1, new Reader(hex('0012 0000 00000001 ffff'))).clientId, null);
  });

  it('errors name the message and version', () => {
    assert.throws(() => decode(FetchResponseSpec, 12, new Reader(hex('00'))), /^ProtocolError: FetchResponse v12: truncated/);
  });

  it('refuses versions outside validVersions', () => {
    assert.throws(() => decode(MetadataRequestSpec, 99, new Reader(hex(''))), /MetadataRequest has no version 99/);
  });
});

describe('defaults', () => {
  it('decode fills fields absent in the version with their defaults', () => {
    const req = decode<MetadataRequest>(MetadataRequestSpec, 1, new Reader(hex('00000000')));
    assert.deepStrictEqual(req, {
      topics: [],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  });

  it('tagged fields absent from the wire decode to defaults (struct defaults included)', () => {
    const w = new Writer();
    encode(FetchResponseSpec, 12, { responses: [{ topic: 't', partitions: [{ partitionIndex: 1, records: null }] }] }, w);
    const res = decode<FetchResponse>(FetchResponseSpec, 12, new Reader(w.toBuffer()));
    const p = res.responses[0].partitions[0];
    assert.deepStrictEqual(p.divergingEpoch, { epoch: -1, endOffset: -1 });
    assert.deepStrictEqual(p.currentLeader, { leaderId: -1, leaderEpoch: -1 });
    assert.strictEqual(p.lastStableOffset, -1);
    assert.strictEqual(p.preferredReadReplica, -1);
    assert.deepStrictEqual(res.nodeEndpoints, []);
  });

  it('encode fills missing fields with defaults', () => {
    const w = new Writer();
    encode(ProduceRequestSpec, 3, { acks: -1, timeoutMs: 1000 }, w);
    assert.deepStrictEqual(w.toBuffer(), hex('ffff ffff 000003e8 00000000'));
    const req = decode<ProduceRequest>(ProduceRequestSpec, 3, new Reader(w.toBuffer()));
    assert.strictEqual(req.transactionalId, null);
  });

  it('a tagged struct equal to its default is not written; a different one is', () => {
    const part = { partitionIndex: 0, records: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } };
    const a = new Writer();
    encode(FetchResponseSpec, 12, { responses: [{ topic: 't', partitions: [part] }] }, a);
    const b = new Writer();
    encode(FetchResponseSpec, 12, { responses: [{ topic: 't', partitions: [{ ...part, currentLeader: { leaderId: 3, leaderEpoch: 7 } }] }] }, b);
    assert.strictEqual(b.length - a.length, 1 + 1 + 8 + 1, 'tag, size, struct (two int32 + its tags)');
    const res = decode<FetchResponse>(FetchResponseSpec, 12, new Reader(b.toBuffer()));
    assert.deepStrictEqual(res.responses[0].partitions[0].currentLeader, { leaderId: 3, leaderEpoch: 7 });
  });

  it('nullable structs carry a presence byte', () => {
    const w = new Writer();
    encode(ConsumerGroupHeartbeatResponseSpec, 0, { memberId: 'm', assignment: null }, w);
    const bytes = w.toBuffer();
    assert.strictEqual(bytes[bytes.length - 2], 0xff, 'int8 -1 before the top-level tagged fields');
    const res = decode<ConsumerGroupHeartbeatResponse>(ConsumerGroupHeartbeatResponseSpec, 0, new Reader(bytes));
    assert.strictEqual(res.assignment, null);
    assert.strictEqual(res.errorMessage, null);
  });

  it('zero uuid is the uuid default', () => {
    const req = decode<MetadataRequest>(MetadataRequestSpec, 10, new Reader(hex('02 00000000000000000000000000000000 00 00 01 00 00 00')));
    assert.strictEqual(req.topics![0].topicId, ZERO_UUID);
    assert.strictEqual(req.topics![0].name, null);
  });
});

describe('encode errors', () => {
  it('name the field path', () => {
    const w = new Writer();
    assert.throws(
      () => encode(ApiVersionsResponseSpec, 0, { apiKeys: [{ apiKey: 1 }, { apiKey: 70000 }] }, w),
      /ApiVersionsResponse v0 apiKeys\[1\]\.apiKey: .*range/,
    );
    assert.throws(() => encode(MetadataRequestSpec, 0, { topics: null }, new Writer()), /MetadataRequest v0 topics: null is not allowed/);
  });
});
