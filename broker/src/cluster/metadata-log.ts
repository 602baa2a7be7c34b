// The metadata log, stored in the object store: entry N is the object `<cluster>/metadata/log/<N, 20 digits>`
// written with put-if-absent, so exactly one writer wins each position (ARCHITECTURE §5: the object store's
// conditional writes are the consensus). A snapshot of the whole image is written every `snapshotEvery`
// entries so a restart replays only the tail.
import type { ObjectStore } from '../tier/object-store';
import type { MetadataRecord } from './metadata-records';
import { scramCredentialRecord } from '../security/scram-credentials';
import { MetadataImage } from './metadata-image';

const pad = (n: number) => String(n).padStart(20, '0');

interface LogEntry {
  controllerEpoch: number;
  records: MetadataRecord[];
}

export class MetadataConflictError extends Error {}

export class MetadataLog {
  /** Position of the next entry to write. */
  private nextSeq = 0;
  private sinceSnapshot = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly snapshotEvery = 500,
  ) {}

  private logKey(seq: number) {
    return `${this.prefix}metadata/log/${pad(seq)}`;
  }
  private snapshotKey(seq: number) {
    return `${this.prefix}metadata/snapshot/${pad(seq)}`;
  }

  /** Rebuilds the image from the latest snapshot plus every later log entry. */
  async load(): Promise<MetadataImage> {
    const image = new MetadataImage();
    const snapshots = await this.store.list(`${this.prefix}metadata/snapshot/`);
    let from = 0;
    if (snapshots.length > 0) {
      const latest = snapshots[snapshots.length - 1];
      const records = JSON.parse((await this.store.get(latest)).toString('utf8')) as MetadataRecord[];
      for (const r of records) image.apply(r);
      from = Number(latest.slice(latest.lastIndexOf('/') + 1));
    }
    const keys = await this.store.list(`${this.prefix}metadata/log/`);
    let seq = from;
    for (const key of keys) {
      const n = Number(key.slice(key.lastIndexOf('/') + 1));
      if (n < from) continue;
      if (n !== seq) throw new Error(`metadata log has a gap: expected entry ${seq}, found ${n}`);
      const entry = JSON.parse((await this.store.get(key)).toString('utf8')) as LogEntry;
      for (const r of entry.records) image.apply(r);
      seq++;
    }
    this.nextSeq = seq;
    this.sinceSnapshot = seq - from;
    return image;
  }

  /**
   * Appends one entry. Throws MetadataConflictError when another controller already wrote that position;
   * the caller must then reload before writing again.
   */
  async append(records: MetadataRecord[], controllerEpoch: number, image: MetadataImage): Promise<void> {
    const seq = this.nextSeq;
    const body = Buffer.from(JSON.stringify({ controllerEpoch, records } satisfies LogEntry));
    if ((await this.store.putIfAbsent(this.logKey(seq), body)) === null) {
      throw new MetadataConflictError(`metadata log position ${seq} was written by another controller`);
    }
    this.nextSeq = seq + 1;
    for (const r of records) image.apply(r);
    if (++this.sinceSnapshot >= this.snapshotEvery) {
      await this.store.put(this.snapshotKey(this.nextSeq), Buffer.from(JSON.stringify(imageToRecords(image))));
      this.sinceSnapshot = 0;
    }
  }
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
