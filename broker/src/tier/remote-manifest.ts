// The per-partition manifest: the list of remote segments readers may use and the remote log start offset.
// It is the commit point of an upload (objects first, then the manifest entry) and of a remote delete
// (manifest entry first, then objects). It is written only with putIfAbsent / putIfMatch on the etag we
// last saw, so a writer holding a stale copy can never clobber a newer one; a writer that finds the stored
// manifest written under a newer leader epoch stops (StaleWriterError).
import { ObjectNotFoundError, type ObjectStore } from './object-store';
import { StaleWriterError } from './store-errors';

export const MANIFEST_VERSION = 1;

export interface RemoteSegment {
  /** The uuid in the object keys: identifies one upload. */
  id: string;
  baseOffset: number;
  lastOffset: number;
  /** Newest timestamp in the segment (-1 if none) and the last offset of the batch that carries it. */
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  /** Size of the .log object. */
  sizeBytes: number;
  /** [epoch, startOffset] of every leader epoch with data in the segment. */
  leaderEpochs: Array<[number, number]>;
  /** Key of the segment's objects without the .log/.index/.timeindex suffix. */
  key: string;
  /** Size of the .txnindex object (transactions aborted in the segment); absent or 0: no such object. */
  txnIndexBytes?: number;
  /** Upload time (ms). */
  uploadedMs: number;
}

export interface RemoteManifest {
  version: number;
  topicId: string;
  partition: number;
  /** First offset readers may read remotely (moved by retention and DeleteRecords). */
  logStartOffset: number;
  /** Leader epoch of the last writer: a writer with an older epoch is fenced. */
  leaderEpoch: number;
  /** Time of the last write (ms): the garbage collector's age of a manifest whose topic is gone. */
  updatedMs: number;
  /** In offset order, non-overlapping. */
  segments: RemoteSegment[];
}

export function emptyManifest(topicId: string, partition: number): RemoteManifest {
  return { version: MANIFEST_VERSION, topicId, partition, logStartOffset: 0, leaderEpoch: -1, updatedMs: 0, segments: [] };
}

/** The stored manifest cannot be understood: retrying will not help. */
export class ManifestCorruptError extends Error {
  override readonly name = 'ManifestCorruptError';
}

export function parseManifest(body: Buffer): RemoteManifest {
  let m: Partial<RemoteManifest>;
  try {
    m = JSON.parse(body.toString('utf8')) as Partial<RemoteManifest>;
  } catch (err) {
    throw new ManifestCorruptError(`remote manifest is not JSON: ${(err as Error).message}`);
  }
  const ok =
    typeof m === 'object' &&
    m !== null &&
    typeof m.version === 'number' &&
    typeof m.logStartOffset === 'number' &&
    typeof m.leaderEpoch === 'number' &&
    Array.isArray(m.segments) &&
    m.segments.every((s) => typeof s?.baseOffset === 'number' && typeof s.lastOffset === 'number' && typeof s.key === 'string' && typeof s.sizeBytes === 'number');
  if (!ok) throw new ManifestCorruptError('malformed remote manifest');
  if (m.version! > MANIFEST_VERSION) throw new ManifestCorruptError(`remote manifest version ${m.version} is newer than this broker understands`);
  return m as RemoteManifest;
}

export function serializeManifest(m: RemoteManifest): Buffer {
  return Buffer.from(JSON.stringify(m));
}

/** The end (last offset + 1) of the remote log, or the log start when there are no segments. */
export function manifestEndOffset(m: RemoteManifest): number {
  return m.segments.length > 0 ? m.segments[m.segments.length - 1].lastOffset + 1 : m.logStartOffset;
}

/** One partition's manifest object: load it, and change it with conditional writes. Not reentrant: callers serialize. */
export class ManifestStore {
  private current: RemoteManifest;
  /** Etag of the stored version `current` came from; null = no manifest stored yet. */
  private etag: string | null = null;

  constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    private readonly topicId: string,
    private readonly partition: number,
  ) {
    this.current = emptyManifest(topicId, partition);
  }

  get manifest(): Readonly<RemoteManifest> {
    return this.current;
  }

  /** A manifest object is stored (as of the last load or write). */
  get exists(): boolean {
    return this.etag !== null;
  }

  /**
   * Reads the stored manifest. The etag is taken before the body, so if a write lands in between, the etag is
   * the older one and the next conditional write fails and reloads: never a write over an unseen version.
   */
  async load(): Promise<RemoteManifest> {
    const head = await this.store.head(this.key);
    if (!head) {
      this.etag = null;
      this.current = emptyManifest(this.topicId, this.partition);
      return this.current;
    }
    let body: Buffer;
    try {
      body = await this.store.get(this.key);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return this.load(); // deleted meanwhile
      throw err;
    }
    this.current = parseManifest(body);
    this.etag = head.etag;
    return this.current;
  }

  /**
   * Applies `change` to a copy of the current manifest and stores it conditionally. On a lost race the stored
   * manifest is reloaded and `change` is applied again to it, so `change` must be idempotent (it is also
   * re-applied after an ambiguous failure, e.g. a timeout of a write that did land). `change` returns null for
   * "nothing to do". Returns the manifest in force afterwards.
   */
  async update(leaderEpoch: number, change: (m: RemoteManifest) => RemoteManifest | null): Promise<RemoteManifest> {
    for (let attempt = 0; ; attempt++) {
      if (this.current.leaderEpoch > leaderEpoch) {
        throw new StaleWriterError(`manifest ${this.key} was written under leader epoch ${this.current.leaderEpoch} > ${leaderEpoch}`);
      }
      const next = change(structuredClone(this.current));
      if (next === null) return this.current;
      next.leaderEpoch = Math.max(leaderEpoch, next.leaderEpoch);
      next.updatedMs = Date.now();
      const body = serializeManifest(next);
      const written = this.etag === null ? await this.store.putIfAbsent(this.key, body) : await this.store.putIfMatch(this.key, body, this.etag);
      if (written) {
        this.current = next;
        this.etag = written.etag;
        return next;
      }
      if (attempt >= 20) throw new Error(`manifest ${this.key}: too many conflicting writes`);
      await this.load();
    }
  }

  /** Removes the manifest object (partition deletion). */
  async remove(): Promise<void> {
    await this.store.delete([this.key]);
    this.etag = null;
    this.current = emptyManifest(this.topicId, this.partition);
  }
}
