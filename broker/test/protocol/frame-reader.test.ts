// FrameReader edge cases: an empty frame ending the received bytes (a raw SASL token answer), and a frame
// limit changed between frames (sasl.server.max.receive.size before authentication).
import { strict as assert } from 'node:assert';
import { FrameError, FrameReader } from '../../src/protocol/frame-reader';

const frame = (payload: Buffer) => {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
};

describe('protocol: frame reader', () => {
  it('returns an empty frame that ends the received bytes', () => {
    const r = new FrameReader(100);
    assert.deepEqual(r.push(frame(Buffer.alloc(0))), [Buffer.alloc(0)]);
    assert.deepEqual(r.push(Buffer.concat([frame(Buffer.from('a')), frame(Buffer.alloc(0))])), [Buffer.from('a'), Buffer.alloc(0)]);
    assert.equal(r.pendingBytes, 0);
  });

  it('applies a changed limit from the next size prefix, naming the setting', () => {
    const r = new FrameReader(100);
    r.setLimit(10, 'sasl.server.max.receive.size');
    assert.throws(() => r.push(frame(Buffer.alloc(11))), (e: unknown) => e instanceof FrameError && /exceeds sasl.server.max.receive.size \(10\)/.test(e.message));
    const r2 = new FrameReader(100);
    r2.setLimit(10, 'sasl.server.max.receive.size');
    assert.equal(r2.push(frame(Buffer.alloc(10))).length, 1);
    r2.setLimit(100, 'socket.request.max.bytes');
    assert.equal(r2.push(frame(Buffer.alloc(50))).length, 1);
  });
});
