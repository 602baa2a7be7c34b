// A bounded cache of fixed-size chunks of remote objects: a memory LRU (remoteCacheMemoryBytes) over a disk
// LRU (remoteCacheDiskBytes, files under <dataDir>/remote-cache). Remote segment objects are immutable (each
// upload has its own uuid key), so a cached chunk never goes stale. Concurrent misses of one chunk share one
// GET. The disk cache is emptied at start: it is only a cache, and its index lives in memory.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';

export interface ChunkCacheOptions {
  chunkBytes: number;
  memoryBytes: number;
  diskBytes: number;
  /** Directory of the disk tier; required when diskBytes > 0. */
  diskDir?: string;
}

export interface ChunkCacheStats {
  hits: number;
  memoryHits: number;
  diskHits: number;
  misses: number;
  memoryBytes: number;
  diskBytes: number;
  memoryChunks: number;
  diskChunks: number;
}

export class ChunkCache {
  readonly chunkBytes: number;
  private readonly memory = new Map<string, Buffer>();
  private memoryUsed = 0;
  /** Disk entries in LRU order: cache id → file size. */
  private readonly disk = new Map<string, number>();
  private diskUsed = 0;
  private readonly loading = new Map<string, Promise<Buffer>>();
  private counters = { memoryHits: 0, diskHits: 0, misses: 0 };
  private ready: Promise<void>;
  private readonly spills = new Set<Promise<void>>();

  constructor(private readonly opts: ChunkCacheOptions) {
    if (!(opts.chunkBytes > 0)) throw new RangeError('chunkBytes must be positive');
    this.chunkBytes = opts.chunkBytes;
    this.ready = this.diskEnabled ? this.resetDisk() : Promise.resolve();
  }

  private get diskEnabled(): boolean {
    return this.opts.diskBytes > 0 && this.opts.diskDir !== undefined;
  }

  /**
   * Chunk `index` of object `key` (bytes [index*chunkBytes, (index+1)*chunkBytes) ∩ the object), loading it
   * with `load(start, endInclusive)` on a miss.
   */
  async get(key: string, index: number, load: (start: number, end: number) => Promise<Buffer>): Promise<Buffer> {
    const id = `${key}#${index}`;
    const inMemory = this.memory.get(id);
    if (inMemory) {
      this.memory.delete(id); // LRU: move to the newest end
      this.memory.set(id, inMemory);
      this.counters.memoryHits++;
      return inMemory;
    }
    const pending = this.loading.get(id);
    if (pending) {
      this.counters.memoryHits++;
      return pending;
    }
    const loadingChunk = this.fetch(id, index, load).finally(() => this.loading.delete(id));
    this.loading.set(id, loadingChunk);
    return loadingChunk;
  }

  /** Starts loading a chunk in the background if it is not cached (sequential-read prefetch). */
  prefetch(key: string, index: number, load: (start: number, end: number) => Promise<Buffer>): void {
    const id = `${key}#${index}`;
    if (this.memory.has(id) || this.loading.has(id)) return;
    const loadingChunk = this.fetch(id, index, load, true).finally(() => this.loading.delete(id));
    this.loading.set(id, loadingChunk);
    loadingChunk.catch(() => undefined);
  }

  has(key: string, index: number): boolean {
    const id = `${key}#${index}`;
    return this.memory.has(id) || this.disk.has(id);
  }

  /** Drops every chunk of objects whose key starts with `prefix` (their segment was deleted). */
  async invalidate(prefix: string): Promise<void> {
    for (const [id, buf] of [...this.memory]) {
      if (id.startsWith(prefix)) {
        this.memory.delete(id);
        this.memoryUsed -= buf.length;
      }
    }
    const doomed = [...this.disk.keys()].filter((id) => id.startsWith(prefix));
    for (const id of doomed) this.dropDisk(id);
    await Promise.all(doomed.map((id) => fsp.rm(this.diskFile(id), { force: true }).catch(() => undefined)));
  }

  /** Resolves once chunks being written to the disk tier are written (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.spills.size > 0 || this.loading.size > 0) {
      await Promise.allSettled([...this.spills, ...this.loading.values()]);
    }
  }

  stats(): ChunkCacheStats {
    const { memoryHits, diskHits, misses } = this.counters;
    return {
      hits: memoryHits + diskHits,
      memoryHits,
      diskHits,
      misses,
      memoryBytes: this.memoryUsed,
      diskBytes: this.diskUsed,
      memoryChunks: this.memory.size,
      diskChunks: this.disk.size,
    };
  }

  private async fetch(id: string, index: number, load: (start: number, end: number) => Promise<Buffer>, prefetch = false): Promise<Buffer> {
    await this.ready;
    if (this.disk.has(id)) {
      try {
        const buf = await fsp.readFile(this.diskFile(id));
        this.disk.delete(id);
        this.disk.set(id, buf.length);
        if (!prefetch) this.counters.diskHits++;
        this.remember(id, buf);
        return buf;
      } catch {
        this.dropDisk(id); // evicted meanwhile or unreadable: load it again
      }
    }
    if (!prefetch) this.counters.misses++;
    const start = index * this.chunkBytes;
    const buf = await load(start, start + this.chunkBytes - 1);
    this.remember(id, buf);
    if (this.diskEnabled && buf.length <= this.opts.diskBytes) {
      const spilling = this.spill(id, buf);
      this.spills.add(spilling);
      void spilling.finally(() => this.spills.delete(spilling));
    }
    return buf;
  }

  private remember(id: string, buf: Buffer): void {
    if (buf.length > this.opts.memoryBytes) return;
    const old = this.memory.get(id);
    if (old) this.memoryUsed -= old.length;
    this.memory.delete(id);
    this.memory.set(id, buf);
    this.memoryUsed += buf.length;
    for (const [oldest, b] of this.memory) {
      if (this.memoryUsed <= this.opts.memoryBytes) break;
      this.memory.delete(oldest);
      this.memoryUsed -= b.length;
    }
  }

  /** Writes a chunk to the disk tier (best effort), evicting the least recently used files beyond the limit. */
  private async spill(id: string, buf: Buffer): Promise<void> {
    if (this.disk.has(id)) return;
    this.disk.set(id, buf.length);
    this.diskUsed += buf.length;
    const evicted: string[] = [];
    for (const [oldest] of this.disk) {
      if (this.diskUsed <= this.opts.diskBytes) break;
      this.dropDisk(oldest);
      evicted.push(oldest);
    }
    try {
      await Promise.all(evicted.map((e) => fsp.rm(this.diskFile(e), { force: true })));
      const file = this.diskFile(id);
      const tmp = `${file}.tmp`;
      await fsp.writeFile(tmp, buf);
      await fsp.rename(tmp, file);
    } catch {
      this.dropDisk(id);
    }
  }

  private dropDisk(id: string): void {
    const size = this.disk.get(id);
    if (size === undefined) return;
    this.disk.delete(id);
    this.diskUsed -= size;
  }

  private diskFile(id: string): string {
    return path.join(this.opts.diskDir!, createHash('sha1').update(id).digest('hex'));
  }

  private async resetDisk(): Promise<void> {
    try {
      await fsp.rm(this.opts.diskDir!, { recursive: true, force: true });
      await fsp.mkdir(this.opts.diskDir!, { recursive: true });
    } catch {
      // no disk tier then: every spill fails and is forgotten
    }
  }
}
