// Object keys of tiered data (ARCHITECTURE §4):
//   <clusterId>/topics/<topicId>/<partition>/<baseOffset 20d>-<leaderEpoch>-<uuid>.log (.index, .timeindex, and
//   .txnindex for a segment holding ABORT markers)
//   <clusterId>/topics/<topicId>/<partition>/manifest.json
// The uuid is a version-7 UUID: its first 48 bits are the creation time in ms, which is how the garbage
// collector tells an interrupted upload (old, unreferenced) from one in progress (young).
import { randomBytes } from 'node:crypto';

export const LOG_OBJECT_SUFFIX = '.log';
export const INDEX_OBJECT_SUFFIX = '.index';
export const TIME_INDEX_OBJECT_SUFFIX = '.timeindex';
export const TXN_INDEX_OBJECT_SUFFIX = '.txnindex';
export const SEGMENT_OBJECT_SUFFIXES = [LOG_OBJECT_SUFFIX, INDEX_OBJECT_SUFFIX, TIME_INDEX_OBJECT_SUFFIX] as const;

/** Every object of a remote segment: the three always uploaded, and its .txnindex when it has one. */
export function segmentObjectKeys(seg: { key: string; txnIndexBytes?: number }): string[] {
  const keys: string[] = SEGMENT_OBJECT_SUFFIXES.map((suffix) => seg.key + suffix);
  if ((seg.txnIndexBytes ?? 0) > 0) keys.push(seg.key + TXN_INDEX_OBJECT_SUFFIX);
  return keys;
}
export const MANIFEST_NAME = 'manifest.json';

export function topicsPrefix(clusterId: string): string {
  return `${clusterId}/topics/`;
}

export function topicPrefix(clusterId: string, topicId: string): string {
  return `${topicsPrefix(clusterId)}${topicId}/`;
}

export function partitionPrefix(clusterId: string, topicId: string, partition: number): string {
  return `${topicPrefix(clusterId, topicId)}${partition}/`;
}

export function manifestKey(partitionPrefixKey: string): string {
  return partitionPrefixKey + MANIFEST_NAME;
}

/** The key of a segment's objects without suffix. */
export function segmentObjectPrefix(partitionPrefixKey: string, baseOffset: number, leaderEpoch: number, uuid: string): string {
  return `${partitionPrefixKey}${String(baseOffset).padStart(20, '0')}-${leaderEpoch}-${uuid}`;
}

const SEGMENT_NAME = /^(\d{20})-(-?\d+)-([0-9a-f-]{36})\.(log|index|timeindex|txnindex)$/;

export interface ParsedTierKey {
  topicId: string;
  partition: number;
  /** The name after the partition prefix. */
  name: string;
  kind: 'manifest' | 'segment' | 'other';
  /** For segment objects: the key without its suffix (what the manifest references). */
  segmentPrefix?: string;
  /** For segment objects: creation time from the uuid, if it is a v7 uuid. */
  createdMs?: number;
}

/** Parses a key under topicsPrefix(clusterId); null for keys not shaped <topicId>/<partition>/<name>. */
export function parseTierKey(clusterId: string, key: string): ParsedTierKey | null {
  const root = topicsPrefix(clusterId);
  if (!key.startsWith(root)) return null;
  const parts = key.slice(root.length).split('/');
  if (parts.length !== 3 || !/^\d+$/.test(parts[1]) || parts[0] === '') return null;
  const [topicId, p, name] = parts;
  const partition = Number(p);
  if (name === MANIFEST_NAME) return { topicId, partition, name, kind: 'manifest' };
  const m = SEGMENT_NAME.exec(name);
  if (!m) return { topicId, partition, name, kind: 'other' };
  const segmentPrefix = key.slice(0, key.length - m[4].length - 1);
  return { topicId, partition, name, kind: 'segment', segmentPrefix, createdMs: uuidTime(m[3]) ?? undefined };
}

/** A version-7 UUID (RFC 9562): 48-bit ms timestamp, version, random bits. */
export function uuidv7(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The creation time of a version-7 UUID, null for any other. */
export function uuidTime(uuid: string): number | null {
  const h = uuid.replace(/-/g, '');
  if (h.length !== 32 || h[12] !== '7') return null;
  return parseInt(h.slice(0, 12), 16);
}
