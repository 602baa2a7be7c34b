// Runs a stratactl suite against each kind of cluster it must work with: a Strata broker process and Apache
// Kafka 4.1.1 (KRaft, one node, from the bench's jars). The body gets a `target()` accessor, valid inside tests.
import type { BrokerOptions } from '../helpers/broker-process';
import { KafkaBroker, type KafkaOptions } from '../../bench/vs-kafka/kafka-broker';
import { useBroker } from '../helpers/suite';

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
