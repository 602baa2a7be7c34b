// Turns a generated RequestCase into a complete request frame (int32 size + header + body) with the broker's own
// codec, then applies the raw edits the encoder refuses to write. Fields are located in the encoded frame by
// encoding the request twice with two same-length values at that path and taking the first differing byte, so
// no offsets are computed by hand and every API and version works the same way.
import { encodeRequestFrame, requestHeaderVersion } from '../../broker/src/protocol/headers';
import { isFlexible } from '../../broker/src/protocol/codec';
import { API_SPECS } from '../../broker/src/protocol/apis';
import { getPath, withPath, type RawEdit, type RequestCase } from './generator';
import { Rng } from './rng';

function encode(c: RequestCase, correlationId: number, body = c.body, clientId = c.clientId): Buffer {
  return Buffer.concat(encodeRequestFrame(c.apiKey, c.version, correlationId, clientId, body));
}

/** The first differing byte after the size prefix (which differs whenever the lengths do). */
function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 4; i < n; i++) if (a[i] !== b[i]) return i;
  throw new Error('the two encodings do not differ');
}

/** Rewrites the size prefix after an edit changed the frame's length. */
function resized(frame: Buffer): Buffer {
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/** Invalid UTF-8 (every byte 0xff, which a lenient decoder turns into a three-byte U+FFFD). */
function invalidUtf8(frame: Buffer, start: number, length: number): Buffer {
  frame.fill(0xff, start, start + length);
  return frame;
}

function unsignedVarint(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A tag section of a few unknown tags (ascending, far above any tag Kafka uses) with random payloads. */
function unknownTagSection(seed: number): Buffer {
  const rng = new Rng(seed);
  const tags = [90 + rng.int(10), 1000 + rng.int(1000), 30000 + rng.int(1000)];
  const parts: Buffer[] = [unsignedVarint(tags.length)];
  for (const [i, tag] of tags.entries()) {
    const payload = rng.bytes(i === 2 ? 4096 : rng.int(40));
    parts.push(unsignedVarint(tag), unsignedVarint(payload.length), payload);
  }
  return Buffer.concat(parts);
}

/** Where the header's client id string content starts (after size, api key, version, correlation id, int16 length). */
const CLIENT_ID_CONTENT = 4 + 2 + 2 + 4 + 2;

function applyRaw(c: RequestCase, frame: Buffer, correlationId: number, raw: RawEdit): Buffer {
  switch (raw.kind) {
    case 'invalid-utf8': {
      const s = getPath(c.body, raw.path) as string;
      const start = firstDifference(frame, encode(c, correlationId, withPath(c.body, raw.path, 'v'.repeat(s.length))));
      return invalidUtf8(frame, start, Buffer.byteLength(s));
    }
    case 'invalid-utf8-client-id':
      return invalidUtf8(frame, CLIENT_ID_CONTENT, Buffer.byteLength(c.clientId ?? ''));
    case 'huge-count': {
      const items = getPath(c.body, raw.path) as unknown[];
      const two = encode(c, correlationId, withPath(c.body, raw.path, [items[0], items[0]]));
      const at = firstDifference(frame, two);
      if (!isFlexible(API_SPECS.get(c.apiKey)!.request, c.version)) {
        // int32 count 1 vs 2: the difference is in its last byte.
        frame.writeInt32BE(0x7fffffff, at - 3);
        return frame;
      }
      // Compact arrays carry count+1 as an unsigned varint (2 vs 3 here, one byte).
      return resized(Buffer.concat([frame.subarray(0, at), unsignedVarint(0x80000000), frame.subarray(at + 1)]));
    }
    case 'unknown-tags': {
      let at: number;
      if (raw.where === 'body') {
        at = frame.length - 1;
      } else {
        if (requestHeaderVersion(c.apiKey, c.version) < 2) throw new Error('header tags need a flexible request version');
        at = CLIENT_ID_CONTENT + (c.clientId === null ? 0 : Buffer.byteLength(c.clientId));
      }
      if (frame[at] !== 0) throw new Error(`expected an empty tag section at byte ${at} of ${c.label}`);
      return resized(Buffer.concat([frame.subarray(0, at), unknownTagSection(raw.seed), frame.subarray(at + 1)]));
    }
  }
}

/** The complete frame of a case (size prefix included). */
export function caseFrame(c: RequestCase, correlationId: number): Buffer {
  const frame = encode(c, correlationId);
  return c.raw ? applyRaw(c, frame, correlationId, c.raw) : frame;
}

