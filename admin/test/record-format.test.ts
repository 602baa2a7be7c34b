// Rendering of keys and values, kcat -f format strings and the JSON form of records.
import { strict as assert } from 'node:assert';
import { AdminError } from '../errors';
import { compileKcatFormat, formatRecord, recordToJson, renderBytes } from '../record-format';
import type { ConsumedRecord } from '../records';

function record(over: Partial<ConsumedRecord> = {}): ConsumedRecord {
  return {
    topic: 'orders',
    partition: 2,
    offset: 41,
    timestamp: 1700000000123,
    timestampType: 'CreateTime',
    key: Buffer.from('k1'),
    value: Buffer.from('{"a":1}'),
    headers: [
      { key: 'h1', value: Buffer.from('v1') },
      { key: 'h2', value: Buffer.from('v2') },
    ],
    leaderEpoch: 0,
    ...over,
  };
}

describe('admin record-format', () => {
  it('renders bytes as text, pretty JSON (text when not JSON), hex and base64', () => {
    const b = Buffer.from('{"a":[1,2]}');
    assert.equal(renderBytes(b, 'text'), '{"a":[1,2]}');
    assert.equal(renderBytes(b, 'json'), '{\n  "a": [\n    1,\n    2\n  ]\n}');
    assert.equal(renderBytes(Buffer.from('not json'), 'json'), 'not json');
    assert.equal(renderBytes(Buffer.from([0, 255, 16]), 'hex'), '00ff10');
    assert.equal(renderBytes(Buffer.from('hi'), 'base64'), 'aGk=');
    assert.equal(renderBytes(null, 'text'), '');
    assert.equal(renderBytes(null, 'json'), 'null');
  });

  it('formats every kcat -f token', () => {
    assert.equal(formatRecord(record(), '%t|%p|%o|%k|%K|%s|%S|%T|%h|%%\\n'), 'orders|2|41|k1|2|{"a":1}|7|1700000000123|h1=v1,h2=v2|%\n');
    assert.equal(formatRecord(record(), 'Key: %k\\tValue: %s'), 'Key: k1\tValue: {"a":1}');
    assert.equal(formatRecord(record(), '\\x41\\\\'), 'A\\');
    assert.deepEqual(compileKcatFormat('%o\\xff\\x00')(record()), Buffer.from([0x34, 0x31, 0xff, 0x00]));
  });

  it('prints -1 lengths and nothing for null keys and values, and no headers as empty', () => {
    assert.equal(formatRecord(record({ key: null, value: null, headers: [] }), '[%k][%K][%s][%S][%h]'), '[][-1][][-1][]');
  });

  it('writes %R as a 4-byte big-endian length before raw value bytes', () => {
    const value = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]);
    const out = compileKcatFormat('%R%s')(record({ value }));
    assert.deepEqual(out, Buffer.concat([Buffer.from([0, 0, 0, 5]), value]));
    assert.deepEqual(compileKcatFormat('%R')(record({ value: null })), Buffer.from([0xff, 0xff, 0xff, 0xff]));
  });

  it('applies key and value formats to %k and %s', () => {
    const fmt = compileKcatFormat('%k %s', { keyFormat: 'hex', valueFormat: 'base64' });
    assert.equal(fmt(record()).toString(), `${Buffer.from('k1').toString('hex')} ${Buffer.from('{"a":1}').toString('base64')}`);
  });

  it('refuses unknown tokens as a usage error', () => {
    assert.throws(() => compileKcatFormat('%q'), (e: unknown) => e instanceof AdminError && e.kind === 'usage' && /%q/.test(e.message));
    assert.throws(() => compileKcatFormat('trailing %'), (e: unknown) => e instanceof AdminError && e.kind === 'usage');
  });

  it('turns a record into plain JSON, embedding JSON values when asked', () => {
    assert.deepEqual(recordToJson(record(), { valueFormat: 'json' }), {
      topic: 'orders',
      partition: 2,
      offset: 41,
      timestamp: 1700000000123,
      timestampType: 'CreateTime',
      key: 'k1',
      value: { a: 1 },
      headers: [
        { key: 'h1', value: 'v1' },
        { key: 'h2', value: 'v2' },
      ],
    });
    assert.equal(recordToJson(record({ key: null }), {}).key, null);
    assert.equal(recordToJson(record(), {}).value, '{"a":1}');
  });
});
