// Metadata records: the only way cluster state changes. They are appended to the metadata log
// (cluster/metadata-log.ts) and applied, in order, to the in-memory image (cluster/metadata-image.ts).
// Cluster mode later adds records (ISR changes, broker fencing, credentials) without changing this flow.
import type { AclBinding } from '../security/acl';
import type { QuotaEntity } from '../security/client-quotas';

export type MetadataRecord =
  | { type: 'cluster'; clusterId: string }
  /**
   * A broker's registration. host/port: its first advertised listener; endpoints (optional, newer records): every
   * listener's. incarnationId: the id stored on the broker's disk, new when the disk is (a wiped broker must never
   * lead before it caught up, KIP-966). A registration unfences the broker (fenced: false) unless it says otherwise.
   */
  | {
      type: 'broker';
      nodeId: number;
      host: string;
      port: number;
      rack: string | null;
      endpoints?: BrokerEndpoint[];
      incarnationId?: string;
      fenced?: boolean;
    }
  /** The controller fenced (its heartbeats stopped, or it shut down) or unfenced a registered broker. */
  | { type: 'broker-fence'; nodeId: number; fenced: boolean }
  /** A broker took the controller lease with this epoch; later entries are written under it. */
  | { type: 'controller'; nodeId: number; epoch: number }
  | { type: 'topic'; name: string; topicId: string }
  | {
      type: 'partition';
      topicId: string;
      partition: number;
      /** -1: no leader (offline: no ISR member is alive). */
      leader: number;
      leaderEpoch: number;
      replicas: number[];
      isr: number[];
      /** A reassignment in progress (KIP-455): replicas being added (catching up) and to be removed once they have. */
      addingReplicas?: number[];
      removingReplicas?: number[];
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
