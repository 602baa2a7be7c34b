// The broker-wide side of tiered storage: the object store, the upload rate limiter, the chunk and index
// caches, and the garbage collector. Opens a RemoteLog per hosted partition and deletes partitions' remote
// data. Knows topics only by id and partition number.
import * as path from 'node:path';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import { createLogger } from '../logger';
import type { ObjectStore } from './object-store';
import { ChunkCache, type ChunkCacheStats } from './chunk-cache';
import { IndexCache } from './remote-index';
import { RemoteReader } from './remote-reader';
import { RemoteLog } from './remote-log';
import { RateLimiter } from './rate-limiter';
import { Semaphore } from './semaphore';
import { StopSignal, retry } from './backoff';
import { GarbageCollector, DEFAULT_GC_GRACE_MS, type GarbageCollectionResult } from './garbage-collector';
import { partitionPrefix, topicPrefix } from './remote-keys';

const DEFAULT_CONCURRENT_UPLOADS = 2;
/** As Kafka's remote.log.reader.threads. */
const DEFAULT_CONCURRENT_FETCHES = 10;

export interface RemoteStorageOptions {
  store: ObjectStore;
  clusterId: string;
  /** remoteMaxConcurrentUploads: segments uploaded at once across partitions. */
  maxConcurrentUploads?: number;
  /** remoteFetchMaxConcurrency: remote GETs in flight at once across partitions (default 10). */
  maxConcurrentFetches?: number;
  /** remoteUploadBytesPerSec; 0 = unlimited. */
  uploadBytesPerSec: number;
  /** Clock of the upload rate limiter (tests); monotonic system time when omitted. */
  clock?: Clock;
  /** remoteFetchChunkBytes */
  fetchChunkBytes: number;
  /** remoteCacheMemoryBytes */
  cacheMemoryBytes: number;
  /** remoteCacheDiskBytes */
  cacheDiskBytes: number;
  /** Directory of the disk cache (<dataDir>/remote-cache); no disk cache without it. */
  cacheDir?: string;
  /** Memory for remote segment indexes (default 32 MiB). */
  indexCacheBytes?: number;
  /** Backoff of uploads and manifest writes (defaults 200 ms → 30 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Attempts of one remote GET before the read fails (default 4). */
  getAttempts?: number;
  /** Prefetch the next chunk on sequential reads (default true). */
  prefetch?: boolean;
  /** Garbage collector grace period (default 10 min). */
  gcGraceMs?: number;
  logger?: Logger;
}

export interface RemoteStorageStats {
  cache: ChunkCacheStats;
  indexCacheBytes: number;
  uploadsInFlight: number;
  /** Remote GETs running now (at most remoteFetchMaxConcurrency). */
  fetchesInFlight: number;
}

export function remoteCacheDir(dataDir: string): string {
  return path.join(dataDir, 'remote-cache');
}

export class RemoteStorage {
  readonly store: ObjectStore;
  readonly clusterId: string;
  readonly cache: ChunkCache;
  private readonly indexes: IndexCache;
  private readonly limiter: RateLimiter;
  private readonly inFlight = new Set<string>();
  private readonly uploadSlots: Semaphore;
  private readonly fetchSlots: Semaphore;
  private readonly signal = new StopSignal();
  private readonly logger: Logger;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly opts: RemoteStorageOptions) {
    this.store = opts.store;
    this.clusterId = opts.clusterId;
    this.logger = opts.logger ?? createLogger('tier');
    this.cache = new ChunkCache({ chunkBytes: opts.fetchChunkBytes, memoryBytes: opts.cacheMemoryBytes, diskBytes: opts.cacheDiskBytes, diskDir: opts.cacheDir });
    this.indexes = new IndexCache(opts.indexCacheBytes ?? 32 * 1024 * 1024);
    this.limiter = new RateLimiter(opts.uploadBytesPerSec, undefined, opts.clock);
    this.uploadSlots = new Semaphore(opts.maxConcurrentUploads ?? DEFAULT_CONCURRENT_UPLOADS);
    this.fetchSlots = new Semaphore(opts.maxConcurrentFetches ?? DEFAULT_CONCURRENT_FETCHES);
    this.retryBaseMs = opts.retryBaseMs ?? 200;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
  }

  /** Opens the remote side of a partition (loads its manifest). */
  openPartition(topicId: string, partition: number, leaderEpoch: number, logger?: Logger): Promise<RemoteLog> {
    return RemoteLog.open({
      store: this.store,
      prefix: partitionPrefix(this.clusterId, topicId, partition),
      topicId,
      partition,
      leaderEpoch,
      limiter: this.limiter,
      makeReader: (hooks) =>
        new RemoteReader(
          this.store,
          this.cache,
          this.indexes,
          {
            getAttempts: this.opts.getAttempts ?? 4,
            retryBaseMs: 50,
            retryMaxMs: 1000,
            prefetch: this.opts.prefetch ?? true,
            fetchSlots: this.fetchSlots,
          },
          hooks,
        ),
      inFlight: this.inFlight,
      uploadSlots: this.uploadSlots,
      retryBaseMs: this.retryBaseMs,
      retryMaxMs: this.retryMaxMs,
      logger: logger ?? this.logger.child(`${topicId}-${partition}`),
      brokerSignal: this.signal,
    });
  }

  /** Removes every object of a deleted topic (the garbage collector finishes the job after a crash). */
  async deleteTopic(topicId: string): Promise<void> {
    const prefix = topicPrefix(this.clusterId, topicId);
    const keys = await retry(() => this.store.list(prefix), { baseMs: this.retryBaseMs, maxMs: this.retryMaxMs, maxAttempts: 5 });
    // Segment objects first, manifests last: a crash in between leaves a manifest naming missing objects only
    // for a topic that no longer exists, which nobody reads and the collector removes.
    const manifests = keys.filter((k) => k.endsWith('/manifest.json'));
    const rest = keys.filter((k) => !k.endsWith('/manifest.json'));
    for (const batch of [rest, manifests]) {
      if (batch.length > 0) await retry(() => this.store.delete(batch), { baseMs: this.retryBaseMs, maxMs: this.retryMaxMs, maxAttempts: 5 });
    }
    if (keys.length > 0) this.logger.info('deleted remote data of topic', { topicId, objects: keys.length });
  }

  /** A garbage collector over this cluster's tiered data. */
  garbageCollector(topicExists: (topicId: string) => boolean, graceMs?: number): GarbageCollector {
    return new GarbageCollector({
      store: this.store,
      clusterId: this.clusterId,
      graceMs: graceMs ?? this.opts.gcGraceMs ?? DEFAULT_GC_GRACE_MS,
      topicExists,
      inFlight: this.inFlight,
      logger: this.logger.child('gc'),
    });
  }

  /** One collection pass (convenience for the broker's timer). */
  collectGarbage(topicExists: (topicId: string) => boolean): Promise<GarbageCollectionResult> {
    return this.garbageCollector(topicExists).run();
  }

  stats(): RemoteStorageStats {
    return { cache: this.cache.stats(), indexCacheBytes: this.indexes.sizeBytes, uploadsInFlight: this.inFlight.size, fetchesInFlight: this.fetchSlots.inUse };
  }

  /** Stops every retry loop (shutdown) and waits for the disk cache's writes. Close the partition logs first. */
  async close(): Promise<void> {
    this.signal.stop();
    await this.cache.idle();
  }
}
