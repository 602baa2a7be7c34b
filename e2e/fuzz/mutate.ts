// Mutations of encoded request frames: bit flips, byte insert/delete, length-field edits, int boundary
// substitutions, truncation, splices of two frames, and (rarely) a size prefix that disagrees with the payload.
// Mutations work on the payload after the int32 size prefix, which is rewritten to match, except for the
// size-prefix mutation itself (then the connection is out of step and the caller abandons it after sending).
import type { Rng } from './rng';

export interface Mutated {
  frame: Buffer;
  /** What was done, for crash reports. */
  ops: string[];
  /** The size prefix no longer matches the payload: nothing after this frame on the connection is meaningful. */
  desync: boolean;
}

const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];
const BOUNDARY_INT16 = [0, -1, 1, 0x7fff, -0x8000, 0x7ffe];
const BOUNDARY_INT32 = [0, -1, 1, 0x7fffffff, -0x80000000, 0x7ffffffe, 0x10000, 0x8000, 100 * 1024 * 1024];
const BOUNDARY_VARINT = [Buffer.from([0x00]), Buffer.from([0x7f]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0x80, 0x80, 0x80, 0x80, 0x08]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])];

/** Header bytes (api key, version, correlation id) are hit less often so most frames reach a handler. */
const HEADER_BYTES = 8;

type Op = (p: Buffer, rng: Rng) => { payload: Buffer; op: string };

function position(p: Buffer, rng: Rng, width = 1): number {
  const span = Math.max(0, p.length - width);
  // Three times in four, stay past the fixed header so the request still reaches the handler.
  if (span > HEADER_BYTES && rng.chance(0.75)) return HEADER_BYTES + rng.int(span - HEADER_BYTES + 1);
  return rng.int(span + 1);
}

const OPS: Array<[weight: number, op: Op]> = [
  [
    4,
    (p, rng) => {
      const n = rng.range(1, 4);
      const q = Buffer.from(p);
      const bits: number[] = [];
      for (let i = 0; i < n && q.length > 0; i++) {
        const bit = rng.int(q.length * 8);
        q[bit >> 3] ^= 1 << (bit & 7);
        bits.push(bit);
      }
      return { payload: q, op: `flip bits ${bits.join(',')}` };
    },
  ],
  [
    3,
    (p, rng) => {
      const at = position(p, rng);
      const v = rng.chance(0.5) ? rng.pick(BOUNDARY_BYTES) : rng.int(256);
      const q = Buffer.from(p);
      if (at < q.length) q[at] = v;
      return { payload: q, op: `set byte ${at}=${v}` };
    },
  ],
  [
    3,
    (p, rng) => {
      const width = rng.pick([2, 4, 4, 8]);
      if (p.length < width) return { payload: p, op: 'noop' };
      const at = position(p, rng, width);
      const q = Buffer.from(p);
      let v: number;
      if (width === 2) q.writeInt16BE((v = rng.pick(BOUNDARY_INT16)), at);
      else if (width === 4) q.writeInt32BE((v = rng.pick(BOUNDARY_INT32)), at);
      else q.writeBigInt64BE(BigInt((v = rng.pick([0, -1, 1]))) * (rng.chance(0.5) ? 1n : 2n ** 62n), at);
      return { payload: q, op: `int${width * 8} at ${at}=${v}` };
    },
  ],
  [
    2,
    (p, rng) => {
      // A length field edit: an int16/int32 length or a compact (varint) length at a random place.
      const at = position(p, rng, 4);
      const kind = rng.int(3);
      if (kind === 2) {
        const v = rng.pick(BOUNDARY_VARINT);
        return { payload: Buffer.concat([p.subarray(0, at), v, p.subarray(at + 1)]), op: `varint length at ${at}=${v.toString('hex')}` };
      }
      const q = Buffer.from(p);
      const width = kind === 0 ? 2 : 4;
      if (q.length < at + width) return { payload: q, op: 'noop' };
      const v = rng.pick([-1, -2, 0, 1, 0x7fff, rng.int(300), rng.int(70000)]);
      if (width === 2) q.writeInt16BE(Math.max(-0x8000, Math.min(0x7fff, v)), at);
      else q.writeInt32BE(v, at);
      return { payload: q, op: `int${width * 8} length at ${at}=${v}` };
    },
  ],
  [
    2,
    (p, rng) => {
      const at = position(p, rng);
      const ins = rng.chance(0.3) ? Buffer.alloc(rng.range(1, 64), rng.pick(BOUNDARY_BYTES)) : rng.bytes(rng.range(1, 16));
      return { payload: Buffer.concat([p.subarray(0, at), ins, p.subarray(at)]), op: `insert ${ins.length} at ${at}` };
    },
  ],
  [
    2,
    (p, rng) => {
      const at = position(p, rng);
      const n = Math.min(p.length - at, rng.range(1, 16));
      return { payload: Buffer.concat([p.subarray(0, at), p.subarray(at + n)]), op: `delete ${n} at ${at}` };
    },
  ],
  [
    2,
    (p, rng) => {
      const at = rng.int(p.length + 1);
      return { payload: p.subarray(0, at), op: `truncate to ${at}` };
    },
  ],
  [
    1,
    (p, rng) => {
      // Duplicate a random region (repeats array elements or fields).
      const a = position(p, rng);
      const n = Math.min(p.length - a, rng.range(1, 64));
      return { payload: Buffer.concat([p.subarray(0, a + n), p.subarray(a, a + n), p.subarray(a + n)]), op: `duplicate ${n} at ${a}` };
    },
  ],
];
const TOTAL_WEIGHT = OPS.reduce((n, [w]) => n + w, 0);

function pickOp(rng: Rng): Op {
  let x = rng.int(TOTAL_WEIGHT);
  for (const [w, op] of OPS) {
    if (x < w) return op;
    x -= w;
  }
  return OPS[0][1];
}

function framed(payload: Buffer, size = payload.length): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(size, 0);
  payload.copy(out, 4);
  return out;
}

/**
 * One to three stacked mutations of `frame` (size prefix included); `other`, another frame of the corpus, is
 * used for splices.
 */
export function mutate(frame: Buffer, other: Buffer, rng: Rng): Mutated {
  let payload = frame.subarray(4);
  const ops: string[] = [];
  if (rng.chance(0.05)) {
    // Splice: the head of this frame with the tail of another.
    const a = rng.int(payload.length + 1);
    const b = rng.int(other.length - 4 + 1);
    payload = Buffer.concat([payload.subarray(0, a), other.subarray(4 + b)]);
    ops.push(`splice ${a} + other from ${b}`);
  }
  const n = rng.chance(0.7) ? 1 : rng.range(2, 3);
  for (let i = 0; i < n; i++) {
    const r = pickOp(rng)(payload, rng);
    payload = r.payload;
    ops.push(r.op);
  }
  if (rng.chance(0.02)) {
    const size = rng.pick([payload.length + rng.range(1, 100), Math.max(0, payload.length - rng.range(1, 8)), 0]);
    ops.push(`size prefix ${size} for ${payload.length} bytes`);
    return { frame: framed(payload, size), ops, desync: true };
  }
  return { frame: framed(payload), ops, desync: false };
}
