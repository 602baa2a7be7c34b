// The "other client" of the hostile-input suites: a KafkaJS producer on its own long-lived connection whose
// records are read back by a fresh kcat process. After each hostile case it proves the broker still serves
// everybody else, and that the broker process is still the one the suite started (same PID).
import { strict as assert } from 'node:assert';
import type { Producer } from 'kafkajs';
import { createKafka } from './kafkajs';
import { kcatConsume } from './kcat';
import type { BrokerProcess } from './broker-process';
import { withTimeout } from './util';

export class SideChannel {
  private probes = 0;

  private constructor(
    private readonly broker: BrokerProcess,
    private readonly topic: string,
    private readonly producer: Producer,
    private pid: number | undefined,
  ) {}

  /** Creates `topic` (one partition) and connects the producer; remembers the broker's current PID. */
  static async open(broker: BrokerProcess, topic: string): Promise<SideChannel> {
    const kafka = createKafka(broker.bootstrap, 'side-channel');
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    const side = new SideChannel(broker, topic, producer, broker.pid);
    await side.createTopic(topic);
    await producer.connect();
    return side;
  }

  /** Creates a one-partition topic (for the suite's own data as well). */
  async createTopic(topic: string): Promise<void> {
    const admin = createKafka(this.broker.bootstrap, 'side-channel-admin').admin();
    await admin.connect();
    try {
      assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), true, `topic ${topic} created`);
    } finally {
      await admin.disconnect();
    }
  }

  /** Produces one record (acks=all) and consumes it back with kcat; fails if the broker died or was replaced. */
  async assertHealthy(after: string): Promise<void> {
    assert.ok(this.broker.isAlive(), `broker process died after: ${after}`);
    assert.equal(this.broker.pid, this.pid, 'broker process was replaced');
    const value = `probe-${++this.probes}-${after}`;
    const [res] = await this.producer.send({ topic: this.topic, acks: -1, messages: [{ partition: 0, value }] });
    assert.equal(res.errorCode, 0, `side-channel produce failed after: ${after}`);
    const got = await kcatConsume(this.broker.bootstrap, this.topic, { partition: 0, offset: Number(res.baseOffset), count: 1, format: '%s\n' });
    assert.deepEqual(got, [value], `side-channel consume after: ${after}`);
  }

  /** The suite restarted the broker on purpose: the new process is the one to check from now on. */
  brokerRestarted(): void {
    this.pid = this.broker.pid;
  }

  async close(): Promise<void> {
    await withTimeout(this.producer.disconnect(), 5000, 'side-channel producer disconnect').catch(() => undefined);
  }
}
