// Kafka's on-disk names: files of a segment are named by its base offset, zero-padded to 20 digits.
import * as path from 'path';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_SUFFIX = '.txnindex';
export const STATE_FILE = 'partition.state';

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex|txnindex)$/;

export function segmentFile(dir: string, baseOffset: number, suffix: string): string {
  return path.join(dir, String(baseOffset).padStart(20, '0') + suffix);
}

/** Base offset and suffix of a segment file name, or null for any other file. */
export function parseSegmentFile(name: string): { baseOffset: number; suffix: string } | null {
  const m = SEGMENT_FILE.exec(name);
  return m ? { baseOffset: Number(m[1]), suffix: '.' + m[2] } : null;
}
