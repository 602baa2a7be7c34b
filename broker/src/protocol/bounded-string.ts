// Strings the broker builds from client input and sends back (member ids made of client.id, error messages that
// quote a name) must always be encodable: a Kafka string holds at most 32767 UTF-8 bytes, and a decoded client
// string can be longer than its wire form (each invalid UTF-8 byte decodes to U+FFFD, three bytes). Every such
// string goes through boundUtf8 with the bound of its use; client strings the broker keeps and echoes verbatim
// to other clients (group ids, group.instance.id) are refused unless fitsKafkaString.
import { MAX_STRING_BYTES } from './codec';

/** Longest client.id / group.instance.id prefix of a generated member id (the rest is "-" and a UUID). */
export const MEMBER_ID_PREFIX_MAX_BYTES = 255;
/** Longest error message sent to a client; messages quoting a hostile name are cut here. */
export const ERROR_MESSAGE_MAX_BYTES = 1024;

/**
 * `s` cut to at most `maxBytes` UTF-8 bytes at a character boundary, with "..." marking a cut
 * (within the bound). Strings that fit are returned unchanged.
 */
export function boundUtf8(s: string, maxBytes: number = MAX_STRING_BYTES): string {
  if (s.length * 3 <= maxBytes) return s; // fits whatever its characters
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= maxBytes) return s;
  const marker = maxBytes >= 3 ? '...' : '';
  return cutUtf8(bytes, maxBytes - marker.length) + marker;
}

/** `s` cut to at most `maxBytes` UTF-8 bytes at a character boundary, without a marker (the longest such prefix). */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (s.length * 3 <= maxBytes) return s;
  const bytes = Buffer.from(s, 'utf8');
  return bytes.length <= maxBytes ? s : cutUtf8(bytes, maxBytes);
}

/** The characters of the UTF-8 `bytes` that lie wholly within the first `maxBytes`. */
function cutUtf8(bytes: Buffer, maxBytes: number): string {
  let cut = maxBytes;
  // Back up to the first byte of a character (continuation bytes are 10xxxxxx); the bytes came from a JS
  // string, so they are valid UTF-8 and the cut decodes to exactly those characters.
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return bytes.toString('utf8', 0, cut);
}

/** Whether `s` can be sent back as a Kafka string as it is (at most 32767 UTF-8 bytes). */
export function fitsKafkaString(s: string): boolean {
  return s.length * 3 <= MAX_STRING_BYTES || Buffer.byteLength(s, 'utf8') <= MAX_STRING_BYTES;
}
