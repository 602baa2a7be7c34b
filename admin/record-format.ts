// How records are shown, shared by stratactl and the console: keys, values and headers rendered as text,
// JSON, hex or base64, kcat's -f format strings, and the plain-JSON form of a record for scripts.
import { AdminError } from './errors';
import type { ConsumedRecord } from './records';

export type BytesFormat = 'text' | 'json' | 'hex' | 'base64';
export const BYTES_FORMATS: readonly BytesFormat[] = ['text', 'json', 'hex', 'base64'];

/**
 * Bytes as a string: text is UTF-8; json is pretty-printed JSON when the bytes parse as JSON, else text;
 * hex and base64 encode. A null key or value is '' (json: 'null').
 */
export function renderBytes(b: Buffer | null, format: BytesFormat): string {
  if (b === null) return format === 'json' ? 'null' : '';
  switch (format) {
    case 'text':
      return b.toString('utf8');
    case 'json': {
      const parsed = parseJson(b);
      return parsed.ok ? JSON.stringify(parsed.value, null, 2) : b.toString('utf8');
    }
    case 'hex':
      return b.toString('hex');
    case 'base64':
      return b.toString('base64');
  }
}

/** Bytes as a JSON value: json embeds the parsed document (a string when it does not parse), others a string. */
export function bytesToJson(b: Buffer | null, format: BytesFormat): unknown {
  if (b === null) return null;
  if (format === 'json') {
    const parsed = parseJson(b);
    return parsed.ok ? parsed.value : b.toString('utf8');
  }
  return renderBytes(b, format);
}

function parseJson(b: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(b.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

export interface RecordFormatOptions {
  keyFormat?: BytesFormat;
  valueFormat?: BytesFormat;
}

/** A record as plain JSON for scripts (stratactl consume -o json, the console's API). */
export function recordToJson(r: ConsumedRecord, opts: RecordFormatOptions = {}): Record<string, unknown> {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType,
    key: bytesToJson(r.key, opts.keyFormat ?? 'text'),
    value: bytesToJson(r.value, opts.valueFormat ?? 'text'),
    headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('utf8') })),
  };
}

type Piece = Buffer | ((r: ConsumedRecord) => Buffer);

/**
 * Compiles a kcat -f format string into a function writing one record as bytes (raw key and value bytes, as
 * kcat prints them, unless a key/value format is chosen). Tokens: %t topic, %p partition, %o offset,
 * %k key, %K key length, %s value, %S value length, %R value length as a 4-byte big-endian int32 (lengths
 * are -1 for null), %T timestamp (ms), %h headers as k=v,k=v, %% a percent sign; escapes \n \r \t \\ and \xHH (a raw byte).
 * Throws AdminError('usage') on an unknown token.
 */
export function compileKcatFormat(format: string, opts: RecordFormatOptions = {}): (r: ConsumedRecord) => Buffer {
  const bytes = (b: Buffer | null, f: BytesFormat | undefined): Buffer => (f === undefined ? (b ?? EMPTY) : Buffer.from(renderBytes(b, f), 'utf8'));
  const text = (s: string | number): Buffer => Buffer.from(String(s), 'utf8');
  const tokens: Record<string, (r: ConsumedRecord) => Buffer> = {
    t: (r) => text(r.topic),
    p: (r) => text(r.partition),
    o: (r) => text(r.offset),
    k: (r) => bytes(r.key, opts.keyFormat),
    K: (r) => text(r.key === null ? -1 : r.key.length),
    s: (r) => bytes(r.value, opts.valueFormat),
    S: (r) => text(r.value === null ? -1 : r.value.length),
    R: (r) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(r.value === null ? -1 : r.value.length);
      return b;
    },
    T: (r) => text(r.timestamp),
    h: (r) => Buffer.concat(r.headers.flatMap((h, i) => [text(`${i > 0 ? ',' : ''}${h.key}=`), h.value ?? EMPTY])),
  };
  const pieces: Piece[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    const next = format[i + 1];
    if (c === '%') {
      if (next === '%') literal += '%';
      else {
        const token = next === undefined ? undefined : tokens[next];
        if (!token) throw new AdminError(`unknown format token "%${next ?? ''}" in "${format}" (known: %t %p %o %k %K %s %S %R %T %h %%)`, 'usage');
        if (literal) pieces.push(Buffer.from(literal, 'utf8'));
        literal = '';
        pieces.push(token);
      }
      i++;
    } else if (c === '\\' && next !== undefined && ESCAPES[next] !== undefined) {
      literal += ESCAPES[next];
      i++;
    } else if (c === '\\' && next === 'x' && /^[0-9a-fA-F]{2}$/.test(format.slice(i + 2, i + 4))) {
      // A raw byte, not a character (0x80-0xff must not become two UTF-8 bytes).
      if (literal) pieces.push(Buffer.from(literal, 'utf8'));
      literal = '';
      pieces.push(Buffer.from([parseInt(format.slice(i + 2, i + 4), 16)]));
      i += 3;
    } else literal += c;
  }
  if (literal) pieces.push(Buffer.from(literal, 'utf8'));
  return (r) => Buffer.concat(pieces.map((p) => (Buffer.isBuffer(p) ? p : p(r))));
}

const EMPTY = Buffer.alloc(0);
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\' };

/** One record in a kcat -f format, as a (UTF-8 decoded) string; see compileKcatFormat for the tokens. */
export function formatRecord(record: ConsumedRecord, kcatFormat: string, opts: RecordFormatOptions = {}): string {
  return compileKcatFormat(kcatFormat, opts)(record).toString('utf8');
}
