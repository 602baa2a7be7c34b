// The one validation module for client-supplied topic names: what is legal, what is internal, and that a name
// echoed back can never exceed the wire's string limit, whatever the codec decoded.
import { strict as assert } from 'node:assert';
import { Reader, Writer, encode, decode, MAX_STRING_BYTES as MAX_WIRE_STRING_BYTES, type MessageSpec } from '../../src/protocol/codec';
import { truncateUtf8 } from '../../src/protocol/bounded-string';
import { echoName, isInternalTopic, isValidTopicName, MAX_TOPIC_NAME_LENGTH, quoteName, topicNameError } from '../../src/cluster/topic-names';

const ALL = { min: 0, max: 32767 };
const StringSpec: MessageSpec = { name: 'S', type: 'data', validVersions: ALL, flexibleVersions: { min: 0, max: -1 }, fields: [{ name: 's', type: 'string', versions: ALL }] };

/** A string as the broker's codec decodes it from the wire bytes `bytes`. */
function decodedFromWire(bytes: Buffer): string {
  const w = new Writer();
  w.writeInt16(bytes.length);
  const frame = Buffer.concat([w.toBuffer(), bytes]);
  return decode<{ s: string }>(StringSpec, 0, new Reader(frame)).s;
}

/** Throws if the encoder refuses `s`. */
function encodeString(s: string): Buffer {
  const w = new Writer();
  encode(StringSpec, 0, { s }, w);
  return w.toBuffer();
}

describe('topic names', () => {
  it('accepts Kafka-legal names up to 249 characters', () => {
    for (const name of ['a', 'orders', 'Orders.v2_eu-1', '__consumer_offsets', 'x'.repeat(MAX_TOPIC_NAME_LENGTH), '...a']) {
      assert.equal(topicNameError(name), null, name);
      assert.ok(isValidTopicName(name));
    }
  });

  it('refuses empty, null, "." and "..", too long, and illegal characters', () => {
    const bad = ['', '.', '..', 'x'.repeat(MAX_TOPIC_NAME_LENGTH + 1), 'a b', 'a/b', 'a:b', 'é', 'a\u0000', '\u{1F600}'];
    for (const name of bad) {
      assert.notEqual(topicNameError(name), null, JSON.stringify(name));
      assert.equal(isValidTopicName(name), false);
    }
    assert.notEqual(topicNameError(null), null);
    assert.match(topicNameError('')!, /empty/);
    assert.match(topicNameError('x'.repeat(300))!, /longer than 249/);
  });

  it('refuses invalid UTF-8 (decoded as U+FFFD)', () => {
    const name = decodedFromWire(Buffer.from([0x61, 0xff, 0xfe, 0x62]));
    assert.ok(name.includes('\ufffd'));
    assert.notEqual(topicNameError(name), null);
  });

  it('the error message quotes a long name only in part', () => {
    const msg = topicNameError('\u00e9'.repeat(30000))!;
    assert.ok(msg.length < 500, `message of ${msg.length} characters`);
    assert.match(msg, /30000 characters/);
  });

  it('knows the internal topics', () => {
    assert.ok(isInternalTopic('__consumer_offsets'));
    assert.ok(isInternalTopic('__transaction_state'));
    for (const name of ['consumer_offsets', '__consumer_offsets2', '', null, undefined]) assert.equal(isInternalTopic(name), false, String(name));
  });
});

describe('echoing client-supplied names', () => {
  it('leaves every name that fits the wire unchanged', () => {
    for (const s of ['', 'orders', 'x'.repeat(MAX_WIRE_STRING_BYTES), '\u00e9'.repeat(16383)]) assert.equal(echoName(s), s);
    assert.equal(echoName(null), null);
  });

  it('a maximal string of invalid UTF-8 decodes three times longer and is cut so the encoder accepts it', () => {
    const name = decodedFromWire(Buffer.alloc(MAX_WIRE_STRING_BYTES, 0xff));
    assert.equal(Buffer.byteLength(name), 3 * MAX_WIRE_STRING_BYTES, 'the codec decodes each invalid byte as U+FFFD');
    assert.throws(() => encodeString(name), /too long/);
    const echoed = echoName(name);
    assert.ok(Buffer.byteLength(echoed) <= MAX_WIRE_STRING_BYTES);
    assert.ok(name.startsWith(echoed));
    assert.doesNotThrow(() => encodeString(echoed));
  });

  it('11 KB of invalid UTF-8 (the size that broke the encoder) comes back encodable', () => {
    const name = decodedFromWire(Buffer.alloc(11 * 1024, 0xc3));
    assert.ok(Buffer.byteLength(name) > MAX_WIRE_STRING_BYTES);
    assert.doesNotThrow(() => encodeString(echoName(name)));
  });

  it('cuts between characters, never inside one', () => {
    assert.equal(truncateUtf8('ab\u00e9', 3), 'ab'); // é is 2 bytes: it does not fit in the third byte
    assert.equal(truncateUtf8('ab\u00e9', 4), 'ab\u00e9');
    assert.equal(truncateUtf8('\u{1F600}\u{1F600}', 7), '\u{1F600}'); // 4-byte characters
    const echoed = echoName('\u{1F600}'.repeat(10000)); // 40,000 bytes
    assert.ok(Buffer.byteLength(echoed) <= MAX_WIRE_STRING_BYTES);
    assert.ok(!echoed.includes('\ufffd'), 'no character was split');
  });

  it('quoteName bounds what an error message quotes', () => {
    assert.equal(quoteName('orders'), "'orders'");
    assert.equal(quoteName(null), 'null');
    const q = quoteName('z'.repeat(32767));
    assert.ok(q.length < 400);
    assert.match(q, /32767 characters/);
  });
});
