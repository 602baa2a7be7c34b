// KafkaJS 2.2.4 (the Node client family, old non-flexible protocol versions) as a real client over TCP:
// admin (create/validate/list/metadata/configs/partitions/delete), keyed produce with the default
// partitioner, group-less reads through KafkaJS's own Fetch, and ListOffsets (earliest/latest/timestamp).
import { strict as assert } from 'node:assert';
import { ConfigResourceTypes, Partitioners, type Admin, type Kafka, type Producer } from 'kafkajs';
import { createKafka } from './helpers/kafkajs';
import { fetchWithoutGroup } from './helpers/kafkajs-fetch';
import { useBroker } from './helpers/suite';
import { uniqueName, waitFor, withTimeout } from './helpers/util';

describe('KafkaJS end to end', function () {
  this.timeout(60_000);
  const ref = useBroker({ name: 'kafkajs', autoCreateTopics: false, numPartitions: 1 });
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  const t8 = uniqueName('kjs-keyed'); // 8 partitions
  const tCfg = uniqueName('kjs-cfg'); // created with configs
  const tGrow = uniqueName('kjs-grow'); // 1 partition, grown to 4
  const tTs = uniqueName('kjs-ts'); // 1 partition, explicit timestamps

  before(async function () {
    kafka = createKafka(ref.broker.bootstrap, 'kafkajs-suite');
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  after(async function () {
    await withTimeout(producer?.disconnect() ?? Promise.resolve(), 5000, 'producer disconnect').catch(() => undefined);
    await withTimeout(admin?.disconnect() ?? Promise.resolve(), 5000, 'admin disconnect').catch(() => undefined);
  });

  async function topicConfig(topic: string, names: string[]): Promise<Record<string, string>> {
    const res = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }],
    });
    assert.equal(res.resources.length, 1);
    const r = res.resources[0];
    assert.equal(r.errorCode, 0, `describeConfigs ${topic}: ${r.errorMessage}`);
    assert.equal(r.resourceName, topic);
    const out: Record<string, string> = {};
    for (const e of r.configEntries) out[e.configName] = e.configValue;
    return out;
  }

  /** KafkaJS wraps per-topic admin errors in a KafkaJSAggregateError; this matches the Kafka error name. */
  function errorType(type: string): (err: unknown) => boolean {
    return (err: unknown) => {
      const e = err as { type?: string; errors?: Array<{ type?: string }> };
      const types = [e.type, ...(e.errors ?? []).map((x) => x.type)];
      assert.ok(types.includes(type), `expected ${type}, got ${JSON.stringify(types)} (${String(err)})`);
      return true;
    };
  }

  /** Config changes may reach describeConfigs a moment after the alter call returns (as in Kafka); wait up to 5 s. */
  async function eventuallyConfig(topic: string, name: string, value: string): Promise<void> {
    await waitFor(async () => (await topicConfig(topic, [name]))[name] === value, { timeoutMs: 5000, what: `${topic} ${name}=${value}` });
  }

  describe('admin', () => {
    it('createTopics with validateOnly does not create the topic', async () => {
      const v = uniqueName('kjs-validate');
      const ok = await admin.createTopics({ validateOnly: true, waitForLeaders: false, topics: [{ topic: v, numPartitions: 4 }] });
      assert.equal(ok, true);
      assert.ok(!(await admin.listTopics()).includes(v), 'validateOnly must not create the topic');
    });

    it('createTopics rejects an invalid topic name and an invalid partition count', async () => {
      await assert.rejects(admin.createTopics({ waitForLeaders: false, topics: [{ topic: 'bad/name', numPartitions: 1 }] }), errorType('INVALID_TOPIC_EXCEPTION'));
      const zero = uniqueName('kjs-zero');
      await assert.rejects(admin.createTopics({ waitForLeaders: false, topics: [{ topic: zero, numPartitions: 0 }] }), errorType('INVALID_PARTITIONS'));
      assert.ok(!(await admin.listTopics()).includes(zero));
    });

    it('createTopics creates topics (with configs); a second create reports "already exists"', async () => {
      const created = await admin.createTopics({
        topics: [
          { topic: t8, numPartitions: 8 },
          { topic: tCfg, numPartitions: 2, configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'retention.ms', value: '3600000' },
          ] },
          { topic: tGrow, numPartitions: 1 },
          { topic: tTs, numPartitions: 1 },
        ],
      });
      assert.equal(created, true);
      // KafkaJS returns false when every topic failed with TOPIC_ALREADY_EXISTS.
      assert.equal(await admin.createTopics({ topics: [{ topic: t8, numPartitions: 8 }] }), false);
    });

    it('listTopics lists them', async () => {
      const topics = await admin.listTopics();
      for (const t of [t8, tCfg, tGrow, tTs]) assert.ok(topics.includes(t), `${t} missing from ${JSON.stringify(topics)}`);
    });

    it('fetchTopicMetadata shows every partition led by node 1 with replicas and ISR [1]', async () => {
      const md = await admin.fetchTopicMetadata({ topics: [t8, tCfg] });
      const m8 = md.topics.find((t) => t.name === t8)!;
      assert.ok(m8);
      assert.deepEqual(m8.partitions.map((p) => p.partitionId).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
      for (const p of m8.partitions) {
        assert.equal(p.partitionErrorCode, 0);
        assert.equal(p.leader, 1);
        assert.deepEqual(p.replicas, [1]);
        assert.deepEqual(p.isr, [1]);
      }
      assert.equal(md.topics.find((t) => t.name === tCfg)!.partitions.length, 2);
    });

    it('describeConfigs shows topic configs given at creation and defaults otherwise', async () => {
      assert.deepEqual(await topicConfig(tCfg, ['cleanup.policy', 'retention.ms']), { 'cleanup.policy': 'compact', 'retention.ms': '3600000' });
      assert.deepEqual(await topicConfig(t8, ['cleanup.policy', 'retention.ms']), { 'cleanup.policy': 'delete', 'retention.ms': '604800000' });
    });

    it('alterConfigs changes a topic config and describeConfigs shows the new value', async () => {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: t8, configEntries: [{ name: 'retention.ms', value: '86400000' }] }],
      });
      await eventuallyConfig(t8, 'retention.ms', '86400000');
      // validateOnly leaves it unchanged.
      await admin.alterConfigs({
        validateOnly: true,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: t8, configEntries: [{ name: 'retention.ms', value: '1000' }] }],
      });
      assert.equal((await topicConfig(t8, ['retention.ms']))['retention.ms'], '86400000');
    });

    it('alterConfigs rejects a value that is not valid for the config', async () => {
      await assert.rejects(
        admin.alterConfigs({
          validateOnly: false,
          resources: [{ type: ConfigResourceTypes.TOPIC, name: t8, configEntries: [{ name: 'retention.ms', value: 'not-a-number' }] }],
        }),
        errorType('INVALID_CONFIG'),
      );
      assert.equal((await topicConfig(t8, ['retention.ms']))['retention.ms'], '86400000');
    });

    it('createPartitions grows a topic (and the new partition takes writes); shrinking is rejected', async () => {
      await admin.createPartitions({ topicPartitions: [{ topic: tGrow, count: 4 }] });
      // As in Kafka, metadata may show the new partitions a moment after the call returns.
      await waitFor(async () => (await admin.fetchTopicMetadata({ topics: [tGrow] })).topics[0].partitions.length === 4, {
        timeoutMs: 5000,
        what: `${tGrow} to show 4 partitions`,
      });
      const md = await admin.fetchTopicMetadata({ topics: [tGrow] });
      assert.deepEqual(md.topics[0].partitions.map((p) => p.partitionId).sort(), [0, 1, 2, 3]);
      const [res] = await producer.send({ topic: tGrow, acks: -1, messages: [{ partition: 3, value: 'into-new-partition' }] });
      assert.equal(res.partition, 3);
      assert.equal(res.errorCode, 0);
      assert.equal(res.baseOffset, '0');
      await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: tGrow, count: 2 }] }), errorType('INVALID_PARTITIONS'));
    });

    it('deleteTopics removes a topic and its data; re-creating the name starts empty', async () => {
      await producer.send({ topic: tCfg, acks: -1, messages: [{ key: 'a', value: '1', partition: 0 }] });
      await admin.deleteTopics({ topics: [tCfg] });
      assert.ok(!(await admin.listTopics()).includes(tCfg));
      await assert.rejects(admin.fetchTopicMetadata({ topics: [tCfg] }), errorType('UNKNOWN_TOPIC_OR_PARTITION'));
      assert.equal(await admin.createTopics({ topics: [{ topic: tCfg, numPartitions: 1 }] }), true);
      const offs = await admin.fetchTopicOffsets(tCfg);
      assert.deepEqual(offs.map((o) => [o.partition, o.low, o.high]), [[0, '0', '0']]);
      assert.equal((await topicConfig(tCfg, ['cleanup.policy']))['cleanup.policy'], 'delete', 'old configs must not survive deletion');
    });
  });

  describe('produce and read back without a consumer group', () => {
    const N = 1200;
    const KEYS = 60;
    /** Acknowledged position of every record, computed from the produce responses. */
    const acked = new Map<number, { partition: number; offset: bigint }>();

    it(`produces ${N} keyed records over 8 partitions with acks=-1 (default partitioner)`, async () => {
      // The producer's default partitioner decides the partition; the same function tells the test where each
      // record must be, and the per-partition base offsets of each produce response give its exact offset.
      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata = (await admin.fetchTopicMetadata({ topics: [t8] })).topics[0].partitions;
      for (let start = 0; start < N; start += 200) {
        const messages = Array.from({ length: 200 }, (_, k) => {
          const i = start + k;
          return { key: `user-${i % KEYS}`, value: `event-${i}`, headers: { seq: String(i) } };
        });
        const res = await producer.send({ topic: t8, acks: -1, messages });
        const base = new Map<number, bigint>();
        for (const r of res) {
          assert.equal(r.errorCode, 0);
          base.set(r.partition, BigInt(r.baseOffset!));
        }
        const nextInPartition = new Map<number, bigint>();
        messages.forEach((m, k) => {
          const p = partitioner({ topic: t8, partitionMetadata, message: m });
          const b = base.get(p);
          assert.ok(b !== undefined, `no produce result for partition ${p}`);
          const off = nextInPartition.get(p) ?? b;
          acked.set(start + k, { partition: p, offset: off });
          nextInPartition.set(p, off + 1n);
        });
      }
      const offsets = await admin.fetchTopicOffsets(t8);
      const total = offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
      assert.equal(total, N, `end offsets ${JSON.stringify(offsets)}`);
      const used = offsets.filter((o) => o.high !== '0').length;
      assert.ok(used >= 6, `${KEYS} keys should spread over most of the 8 partitions, used ${used}`);
    });

    it('reads every record back via KafkaJS Fetch (no group): same key → same partition, order kept per partition', async () => {
      const offsets = await admin.fetchTopicOffsets(t8);
      const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
      const byPartition = await fetchWithoutGroup(kafka, t8, ends, { timeoutMs: 30_000 });

      const seen = new Set<number>();
      const partitionOfKey = new Map<string, number>();
      for (const [p, recs] of byPartition) {
        assert.equal(BigInt(recs.length), ends.get(p), `partition ${p} record count`);
        let prevSeq = -1;
        recs.forEach((r, i) => {
          assert.equal(r.offset, BigInt(i), `partition ${p}: offsets are contiguous from 0`);
          const value = r.value!.toString();
          const seq = Number(value.slice('event-'.length));
          assert.equal(value, `event-${seq}`);
          assert.equal(String(r.headers.seq), String(seq), 'header seq matches the value');
          assert.equal(r.key!.toString(), `user-${seq % KEYS}`);
          assert.ok(seq > prevSeq, `partition ${p}: order kept (event-${seq} after event-${prevSeq})`);
          prevSeq = seq;
          assert.ok(!seen.has(seq), `event-${seq} delivered twice`);
          seen.add(seq);
          const key = r.key!.toString();
          const before = partitionOfKey.get(key);
          assert.ok(before === undefined || before === p, `key ${key} found in partitions ${before} and ${p}`);
          partitionOfKey.set(key, p);
        });
      }
      assert.equal(seen.size, N, 'every record is read back');
      assert.equal(partitionOfKey.size, KEYS);

      // Every record sits exactly where the produce responses said it would.
      assert.equal(acked.size, N);
      for (const [p, recs] of byPartition) {
        for (const r of recs) {
          const seq = Number(r.value!.toString().slice('event-'.length));
          assert.deepEqual({ partition: p, offset: r.offset }, acked.get(seq), `position of event-${seq}`);
        }
      }
    });

    it('fetchTopicOffsets reports earliest 0 and latest = records per partition', async () => {
      const offsets = await admin.fetchTopicOffsets(t8);
      assert.equal(offsets.length, 8);
      for (const o of offsets) {
        assert.equal(o.low, '0');
        assert.equal(o.offset, o.high);
      }
    });

    it('fetchTopicOffsetsByTimestamp finds the first offset at or after a timestamp', async () => {
      const t0 = Date.now() - 60 * 60_000;
      const messages = Array.from({ length: 10 }, (_, i) => ({ value: `ts-${i}`, timestamp: String(t0 + i * 1000) }));
      const [res] = await producer.send({ topic: tTs, acks: -1, messages });
      assert.equal(res.baseOffset, '0');
      const at = async (ts: number) => (await admin.fetchTopicOffsetsByTimestamp(tTs, ts))[0].offset;
      assert.equal(await at(t0), '0');
      assert.equal(await at(t0 + 5000), '5');
      assert.equal(await at(t0 + 4500), '5');
      assert.equal(await at(t0 + 9000), '9');
      // Later than every record: the broker answers -1 and KafkaJS substitutes the latest offset.
      assert.equal(await at(t0 + 3_600_000), '10');
      const lo = await admin.fetchTopicOffsets(tTs);
      assert.deepEqual(lo.map((o) => [o.low, o.high]), [['0', '10']]);
      // And the group-less fetch gives the timestamps back as produced (CreateTime).
      const recs = (await fetchWithoutGroup(kafka, tTs, new Map([[0, 10n]]))).get(0)!;
      assert.deepEqual(recs.map((r) => r.timestamp), messages.map((m) => m.timestamp));
    });
  });
});
