// The in-memory metadata image: what every handler reads. Only MetadataImage.apply changes it,
// driven by records replayed from (or just appended to) the metadata log.
import type { MetadataRecord } from './metadata-records';
import { bindingKey, type AclBinding } from '../security/acl';
import { entityKey, type QuotaEntity } from '../security/client-quotas';

export interface PartitionState {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
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
}

export class MetadataImage {
  clusterId = '';
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

  apply(record: MetadataRecord): void {
    this.offset++;
    switch (record.type) {
      case 'cluster':
        this.clusterId = record.clusterId;
        break;
      case 'broker':
        this.brokers.set(record.nodeId, { nodeId: record.nodeId, host: record.host, port: record.port, rack: record.rack });
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
    }
  }

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }
}
