// The in-memory metadata image: what every handler reads. Only MetadataImage.apply changes it,
// driven by records replayed from (or just appended to) the metadata log.
import { bindingKey, type AclBinding } from '../security/acl';
import { entityKey, type QuotaEntity } from '../security/client-quotas';
import type { BrokerEndpoint, MetadataRecord } from './metadata-records';
import type { ScramCredential } from '../security/scram';

export interface PartitionState {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** A reassignment in progress (KIP-455): replicas being added, and those removed once the added ones are in sync. */
  addingReplicas?: number[];
  removingReplicas?: number[];
}

export interface TopicImage {
  name: string;
  topicId: string;
  partitions: PartitionState[];
  /** Topic-level config overrides (only what was set explicitly). */
  configs: Record<string, string>;
}

export interface BrokerImage {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  /** Every advertised listener (absent in records written before listeners existed: host/port only). */
  endpoints?: BrokerEndpoint[];
  /** The id stored on the broker's disk at its latest registration ('' in records from before cluster mode). */
  incarnationId: string;
  /** Fenced brokers lead nothing and are left out of Metadata responses. */
  fenced: boolean;
  /** Position of the metadata log entry of its latest registration (Kafka's broker epoch). */
  epoch: number;
}

/**
 * Where clients on `listener` reach broker `b` (Kafka advertises, per request, the endpoint of the listener it
 * came in on); null when the broker has no such listener (it is then left out of the response, as in Kafka).
 */
export function brokerEndpoint(b: BrokerImage, listener: string): { host: string; port: number } | null {
  if (!b.endpoints) return { host: b.host, port: b.port };
  return b.endpoints.find((e) => e.listener === listener) ?? null;
}

/** Every live (unfenced) broker that has `listener`, with that listener's endpoint: what clients are told about. */
export function listenerBrokers(image: MetadataImage, listener: string): Array<{ b: BrokerImage; e: { host: string; port: number } }> {
  const out: Array<{ b: BrokerImage; e: { host: string; port: number } }> = [];
  for (const b of image.brokers.values()) {
    if (b.fenced) continue;
    const e = brokerEndpoint(b, listener);
    if (e) out.push({ b, e });
  }
  return out;
}

export class MetadataImage {
  clusterId = '';
  /** The broker holding the controller lease (-1: none yet) and the lease's epoch. */
  controllerId = -1;
  controllerEpoch = 0;
  /** Number of records applied: the image's position in the metadata log. */
  offset = 0;
  readonly topicsByName = new Map<string, TopicImage>();
  readonly topicsById = new Map<string, TopicImage>();
  readonly brokers = new Map<number, BrokerImage>();
  /** Next producer id not yet reserved by any broker. */
  nextProducerId = 0;
  /** ACL bindings by bindingKey. */
  readonly acls = new Map<string, AclBinding>();
  /** Bumped on every ACL change, so the authorizer knows when to rebuild its index. */
  aclVersion = 0;
  /** Client quotas by entityKey: the entity and its quota values (producer_byte_rate, …). */
  readonly quotas = new Map<string, { entity: QuotaEntity; values: Record<string, number> }>();
  /** Bumped on every quota change, so the quota manager re-resolves. */
  quotaVersion = 0;
  /** SCRAM credentials by user, then mechanism name (SCRAM-SHA-256 / SCRAM-SHA-512). */
  readonly scramCredentials = new Map<string, Map<string, ScramCredential>>();

  /**
   * Empties the image (before it is rebuilt from a snapshot, when this broker fell too far behind the log). The
   * object stays the same, since every component holds it; the ACL and quota versions move on, so their caches
   * rebuild from what follows.
   */
  reset(): void {
    this.clusterId = '';
    this.controllerId = -1;
    this.controllerEpoch = 0;
    this.offset = 0;
    this.topicsByName.clear();
    this.topicsById.clear();
    this.brokers.clear();
    this.nextProducerId = 0;
    this.acls.clear();
    this.aclVersion++;
    this.quotas.clear();
    this.quotaVersion++;
    this.scramCredentials.clear();
  }

  apply(record: MetadataRecord): void {
    this.offset++;
    switch (record.type) {
      case 'cluster':
        this.clusterId = record.clusterId;
        break;
      case 'broker':
        this.brokers.set(record.nodeId, {
          nodeId: record.nodeId,
          host: record.host,
          port: record.port,
          rack: record.rack,
          endpoints: record.endpoints,
          incarnationId: record.incarnationId ?? '',
          fenced: record.fenced ?? false,
          epoch: this.offset,
        });
        break;
      case 'broker-fence': {
        const b = this.brokers.get(record.nodeId);
        if (b) b.fenced = record.fenced;
        break;
      }
      case 'controller':
        this.controllerId = record.nodeId;
        this.controllerEpoch = Math.max(this.controllerEpoch, record.epoch);
        break;
      case 'topic': {
        const topic: TopicImage = { name: record.name, topicId: record.topicId, partitions: [], configs: {} };
        this.topicsByName.set(record.name, topic);
        this.topicsById.set(record.topicId, topic);
        break;
      }
      case 'partition': {
        const topic = this.topicsById.get(record.topicId);
        if (!topic) throw new Error(`metadata record for partition ${record.partition} of unknown topic id ${record.topicId}`);
        const { type: _type, topicId: _id, ...state } = record;
        topic.partitions[record.partition] = state;
        break;
      }
      case 'topic-config': {
        const topic = this.topicsById.get(record.topicId);
        if (!topic) throw new Error(`config record for unknown topic id ${record.topicId}`);
        for (const [k, v] of Object.entries(record.configs)) {
          if (v === null) delete topic.configs[k];
          else topic.configs[k] = v;
        }
        break;
      }
      case 'remove-topic': {
        const topic = this.topicsById.get(record.topicId);
        if (topic) {
          this.topicsById.delete(topic.topicId);
          this.topicsByName.delete(topic.name);
        }
        break;
      }
      case 'producer-ids':
        this.nextProducerId = Math.max(this.nextProducerId, record.firstId + record.size);
        break;
      case 'acl':
        this.acls.set(bindingKey(record.acl), record.acl);
        this.aclVersion++;
        break;
      case 'remove-acl':
        this.acls.delete(bindingKey(record.acl));
        this.aclVersion++;
        break;
      case 'client-quota': {
        const key = entityKey(record.entity);
        const entry = this.quotas.get(key) ?? { entity: record.entity, values: {} };
        if (record.value === null) delete entry.values[record.key];
        else entry.values[record.key] = record.value;
        if (Object.keys(entry.values).length === 0) this.quotas.delete(key);
        else this.quotas.set(key, entry);
        this.quotaVersion++;
        break;
      }
      case 'scram-credential': {
        let byMechanism = this.scramCredentials.get(record.name);
        if (!byMechanism) this.scramCredentials.set(record.name, (byMechanism = new Map()));
        byMechanism.set(record.mechanism, {
          salt: Buffer.from(record.salt, 'base64'),
          iterations: record.iterations,
          storedKey: Buffer.from(record.storedKey, 'base64'),
          serverKey: Buffer.from(record.serverKey, 'base64'),
        });
        break;
      }
      case 'remove-scram-credential': {
        const byMechanism = this.scramCredentials.get(record.name);
        byMechanism?.delete(record.mechanism);
        if (byMechanism?.size === 0) this.scramCredentials.delete(record.name);
        break;
      }
    }
  }

  /**
   * The controller id clients are told: the lease holder while it is alive, else `self` (a client only needs some
   * live broker here: admin requests are handled by whichever broker gets them).
   */
  advertisedControllerId(self: number): number {
    const c = this.brokers.get(this.controllerId);
    return c && !c.fenced ? c.nodeId : self;
  }

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }
}
