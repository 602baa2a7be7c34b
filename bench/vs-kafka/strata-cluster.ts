// Several Strata broker processes on this machine forming one cluster (ARCHITECTURE §5): node ids 1..size, one
// cluster id, one shared local object store directory (the metadata log and the controller lease live there), and
// each broker its own Kafka port, metrics port and data dir, all under one temp dir. Every setting not named here is
// the broker's default (unlike e2e/helpers/cluster.ts, whose short timeouts suit fault tests, not a benchmark).
// Brokers need no quorum to start, so they start together and the cluster is ready once every broker lists all of
// them in Metadata.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { BrokerProcess, type BrokerOptions } from '../../e2e/helpers/broker-process';
import { makeTempDir, removeTempDir } from '../../e2e/helpers/util';
import { waitForBrokers } from './tools';

export class StrataCluster {
  readonly brokers: BrokerProcess[] = [];
  readonly objectStoreDir: string;
  readonly clusterId = `vs-kafka-${randomBytes(6).toString('hex')}`;

  private constructor(readonly root: string) {
    this.objectStoreDir = path.join(root, 'object-store');
  }

  /** Starts `size` brokers sharing one object store; `opts.extraArgs` are given to each. */
  static async start(size: number, opts: Omit<BrokerOptions, 'extraArgs' | 'nodeId' | 'dirs'> & { extraArgs?: string[] } = {}): Promise<StrataCluster> {
    const name = opts.name ?? 'strata';
    const cluster = new StrataCluster(makeTempDir(name));
    try {
      const started = await Promise.allSettled(
        Array.from({ length: size }, (_, i) =>
          BrokerProcess.start({
            ...opts,
            name: `${name}-${i + 1}`,
            nodeId: i + 1,
            dirs: { base: cluster.root, data: path.join(cluster.root, `broker-${i + 1}`), objectStore: cluster.objectStoreDir },
            extraArgs: ['--cluster-id', cluster.clusterId, ...(opts.extraArgs ?? [])],
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
    return [this.root];
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

  /** Kills whatever still runs and removes the cluster's temp dir (every broker's dirs and the object store). */
  async cleanup(): Promise<void> {
    try {
      await Promise.all(this.brokers.map((b) => b.cleanup()));
    } finally {
      removeTempDir(this.root);
    }
  }
}
