// Several Strata broker processes on this machine forming one cluster (ARCHITECTURE §5): node ids 1..size, one
// cluster id, one shared local object store directory (the metadata log and the controller lease live there), and
// each broker its own Kafka port, metrics port and data dir (BrokerProcess's). Brokers need no quorum to start, so
// they start together and the cluster is ready once every broker lists all of them in Metadata.
import { randomBytes } from 'node:crypto';
import { BrokerProcess, type BrokerOptions } from '../../e2e/helpers/broker-process';
import { makeTempDir, removeTempDir } from '../../e2e/helpers/util';
import { waitForBrokers } from './tools';

export class StrataCluster {
  private constructor(
    readonly objectStoreDir: string,
    readonly clusterId: string,
    readonly brokers: BrokerProcess[],
  ) {}

  /** Starts `size` brokers sharing one object store; `opts.extraArgs` are given to each (after the cluster flags). */
  static async start(size: number, opts: Omit<BrokerOptions, 'extraArgs'> & { extraArgs?: string[] } = {}): Promise<StrataCluster> {
    const cluster = new StrataCluster(makeTempDir(`${opts.name ?? 'strata'}-objects`), `vs-kafka-${randomBytes(6).toString('hex')}`, []);
    try {
      const started = await Promise.allSettled(
        Array.from({ length: size }, (_, i) =>
          BrokerProcess.start({
            ...opts,
            name: `${opts.name ?? 'strata'}-${i + 1}`,
            // later flags win: these replace BrokerProcess's own --node-id 1 and private object store
            extraArgs: ['--node-id', String(i + 1), '--cluster-id', cluster.clusterId, '--object-store-dir', cluster.objectStoreDir, ...(opts.extraArgs ?? [])],
          }),
        ),
      );
      for (const s of started) if (s.status === 'fulfilled') cluster.brokers.push(s.value);
      const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw failed.reason;
      await Promise.all(cluster.brokers.map((b) => waitForBrokers(b.host, b.port, size, 60_000)));
    } catch (err) {
      await cluster.cleanup();
      throw err;
    }
    return cluster;
  }

  /** bootstrap.servers: every broker's Kafka listener. */
  get bootstrap(): string {
    return this.brokers.map((b) => b.bootstrap).join(',');
  }

  get baseDirs(): string[] {
    return [...this.brokers.map((b) => b.baseDir), this.objectStoreDir];
  }

  pids(): number[] {
    return this.brokers.map((b) => b.pid).filter((p): p is number => p !== undefined);
  }

  /** True while every broker runs. */
  isAlive(): boolean {
    return this.brokers.every((b) => b.isAlive());
  }

  /** The log tails of the brokers that died, else of every broker. */
  logTail(lines = 40): string {
    const dead = this.brokers.filter((b) => !b.isAlive());
    return (dead.length > 0 ? dead : this.brokers).map((b) => `--- strata broker ${b.bootstrap} ---\n${b.logTail(lines)}`).join('\n');
  }

  /** SIGTERMs every broker at once (controlled shutdown; SIGKILL after the deadline). */
  async stop(timeoutMs = 30_000): Promise<void> {
    const results = await Promise.allSettled(this.brokers.map((b) => b.stop(timeoutMs)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Kills whatever still runs and removes every broker's temp dir and the shared object store. */
  async cleanup(): Promise<void> {
    try {
      await Promise.all(this.brokers.map((b) => b.cleanup()));
    } finally {
      removeTempDir(this.objectStoreDir);
    }
  }
}
