// boundUtf8: client strings echoed into responses always fit the bound, are cut at character boundaries,
// and strings that fit come back unchanged.
import { strict as assert } from 'node:assert';
import { boundUtf8 } from '../../src/protocol/bounded-string';
import { MAX_STRING_BYTES } from '../../src/protocol/codec';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('boundUtf8', () => {
  it('returns strings that fit unchanged', () => {
    assert.equal(boundUtf8('consumer-1', 255), 'consumer-1');
    const exact = 'x'.repeat(MAX_STRING_BYTES);
    assert.equal(boundUtf8(exact), exact);
  });

  it('cuts longer strings to the bound, marking the cut', () => {
    const out = boundUtf8('c'.repeat(32_760), 255);
    assert.equal(bytes(out), 255);
    assert.ok(out.endsWith('...'));
  });

  it('never splits a multi-byte character, and counts the bytes a decoded string will take', () => {
    // What 32,760 bytes of invalid UTF-8 decode to: U+FFFD, three bytes each.
    const decoded = Buffer.alloc(32_760, 0xff).toString('utf8');
    assert.equal(bytes(decoded), 3 * 32_760);
    const out = boundUtf8(decoded);
    assert.ok(bytes(out) <= MAX_STRING_BYTES);
    assert.equal(out.replace(/\.\.\.$/, '').replace(/\uFFFD/g, ''), '', 'only whole replacement characters');
    for (const max of [1, 2, 3, 4, 5, 7, 100]) {
      const s = boundUtf8('é€😀'.repeat(50), max);
      assert.ok(bytes(s) <= max, `bound ${max}: ${bytes(s)} bytes`);
      assert.ok(!s.includes('\uFFFD'), `bound ${max}: no broken character`);
    }
  });
});
