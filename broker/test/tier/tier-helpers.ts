// Fixtures for the tiered-storage tests: a LocalObjectStore in a temp dir, a store wrapper that injects
// failures and stalls, and tiered partition logs over them.
import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../src/log/log-config';
import { PartitionLog } from '../../src/log/partition-log';
import { createLogger, setLogLevel } from '../../src/logger';
import { LocalObjectStore } from '../../src/tier/local-object-store';
import type { ByteRange, ObjectStore } from '../../src/tier/object-store';
import { RemoteStorage, remoteCacheDir, type RemoteStorageOptions } from '../../src/tier/remote-storage';
import { buildRecordBatch } from '../../src/protocol/records';

setLogLevel((process.env.STRATA_LOG_LEVEL as 'debug' | undefined) ?? 'error');
export const logger = createLogger('tier-test');

export const CLUSTER = 'cluster-1';
export const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** An S3-like transient failure, as the S3 store would throw it. */
export function slowDown(): Error {
  return Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
}

export type Op = 'put' | 'get' | 'head' | 'list' | 'delete' | 'putIfAbsent' | 'putIfMatch';

/** Delegates to a store; `fault` may throw for an operation, `gate` may hold it until released. */
export class FaultyStore implements ObjectStore {
  fault: ((op: Op, key: string) => Error | null) | null = null;
  gate: ((op: Op, key: string) => Promise<void> | null) | null = null;
  readonly calls: Array<{ op: Op; key: string }> = [];

  constructor(readonly inner: ObjectStore) {}

  private async before(op: Op, key: string): Promise<void> {
    this.calls.push({ op, key });
    const g = this.gate?.(op, key);
    if (g) await g;
    const err = this.fault?.(op, key);
    if (err) throw err;
  }

  async put(key: string, body: Buffer) {
    await this.before('put', key);
    return this.inner.put(key, body);
  }
  /** A streamed put is a put to the fault and gate hooks. */
  async putFile(key: string, file: FileHandle, length: number) {
    await this.before('put', key);
    return this.inner.putFile(key, file, length);
  }
  async get(key: string, range?: ByteRange) {
    await this.before('get', key);
    return this.inner.get(key, range);
  }
  async head(key: string) {
    await this.before('head', key);
    return this.inner.head(key);
  }
  async list(prefix: string) {
    await this.before('list', prefix);
    return this.inner.list(prefix);
  }
  async delete(keys: string[]) {
    await this.before('delete', keys.join(','));
    return this.inner.delete(keys);
  }
  async putIfAbsent(key: string, body: Buffer) {
    await this.before('putIfAbsent', key);
    return this.inner.putIfAbsent(key, body);
  }
  async putIfMatch(key: string, body: Buffer, etag: string) {
    await this.before('putIfMatch', key);
    return this.inner.putIfMatch(key, body, etag);
  }
}

export interface TierEnv {
  root: string;
  dataDir: string;
  store: FaultyStore;
  storage: RemoteStorage;
  /** A new RemoteStorage over the same bucket (a restarted broker). */
  restartStorage(opts?: Partial<RemoteStorageOptions>): RemoteStorage;
  open(overrides?: Partial<LogConfig>, opts?: { storage?: RemoteStorage; partition?: number; leaderEpoch?: number }): Promise<PartitionLog>;
}

/** A fresh temp root per test with a bucket and a data dir; closes every log and storage afterwards. */
export function useTierEnv(storageOpts: Partial<RemoteStorageOptions> = {}): () => TierEnv {
  let env: TierEnv | null = null;
  const logs: PartitionLog[] = [];
  const storages: RemoteStorage[] = [];
  beforeEach(async () => {
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-tier-'));
    const dataDir = path.join(root, 'data');
    const store = new FaultyStore(new LocalObjectStore(path.join(root, 'bucket')));
    const make = (opts: Partial<RemoteStorageOptions> = {}) => {
      const s = new RemoteStorage({
        store,
        clusterId: CLUSTER,
        uploadBytesPerSec: 0,
        fetchChunkBytes: 1024,
        cacheMemoryBytes: 64 * 1024,
        cacheDiskBytes: 256 * 1024,
        cacheDir: remoteCacheDir(dataDir),
        retryBaseMs: 2,
        retryMaxMs: 20,
        logger,
        ...storageOpts,
        ...opts,
      });
      storages.push(s);
      return s;
    };
    const storage = make();
    env = {
      root,
      dataDir,
      store,
      storage,
      restartStorage: make,
      async open(overrides = {}, opts = {}) {
        const partition = opts.partition ?? 0;
        const st = opts.storage ?? storage;
        const remote = await st.openPartition(TOPIC_ID, partition, opts.leaderEpoch ?? 0, logger);
        const log = await PartitionLog.open(path.join(dataDir, `topic-${partition}`), tieredConfig(overrides), { logger, remote });
        logs.push(log);
        return log;
      },
    };
  });
  afterEach(async () => {
    await Promise.all(logs.splice(0).map((l) => l.close().catch(() => undefined)));
    await Promise.all(storages.splice(0).map((s) => s.close()));
    if (env) await fsp.rm(env.root, { recursive: true, force: true, maxRetries: 3 });
    env = null;
  });
  return () => env!;
}

export function tieredConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, remoteStorageEnable: true, segmentBytes: 1024, indexIntervalBytes: 128, retentionMs: -1, ...overrides };
}

/** A batch of one record with a `size`-byte value made of `label`. */
export function record(size: number, timestamp: number, label = 'x'): Buffer {
  return buildRecordBatch({ timestamp, records: [{ key: Buffer.from(label), value: Buffer.alloc(size, label) }] });
}

/** Appends `n` batches (~300 bytes each: 3 per 1 KiB segment) and returns their bytes as stored (offsets assigned). */
export async function appendMany(log: PartitionLog, n: number, firstTimestamp = 1_000_000, leaderEpoch = 0): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = record(230, firstTimestamp + i, String.fromCharCode(97 + (i % 26)));
    await log.append(b, { leaderEpoch });
    out.push(b);
  }
  return out;
}

/** Every byte from `from` (default the log start) to the log end, read as a consumer does. */
export async function readBytes(log: PartitionLog, from = log.logStartOffset, maxBytes = 700): Promise<Buffer> {
  const parts: Buffer[] = [];
  let offset = from;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, maxBytes, { minOneMessage: true });
    if (r.records.length === 0) throw new Error(`no progress at offset ${offset}`);
    parts.push(Buffer.from(r.records));
    offset = r.nextOffset;
  }
  return Buffer.concat(parts);
}

export async function localSegments(log: PartitionLog): Promise<string[]> {
  return (await fsp.readdir(log.dir)).filter((f) => f.endsWith('.log')).sort();
}

export async function bucketKeys(env: TierEnv, suffix = ''): Promise<string[]> {
  return (await env.store.inner.list(`${CLUSTER}/topics/`)).filter((k) => k.endsWith(suffix));
}
