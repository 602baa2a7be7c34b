// Runs a stratactl suite against each kind of cluster it must work with: a Strata broker process and Apache
// Kafka 4.1.1 (KRaft, one node, from the bench's jars). The body gets a `target()` accessor, valid inside tests.
import type { BrokerOptions } from '../helpers/broker-process';
import { createTopic } from '../../bench/common';
import { KafkaBroker, type KafkaOptions } from '../../bench/vs-kafka/kafka-broker';
import { ClusterClient } from '../../admin/cluster-client';
import { useBroker } from '../helpers/suite';
import { uniqueName, waitFor } from '../helpers/util';

export interface Target {
  kind: 'strata' | 'kafka';
  bootstrap: string;
}

export interface TargetOptions {
  /** Options of the Strata broker process (autoCreateTopics defaults to false, as on Kafka below). */
  strata?: BrokerOptions;
  /** Run only against these kinds (e.g. a Strata-only feature checks its clean failure on Kafka separately). */
  only?: Array<Target['kind']>;
  /** Additions to the Kafka broker (e.g. SASL listeners and an authorizer). */
  kafka?: KafkaOptions;
  /** The extra Kafka listener (one of kafka.extraListeners) the target's bootstrap points at, instead of PLAINTEXT. */
  kafkaListener?: string;
}

export function forEachTarget(title: string, body: (target: () => Target) => void, opts: TargetOptions = {}): void {
  const kinds = opts.only ?? ['strata', 'kafka'];
  if (kinds.includes('strata')) {
    describe(`${title} (Strata broker process)`, function () {
      this.timeout(120_000);
      const ref = useBroker({ name: 'stratactl', autoCreateTopics: false, ...opts.strata });
      body(() => ({ kind: 'strata', bootstrap: ref.broker.bootstrap }));
    });
  }
  if (kinds.includes('kafka')) {
    describe(`${title} (Apache Kafka 4.1.1)`, function () {
      this.timeout(120_000);
      let kafka: KafkaBroker | undefined;
      before(async function () {
        this.timeout(180_000);
        kafka = await KafkaBroker.start({ numPartitions: 1, segmentBytes: 1 << 30 }, opts.kafka);
      });
      afterEach(function () {
        if (this.currentTest?.state === 'failed' && kafka) console.log(`--- kafka log tail ---\n${kafka.logTail(40)}\n--- end of kafka log ---`);
      });
      after(async function () {
        this.timeout(60_000);
        await kafka?.cleanup();
      });
      body(() => {
        if (!kafka) throw new Error('Kafka not started (see the before hook error)');
        return { kind: 'kafka', bootstrap: opts.kafkaListener ? kafka.listenerBootstrap(opts.kafkaListener) : kafka.bootstrap };
      });
    });
  }
}

/** Waits until the topic has `partitions` partitions, each with a leader (Kafka elects them asynchronously). */
export async function waitForLeaders(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const cc = new ClusterClient({ bootstrap: [bootstrap] });
  try {
    await waitFor(
      async () => {
        const md = await cc.topic(topic);
        return md.partitions.length === partitions && md.partitions.every((p) => p.leader >= 0);
      },
      { timeoutMs: 30_000, what: `${partitions} partition leaders of ${topic}` },
    );
  } finally {
    await cc.close();
  }
}

/** Creates a topic with a unique name from `prefix` and waits until every partition has a leader. */
export async function newTopic(target: Target, prefix: string, partitions = 1, configs: Record<string, string> = {}): Promise<string> {
  const name = uniqueName(prefix);
  const [host, port] = target.bootstrap.split(':');
  await createTopic(host!, Number(port), name, partitions, configs);
  await waitForLeaders(target.bootstrap, name, partitions);
  return name;
}
