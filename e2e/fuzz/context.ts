// Prepares a broker for generated requests: a data topic with a few records (KafkaJS), its topic id (Metadata
// v12 through the project's protocol client, since KafkaJS does not expose ids), and names for the group and
// for scratch things requests may create or delete.
import { ApiKey } from '../../broker/src/protocol/apis';
import { KafkaClient } from '../../broker/src/protocol/client';
import type { MetadataResponse } from '../../broker/src/protocol/schema/types';
import { createKafka } from '../helpers/kafkajs';
import { uniqueName } from '../helpers/util';
import type { BrokerOptions, BrokerProcess } from '../helpers/broker-process';
import type { FuzzContext } from './generator';
import type { FuzzTarget } from './fuzzer';

/** Brokers under fuzz: no topic springs into being from a mutated name; a lone JoinGroup completes at once. */
export function fuzzBrokerOptions(name: string): BrokerOptions {
  return { name, autoCreateTopics: false, extraArgs: ['--group-initial-rebalance-delay-ms', '0'] };
}

export function targetOf(broker: BrokerProcess): FuzzTarget {
  return { host: broker.host, port: broker.port, pid: () => broker.pid, isAlive: () => broker.isAlive() };
}

export const DATA_PARTITIONS = 2;

export async function prepareContext(host: string, port: number, prefix = 'fuzz'): Promise<FuzzContext> {
  const topic = uniqueName(`${prefix}-data`);
  const kafka = createKafka(`${host}:${port}`, 'strata-fuzz-setup');
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    if (!(await admin.createTopics({ topics: [{ topic, numPartitions: DATA_PARTITIONS }] }))) throw new Error(`topic ${topic} was not created`);
    await producer.connect();
    for (let p = 0; p < DATA_PARTITIONS; p++) {
      await producer.send({ topic, acks: -1, messages: [1, 2, 3].map((i) => ({ partition: p, key: `k${i}`, value: `v${i}` })) });
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  const { id, partitions } = await describeTopic(host, port, topic);
  return { topic: { name: topic, id, partitions }, groupId: uniqueName(`${prefix}-group`), scratchPrefix: uniqueName(`${prefix}-scratch`) };
}

/**
 * Re-reads the data topic's partition count: hostile CreatePartitions cases may have grown it, and a test of
 * out-of-range indexes must use the count as it is now.
 */
export async function refreshPartitionCount(ctx: FuzzContext, host: string, port: number): Promise<void> {
  ctx.topic.partitions = (await describeTopic(host, port, ctx.topic.name)).partitions;
}

async function describeTopic(host: string, port: number, topic: string): Promise<{ id: string; partitions: number }> {
  const client = await KafkaClient.connect({ host, port, clientId: 'strata-fuzz-setup', timeoutMs: 15_000 });
  try {
    await client.apiVersions();
    const version = client.pickVersion(ApiKey.Metadata, 12);
    const res = await client.request<MetadataResponse>(ApiKey.Metadata, version, { topics: [{ name: topic }], allowAutoTopicCreation: false });
    const t = res.topics.find((x) => x.name === topic);
    if (!t || t.errorCode !== 0) throw new Error(`metadata for ${topic}: ${t ? `error ${t.errorCode}` : 'missing'}`);
    return { id: t.topicId, partitions: t.partitions.length };
  } finally {
    await client.close();
  }
}
