// Shared fixtures for the log tests: temp dirs, small configs, batches, and reading a whole log back.
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_LOG_CONFIG, LogConfig } from '../../src/log/log-config';
import { PartitionLog } from '../../src/log/partition-log';
import { createLogger, setLogLevel } from '../../src/logger';
import { BuildBatchOptions, DecodedRecord, buildRecordBatch, computeBatchCrc, decodeRecords } from '../../src/protocol/records';

setLogLevel((process.env.STRATA_LOG_LEVEL as 'debug' | undefined) ?? 'error');

export const logger = createLogger('test');

export function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, ...overrides };
}

const opened: PartitionLog[] = [];

/** A fresh directory per test, removed afterwards with every log opened in it. Call from inside a describe(). */
export function useTempDir(): () => string {
  let root = '';
  beforeEach(async () => {
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-log-'));
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((log) => log.close()));
    await fsp.rm(root, { recursive: true, force: true });
  });
  return () => path.join(root, 'topic-0');
}

export async function open(dir: string, overrides: Partial<LogConfig> = {}): Promise<PartitionLog> {
  const log = await PartitionLog.open(dir, config(overrides), { logger });
  opened.push(log);
  return log;
}

/**
 * What a crash would leave on disk: a copy of the directory of a log that is still open (so no clean-shutdown
 * marker), taken after a flush so that it is deterministic. Returns the copy's path.
 */
export async function crashImage(log: PartitionLog): Promise<string> {
  await log.flush();
  const copy = `${log.dir}-crashed`;
  await fsp.mkdir(copy);
  for (const name of await fsp.readdir(log.dir)) await fsp.copyFile(path.join(log.dir, name), path.join(copy, name));
  return copy;
}

/** A batch of `count` records whose values are `${label}-${i}`. */
export function batch(count: number, label = 'v', opts: Partial<BuildBatchOptions> = {}): Buffer {
  return buildRecordBatch({
    timestamp: 1_000_000,
    ...opts,
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`${label}-${i}`) })),
  });
}

/** A batch of one record with a value of `size` bytes. */
export function sized(size: number, timestamp = 1_000_000): Buffer {
  return buildRecordBatch({ timestamp, records: [{ value: Buffer.alloc(size, 0x61) }] });
}

/** A batch flagged as compressed with an opaque body and a valid CRC, as a producer would send it. */
export function opaqueCompressed(count: number, compression: number): Buffer {
  const buf = batch(count, 'c');
  for (let i = 61; i < buf.length; i++) buf[i] = (i * 131) & 0xff;
  buf.writeInt16BE(compression, 21);
  buf.writeUInt32BE(computeBatchCrc(buf, 0, buf.length), 17);
  return buf;
}

/** Every record from the log start to the log end, reading as a consumer does. */
export async function readAll(log: PartitionLog, maxBytes = 1 << 20): Promise<DecodedRecord[]> {
  const out: DecodedRecord[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, maxBytes, { minOneMessage: true });
    if (r.records.length === 0) throw new Error(`no progress at offset ${offset}`);
    out.push(...(await decodeRecords(r.records)).filter((rec) => rec.offset >= offset));
    offset = r.nextOffset;
  }
  return out;
}

export async function segmentFiles(dir: string, suffix = '.log'): Promise<string[]> {
  return (await fsp.readdir(dir)).filter((f) => f.endsWith(suffix)).sort();
}
