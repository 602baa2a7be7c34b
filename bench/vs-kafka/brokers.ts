// The brokers one benchmark run measures, whichever kind and however many: one Kafka node, a Kafka KRaft cluster,
// one Strata broker or a Strata cluster, behind one interface (bootstrap list, the processes to measure, stop).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BrokerProcess, brokerMainPath } from '../../e2e/helpers/broker-process';
import { KafkaBroker } from './kafka-broker';
import { KafkaCluster } from './kafka-cluster';
import { StrataCluster } from './strata-cluster';

export type BrokerKind = 'kafka' | 'strata';

export interface BrokersUnderTest {
  /** Every broker's client listener, comma-separated (bootstrap.servers, kcat -b). */
  bootstrap: string;
  /** One broker for admin requests (any broker answers them in both systems). */
  host: string;
  port: number;
  /** Each broker's log dir (`<dir>/<topic>-<partition>/`), in node id order. */
  logDirs: string[];
  /** Temp dirs to remove should the benchmark be interrupted. */
  baseDirs: string[];
  /** The broker processes whose memory and CPU are measured. */
  pids(): number[];
  /** True while every broker runs. */
  isAlive(): boolean;
  logTail(lines?: number): string;
  /** Stops every broker and removes its dirs. */
  stop(): Promise<void>;
}

export interface BrokerSettings {
  numPartitions: number;
  segmentBytes: number;
  /** Extra node flags for Strata's processes only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof". */
  strataNodeFlags?: string;
}

/** Starts `count` brokers of `kind` (fresh dirs, free ports) and resolves once all of them serve as one cluster. */
export async function startBrokers(kind: BrokerKind, count: number, s: BrokerSettings): Promise<BrokersUnderTest> {
  const kafkaSettings = { numPartitions: s.numPartitions, segmentBytes: s.segmentBytes };
  if (kind === 'kafka' && count === 1) {
    const k = await KafkaBroker.start(kafkaSettings);
    return { ...single(k), logDirs: [k.logDir], baseDirs: [k.baseDir], stop: () => stopThen(() => k.stop(), () => k.cleanup()) };
  }
  if (kind === 'kafka') {
    const c = await KafkaCluster.start(count, kafkaSettings);
    return { ...cluster(c, c.nodes[0]), logDirs: c.nodes.map((n) => n.logDir), stop: () => stopThen(() => c.stop(), () => c.cleanup()) };
  }
  const opts = { name: 'vs-kafka-strata', logLevel: 'warn', numPartitions: s.numPartitions, logSegmentBytes: s.segmentBytes };
  return withNodeFlags(s.strataNodeFlags, async () => {
    if (count === 1) {
      const b = await BrokerProcess.start(opts);
      return { ...single(b), logDirs: [b.dataDir], baseDirs: [b.baseDir], stop: () => stopThen(() => b.stop(30_000), () => b.cleanup()) };
    }
    const c = await StrataCluster.start(count, opts);
    return { ...cluster(c, c.brokers[0]), logDirs: c.brokers.map((b) => b.dataDir), stop: () => stopThen(() => c.stop(), () => c.cleanup()) };
  });
}

type Measured = Omit<BrokersUnderTest, 'stop' | 'baseDirs' | 'logDirs'>;

function single(b: { bootstrap: string; host: string; port: number; pid: number | undefined; isAlive(): boolean; logTail(lines?: number): string }): Measured {
  return {
    bootstrap: b.bootstrap,
    host: b.host,
    port: b.port,
    pids: () => (b.pid === undefined ? [] : [b.pid]),
    isAlive: () => b.isAlive(),
    logTail: (lines) => b.logTail(lines),
  };
}

function cluster(
  c: { bootstrap: string; baseDirs: string[]; pids(): number[]; isAlive(): boolean; logTail(lines?: number): string },
  admin: { host: string; port: number },
): Measured & { baseDirs: string[] } {
  return {
    bootstrap: c.bootstrap,
    host: admin.host,
    port: admin.port,
    baseDirs: c.baseDirs,
    pids: () => c.pids(),
    isAlive: () => c.isAlive(),
    logTail: (lines) => c.logTail(lines),
  };
}

async function stopThen(stop: () => Promise<unknown>, cleanup: () => Promise<void>): Promise<void> {
  try {
    await stop();
  } finally {
    await cleanup();
  }
}

/**
 * Runs `start` with Strata's processes launched through BrokerProcess's custom-command hook: a wrapper that execs
 * node with `flags` (e.g. --cpu-prof, which NODE_OPTIONS refuses), so each pid stays the broker's.
 */
async function withNodeFlags<T>(flags: string | undefined, start: () => Promise<T>): Promise<T> {
  if (!flags) return start();
  const env = process.env;
  const saved = env.STRATA_E2E_BROKER_CMD;
  const wrapperDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-vs-kafka-node-'));
  try {
    const wrapper = path.join(wrapperDir, 'strata-broker.sh');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec '${process.execPath}' ${flags} '${brokerMainPath()}' "$@"\n`, { mode: 0o755 });
    env.STRATA_E2E_BROKER_CMD = wrapper;
    return await start();
  } finally {
    if (saved === undefined) delete env.STRATA_E2E_BROKER_CMD;
    else env.STRATA_E2E_BROKER_CMD = saved;
    fs.rmSync(wrapperDir, { recursive: true, force: true });
  }
}
