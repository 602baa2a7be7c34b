// A Kafka admin connection to a whole cluster, for stratactl, the console and the operator: bootstrap through
// any of the given brokers, learn the cluster from Metadata, and reach the broker a request belongs on (a
// partition's leader, a group's coordinator) over one cached connection per broker. Speaks only the Kafka
// protocol, so it works against Apache Kafka as well as Strata.
import type { ConnectionOptions } from 'node:tls';
import { sleep, systemClock } from '../broker/src/clock';
import { ApiKey } from '../broker/src/protocol/apis';
import { KafkaClient, type SaslCredentials } from '../broker/src/protocol/client';
import { ZERO_UUID } from '../broker/src/protocol/codec';
import { ErrorCode } from '../broker/src/protocol/errors';
import type { FindCoordinatorResponse, MetadataResponse } from '../broker/src/protocol/schema/types';
import { AdminError, check } from './errors';

export interface ClusterClientOptions {
  /** host:port pairs tried in order until one answers. */
  bootstrap: string[];
  clientId?: string;
  /** Connect and per-request timeout (default 30 s). */
  timeoutMs?: number;
  tls?: ConnectionOptions;
  sasl?: SaslCredentials;
}

export interface BrokerNode {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionMetadata {
  partition: number;
  /** NONE, or e.g. LEADER_NOT_AVAILABLE for an offline partition. */
  errorCode: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  partitions: PartitionMetadata[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerNode[];
  topics: TopicMetadata[];
}

const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE]);

/** Whether an answer means "ask FindCoordinator again" (the coordinator moved, is loading or is unavailable). */
export function coordinatorMoved(errorCode: number): boolean {
  return COORDINATOR_MOVED.has(errorCode);
}
const COORDINATOR_RETRIES = 120;
const COORDINATOR_RETRY_BACKOFF_MS = 250;

/** FindCoordinator key types. */
export const CoordinatorType = { GROUP: 0, TRANSACTION: 1 } as const;

/** Parses "host:port[,host:port…]" (also accepts several strings); throws a readable error on a bad entry. */
export function parseBootstrap(list: string | string[]): Array<{ host: string; port: number }> {
  const entries = (Array.isArray(list) ? list : [list]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) throw new AdminError('no brokers given: pass --brokers host:port or set STRATA_BROKERS', 'usage');
  return entries.map((e) => {
    const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(e);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) throw new AdminError(`bad broker address "${e}": expected host:port`, 'usage');
    return { host: m[1]!, port };
  });
}

export class ClusterClient {
  private readonly byNode = new Map<number, Promise<KafkaClient>>();
  private bootstrapClient: Promise<KafkaClient> | undefined;
  private nodes = new Map<number, BrokerNode>();

  constructor(private readonly opts: ClusterClientOptions) {}

  /**
   * A connection to the first bootstrap broker that answers, with versions negotiated. A cached connection that
   * has since closed (the broker restarted, the network dropped it) is replaced, so a long-lived client (the
   * console) recovers by itself; a request that was in flight when it broke still fails.
   */
  any(): Promise<KafkaClient> {
    const current = this.bootstrapClient ?? this.openBootstrap();
    return current.then((c) => {
      if (!c.isClosed) return c;
      // Only the first caller to notice replaces it; the others share the new connection.
      return this.bootstrapClient === current ? this.openBootstrap() : this.any();
    });
  }

  /** A connection to one broker by node id (learned from the last metadata call); reopened once it closed. */
  async broker(nodeId: number): Promise<KafkaClient> {
    let current = this.byNode.get(nodeId);
    if (!current) {
      if (!this.nodes.has(nodeId)) await this.metadata([]);
      current = this.byNode.get(nodeId) ?? this.openNode(nodeId);
    }
    const c = await current;
    if (!c.isClosed) return c;
    return this.byNode.get(nodeId) === current ? this.openNode(nodeId) : this.broker(nodeId);
  }

  private openBootstrap(): Promise<KafkaClient> {
    const opening = this.connectBootstrap();
    this.bootstrapClient = opening;
    opening.catch(() => {
      if (this.bootstrapClient === opening) this.bootstrapClient = undefined;
    });
    return opening;
  }

  private openNode(nodeId: number): Promise<KafkaClient> {
    const node = this.nodes.get(nodeId);
    if (!node) return Promise.reject(new AdminError(`broker ${nodeId} is not in the cluster's metadata`, 'unavailable'));
    const opening = this.open(node.host, node.port);
    this.byNode.set(nodeId, opening);
    opening.catch(() => {
      if (this.byNode.get(nodeId) === opening) this.byNode.delete(nodeId);
    });
    return opening;
  }

  /** Every broker currently in the metadata. */
  async brokers(): Promise<BrokerNode[]> {
    return (await this.metadata([])).brokers;
  }

  /**
   * Cluster metadata. `topics` undefined lists every topic; [] lists none (brokers only). Topics that do not
   * exist come back with UNKNOWN_TOPIC_OR_PARTITION in errorCode; never auto-created.
   */
  async metadata(topics?: string[]): Promise<ClusterMetadata> {
    const c = await this.any();
    const res = await c.request<MetadataResponse>(ApiKey.Metadata, c.pickVersion(ApiKey.Metadata, 12), {
      topics: topics === undefined ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const brokers = res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    this.nodes = new Map(brokers.map((b) => [b.nodeId, b]));
    return {
      clusterId: res.clusterId,
      controllerId: res.controllerId,
      brokers: brokers.sort((a, b) => a.nodeId - b.nodeId),
      topics: res.topics
        .map((t) => ({
          name: t.name ?? '',
          topicId: t.topicId,
          isInternal: t.isInternal,
          errorCode: t.errorCode,
          partitions: t.partitions
            .map((p) => ({
              partition: p.partitionIndex,
              errorCode: p.errorCode,
              leader: p.leaderId,
              leaderEpoch: p.leaderEpoch,
              replicas: p.replicaNodes,
              isr: p.isrNodes,
              offlineReplicas: p.offlineReplicas,
            }))
            .sort((a, b) => a.partition - b.partition),
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    };
  }

  /** One topic's metadata; throws AdminError 'not-found' when it does not exist. */
  async topic(name: string): Promise<TopicMetadata> {
    const t = (await this.metadata([name])).topics.find((x) => x.name === name);
    if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw new AdminError(`topic ${name} does not exist`, 'not-found');
    check(`metadata of topic ${name}`, t.errorCode);
    return t;
  }

  /**
   * Runs fn against the coordinator of `key`. When the coordinator moved (NOT_COORDINATOR), is still loading, is
   * not available or cannot be reached, finds it again and reruns fn, for about 30 s, as Kafka's admin client
   * does: after a broker dies its coordinators move with the leadership of their internal partitions.
   */
  async atCoordinator<T>(key: string, fn: (c: KafkaClient, nodeId: number) => Promise<T>, type: number = CoordinatorType.GROUP): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const nodeId = await this.coordinatorId(key, type);
        return await fn(await this.broker(nodeId), nodeId);
      } catch (err) {
        const e = AdminError.from(err);
        const moved = e.code !== undefined ? coordinatorMoved(e.code) : e.kind === 'unavailable';
        if (!moved || attempt >= COORDINATOR_RETRIES) throw e;
        await sleep(systemClock, COORDINATOR_RETRY_BACKOFF_MS);
      }
    }
  }

  /** The node id of the broker that coordinates a group (or a transactional id). */
  async coordinatorId(key: string, type: number = CoordinatorType.GROUP): Promise<number> {
    const c = await this.any();
    const v = c.pickVersion(ApiKey.FindCoordinator, 4);
    const res = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, v, { key, keyType: type, coordinatorKeys: [key] });
    const r = v >= 4 ? res.coordinators[0] : { ...res, key };
    if (!r) throw new AdminError(`FindCoordinator for ${key} returned no coordinator`, 'unavailable');
    check(`finding the coordinator of ${key}`, r.errorCode, r.errorMessage);
    if (!this.nodes.has(r.nodeId)) this.nodes.set(r.nodeId, { nodeId: r.nodeId, host: r.host, port: r.port, rack: null });
    return r.nodeId;
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    const all = [this.bootstrapClient, ...this.byNode.values()].filter((p): p is Promise<KafkaClient> => p !== undefined);
    this.bootstrapClient = undefined;
    this.byNode.clear();
    await Promise.all(all.map((p) => p.then((c) => c.close(), () => undefined)));
  }

  private async connectBootstrap(): Promise<KafkaClient> {
    const failures: string[] = [];
    for (const { host, port } of parseBootstrap(this.opts.bootstrap)) {
      try {
        return await this.open(host, port);
      } catch (err) {
        // A refused login is the answer, not a reason to try the next broker.
        if (err instanceof AdminError && err.kind === 'auth') throw err;
        failures.push((err as Error).message);
      }
    }
    throw new AdminError(`no broker reachable: ${failures.join('; ')}`, 'unavailable');
  }

  private async open(host: string, port: number): Promise<KafkaClient> {
    let c: KafkaClient;
    try {
      c = await KafkaClient.connect({ host, port, clientId: this.opts.clientId ?? 'stratactl', timeoutMs: this.opts.timeoutMs ?? 30_000, tls: this.opts.tls, sasl: this.opts.sasl });
    } catch (err) {
      throw AdminError.from(err);
    }
    try {
      await c.apiVersions();
    } catch (err) {
      await c.close();
      throw AdminError.from(err);
    }
    return c;
  }
}
