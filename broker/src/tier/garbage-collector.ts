// Reconciles the bucket with the manifests, so that no crash leaves objects behind for good:
//  - in a partition of a live topic, segment objects the manifest does not reference (an upload cut short
//    before its manifest write, a delete cut short after it) are removed once older than the grace period;
//  - under a topic that no longer exists, every object older than the grace period is removed (the manifest
//    by its updatedMs, segment objects by the time in their v7 uuid).
// The grace period protects uploads in progress on any broker (their objects are unreferenced until the
// manifest write); keys of uploads in progress in this process are skipped whatever their age.
import type { Logger } from '../logger';
import { ObjectNotFoundError, type ObjectStore } from './object-store';
import { MANIFEST_NAME, parseTierKey, segmentObjectKeys, topicsPrefix } from './remote-keys';
import { parseManifest } from './remote-manifest';

export interface GarbageCollectorOptions {
  store: ObjectStore;
  clusterId: string;
  /** Objects younger than this are never removed (default 10 min). */
  graceMs?: number;
  /** Whether a topic id exists in the metadata image. */
  topicExists(topicId: string): boolean;
  /** Segment key prefixes being uploaded by this process. */
  inFlight?: ReadonlySet<string>;
  logger?: Logger;
  now?: () => number;
}

export interface GarbageCollectionResult {
  deleted: string[];
  partitionsChecked: number;
}

export const DEFAULT_GC_GRACE_MS = 10 * 60 * 1000;

export class GarbageCollector {
  private running?: Promise<GarbageCollectionResult>;
  private readonly graceMs: number;

  constructor(private readonly opts: GarbageCollectorOptions) {
    this.graceMs = opts.graceMs ?? DEFAULT_GC_GRACE_MS;
  }

  /** One pass over the cluster's tiered data. A call during a pass gets that pass's result. */
  run(): Promise<GarbageCollectionResult> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private async pass(): Promise<GarbageCollectionResult> {
    const { store, clusterId } = this.opts;
    const now = (this.opts.now ?? Date.now)();
    const cutoff = now - this.graceMs;
    const keys = await store.list(topicsPrefix(clusterId));
    const byPartition = new Map<string, string[]>();
    for (const key of keys) {
      const parsed = parseTierKey(clusterId, key);
      if (!parsed) continue;
      const p = key.slice(0, key.length - parsed.name.length);
      let list = byPartition.get(p);
      if (!list) byPartition.set(p, (list = []));
      list.push(key);
    }
    const deleted: string[] = [];
    for (const [prefix, partitionKeys] of byPartition) {
      const topicId = parseTierKey(clusterId, partitionKeys[0])!.topicId;
      try {
        const doomed = this.opts.topicExists(topicId) ? await this.unreferenced(prefix, partitionKeys, cutoff) : await this.ofDeletedTopic(prefix, partitionKeys, cutoff);
        if (doomed.length === 0) continue;
        await store.delete(doomed);
        deleted.push(...doomed);
        this.opts.logger?.info('garbage collector removed objects', { prefix, objects: doomed.length, topicExists: this.opts.topicExists(topicId) });
      } catch (err) {
        this.opts.logger?.warn('garbage collection of a partition failed', { prefix, error: err });
      }
    }
    return { deleted, partitionsChecked: byPartition.size };
  }

  /** Segment objects of a live partition that its manifest does not reference. Listed before the manifest is read. */
  private async unreferenced(prefix: string, keys: string[], cutoff: number): Promise<string[]> {
    let referenced: Set<string>;
    try {
      const m = parseManifest(await this.opts.store.get(prefix + MANIFEST_NAME));
      referenced = new Set(m.segments.flatMap(segmentObjectKeys));
    } catch (err) {
      if (!(err instanceof ObjectNotFoundError)) throw err; // unreadable manifest: touch nothing
      referenced = new Set();
    }
    const inFlight = this.opts.inFlight ?? new Set<string>();
    return keys.filter((key) => {
      const parsed = parseTierKey(this.opts.clusterId, key)!;
      if (parsed.kind !== 'segment' || referenced.has(key) || inFlight.has(parsed.segmentPrefix!)) return false;
      return parsed.createdMs === undefined || parsed.createdMs < cutoff;
    });
  }

  /** Everything of a partition whose topic is gone, once old enough. */
  private async ofDeletedTopic(prefix: string, keys: string[], cutoff: number): Promise<string[]> {
    const out: string[] = [];
    for (const key of keys) {
      const parsed = parseTierKey(this.opts.clusterId, key)!;
      if (parsed.kind === 'manifest') continue;
      if (parsed.kind === 'segment' && parsed.createdMs !== undefined && parsed.createdMs >= cutoff) continue;
      out.push(key);
    }
    const manifest = keys.find((k) => k === prefix + MANIFEST_NAME);
    if (manifest) {
      let updatedMs = 0;
      try {
        updatedMs = parseManifest(await this.opts.store.get(manifest)).updatedMs;
      } catch {
        // unreadable or gone: treat as old
      }
      // The manifest goes last, and only with the rest: a young manifest may belong to a topic we do not know yet.
      if (updatedMs < cutoff && out.length === keys.length - 1) out.push(manifest);
    }
    return out;
  }
}
