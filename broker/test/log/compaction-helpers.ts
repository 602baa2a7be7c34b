// Fixtures for the compaction tests: keyed batches, a gap-tolerant reader, and the expected result of a cleaning.
import { promises as fsp } from 'fs';
import type { LogConfig } from '../../src/log/log-config';
import type { PartitionLog } from '../../src/log/partition-log';
import { Compression, CompressionType, buildRecordBatchAsync, decodeRecords } from '../../src/protocol/records';
import { segmentFiles } from './helpers';

export const T0 = 1_000_000;

/** A compacted topic that cleans as soon as anything is dirty and closes replaced files at once. */
export const COMPACTED: Partial<LogConfig> = {
  cleanupPolicy: { delete: false, compact: true },
  minCleanableDirtyRatio: 0,
  fileDeleteDelayMs: 0,
};

export interface KV {
  offset: number;
  key: string | null;
  value: string | null;
}

/** A batch of key/value records (null for no key / a tombstone) at timestamp `ts` (+1 ms per record). */
export function kv(entries: Array<[string | null, string | null]>, ts = T0, compression: CompressionType = Compression.NONE): Promise<Buffer> {
  return buildRecordBatchAsync({
    timestamp: ts,
    compression,
    records: entries.map(([k, v], i) => ({ key: k === null ? null : Buffer.from(k), value: v === null ? null : Buffer.from(v), timestampDelta: i })),
  });
}

/** Appends a batch and returns its records with the offsets they got. */
export async function put(log: PartitionLog, entries: Array<[string | null, string | null]>, ts = T0, compression: CompressionType = Compression.NONE): Promise<KV[]> {
  const { baseOffset } = await log.append(await kv(entries, ts, compression), { leaderEpoch: 0 });
  return entries.map(([key, value], i) => ({ offset: baseOffset + i, key, value }));
}

/** Every record from the log start, as a consumer reads a compacted log: offsets may have gaps. */
export async function readKV(log: PartitionLog): Promise<KV[]> {
  const out: KV[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 1 << 20, { minOneMessage: true });
    if (r.records.length === 0) break; // the rest of the log was compacted away
    for (const rec of await decodeRecords(r.records)) {
      if (rec.offset >= offset) out.push({ offset: rec.offset, key: rec.key?.toString() ?? null, value: rec.value?.toString() ?? null });
    }
    offset = r.nextOffset;
  }
  return out;
}

/** Base offset of the active (last) segment, from the files. */
export async function activeBase(dir: string): Promise<number> {
  const names = await segmentFiles(dir);
  return Number(names[names.length - 1].slice(0, 20));
}

/**
 * What a cleaning of everything below `cleanableEnd` leaves: below it, the latest record of each key (keyless
 * records and, if `dropTombstones`, tombstones gone); from it on, everything.
 */
export function compacted(written: KV[], cleanableEnd: number, dropTombstones = false): KV[] {
  const latest = new Map<string, number>();
  for (const r of written) if (r.offset < cleanableEnd && r.key !== null) latest.set(r.key, r.offset);
  return written.filter((r) => {
    if (r.offset >= cleanableEnd) return true;
    if (r.key === null || latest.get(r.key) !== r.offset) return false;
    return !(dropTombstones && r.value === null);
  });
}

export async function leftovers(dir: string): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap'));
}
