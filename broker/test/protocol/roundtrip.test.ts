// Every message schema at every valid version: encode -> decode -> equal, re-encode -> identical bytes;
// and every truncation of an encoded message fails with ProtocolError.
import * as assert from 'assert';
import { ProtocolError, Reader, Writer, decode, encode } from '../../src/protocol/codec';
import { ALL_MESSAGE_SPECS } from '../../src/protocol/schema/messages';
import type { MessageSpec } from '../../src/protocol/schema/spec';
import { Obj, SampleOptions, keyVersions, project, sample } from './samples';

function encodeToBuffer(spec: MessageSpec, version: number, value: object): Buffer {
  const w = new Writer(16);
  encode(spec, version, value, w);
  const buf = w.toBuffer();
  assert.strictEqual(buf.length, w.length);
  return buf;
}

function roundTrip(spec: MessageSpec, version: number, opts: SampleOptions): void {
  const value = sample(spec, version, opts);
  const bytes = encodeToBuffer(spec, version, value);
  const r = new Reader(bytes);
  const decoded = decode<Obj>(spec, version, r);
  assert.strictEqual(r.remaining(), 0, 'decode consumed every byte');
  assert.deepStrictEqual(project(spec.fields, version, decoded), project(spec.fields, version, value));
  assert.ok(encodeToBuffer(spec, version, decoded).equals(bytes), 're-encoding gives identical bytes');
}

describe('protocol round trip', () => {
  it('covers every message file', () => {
    assert.ok(ALL_MESSAGE_SPECS.length >= 180, `only ${ALL_MESSAGE_SPECS.length} specs`);
  });

  for (const spec of ALL_MESSAGE_SPECS) {
    describe(spec.name, () => {
      for (let v = spec.validVersions.min; v <= spec.validVersions.max; v++) {
        it(`v${v}`, () => {
          roundTrip(spec, v, { nulls: false });
          roundTrip(spec, v, { nulls: true });
          roundTrip(spec, v, { nulls: false, recordsAsList: true });
        });
      }

      it('rejects every truncation with ProtocolError', () => {
        for (const v of keyVersions(spec)) {
          const bytes = encodeToBuffer(spec, v, sample(spec, v, { nulls: false }));
          const step = Math.max(1, Math.floor(bytes.length / 200));
          for (let cut = 0; cut < bytes.length; cut += step) {
            assert.throws(() => decode(spec, v, new Reader(bytes.subarray(0, cut))), ProtocolError, `v${v} cut at ${cut}`);
          }
        }
      });
    });
  }
});
