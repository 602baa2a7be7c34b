// Metadata records: the only way cluster state changes. They are appended to the metadata log
// (cluster/metadata-log.ts) and applied, in order, to the in-memory image (cluster/metadata-image.ts).
// Cluster mode later adds records (ISR changes, broker fencing, credentials) without changing this flow.
import type { AclBinding } from '../security/acl';
import type { QuotaEntity } from '../security/client-quotas';

export type MetadataRecord =
  | { type: 'cluster'; clusterId: string }
  /** host/port: the broker's first advertised listener; endpoints (optional, newer records): every listener's. */
  | { type: 'broker'; nodeId: number; host: string; port: number; rack: string | null; endpoints?: BrokerEndpoint[] }
  | { type: 'topic'; name: string; topicId: string }
  | {
      type: 'partition';
      topicId: string;
      partition: number;
      leader: number;
      leaderEpoch: number;
      replicas: number[];
      isr: number[];
    }
  /** Sets (string) or removes (null) topic config overrides. */
  | { type: 'topic-config'; topicId: string; configs: Record<string, string | null> }
  | { type: 'remove-topic'; topicId: string }
  /** Reserves producer ids [firstId, firstId + size) for one broker. */
  | { type: 'producer-ids'; nodeId: number; firstId: number; size: number }
  /** Adds an ACL binding (security/acl.ts); adding an existing one changes nothing. */
  | { type: 'acl'; acl: AclBinding }
  | { type: 'remove-acl'; acl: AclBinding }
  /** Sets (number) or removes (null) one client quota of an entity (security/client-quotas.ts). */
  | { type: 'client-quota'; entity: QuotaEntity; key: string; value: number | null }
  /** Sets a user's SCRAM credential for one mechanism (binary fields base64): stored keys, never a password. */
  | { type: 'scram-credential'; name: string; mechanism: string; salt: string; iterations: number; storedKey: string; serverKey: string }
  | { type: 'remove-scram-credential'; name: string; mechanism: string };

/** One advertised listener of a broker, as Kafka's RegisterBrokerRecord endpoints. */
export interface BrokerEndpoint {
  listener: string;
  host: string;
  port: number;
  securityProtocol: string;
}
