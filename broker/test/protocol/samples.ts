// Deterministic sample values built from the schema tables, for round-trip tests of every message version.
import type { FieldSpec, MessageSpec } from '../../src/protocol/schema/spec';
import { inRange } from '../../src/protocol/schema/spec';

export type Obj = Record<string, unknown>;

export interface SampleOptions {
  /** Set every field nullable in this version to null (otherwise all are non-null). */
  nulls: boolean;
  /** Give records fields as a list of buffers instead of one buffer. */
  recordsAsList?: boolean;
}

class Counter {
  n = 0;
  next(): number {
    return ++this.n;
  }
}

function uuidFor(n: number): string {
  const h = (n * 2654435761).toString(16).padStart(8, '0').slice(-8) + n.toString(16).padStart(24, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A value of a primitive type that differs from the usual defaults (0, -1, '', false, zero uuid). */
function primitive(type: string, f: FieldSpec, c: Counter, opts: SampleOptions): unknown {
  const n = c.next();
  switch (type) {
    case 'bool':
      return f.default !== true;
    case 'int8':
      return (n % 100) + 10;
    case 'int16':
      return 1000 + n;
    case 'uint16':
      return 60000 + (n % 5000);
    case 'int32':
      return 100000 + n;
    case 'uint32':
      return 3000000000 + n;
    case 'int64':
      return 2 ** 40 + n;
    case 'float64':
      return n + 0.25;
    case 'string':
      return `s${n}-ü`;
    case 'uuid':
      return uuidFor(n);
    case 'bytes':
      return Buffer.from([n & 0xff, 1, 2, 3]);
    case 'records': {
      const a = Buffer.alloc(7, n & 0xff);
      const b = Buffer.alloc(5, (n + 1) & 0xff);
      return opts.recordsAsList ? [a, b] : Buffer.concat([a, b]);
    }
    default:
      throw new Error(`no sample for type ${type}`);
  }
}

function field(f: FieldSpec, version: number, c: Counter, opts: SampleOptions): unknown {
  if (opts.nulls && inRange(f.nullableVersions, version)) return null;
  const isArray = f.type.startsWith('[]');
  const type = isArray ? f.type.slice(2) : f.type;
  const one = (): unknown => (f.fields ? struct(f.fields, version, c, opts) : primitive(type, f, c, opts));
  return isArray ? [one(), one()] : one();
}

function struct(fields: readonly FieldSpec[], version: number, c: Counter, opts: SampleOptions): Obj {
  const o: Obj = {};
  for (const f of fields) if (inRange(f.versions, version)) o[f.name] = field(f, version, c, opts);
  return o;
}

/** Every field present in the version filled with a non-default value; arrays have two elements. */
export function sample(spec: MessageSpec, version: number, opts: SampleOptions): Obj {
  return struct(spec.fields, version, new Counter(), opts);
}

/** Keeps only the fields present in the version (decode also fills absent ones with defaults). */
export function project(fields: readonly FieldSpec[], version: number, value: Obj): Obj {
  const o: Obj = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const v = value[f.name];
    if (f.fields && v !== null) {
      o[f.name] = Array.isArray(v) ? v.map((e) => project(f.fields!, version, e as Obj)) : project(f.fields, version, v as Obj);
    } else {
      o[f.name] = Array.isArray(v) && f.type === 'records' ? Buffer.concat(v as Buffer[]) : v;
    }
  }
  return o;
}

/** Versions worth probing exhaustively: the lowest, the highest and the first flexible one. */
export function keyVersions(spec: MessageSpec): number[] {
  const { min, max } = spec.validVersions;
  const set = new Set([min, max]);
  if (spec.flexibleVersions.min >= min && spec.flexibleVersions.min <= max) set.add(spec.flexibleVersions.min);
  return [...set].sort((a, b) => a - b);
}
