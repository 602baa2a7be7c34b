// Group-less reading with KafkaJS. KafkaJS's public Consumer always joins a consumer group, so to read
// assigned partitions from an offset without a group this goes one level down, to KafkaJS's own Cluster and
// Broker objects (the same ones its Consumer uses): Metadata → leader → Broker.fetch (KafkaJS picks the
// Fetch version from ApiVersions and decodes the record batches itself). No broker-project code is used.
import type { Kafka } from 'kafkajs';
import { withTimeout } from './util';

export interface FetchedRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | undefined>;
  timestamp: string;
}

interface KjsMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | undefined>;
  timestamp: string;
}

interface KjsFetchResponse {
  responses: Array<{
    topicName: string;
    partitions: Array<{ partition: number; errorCode: number; highWatermark: string; messages: KjsMessage[] }>;
  }>;
}

interface KjsBroker {
  fetch(req: {
    replicaId: number;
    isolationLevel: number;
    maxWaitTime: number;
    minBytes: number;
    maxBytes: number;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: string; maxBytes: number }> }>;
  }): Promise<KjsFetchResponse>;
}

interface KjsCluster {
  brokerPool: { seedBroker: { findGroupCoordinator(q: { groupId: string; coordinatorType: number }): Promise<unknown> } };
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(q: { nodeId: string }): Promise<KjsBroker>;
}

/** KafkaJS's internal cluster factory (a private symbol on the Kafka client). */
function createCluster(kafka: Kafka): KjsCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!sym) throw new Error('KafkaJS internals changed: private:Kafka:createCluster not found');
  const factory = (kafka as unknown as Record<symbol, (o: object) => KjsCluster>)[sym];
  return factory({ allowAutoTopicCreation: false, isolationLevel: 0 });
}

/**
 * One FindCoordinator for a consumer group, sent to the bootstrap broker. KafkaJS's own lookup turns every error
 * into KafkaJSGroupCoordinatorNotFound; this rejects with the Kafka error itself (e.g. GROUP_AUTHORIZATION_FAILED).
 */
export async function findGroupCoordinator(kafka: Kafka, groupId: string): Promise<void> {
  const cluster = createCluster(kafka);
  try {
    await withTimeout(cluster.connect(), 10_000, 'KafkaJS cluster connect');
    await withTimeout(cluster.brokerPool.seedBroker.findGroupCoordinator({ groupId, coordinatorType: 0 }), 10_000, 'FindCoordinator');
  } finally {
    await cluster.disconnect();
  }
}

/**
 * Reads every record of the given partitions from `fromOffset` up to (excluding) `endOffsets[p]`, with no
 * consumer group, using KafkaJS Fetch requests sent to each partition's leader.
 */
export async function fetchWithoutGroup(
  kafka: Kafka,
  topic: string,
  endOffsets: Map<number, bigint>,
  opts: { fromOffset?: bigint; timeoutMs?: number } = {},
): Promise<Map<number, FetchedRecord[]>> {
  const cluster = createCluster(kafka);
  const out = new Map<number, FetchedRecord[]>();
  const next = new Map<number, bigint>();
  for (const p of endOffsets.keys()) {
    out.set(p, []);
    next.set(p, opts.fromOffset ?? 0n);
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  try {
    await withTimeout(cluster.connect(), 10_000, 'KafkaJS cluster connect');
    await withTimeout(cluster.addTargetTopic(topic), 10_000, 'KafkaJS metadata for ' + topic);
    const leaders = cluster.findLeaderForPartitions(topic, [...endOffsets.keys()]);
    for (;;) {
      const pending = [...endOffsets.entries()].filter(([p, end]) => next.get(p)! < end).map(([p]) => p);
      if (pending.length === 0) break;
      if (Date.now() > deadline) {
        const state = pending.map((p) => `${p}: at ${next.get(p)} of ${endOffsets.get(p)}`).join(', ');
        throw new Error(`group-less fetch did not reach the end offsets in time (${state})`);
      }
      for (const [nodeId, parts] of Object.entries(leaders)) {
        const mine = parts.filter((p) => pending.includes(p));
        if (mine.length === 0) continue;
        const broker = await cluster.findBroker({ nodeId });
        const res = await withTimeout(
          broker.fetch({
            replicaId: -1,
            isolationLevel: 0,
            maxWaitTime: 200,
            minBytes: 1,
            maxBytes: 8 << 20,
            topics: [{ topic, partitions: mine.map((p) => ({ partition: p, fetchOffset: next.get(p)!.toString(), maxBytes: 1 << 20 })) }],
          }),
          15_000,
          `KafkaJS fetch ${topic} ${mine.join(',')}`,
        );
        for (const t of res.responses) {
          for (const pr of t.partitions) {
            if (pr.errorCode !== 0) throw new Error(`fetch ${topic}[${pr.partition}] failed with error code ${pr.errorCode}`);
            const from = next.get(pr.partition)!;
            for (const m of pr.messages) {
              const off = BigInt(m.offset);
              if (off < from) continue; // a batch may start before the requested offset
              out.get(pr.partition)!.push({
                partition: pr.partition,
                offset: off,
                key: m.key,
                value: m.value,
                headers: m.headers ?? {},
                timestamp: m.timestamp,
              });
              next.set(pr.partition, off + 1n);
            }
          }
        }
      }
    }
    return out;
  } finally {
    await withTimeout(cluster.disconnect(), 5000, 'KafkaJS cluster disconnect').catch(() => undefined);
  }
}
