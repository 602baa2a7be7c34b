// A Strata cluster of N broker PROCESSES on loopback for the cluster-mode suites (issue 10): node ids 1..N,
// each with its own Kafka port, metrics port and data dir (<root>/broker-<id>), all sharing one local object
// store directory (<root>/object-store) and one cluster id, with cluster timeouts short enough for tests.
// The test drives faults (kill -9, SIGTERM, SIGSTOP/SIGCONT, a wiped data dir, restart, an added broker) and
// waits for the cluster's answer over the wire (Metadata, DescribeCluster) with a deadline — never a sleep.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { flagName, type ConfigKey } from '../../broker/src/config';
import { ApiKey } from '../../broker/src/protocol/apis';
import { KafkaClient } from '../../broker/src/protocol/client';
import { ZERO_UUID } from '../../broker/src/protocol/codec';
import { buildRecordBatch } from '../../broker/src/protocol/records';
import type {
  CreateTopicsResponse,
  DescribeClusterResponse,
  ListOffsetsResponse,
  MetadataResponse,
  MetadataResponseTopic,
} from '../../broker/src/protocol/schema/types';
import { BrokerProcess, type ExitInfo } from './broker-process';
import { NetworkPartitioner } from './net-partition';
import { WireClient } from './protocol-batches';
import { makeTempDir, removeTempDir, waitFor } from './util';

/** Cluster-mode settings of the test brokers: failures are detected in a few seconds, not Kafka's defaults. */
export const TEST_CLUSTER_CONFIG: Partial<Record<ConfigKey, string | number>> = {
  brokerHeartbeatIntervalMs: 250,
  brokerSessionTimeoutMs: 2500,
  controllerLeaseMs: 2500,
  replicaLagTimeMaxMs: 3000,
  replicaFetchWaitMaxMs: 200,
  metadataPollIntervalMs: 100,
  groupInitialRebalanceDelayMs: 0,
  // Fewer coordinator partitions: three brokers replicating 50+50 internal partitions is needless load on CI.
  offsetsTopicNumPartitions: 3,
  transactionStateLogNumPartitions: 3,
  shutdownTimeoutMs: 20_000,
  // Tiered segments leave the local disk soon after upload (local.retention.*), so tests see the cold part move.
  logRetentionCheckIntervalMs: 500,
};

export interface ClusterOptions {
  /** Brokers started at once (default 3). */
  brokers?: number;
  /** Label of the temp dir and messages. */
  name?: string;
  /** Start each broker in its own cgroup so isolate(id) can cut it off the network (root; net-partition.ts). */
  partitionable?: boolean;
  /** Overrides of TEST_CLUSTER_CONFIG and further broker settings, by config key. */
  config?: Partial<Record<ConfigKey, string | number | boolean>>;
  logLevel?: string;
  env?: NodeJS.ProcessEnv;
}

export type Signal = 'SIGKILL' | 'SIGTERM';

/** One partition as a broker's Metadata reports it. */
export interface PartitionView {
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  errorCode: number;
}

export interface TopicSpec {
  partitions: number;
  replicationFactor: number;
  configs?: Record<string, string>;
}

const REQUEST_TIMEOUT_MS = 5000;

export class Cluster {
  readonly root: string;
  readonly objectStoreDir: string;
  readonly clusterId = `e2e-${randomBytes(6).toString('hex')}`;
  private readonly brokers = new Map<number, BrokerProcess>();
  /** Paused and cut-off brokers run but cannot answer. */
  private readonly paused = new Set<number>();
  private readonly isolated = new Set<number>();
  private readonly partitioner?: NetworkPartitioner;

  private constructor(private readonly opts: ClusterOptions) {
    if (opts.partitionable) this.partitioner = new NetworkPartitioner();
    this.root = makeTempDir(opts.name ?? 'cluster');
    this.objectStoreDir = path.join(this.root, 'object-store');
    fs.mkdirSync(this.objectStoreDir);
  }

  /** Starts the brokers together (as a fresh cluster starts); resolves once every one lists all of them. */
  static async start(opts: ClusterOptions = {}): Promise<Cluster> {
    const cluster = new Cluster(opts);
    // allSettled, not all: on a failure every broker that did start is registered, so cleanup() stops it.
    const results = await Promise.allSettled(Array.from({ length: opts.brokers ?? 3 }, (_, i) => cluster.launch(i + 1)));
    const failed = results.find((r) => r.status === 'rejected');
    try {
      if (failed) throw failed.reason;
      // Ready means each process is up; a cluster is formed once every broker sees every other registered.
      await cluster.waitForBrokers(cluster.ids, 30_000);
    } catch (err) {
      await cluster.cleanup();
      throw err;
    }
    return cluster;
  }

  /** Adds broker max(id)+1 to the running cluster; resolves once it is ready. */
  async addBroker(): Promise<BrokerProcess> {
    return this.launch(Math.max(0, ...this.brokers.keys()) + 1);
  }

  private async launch(id: number): Promise<BrokerProcess> {
    const settings = { ...TEST_CLUSTER_CONFIG, ...this.opts.config, clusterId: this.clusterId };
    const flags = Object.entries(settings).flatMap(([k, v]) => [flagName(k as ConfigKey), String(v)]);
    const broker = await BrokerProcess.start({
      name: `broker-${id}`,
      nodeId: id,
      launchPrefix: this.partitioner?.launchPrefix(id),
      dirs: { base: this.root, data: path.join(this.root, `broker-${id}`), objectStore: this.objectStoreDir },
      logLevel: this.opts.logLevel,
      env: this.opts.env,
      extraArgs: flags,
    });
    this.brokers.set(id, broker);
    return broker;
  }

  get ids(): number[] {
    return [...this.brokers.keys()].sort((a, b) => a - b);
  }

  broker(id: number): BrokerProcess {
    const b = this.brokers.get(id);
    if (!b) throw new Error(`no broker ${id} in the cluster (have ${this.ids.join(', ')})`);
    return b;
  }

  /** Brokers that run and are neither paused nor cut off: the ones that can answer. */
  get running(): number[] {
    return this.ids.filter((id) => this.broker(id).isAlive() && !this.paused.has(id) && !this.isolated.has(id));
  }

  /** Every broker's address, as a client's bootstrap.servers (a client copes with some being down). */
  get bootstrap(): string {
    return this.ids.map((id) => this.broker(id).bootstrap).join(',');
  }

  /** kill -9 (a crash) or SIGTERM (a controlled shutdown, waited for); resolves once the process is gone. */
  async kill(id: number, signal: Signal = 'SIGKILL'): Promise<ExitInfo | null> {
    const b = this.broker(id);
    if (signal === 'SIGKILL') {
      await b.kill9();
      this.paused.delete(id);
      return b.exitInfo;
    }
    return b.stop(30_000);
  }

  /** SIGSTOP: the process keeps its sockets and state but does nothing (a GC pause, a frozen VM). */
  pause(id: number): void {
    this.broker(id).signal('SIGSTOP');
    this.paused.add(id);
  }

  resume(id: number): void {
    this.broker(id).signal('SIGCONT');
    this.paused.delete(id);
  }

  /** Cuts broker `id` off the network: nothing it sends and nothing sent to its port gets through (heal() undoes it). */
  isolate(id: number): void {
    if (!this.partitioner) throw new Error('start the cluster with partitionable: true to isolate a broker');
    this.partitioner.isolate(id, [this.broker(id).port]);
    this.isolated.add(id);
  }

  heal(id: number): void {
    this.partitioner?.heal(id);
    this.isolated.delete(id);
  }

  /** Deletes a stopped broker's data dir (a replaced disk); the next start finds it empty. */
  wipe(id: number): void {
    const b = this.broker(id);
    if (b.isAlive()) throw new Error(`broker ${id} still runs: kill it before wiping its data dir`);
    fs.rmSync(b.dataDir, { recursive: true, force: true });
    fs.mkdirSync(b.dataDir, { recursive: true });
  }

  /** Starts a broker again with the same id, ports and dirs (SIGTERM first if it still runs). */
  async restart(id: number): Promise<void> {
    this.paused.delete(id);
    await this.broker(id).restart();
  }

  // ------------------------------------------------------------------------------------------- the wire

  /** One request to broker `id` on a fresh connection (brokers come and go between requests). */
  async request<T>(id: number, apiKey: number, version: number, body: object): Promise<T> {
    const b = this.broker(id);
    const client = await KafkaClient.connect({ host: b.host, port: b.port, clientId: 'strata-e2e-cluster', timeoutMs: REQUEST_TIMEOUT_MS });
    try {
      return await client.request<T>(apiKey, version, body);
    } finally {
      await client.close();
    }
  }

  /** Broker `id`'s view of the topics (all topics when none are named). */
  async metadata(id: number, topics?: string[]): Promise<MetadataResponse> {
    return this.request<MetadataResponse>(id, ApiKey.Metadata, 12, {
      topics: topics ? topics.map((name) => ({ topicId: ZERO_UUID, name })) : null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
  }

  /** Broker `id`'s view of one partition (undefined when it does not know the topic or partition). */
  async partition(id: number, topic: string, partition: number): Promise<PartitionView | undefined> {
    const t: MetadataResponseTopic | undefined = (await this.metadata(id, [topic])).topics[0];
    const p = t?.errorCode === 0 ? t.partitions.find((x) => x.partitionIndex === partition) : undefined;
    return p && { leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes, errorCode: p.errorCode };
  }

  /** The active controller as broker `id` reports it (DescribeCluster controllerId; -1 when none). */
  async controllerId(id: number): Promise<number> {
    const res = await this.request<DescribeClusterResponse>(id, ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false });
    if (res.errorCode !== 0) throw new Error(`DescribeCluster on broker ${id}: error ${res.errorCode} ${res.errorMessage ?? ''}`);
    return res.controllerId;
  }

  /**
   * Waits until every broker in `via` (default: every running one) reports a controller accepted by `pred`
   * and they all name the same one; returns its id.
   */
  async waitForController(pred: (controllerId: number) => boolean, timeoutMs: number, via?: number[]): Promise<number> {
    return waitFor(
      async () => {
        const seen = new Set(await Promise.all((via ?? this.running).map((id) => this.controllerId(id))));
        const [only] = [...seen];
        return seen.size === 1 && pred(only) ? only : undefined;
      },
      { timeoutMs, intervalMs: 100, what: `a controller agreed by brokers ${(via ?? this.running).join(',')}` },
    );
  }

  /**
   * Waits until every broker in `via` (default: every running one) lists exactly `ids` as the cluster's brokers
   * in Metadata (fenced brokers are left out).
   */
  async waitForBrokers(ids: number[], timeoutMs: number, via?: number[]): Promise<void> {
    const want = JSON.stringify([...ids].sort((a, b) => a - b));
    let last = '';
    await waitFor(
      async () => {
        const lists = await Promise.all((via ?? this.running).map(async (id) => JSON.stringify((await this.metadata(id, [])).brokers.map((b) => b.nodeId).sort((a, b) => a - b))));
        last = lists.join(' ');
        return lists.every((l) => l === want);
      },
      { timeoutMs, what: `Metadata to list brokers ${want}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last lists: ${last}`);
    });
  }

  /**
   * Waits until every broker in `via` (default: every running one) reports the same leader and ISR for the
   * partition and `pred` accepts it; returns that view.
   */
  async waitForLeader(topic: string, partition: number, pred: (p: PartitionView) => boolean, timeoutMs: number, via?: number[]): Promise<PartitionView> {
    let last = 'no answer yet';
    try {
      return await waitFor(
        async () => {
          const views = await Promise.all((via ?? this.running).map((id) => this.partition(id, topic, partition)));
          last = JSON.stringify(views);
          const first = views[0];
          if (!first || views.some((v) => !v || v.leader !== first.leader || v.leaderEpoch !== first.leaderEpoch || !sameSet(v.isr, first.isr))) return undefined;
          return first.leader >= 0 && pred(first) ? first : undefined;
        },
        { timeoutMs, intervalMs: 100, what: `${topic}[${partition}] to reach the expected leader/ISR` },
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}; last views (brokers ${(via ?? this.running).join(',')}): ${last}`);
    }
  }

  /** Waits until the partition has a leader and an ISR of at least `size` brokers. */
  waitForIsr(topic: string, partition: number, size: number, timeoutMs: number, via?: number[]): Promise<PartitionView> {
    return this.waitForLeader(topic, partition, (p) => p.isr.length >= size, timeoutMs, via);
  }

  /** waitForIsr over every partition of a topic. */
  async waitForFullIsr(topic: string, partitions: number, size: number, timeoutMs: number): Promise<PartitionView[]> {
    const deadline = Date.now() + timeoutMs;
    const out: PartitionView[] = [];
    for (let p = 0; p < partitions; p++) out.push(await this.waitForIsr(topic, p, size, Math.max(1, deadline - Date.now())));
    return out;
  }

  /** CreateTopics on any running broker, then waits until every running broker sees each partition fully in sync. */
  async createTopic(name: string, spec: TopicSpec, timeoutMs = 30_000): Promise<void> {
    const via = this.running[0];
    const res = await this.request<CreateTopicsResponse>(via, ApiKey.CreateTopics, 5, {
      topics: [{
        name,
        numPartitions: spec.partitions,
        replicationFactor: spec.replicationFactor,
        assignments: [],
        configs: Object.entries(spec.configs ?? {}).map(([k, value]) => ({ name: k, value })),
      }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    const t = res.topics[0];
    if (t.errorCode !== 0) throw new Error(`CreateTopics ${name} on broker ${via}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
    await this.waitForFullIsr(name, spec.partitions, spec.replicationFactor, timeoutMs);
  }

  /**
   * Makes broker `id` the partition's leader without ElectLeaders: stops (SIGTERM, a controlled shutdown that
   * hands leaderships to other ISR members) whichever other broker leads, until `id` does. `id` must be in the
   * ISR. Returns the brokers it stopped (restart them with restart()).
   */
  async stopLeadersUntil(topic: string, partition: number, id: number, timeoutMs: number): Promise<number[]> {
    const stopped: number[] = [];
    for (;;) {
      const view = await this.waitForLeader(topic, partition, (v) => v.isr.includes(id), timeoutMs);
      if (view.leader === id) return stopped;
      await this.kill(view.leader, 'SIGTERM');
      stopped.push(view.leader);
      await this.waitForLeader(topic, partition, (v) => v.leader !== view.leader, timeoutMs);
    }
  }

  /** A wire client connected to the current leader of the partition (as the running brokers agree on it). */
  async leaderClient(topic: string, partition: number, timeoutMs = 20_000): Promise<{ leader: number; wire: WireClient }> {
    const view = await this.waitForLeader(topic, partition, () => true, timeoutMs);
    const b = this.broker(view.leader);
    return { leader: view.leader, wire: await WireClient.connect(b.host, b.port, 'strata-e2e-cluster-reader') };
  }

  /** Writes record batches (one per entry, acks=all) through the partition's leader; throws on any error code. */
  async produce(topic: string, partition: number, batches: Array<Array<{ key: string; value: string | Buffer }>>): Promise<number[]> {
    const { leader, wire } = await this.leaderClient(topic, partition);
    try {
      const offsets: number[] = [];
      for (const records of batches) {
        const r = await wire.produce(topic, partition, buildRecordBatch({ records: records.map((x) => ({ key: Buffer.from(x.key), value: Buffer.from(x.value) })) }));
        if (r.errorCode !== 0) throw new Error(`produce to ${topic}[${partition}] on leader ${leader}: error ${r.errorCode} ${r.errorMessage ?? ''}`);
        offsets.push(r.baseOffset);
      }
      return offsets;
    } finally {
      await wire.close();
    }
  }

  /** Every batch of a partition from its log start to the high watermark, read from its leader. */
  async readPartition(topic: string, partition: number): Promise<Awaited<ReturnType<WireClient['readBatches']>>> {
    const { wire } = await this.leaderClient(topic, partition);
    try {
      return await wire.readBatches(topic, partition);
    } finally {
      await wire.close();
    }
  }

  /** ListOffsets v8 asked of broker `id` (-1 latest, -2 earliest, -4 earliest local); the error code if any. */
  async listOffset(id: number, topic: string, partition: number, timestamp: -1 | -2 | -4): Promise<{ errorCode: number; offset: number }> {
    const res = await this.request<ListOffsetsResponse>(id, ApiKey.ListOffsets, 8, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
    });
    const p = res.topics[0].partitions[0];
    return { errorCode: p.errorCode, offset: p.offset };
  }

  /**
   * Waits until broker `id` (leading the partition) reports `offset` as its high watermark: a broker that just
   * became leader may take a moment to advance it.
   */
  async waitForEndOffset(id: number, topic: string, partition: number, offset: number, timeoutMs: number): Promise<void> {
    let last: unknown;
    await waitFor(
      async () => {
        last = await this.listOffset(id, topic, partition, -1);
        return (last as { offset: number }).offset === offset;
      },
      { timeoutMs, what: `${topic}[${partition}] on broker ${id} to end at ${offset}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last answer ${JSON.stringify(last)}`);
    });
  }

  /** Each broker's log tail, for a failed test. */
  describe(lines = 30): string {
    return this.ids.map((id) => `--- broker ${id} (${this.broker(id).logPath}) ---\n${this.broker(id).logTail(lines)}`).join('\n');
  }

  /** Kills every broker (paused ones too) and removes the cluster's temp dir. */
  async cleanup(): Promise<void> {
    await Promise.all([...this.brokers.values()].map((b) => b.kill9().catch(() => undefined)));
    this.partitioner?.cleanup();
    removeTempDir(this.root);
  }
}

function sameSet(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export interface ClusterRef {
  readonly cluster: Cluster;
}

/**
 * Call inside a describe(): a cluster started in `before`, removed in `after`, and every broker's log tail
 * printed after a failed test.
 */
export function useCluster(opts: ClusterOptions): ClusterRef {
  let current: Cluster | undefined;
  before(async function () {
    this.timeout(90_000);
    current = await Cluster.start(opts);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed' && current) console.log(current.describe(40));
  });
  after(async function () {
    this.timeout(30_000);
    await current?.cleanup();
  });
  return {
    get cluster(): Cluster {
      if (!current) throw new Error('cluster not started (see the before hook error)');
      return current;
    },
  };
}
