// Apache Kafka 4.1.1 as the reference broker: KRaft combined mode (broker + controller in one JVM), one node
// (KafkaBroker.start) or one node of a static-quorum cluster (kafka-cluster.ts), listeners on free loopback ports,
// logs in a fresh temp dir. The config is written here so anyone can rerun it;
// everything not named below is Kafka's default. Started the way bin/kafka-server-start.sh does (same heap and
// GC flags), from the jars bench/java/install.sh copied into bench/java/target/lib.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { track } from '../../e2e/helpers/children';
import { freePort, makeTempDir, removeTempDir, repoRoot, sleep, tailFile, withTimeout } from '../../e2e/helpers/util';
import { KafkaClient } from '../../broker/src/protocol/client';
import { ApiKey } from '../../broker/src/protocol/apis';
import { runProcess, tail } from './procs';

export function javaLibDir(): string {
  return path.join(repoRoot(), 'bench', 'java', 'target', 'lib');
}

/** -cp argument: the JVM expands a trailing `*` itself (no shell involved). */
export function javaClasspath(): string {
  return `${javaLibDir()}/*`;
}

/** JVM flags of Kafka's bin/kafka-run-class.sh (KAFKA_JVM_PERFORMANCE_OPTS); the heap is set per process. */
export const KAFKA_JVM_PERF_OPTS = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-Djava.awt.headless=true',
  // slf4j-simple: warnings and errors only, on stderr
  '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
];

export const KAFKA_HEAP = ['-Xmx1g', '-Xms1g'];

/** Every node listens on loopback only. */
export const KAFKA_HOST = '127.0.0.1';

export interface KafkaSettings {
  numPartitions: number;
  segmentBytes: number;
}

/** Additions for tests that need more than the benchmark's plain broker (e.g. SASL and an authorizer). */
export interface KafkaOptions {
  /** More listeners by name, each on its own free loopback port and advertised; map their protocol in `properties`. */
  extraListeners?: string[];
  /** server.properties entries added after the defaults, or replacing a default of the same key. */
  properties?: Record<string, string>;
  /** More `kafka-storage format` arguments, e.g. `--add-scram` to create SCRAM users in the bootstrap metadata. */
  formatArgs?: string[];
  /** JVM heap flags instead of KAFKA_HEAP. */
  heap?: string[];
}

/** A Kafka cluster id as Kafka's Uuid.randomUuid() makes it: 16 random bytes, base64url, no padding, no leading '-'. */
export function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * A node's place in its KRaft quorum (static voters: controller.quorum.voters, kraft.version 0). Every node of a
 * cluster is formatted with the same cluster id and the same voter list; each is broker and controller at once.
 */
export interface KafkaQuorumMember {
  nodeId: number;
  clusterId: string;
  controllerPort: number;
  /** controller.quorum.voters: `id@host:port` of every node, this one included. */
  voters: string;
  /** Nodes in the cluster. */
  size: number;
}

export class KafkaBroker {
  readonly name = 'kafka';
  readonly host = KAFKA_HOST;
  readonly baseDir: string;
  readonly logDir: string;
  readonly propsPath: string;
  readonly outPath: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> | null = null;

  private constructor(
    readonly port: number,
    readonly member: KafkaQuorumMember,
    readonly settings: KafkaSettings,
    readonly options: KafkaOptions,
    private readonly extraPorts: ReadonlyMap<string, number>,
  ) {
    this.baseDir = makeTempDir('vs-kafka');
    this.logDir = path.join(this.baseDir, 'kraft-logs');
    this.propsPath = path.join(this.baseDir, 'server.properties');
    this.outPath = path.join(this.baseDir, 'kafka.out');
  }

  get controllerPort(): number {
    return this.member.controllerPort;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  /** host:port of an extra listener named in KafkaOptions.extraListeners. */
  listenerBootstrap(name: string): string {
    const port = this.extraPorts.get(name);
    if (port === undefined) throw new Error(`no extra listener ${name}`);
    return `${this.host}:${port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  isAlive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The server.properties this broker runs with (written before formatting). */
  properties(): string {
    const s = this.settings;
    const extra = [...this.extraPorts].map(([name, port]) => `,${name}://${this.host}:${port}`).join('');
    const m = this.member;
    const alone = m.size === 1;
    const lines = [
      alone
        ? '# Written by bench/vs-kafka: KRaft combined mode, one node; everything else is Kafka 4.1.1 default.'
        : `# Written by bench/vs-kafka: KRaft combined mode, node ${m.nodeId} of ${m.size}; everything else is Kafka 4.1.1 default.`,
      'process.roles=broker,controller',
      `node.id=${m.nodeId}`,
      `controller.quorum.voters=${m.voters}`,
      `listeners=PLAINTEXT://${this.host}:${this.port}${extra},CONTROLLER://${this.host}:${this.controllerPort}`,
      `advertised.listeners=PLAINTEXT://${this.host}:${this.port}${extra}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${this.logDir}`,
      `num.partitions=${s.numPartitions}`,
      `log.segment.bytes=${s.segmentBytes}`,
      // one node: internal topics cannot have 3 replicas (with 3 nodes or more Kafka's defaults, 3 replicas and a
      // minimum ISR of 2, hold)
      ...(alone
        ? [
            'offsets.topic.replication.factor=1',
            'transaction.state.log.replication.factor=1',
            'transaction.state.log.min.isr=1',
            'share.coordinator.state.topic.replication.factor=1',
            'share.coordinator.state.topic.min.isr=1',
          ]
        : []),
    ];
    const overrides = new Map(Object.entries(this.options.properties ?? {}));
    const merged = lines.map((line) => {
      const key = line.startsWith('#') ? undefined : line.slice(0, line.indexOf('='));
      if (key === undefined || !overrides.has(key)) return line;
      const value = overrides.get(key);
      overrides.delete(key);
      return `${key}=${value}`;
    });
    return [...merged, ...[...overrides].map(([k, v]) => `${k}=${v}`), ''].join('\n');
  }

  /** One node on its own: its own single-voter quorum, formatted, started and ready. */
  static async start(settings: KafkaSettings, options: KafkaOptions = {}): Promise<KafkaBroker> {
    const controllerPort = await freePort();
    const member = { nodeId: 1, clusterId: kafkaUuid(), controllerPort, voters: `1@${KAFKA_HOST}:${controllerPort}`, size: 1 };
    const b = await KafkaBroker.create(settings, options, member);
    try {
      await b.format();
      b.spawn();
      await b.waitReady(90_000, 1);
    } catch (err) {
      await b.cleanup();
      throw err;
    }
    return b;
  }

  /** A node on free ports and a fresh temp dir, not yet formatted or started (kafka-cluster.ts starts several). */
  static async create(settings: KafkaSettings, options: KafkaOptions, member: KafkaQuorumMember): Promise<KafkaBroker> {
    const extraPorts = new Map<string, number>();
    for (const name of options.extraListeners ?? []) extraPorts.set(name, await freePort());
    return new KafkaBroker(await freePort(), member, settings, options, extraPorts);
  }

  /** Writes server.properties and runs `kafka-storage format` with the quorum's cluster id. */
  async format(): Promise<void> {
    fs.writeFileSync(this.propsPath, this.properties());
    const fmt = await runProcess(
      'java',
      ['-Xmx256m', ...KAFKA_JVM_PERF_OPTS, '-cp', javaClasspath(), 'kafka.tools.StorageTool', 'format', '-t', this.member.clusterId, '-c', this.propsPath, ...(this.options.formatArgs ?? [])],
      { timeoutMs: 60_000 },
    );
    if (fmt.code !== 0) throw new Error(`kafka storage format failed (code ${fmt.code}):\n${tail(fmt.stdout + fmt.stderr)}`);
  }

  /** Starts the JVM (after format); readiness is waitReady's. */
  spawn(): void {
    const fd = fs.openSync(this.outPath, 'a');
    try {
      this.child = track(
        spawn('java', [...(this.options.heap ?? KAFKA_HEAP), ...KAFKA_JVM_PERF_OPTS, '-cp', javaClasspath(), 'kafka.Kafka', this.propsPath], {
          stdio: ['ignore', fd, fd],
          cwd: this.baseDir,
        }),
      );
    } finally {
      fs.closeSync(fd);
    }
    const child = this.child;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
  }

  /**
   * Ready = the Kafka listener answers Metadata listing at least `brokers` registered (unfenced) brokers: this one
   * alone, or every node of its cluster (which needs the controller quorum to have a leader).
   */
  async waitReady(timeoutMs: number, brokers: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.isAlive()) throw new Error(`kafka exited before it was ready\n${tailFile(this.outPath, 40)}`);
      try {
        const c = await KafkaClient.connect({ host: this.host, port: this.port, timeoutMs: 5000 });
        try {
          await c.apiVersions();
          const v = c.pickVersion(ApiKey.Metadata, 12);
          const md = await c.request<{ brokers: unknown[] }>(ApiKey.Metadata, v, {
            topics: [],
            allowAutoTopicCreation: false,
            includeClusterAuthorizedOperations: false,
            includeTopicAuthorizedOperations: false,
          });
          if (md.brokers.length >= brokers) return;
          last = `${md.brokers.length} of ${brokers} brokers registered`;
        } finally {
          await c.close();
        }
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(250);
    }
    throw new Error(`kafka not ready within ${timeoutMs} ms (${last})\n${tailFile(this.outPath, 40)}`);
  }

  /** SIGTERM (controlled shutdown), SIGKILL after the deadline. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.child || !this.exited || !this.isAlive()) return;
    this.child.kill('SIGTERM');
    try {
      await withTimeout(this.exited, timeoutMs, 'kafka exit after SIGTERM');
    } catch {
      this.child.kill('SIGKILL');
      await withTimeout(this.exited, 10_000, 'kafka exit after SIGKILL');
    }
  }

  /** Kills the JVM if it still runs and removes the temp dir. Safe to call more than once. */
  async cleanup(): Promise<void> {
    try {
      if (this.isAlive() && this.exited) {
        this.child!.kill('SIGKILL');
        await withTimeout(this.exited, 10_000, 'kafka exit after SIGKILL');
      }
    } finally {
      removeTempDir(this.baseDir);
    }
  }

  logTail(lines = 40): string {
    return tailFile(this.outPath, lines);
  }
}
