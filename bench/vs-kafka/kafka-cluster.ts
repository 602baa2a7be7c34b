// Several Apache Kafka 4.1.1 nodes on this machine forming one KRaft cluster: every node is broker and controller
// (combined mode) and a voter of one static quorum (controller.quorum.voters lists every node's controller port),
// each with its own client listener, controller listener and log dir, all formatted with the same cluster id.
// The nodes must start together: none is ready until a majority of voters elects a quorum leader.
import { freePort } from '../../e2e/helpers/util';
import { KAFKA_HOST, KafkaBroker, kafkaUuid, type KafkaOptions, type KafkaSettings } from './kafka-broker';

/** Heap of each node of a cluster (a third of the single node's would starve it; half is enough on this machine). */
export const KAFKA_CLUSTER_HEAP = ['-Xmx512m', '-Xms512m'];

export class KafkaCluster {
  private constructor(readonly nodes: readonly KafkaBroker[]) {}

  /** Formats and starts `size` nodes (ids 1..size) and waits until every one lists all of them as brokers. */
  static async start(size: number, settings: KafkaSettings, options: KafkaOptions = {}): Promise<KafkaCluster> {
    const clusterId = kafkaUuid();
    const controllerPorts: number[] = [];
    for (let i = 0; i < size; i++) controllerPorts.push(await freePort());
    const voters = controllerPorts.map((p, i) => `${i + 1}@${KAFKA_HOST}:${p}`).join(',');
    const nodes: KafkaBroker[] = [];
    const cluster = new KafkaCluster(nodes);
    try {
      for (let i = 0; i < size; i++) {
        const member = { nodeId: i + 1, clusterId, controllerPort: controllerPorts[i], voters, size };
        nodes.push(await KafkaBroker.create(settings, { heap: KAFKA_CLUSTER_HEAP, ...options }, member));
      }
      await Promise.all(nodes.map((n) => n.format()));
      for (const n of nodes) n.spawn();
      await Promise.all(nodes.map((n) => n.waitReady(120_000, size)));
    } catch (err) {
      await cluster.cleanup();
      throw err;
    }
    return cluster;
  }

  /** bootstrap.servers: every node's client listener. */
  get bootstrap(): string {
    return this.nodes.map((n) => n.bootstrap).join(',');
  }

  get baseDirs(): string[] {
    return this.nodes.map((n) => n.baseDir);
  }

  pids(): number[] {
    return this.nodes.map((n) => n.pid).filter((p): p is number => p !== undefined);
  }

  /** True while every node runs. */
  isAlive(): boolean {
    return this.nodes.every((n) => n.isAlive());
  }

  /** The log tails of the nodes that died, else of every node. */
  logTail(lines = 40): string {
    const dead = this.nodes.filter((n) => !n.isAlive());
    return (dead.length > 0 ? dead : this.nodes).map((n) => `--- kafka node ${n.member.nodeId} ---\n${n.logTail(lines)}`).join('\n');
  }

  /** SIGTERMs every node at once (SIGKILL after the deadline). */
  async stop(timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop(timeoutMs)));
  }

  /** Kills whatever still runs and removes every node's temp dir. Safe to call more than once. */
  async cleanup(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.cleanup()));
  }
}
