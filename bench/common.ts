// Shared set-up for the benchmarks: topics are created over the wire with the project's protocol client.
import { KafkaClient } from '../broker/src/protocol/client';
import { ApiKey } from '../broker/src/protocol/apis';
import type { CreateTopicsResponse } from '../broker/src/protocol/schema/types';

export async function createTopic(host: string, port: number, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const admin = await KafkaClient.connect({ host, port, clientId: 'bench-admin' });
  try {
    const created = await admin.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
      timeoutMs: 30000,
      validateOnly: false,
    });
    if (created.topics[0].errorCode !== 0) throw new Error(`create topic ${name} failed: ${created.topics[0].errorMessage}`);
  } finally {
    await admin.close();
  }
}
