// One generic Kafka wire codec driven by the generated schema tables (schema/messages.ts).
// Each (spec, version) is compiled once into a plan of closures; decode/encode only run those closures.
import { FieldSpec, MessageSpec, inRange } from './schema/spec';

export type { MessageSpec } from './schema/spec';

/** Thrown for truncated or malformed input, and for values that cannot be encoded. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808;
export const MAX_STRING_BYTES = 0x7fff; // Kafka rejects longer strings, compact or not
const EMPTY = Buffer.alloc(0);

/** Bounds-checked big-endian reader over a buffer region; slices it returns share the input's memory. */
/**
 * How many array elements one decode may produce, shared by the readers of one message (tagged fields read
 * through sub-readers). An element can take one byte on the wire but a hundred in memory: without a budget a
 * 40 MB frame of empty strings decodes to gigabytes.
 */
export interface ElementBudget {
  readonly limit: number;
  left: number;
}

export function elementBudget(limit: number): ElementBudget {
  return { limit, left: limit };
}

export class Reader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
    readonly budget: ElementBudget = elementBudget(Number.POSITIVE_INFINITY),
  ) {
    this.offset = offset;
    this.end = end;
  }

  /** Charges n decoded elements to this message's budget. */
  chargeElements(n: number): void {
    this.budget.left -= n;
    if (this.budget.left < 0) throw new ProtocolError(`more than ${this.budget.limit} array elements in one message`);
  }

  remaining(): number {
    return this.end - this.offset;
  }

  /** Consumes n bytes and returns where they start. */
  private take(n: number): number {
    const o = this.offset;
    if (n > this.end - o) throw new ProtocolError(`truncated: need ${n} bytes at offset ${o}, ${this.end - o} left`);
    this.offset = o + n;
    return o;
  }

  private checkLength(n: number): void {
    if (n < 0) throw new ProtocolError(`negative length ${n}`);
  }

  readInt8(): number {
    return this.buf.readInt8(this.take(1));
  }

  readInt16(): number {
    return this.buf.readInt16BE(this.take(2));
  }

  readUInt16(): number {
    return this.buf.readUInt16BE(this.take(2));
  }

  readInt32(): number {
    return this.buf.readInt32BE(this.take(4));
  }

  readUInt32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }

  /** Exact within ±2^53; beyond that the nearest double. */
  readInt64(): number {
    const o = this.take(8);
    return this.buf.readInt32BE(o) * TWO_32 + this.buf.readUInt32BE(o + 4);
  }

  readFloat64(): number {
    return this.buf.readDoubleBE(this.take(8));
  }

  readBool(): boolean {
    return this.buf[this.take(1)] !== 0;
  }

  readUuid(): string {
    const o = this.take(16);
    const h = this.buf.toString('hex', o, o + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Unsigned LEB128 of at most 5 bytes (0 .. 2^32-1). */
  readUnsignedVarint(): number {
    const b = this.buf;
    let o = this.offset;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      if (o >= this.end) throw new ProtocolError(`truncated varint at offset ${o}`);
      const byte = b[o++];
      if (i === 4 && byte > 0x0f) throw new ProtocolError('varint does not fit in 32 bits');
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.offset = o;
        return result;
      }
      scale *= 128;
    }
    throw new ProtocolError('varint is longer than 5 bytes');
  }

  /** Zigzag-encoded int32. */
  readVarint(): number {
    const v = this.readUnsignedVarint();
    return (v >>> 1) ^ -(v & 1);
  }

  /** Zigzag-encoded int64 of at most 10 bytes; exact within ±2^53. */
  readVarlong(): number {
    const b = this.buf;
    let o = this.offset;
    let result = 0;
    let scale = 1;
    // Up to 7 bytes (49 bits) stay exact in a double; longer ones take the BigInt path.
    for (let i = 0; i < 7; i++) {
      if (o >= this.end) throw new ProtocolError(`truncated varlong at offset ${o}`);
      const byte = b[o++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.offset = o;
        return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      }
      scale *= 128;
    }
    return this.readLongVarlong();
  }

  private readLongVarlong(): number {
    const b = this.buf;
    let o = this.offset;
    let z = 0n;
    for (let i = 0; i < 10; i++) {
      if (o >= this.end) throw new ProtocolError(`truncated varlong at offset ${o}`);
      const byte = b[o++];
      if (i === 9 && byte > 0x01) throw new ProtocolError('varlong does not fit in 64 bits');
      z |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) {
        this.offset = o;
        return Number((z >> 1n) ^ -(z & 1n));
      }
    }
    throw new ProtocolError('varlong is longer than 10 bytes');
  }

  /** The next n bytes as a slice of the input (no copy). */
  readSlice(n: number): Buffer {
    this.checkLength(n);
    const o = this.take(n);
    return this.buf.subarray(o, o + n);
  }

  readUtf8(n: number): string {
    this.checkLength(n);
    const o = this.take(n);
    return this.buf.toString('utf8', o, o + n);
  }

  skip(n: number): void {
    this.checkLength(n);
    this.take(n);
  }
}

/** Bytes values shorter than this are copied into the scratch buffer; longer ones are chained as chunks. */
const COPY_LIMIT = 512;
const MAX_SCRATCH = 64 * 1024;

/**
 * Big-endian writer producing a list of chunks. Small writes go into a growing scratch buffer; big buffers
 * (records) are appended as their own chunks without copying, so a fetch response never copies record data.
 */
export class Writer {
  private scratch: Buffer;
  private pos = 0;
  /** Start of the scratch region not yet cut into a chunk. */
  private start = 0;
  private readonly done: Buffer[] = [];
  private doneBytes = 0;

  constructor(initialSize = 256) {
    this.scratch = Buffer.allocUnsafe(Math.max(initialSize, 16));
  }

  get length(): number {
    return this.doneBytes + this.pos - this.start;
  }

  /** Reserves n scratch bytes and returns where they start. */
  private reserve(n: number): number {
    let p = this.pos;
    if (p + n > this.scratch.length) {
      this.cut();
      this.scratch = Buffer.allocUnsafe(Math.max(n, Math.min(this.scratch.length * 2, MAX_SCRATCH)));
      p = this.start = 0;
    }
    this.pos = p + n;
    return p;
  }

  private cut(): void {
    if (this.pos > this.start) {
      this.done.push(this.scratch.subarray(this.start, this.pos));
      this.doneBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }

  writeInt8(v: number): void {
    const o = this.reserve(1);
    this.scratch.writeInt8(v, o);
  }

  writeInt16(v: number): void {
    const o = this.reserve(2);
    this.scratch.writeInt16BE(v, o);
  }

  writeUInt16(v: number): void {
    const o = this.reserve(2);
    this.scratch.writeUInt16BE(v, o);
  }

  writeInt32(v: number): void {
    const o = this.reserve(4);
    this.scratch.writeInt32BE(v, o);
  }

  writeUInt32(v: number): void {
    const o = this.reserve(4);
    this.scratch.writeUInt32BE(v, o);
  }

  /** Numbers beyond ±2^53 are written as the nearest int64. */
  writeInt64(v: number): void {
    if (!Number.isSafeInteger(v)) {
      this.writeBigInt64(v);
      return;
    }
    const o = this.reserve(8);
    const b = this.scratch;
    const hi = Math.floor(v / TWO_32);
    const lo = v - hi * TWO_32;
    // Byte stores truncate modulo 256, which is exactly two's complement for the (possibly negative) high word.
    b[o] = hi >>> 24;
    b[o + 1] = hi >>> 16;
    b[o + 2] = hi >>> 8;
    b[o + 3] = hi;
    b[o + 4] = lo >>> 24;
    b[o + 5] = lo >>> 16;
    b[o + 6] = lo >>> 8;
    b[o + 7] = lo;
  }

  private writeBigInt64(v: number): void {
    if (!Number.isInteger(v)) throw new ProtocolError(`int64 value ${v} is not an integer`);
    if (v >= TWO_63 || v < -TWO_63) throw new ProtocolError(`int64 value ${v} is out of range`);
    const o = this.reserve(8);
    this.scratch.writeBigInt64BE(BigInt(v), o);
  }

  writeFloat64(v: number): void {
    const o = this.reserve(8);
    this.scratch.writeDoubleBE(v, o);
  }

  writeBool(v: boolean): void {
    const o = this.reserve(1);
    this.scratch[o] = v ? 1 : 0;
  }

  writeUuid(v: string): void {
    if (!UUID_RE.test(v)) throw new ProtocolError(`"${v}" is not a uuid`);
    const o = this.reserve(16);
    this.scratch.write(v.replace(/-/g, ''), o, 16, 'hex');
  }

  writeUnsignedVarint(v: number): void {
    if (v >>> 0 !== v) throw new ProtocolError(`unsigned varint ${v} is out of range`);
    let o = this.reserve(5);
    const b = this.scratch;
    while (v >= 0x80) {
      b[o++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[o++] = v;
    this.pos = o;
  }

  writeVarint(v: number): void {
    if ((v | 0) !== v) throw new ProtocolError(`varint ${v} is not an int32`);
    this.writeUnsignedVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /** Zigzag int64; exact within ±2^53. */
  writeVarlong(v: number): void {
    if (!Number.isInteger(v) || v >= TWO_63 || v < -TWO_63) throw new ProtocolError(`varlong ${v} is not an int64`);
    let o = this.reserve(10);
    const b = this.scratch;
    if (v < 2 ** 52 && v >= -(2 ** 52)) {
      let z = v >= 0 ? v * 2 : -v * 2 - 1; // exact below 2^53
      while (z >= 0x80) {
        b[o++] = (z % 128) | 0x80;
        z = Math.floor(z / 128);
      }
      b[o++] = z;
    } else {
      const big = BigInt(v);
      let z = BigInt.asUintN(64, (big << 1n) ^ (big >> 63n));
      while (z >= 0x80n) {
        b[o++] = Number(z & 0x7fn) | 0x80;
        z >>= 7n;
      }
      b[o++] = Number(z);
    }
    this.pos = o;
  }

  /** Writes the UTF-8 bytes of s, whose encoded length the caller has measured as n. */
  writeUtf8(s: string, n: number): void {
    const o = this.reserve(n);
    this.scratch.write(s, o, n, 'utf8');
  }

  /** Copies small buffers, chains big ones. */
  writeBytes(b: Uint8Array): void {
    if (b.length >= COPY_LIMIT) {
      this.writeChunk(b);
      return;
    }
    const o = this.reserve(b.length);
    this.scratch.set(b, o);
  }

  /** Appends b as its own chunk, never copying it. */
  writeChunk(b: Uint8Array): void {
    if (b.length === 0) return;
    this.cut();
    this.done.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
    this.doneBytes += b.length;
  }

  /** Appends everything written to another writer. */
  append(other: Writer): void {
    for (const c of other.chunks()) this.writeBytes(c);
  }

  /** The output so far; the first chunk always starts with the first byte written. */
  chunks(): Buffer[] {
    this.cut();
    return this.done.slice();
  }

  toBuffer(): Buffer {
    this.cut();
    return this.done.length === 1 ? this.done[0] : Buffer.concat(this.done, this.doneBytes);
  }
}

// ---- plans -------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
type Read = (r: Reader) => unknown;
type Write = (w: Writer, v: unknown) => void;

interface Codec {
  read: Read;
  write: Write;
}

interface StructPlan {
  read(r: Reader): Obj;
  write(w: Writer, v: Obj): void;
  makeDefault(): Obj;
  isDefault(v: Obj): boolean;
}

interface FieldPlan extends Codec {
  name: string;
  /** How the field travels in this version. */
  wire: 'absent' | 'regular' | 'tagged';
  tag: number;
  makeDefault(): unknown;
  isDefault(v: unknown): boolean;
}

/** Carries the field path of an encode failure up to encode(), which names the message. */
class EncodeError extends ProtocolError {
  constructor(
    readonly reason: string,
    public path: string,
  ) {
    super(reason);
  }
}

function withPath(err: unknown, segment: string): EncodeError {
  if (err instanceof EncodeError) {
    err.path = segment + (err.path.startsWith('[') ? '' : '.') + err.path;
    return err;
  }
  return new EncodeError(err instanceof Error ? err.message : String(err), segment);
}

function notNullable(): ProtocolError {
  return new ProtocolError('null is not allowed in this version');
}

function lengthCodec(compact: boolean, wide: boolean): { read: (r: Reader) => number; write: (w: Writer, n: number) => void } {
  if (compact) return { read: (r) => r.readUnsignedVarint() - 1, write: (w, n) => w.writeUnsignedVarint(n + 1) };
  if (wide) return { read: (r) => r.readInt32(), write: (w, n) => w.writeInt32(n) };
  return { read: (r) => r.readInt16(), write: (w, n) => w.writeInt16(n) };
}

function stringCodec(compact: boolean, nullable: boolean): Codec {
  const len = lengthCodec(compact, false);
  return {
    read(r) {
      const n = len.read(r);
      if (n < 0) {
        if (nullable) return null;
        throw new ProtocolError('non-nullable string is null');
      }
      if (n > MAX_STRING_BYTES) throw new ProtocolError(`string length ${n} is too long`);
      return r.readUtf8(n);
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) throw notNullable();
        len.write(w, -1);
        return;
      }
      const s = v as string;
      const n = Buffer.byteLength(s, 'utf8');
      if (n > MAX_STRING_BYTES) throw new ProtocolError(`string of ${n} bytes is too long`);
      len.write(w, n);
      w.writeUtf8(s, n);
    },
  };
}

/** bytes and records: same wire form; records are never copied on encode and may be a list of buffers. */
function bytesCodec(compact: boolean, nullable: boolean, records: boolean): Codec {
  const len = lengthCodec(compact, true);
  return {
    read(r) {
      const n = len.read(r);
      if (n < 0) {
        if (nullable) return null;
        throw new ProtocolError('non-nullable bytes are null');
      }
      return r.readSlice(n);
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) throw notNullable();
        len.write(w, -1);
        return;
      }
      if (records && Array.isArray(v)) {
        let n = 0;
        for (const b of v as Buffer[]) n += b.length;
        len.write(w, n);
        for (const b of v as Buffer[]) w.writeChunk(b);
        return;
      }
      const b = v as Buffer;
      len.write(w, b.length);
      if (records) w.writeChunk(b);
      else w.writeBytes(b);
    },
  };
}

function primitiveCodec(type: string, compact: boolean, nullable: boolean): Codec | undefined {
  switch (type) {
    case 'bool':
      return { read: (r) => r.readBool(), write: (w, v) => w.writeBool(v as boolean) };
    case 'int8':
      return { read: (r) => r.readInt8(), write: (w, v) => w.writeInt8(v as number) };
    case 'int16':
      return { read: (r) => r.readInt16(), write: (w, v) => w.writeInt16(v as number) };
    case 'uint16':
      return { read: (r) => r.readUInt16(), write: (w, v) => w.writeUInt16(v as number) };
    case 'int32':
      return { read: (r) => r.readInt32(), write: (w, v) => w.writeInt32(v as number) };
    case 'uint32':
      return { read: (r) => r.readUInt32(), write: (w, v) => w.writeUInt32(v as number) };
    case 'int64':
      return { read: (r) => r.readInt64(), write: (w, v) => w.writeInt64(v as number) };
    case 'float64':
      return { read: (r) => r.readFloat64(), write: (w, v) => w.writeFloat64(v as number) };
    case 'uuid':
      return { read: (r) => r.readUuid(), write: (w, v) => w.writeUuid(v as string) };
    case 'string':
      return stringCodec(compact, nullable);
    case 'bytes':
      return bytesCodec(compact, nullable, false);
    case 'records':
      return bytesCodec(compact, nullable, true);
    default:
      return undefined;
  }
}

function arrayCodec(element: Codec, compact: boolean, nullable: boolean): Codec {
  const len = lengthCodec(compact, true);
  return {
    read(r) {
      const n = len.read(r);
      if (n < 0) {
        if (nullable) return null;
        throw new ProtocolError('non-nullable array is null');
      }
      // Every element takes at least one byte: refuse lengths the frame cannot hold before allocating.
      if (n > r.remaining()) throw new ProtocolError(`array length ${n} exceeds the ${r.remaining()} bytes left`);
      r.chargeElements(n);
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = element.read(r);
      return out;
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) throw notNullable();
        len.write(w, -1);
        return;
      }
      const a = v as unknown[];
      len.write(w, a.length);
      for (let i = 0; i < a.length; i++) {
        try {
          element.write(w, a[i]);
        } catch (err) {
          throw withPath(err, `[${i}]`);
        }
      }
    },
  };
}

/** A nullable struct carries a presence marker: int8 -1/1, or a varint 0/1 when tagged (as Kafka's Java code). */
function structCodec(plan: StructPlan, nullable: boolean, tagged: boolean): Codec {
  if (!nullable) {
    return { read: (r) => plan.read(r), write: (w, v) => plan.write(w, v as Obj) };
  }
  return {
    read(r) {
      const present = tagged ? r.readUnsignedVarint() > 0 : r.readInt8() >= 0;
      return present ? plan.read(r) : null;
    },
    write(w, v) {
      if (tagged) w.writeUnsignedVarint(v === null ? 0 : 1);
      else w.writeInt8(v === null ? -1 : 1);
      if (v !== null) plan.write(w, v as Obj);
    },
  };
}

function scalarDefault(type: string): unknown {
  switch (type) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'uuid':
      return ZERO_UUID;
    default:
      return 0;
  }
}

/** Defaults as Kafka's generated Java code has them: JSON default, else 0/''/false/empty/zero uuid; records null. */
function fieldDefaults(f: FieldSpec, type: string, isArray: boolean, struct: StructPlan | undefined): Pick<FieldPlan, 'makeDefault' | 'isDefault'> {
  if (f.default === null) return { makeDefault: () => null, isDefault: (v) => v === null };
  if (isArray) return { makeDefault: () => [], isDefault: (v) => Array.isArray(v) && v.length === 0 };
  if (struct) {
    return {
      makeDefault: () => struct.makeDefault(),
      isDefault: (v) => v !== null && typeof v === 'object' && struct.isDefault(v as Obj),
    };
  }
  if (type === 'bytes') return { makeDefault: () => EMPTY, isDefault: (v) => v instanceof Uint8Array && v.length === 0 };
  if (type === 'records') return { makeDefault: () => null, isDefault: (v) => v === null };
  const d = f.default ?? scalarDefault(type);
  return { makeDefault: () => d, isDefault: (v) => v === d };
}

function compileField(f: FieldSpec, version: number, flexible: boolean): FieldPlan {
  const isArray = f.type.startsWith('[]');
  const type = isArray ? f.type.slice(2) : f.type;
  const compact = f.flexibleVersions ? inRange(f.flexibleVersions, version) : flexible;
  const nullable = inRange(f.nullableVersions, version);
  const tagged = flexible && inRange(f.taggedVersions, version);
  const struct = f.fields ? compileStruct(f.fields, version, flexible) : undefined;

  let codec: Codec;
  if (struct) {
    codec = isArray ? arrayCodec(structCodec(struct, false, false), compact, nullable) : structCodec(struct, nullable, tagged);
  } else {
    // Array elements are never null.
    const element = primitiveCodec(type, compact, nullable && !isArray);
    if (!element) throw new ProtocolError(`field ${f.name}: unknown type ${f.type}`);
    codec = isArray ? arrayCodec(element, compact, nullable) : element;
  }
  return {
    name: f.name,
    wire: !inRange(f.versions, version) ? 'absent' : tagged ? 'tagged' : 'regular',
    tag: f.tag ?? -1,
    read: codec.read,
    write: codec.write,
    ...fieldDefaults(f, type, isArray, struct),
  };
}

function readTaggedFields(r: Reader, o: Obj, byTag: Map<number, FieldPlan>): void {
  const count = r.readUnsignedVarint();
  for (let i = 0; i < count; i++) {
    const tag = r.readUnsignedVarint();
    const size = r.readUnsignedVarint();
    if (size > r.remaining()) throw new ProtocolError(`tagged field ${tag} of ${size} bytes exceeds the ${r.remaining()} bytes left`);
    const end = r.offset + size;
    const field = byTag.get(tag);
    if (field) o[field.name] = field.read(new Reader(r.buf, r.offset, end, r.budget));
    r.offset = end; // unknown tags are skipped
  }
}

/** Tagged fields go out sorted by tag, and only when they differ from their default. */
function writeTaggedFields(w: Writer, v: Obj, tagged: FieldPlan[]): void {
  let out: Array<[FieldPlan, Writer]> | undefined;
  for (const p of tagged) {
    const x = v[p.name];
    if (x === undefined || p.isDefault(x)) continue;
    const sub = new Writer(64);
    try {
      p.write(sub, x);
    } catch (err) {
      throw withPath(err, p.name);
    }
    (out ??= []).push([p, sub]);
  }
  if (!out) {
    w.writeUnsignedVarint(0);
    return;
  }
  w.writeUnsignedVarint(out.length);
  for (const [p, sub] of out) {
    w.writeUnsignedVarint(p.tag);
    w.writeUnsignedVarint(sub.length);
    w.append(sub);
  }
}

function compileStruct(fields: readonly FieldSpec[], version: number, flexible: boolean): StructPlan {
  const all = fields.map((f) => compileField(f, version, flexible));
  const regular = all.filter((p) => p.wire === 'regular');
  const tagged = all.filter((p) => p.wire === 'tagged').sort((a, b) => a.tag - b.tag);
  const byTag = new Map(tagged.map((p) => [p.tag, p] as const));
  const present = all.filter((p) => p.wire !== 'absent');
  return {
    read(r) {
      const o: Obj = {};
      for (const p of all) o[p.name] = p.wire === 'regular' ? p.read(r) : p.makeDefault();
      if (flexible) readTaggedFields(r, o, byTag);
      return o;
    },
    write(w, v) {
      if (v === null || typeof v !== 'object') throw new ProtocolError(`expected an object, got ${v === null ? 'null' : typeof v}`);
      for (const p of regular) {
        const x = v[p.name];
        try {
          p.write(w, x === undefined ? p.makeDefault() : x);
        } catch (err) {
          throw withPath(err, p.name);
        }
      }
      if (flexible) writeTaggedFields(w, v, tagged);
    },
    makeDefault() {
      const o: Obj = {};
      for (const p of all) o[p.name] = p.makeDefault();
      return o;
    },
    isDefault(v) {
      for (const p of present) {
        const x = v[p.name];
        if (x !== undefined && !p.isDefault(x)) return false;
      }
      return true;
    },
  };
}

const plans = new WeakMap<MessageSpec, Array<StructPlan | undefined>>();

function planFor(spec: MessageSpec, version: number): StructPlan {
  let byVersion = plans.get(spec);
  if (!byVersion) plans.set(spec, (byVersion = []));
  let plan = byVersion[version];
  if (!plan) {
    if (!inRange(spec.validVersions, version)) throw new ProtocolError(`${spec.name} has no version ${version}`);
    plan = compileStruct(spec.fields, version, inRange(spec.flexibleVersions, version));
    byVersion[version] = plan;
  }
  return plan;
}

export function isFlexible(spec: MessageSpec, version: number): boolean {
  return inRange(spec.flexibleVersions, version);
}

/** Reads one message body; fields absent in this version get their defaults. */
export function decode<T>(spec: MessageSpec, version: number, r: Reader): T {
  const plan = planFor(spec, version);
  try {
    return plan.read(r) as T;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ProtocolError(`${spec.name} v${version}: ${msg}`);
  }
}

/** Writes one message body; missing (undefined) fields take their defaults. */
export function encode(spec: MessageSpec, version: number, value: object, w: Writer): void {
  const plan = planFor(spec, version);
  try {
    plan.write(w, value as Obj);
  } catch (err) {
    if (err instanceof EncodeError) throw new ProtocolError(`${spec.name} v${version} ${err.path}: ${err.reason}`);
    throw new ProtocolError(`${spec.name} v${version}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
