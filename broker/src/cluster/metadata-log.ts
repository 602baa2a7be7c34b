// The metadata log, stored in the object store: entry N is the object `<cluster>/metadata/log/<N, 20 digits>`
// written with put-if-absent, so exactly one writer wins each position (ARCHITECTURE §5: the object store's
// conditional writes are the consensus). Any broker may append (CLUSTER.md): it validates its operation against
// its image at position N and writes N; if another broker won N, the append throws MetadataConflictError and the
// caller (Controller.serialize) catches up and re-runs the operation.
//
// Snapshots: the image at position S is `<cluster>/metadata/snapshot/<S>` (the records that rebuild it). Only the
// controller lease holder writes them, every `snapshotEvery` entries, and then deletes the log entries (and
// snapshots) below the second-newest snapshot, so a reader that just loaded the newest one never misses an entry.
// A reader so far behind that its next entry was deleted finds out (the entry before it is gone too) and reloads
// from the newest snapshot, in place.
import { EventEmitter } from 'node:events';
import { ObjectNotFoundError, type ObjectStore } from '../tier/object-store';
import type { MetadataRecord } from './metadata-records';
import { scramCredentialRecord } from '../security/scram-credentials';
import { MetadataImage } from './metadata-image';

const pad = (n: number) => String(n).padStart(20, '0');

interface LogEntry {
  /** The broker that wrote the entry (-1 in entries from before cluster mode). */
  nodeId?: number;
  /** The controller epoch in the writer's image when it wrote. */
  controllerEpoch: number;
  /** When it was written, on the writer's wall clock (for the propagation delay metric only). */
  writtenAtMs?: number;
  records: MetadataRecord[];
}

/**
 * A snapshot's content: the records that rebuild the image, plus what replaying them would not reproduce — the
 * image's record count and each broker's epoch (the count at its registration), which every broker must agree on.
 * (Snapshots from before cluster mode are a bare record array.)
 */
interface Snapshot {
  offset: number;
  brokerEpochs: Record<string, number>;
  records: MetadataRecord[];
}

function applySnapshot(image: MetadataImage, snapshot: Snapshot | MetadataRecord[]): void {
  const records = Array.isArray(snapshot) ? snapshot : snapshot.records;
  for (const r of records) image.apply(r);
  if (Array.isArray(snapshot)) return;
  image.offset = snapshot.offset;
  for (const b of image.brokers.values()) b.epoch = snapshot.brokerEpochs[b.nodeId] ?? b.epoch;
}

/** Another writer took the position (or the writer's image fell behind): catch up and retry. */
export class MetadataConflictError extends Error {
  override readonly name = 'MetadataConflictError';
}

/**
 * Polls that find no new entry before a tailing reader checks it has not fallen behind a snapshot (one HEAD):
 * a reader is that far behind only after a long pause, so it need not pay for the check on every poll.
 */
const VERIFY_END_EVERY = 20;

/** 'applied': a catch-up applied entries (or reloaded); 'entry': one entry written by another broker was applied. */
export class MetadataLog extends EventEmitter<{ applied: [entries: number]; entry: [writtenAtMs: number] }> {
  /** Position of the next entry to read or write: the image reflects every entry below it. */
  private nextSeq = 0;
  /** Position of the newest snapshot this log knows of (0: none). */
  private newestSnapshot = 0;
  /** catchUp and append run one at a time: both move nextSeq and change the image. */
  private turn: Promise<unknown> = Promise.resolve();
  private missesSinceVerify = 0;
  /** Set when an append found its position's predecessor deleted: the next catchUp must reload. */
  private behind = false;
  /** Whether this broker writes snapshots (the lease holder does; a standalone log always). */
  private snapshotWriter: () => boolean = () => true;

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly snapshotEvery = 500,
  ) {
    super();
  }

  /** Position of the next entry: how many entries the image reflects. */
  get position(): number {
    return this.nextSeq;
  }

  /** Who may write snapshots (and delete what they cover): the broker calls this with its lease's isActive. */
  setSnapshotWriter(isWriter: () => boolean): void {
    this.snapshotWriter = isWriter;
  }

  private logKey(seq: number) {
    return `${this.prefix}metadata/log/${pad(seq)}`;
  }
  private snapshotKey(seq: number) {
    return `${this.prefix}metadata/snapshot/${pad(seq)}`;
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.turn.then(fn, fn);
    this.turn = next.catch(() => undefined);
    return next;
  }

  /** Builds the image from the newest snapshot plus every later log entry. */
  async load(): Promise<MetadataImage> {
    const image = new MetadataImage();
    await this.exclusive(() => this.reload(image));
    return image;
  }

  /** Replaces the image's content with the newest snapshot and every entry after it. */
  private async reload(image: MetadataImage): Promise<void> {
    image.reset();
    const snapshots = await this.store.list(`${this.prefix}metadata/snapshot/`);
    let from = 0;
    for (let i = snapshots.length - 1; i >= 0; i--) {
      const snapshot = await this.getJson<Snapshot | MetadataRecord[]>(snapshots[i]);
      if (!snapshot) continue; // deleted since the listing: an older one than the newest, try the next
      applySnapshot(image, snapshot);
      from = seqOf(snapshots[i]);
      break;
    }
    this.nextSeq = this.newestSnapshot = from;
    this.behind = false;
    await this.readTail(image);
  }

  /** Applies every entry after the current position, until the first missing one; returns how many. */
  catchUp(image: MetadataImage): Promise<number> {
    return this.exclusive(async () => {
      const start = this.nextSeq;
      let reloaded = false;
      if (this.behind || (await this.readTail(image)) === 0 && (await this.fellBehind())) {
        await this.reload(image);
        reloaded = true;
      }
      const applied = reloaded ? Math.max(1, this.nextSeq - start) : this.nextSeq - start;
      if (applied > 0) {
        this.missesSinceVerify = 0;
        this.emit('applied', applied);
        await this.maybeSnapshot(image);
      }
      return applied;
    });
  }

  /** Reads and applies entries from nextSeq until one is missing. */
  private async readTail(image: MetadataImage): Promise<number> {
    let n = 0;
    for (;;) {
      const entry = await this.getJson<LogEntry>(this.logKey(this.nextSeq));
      if (!entry) return n;
      for (const r of entry.records) image.apply(r);
      this.nextSeq++;
      n++;
      if (entry.writtenAtMs !== undefined) this.emit('entry', entry.writtenAtMs);
    }
  }

  /**
   * After a poll found nothing: whether that is because entries up to and past our position were deleted (we
   * are behind the second-newest snapshot) rather than because we are at the end. Deletion removes a prefix and
   * keeps every entry from the second-newest snapshot on, so at the end the entry before ours still exists.
   */
  private async fellBehind(): Promise<boolean> {
    if (++this.missesSinceVerify < VERIFY_END_EVERY) return false;
    this.missesSinceVerify = 0;
    return this.predecessorGone();
  }

  private async predecessorGone(): Promise<boolean> {
    if (this.nextSeq === 0) return (await this.store.list(`${this.prefix}metadata/snapshot/`)).length > 0;
    return (await this.store.head(this.logKey(this.nextSeq - 1))) === null;
  }

  /**
   * Appends one entry at `position` (the position the caller's image was at when it validated the records).
   * Throws MetadataConflictError when the image has moved since (a tailer applied entries meanwhile) or another
   * writer won the position; the caller must catch up and re-validate.
   */
  append(records: MetadataRecord[], image: MetadataImage, writer: { nodeId: number; position: number }): Promise<void> {
    return this.exclusive(async () => {
      const seq = this.nextSeq;
      if (writer.position !== seq) throw new MetadataConflictError(`metadata image moved from ${writer.position} to ${seq} during the operation`);
      // Never write into a deleted prefix: our image would then commit an entry no reader ever applies.
      if (seq > 0 && (await this.predecessorGone())) {
        this.behind = true;
        throw new MetadataConflictError(`metadata log position ${seq} is below the newest snapshots: reloading`);
      }
      const entry: LogEntry = { nodeId: writer.nodeId, controllerEpoch: image.controllerEpoch, writtenAtMs: Date.now(), records };
      if ((await this.store.putIfAbsent(this.logKey(seq), Buffer.from(JSON.stringify(entry)))) === null) {
        throw new MetadataConflictError(`metadata log position ${seq} was written by another broker`);
      }
      this.nextSeq = seq + 1;
      for (const r of records) image.apply(r);
      await this.maybeSnapshot(image);
    });
  }

  /** Writes a snapshot when this broker is the writer and enough entries passed, then deletes what it covers. */
  private async maybeSnapshot(image: MetadataImage): Promise<void> {
    if (this.nextSeq - this.newestSnapshot < this.snapshotEvery || !this.snapshotWriter()) return;
    const seq = this.nextSeq;
    // Any writer of position `seq` writes the same image, so a plain put is safe against a deposed holder.
    const snapshot: Snapshot = {
      offset: image.offset,
      brokerEpochs: Object.fromEntries([...image.brokers.values()].map((b) => [b.nodeId, b.epoch])),
      records: imageToRecords(image),
    };
    await this.store.put(this.snapshotKey(seq), Buffer.from(JSON.stringify(snapshot)));
    this.newestSnapshot = seq;
    const snapshots = (await this.store.list(`${this.prefix}metadata/snapshot/`)).map(seqOf).filter((s) => s <= seq);
    if (snapshots.length < 2) return;
    const keep = snapshots[snapshots.length - 2];
    const entries = (await this.store.list(`${this.prefix}metadata/log/`)).filter((k) => seqOf(k) < keep);
    await this.store.delete([...entries, ...snapshots.filter((s) => s < keep).map((s) => this.snapshotKey(s))]);
  }

  private async getJson<T>(key: string): Promise<T | null> {
    try {
      return JSON.parse((await this.store.get(key)).toString('utf8')) as T;
    } catch (err) {
      if (err instanceof ObjectNotFoundError) return null;
      throw err;
    }
  }
}

function seqOf(key: string): number {
  return Number(key.slice(key.lastIndexOf('/') + 1));
}

/** The records that rebuild an image from nothing: the content of a snapshot. */
export function imageToRecords(image: MetadataImage): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  if (image.clusterId) out.push({ type: 'cluster', clusterId: image.clusterId });
  if (image.controllerId >= 0) out.push({ type: 'controller', nodeId: image.controllerId, epoch: image.controllerEpoch });
  for (const { epoch: _epoch, ...b } of image.brokers.values()) out.push({ type: 'broker', ...b });
  for (const t of image.topicsById.values()) {
    out.push({ type: 'topic', name: t.name, topicId: t.topicId });
    for (const p of t.partitions) out.push({ type: 'partition', topicId: t.topicId, ...p });
    if (Object.keys(t.configs).length > 0) out.push({ type: 'topic-config', topicId: t.topicId, configs: { ...t.configs } });
  }
  if (image.nextProducerId > 0) out.push({ type: 'producer-ids', nodeId: -1, firstId: 0, size: image.nextProducerId });
  for (const acl of image.acls.values()) out.push({ type: 'acl', acl });
  for (const { entity, values } of image.quotas.values()) {
    for (const [key, value] of Object.entries(values)) out.push({ type: 'client-quota', entity, key, value });
  }
  for (const [name, byMechanism] of image.scramCredentials) {
    for (const [mechanism, cred] of byMechanism) out.push(scramCredentialRecord(name, mechanism, cred));
  }
  return out;
}
