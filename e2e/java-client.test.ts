// The reference client: Apache Kafka kafka-clients 4.1.1 (Java 17), driven through e2e/java/src/StrataClientCheck.java.
// AdminClient (describeCluster, createTopics, incrementalAlterConfigs, describeConfigs, listOffsets,
// deleteRecords), KafkaProducer acks=all with lz4 and zstd, and a group-less KafkaConsumer (assign +
// seekToBeginning) reading everything back.
import { strict as assert } from 'node:assert';
import { requireJavaClient, runJava, summary } from './helpers/java';
import { useBroker } from './helpers/suite';
import { uniqueName } from './helpers/util';
import { fetchRawBatches } from './helpers/wire';

interface Ack {
  ack: number;
  partition: number;
  offset: number;
  timestamp: number;
}

interface Rec {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
  timestamp: number;
  timestampType: string;
  extra?: boolean;
}

const FILLER = 'strata-e2e-filler-'.repeat(10);

describe('Java client (kafka-clients 4.1.1) end to end', function () {
  this.timeout(60_000);
  const ref = useBroker({ name: 'java', autoCreateTopics: false });
  const tLz4 = uniqueName('java-lz4');
  const tZstd = uniqueName('java-zstd');
  const tOffsets = uniqueName('java-offsets');
  const bs = () => ref.broker.bootstrap;

  before(function () {
    requireJavaClient();
  });

  it('describeCluster shows this node and a cluster id', async () => {
    const s = summary(await runJava('describe-cluster', [bs()]), 'describe-cluster');
    assert.equal(typeof s.clusterId, 'string');
    assert.ok((s.clusterId as string).length > 0, 'cluster id must not be empty');
    assert.deepEqual(s.nodes, [{ id: 1, host: '127.0.0.1', port: ref.broker.port, rack: null }]);
    assert.deepEqual(s.controller, { id: 1, host: '127.0.0.1', port: ref.broker.port, rack: null });
  });

  it('createTopics (with configs) and describeTopics', async () => {
    for (const [t, n] of [[tLz4, 3], [tZstd, 3]] as const) {
      const res = await runJava('create-topic', [bs(), t, n]);
      const c = summary(res, 'create-topic');
      assert.equal(c.numPartitions, n);
      assert.match(String(c.topicId), /^[A-Za-z0-9_-]{22}$/, 'topic id is a base64 UUID');
      const d = summary(res, 'describe-topic');
      assert.equal(d.topicId, c.topicId);
      assert.deepEqual(d.partitions, Array.from({ length: n }, (_, p) => ({ partition: p, leader: 1, replicas: [1], isr: [1] })));
    }
    const res = await runJava('create-topic', [bs(), tOffsets, 1, 'retention.ms=86400000', 'segment.bytes=1048576']);
    assert.equal(summary(res, 'create-topic').numPartitions, 1);
  });

  it('incrementalAlterConfigs SET and DELETE, seen by describeConfigs', async () => {
    const d0 = summary(await runJava('describe-config', [bs(), tOffsets]), 'describe-config');
    const v0 = d0.values as Record<string, string>;
    const s0 = d0.sources as Record<string, string>;
    assert.equal(v0['retention.ms'], '86400000');
    assert.equal(s0['retention.ms'], 'DYNAMIC_TOPIC_CONFIG');
    assert.equal(v0['cleanup.policy'], 'delete');
    assert.notEqual(s0['cleanup.policy'], 'DYNAMIC_TOPIC_CONFIG');

    const d1 = summary(await runJava('alter-config', [bs(), tOffsets, 'retention.ms=3600000', 'max.message.bytes=2000000']), 'describe-config');
    const v1 = d1.values as Record<string, string>;
    assert.equal(v1['retention.ms'], '3600000');
    assert.equal(v1['max.message.bytes'], '2000000');
    assert.equal(v1['segment.bytes'], '1048576', 'incremental alter keeps the other topic configs');
    assert.equal((d1.sources as Record<string, string>)['max.message.bytes'], 'DYNAMIC_TOPIC_CONFIG');

    const d2 = summary(await runJava('alter-config', [bs(), tOffsets, '-retention.ms']), 'describe-config');
    const v2 = d2.values as Record<string, string>;
    assert.equal(v2['retention.ms'], '604800000', 'DELETE reverts to the default');
    assert.notEqual((d2.sources as Record<string, string>)['retention.ms'], 'DYNAMIC_TOPIC_CONFIG');
    assert.equal(v2['max.message.bytes'], '2000000');
  });

  for (const [codec, id] of [['lz4', 3], ['zstd', 4]] as const) {
    it(`KafkaProducer acks=all compression=${codec}, then KafkaConsumer assign + seekToBeginning reads every record back`, async () => {
      const topic = codec === 'lz4' ? tLz4 : tZstd;
      const N = 300;
      const p = await runJava('produce', [bs(), topic, N, codec]);
      assert.equal(summary(p, 'produce').acked, N);
      const acks = p.lines.filter((l) => typeof l.ack === 'number') as unknown as Ack[];
      assert.equal(acks.length, N);

      // Acknowledged offsets are contiguous per partition.
      const perPartition = new Map<number, number[]>();
      for (const a of acks) perPartition.set(a.partition, [...(perPartition.get(a.partition) ?? []), a.offset]);
      assert.ok(perPartition.size >= 2, 'keys spread over the partitions');
      for (const [part, offs] of perPartition) {
        assert.deepEqual([...offs].sort((a, b) => a - b), offs.map((_, i) => i), `partition ${part} acked offsets`);
      }

      const c = await runJava('consume', [bs(), topic, N, 30_000]);
      const recs = c.lines.filter((l) => typeof l.offset === 'number' && typeof l.partition === 'number' && !('ack' in l)) as unknown as Rec[];
      const cs = summary(c, 'consume');
      assert.equal(cs.count, N, 'exactly N records (no duplicates, none missing)');
      assert.ok(!recs.some((r) => r.extra), 'no records beyond the ones produced');
      assert.deepEqual(cs.startOffsets, Object.fromEntries([0, 1, 2].map((x) => [String(x), 0])));
      assert.deepEqual(
        cs.endOffsets,
        Object.fromEntries([0, 1, 2].map((x) => [String(x), perPartition.get(x)?.length ?? 0])),
      );

      const ackByIdx = new Map(acks.map((a) => [a.ack, a]));
      const lastOffset = new Map<number, number>();
      for (const r of recs) {
        const i = Number(r.headers.idx);
        assert.equal(r.key, `key-${i}`);
        assert.equal(r.value, `value-${i}|${FILLER}`);
        assert.deepEqual(r.headers, { idx: String(i), src: 'java' });
        assert.equal(r.timestampType, 'CreateTime');
        const a = ackByIdx.get(i)!;
        assert.deepEqual([r.partition, r.offset, r.timestamp], [a.partition, a.offset, a.timestamp], `record ${i} where it was acknowledged`);
        assert.equal(r.offset, (lastOffset.get(r.partition) ?? -1) + 1, `partition ${r.partition}: offsets contiguous`);
        lastOffset.set(r.partition, r.offset);
      }

      // The broker stored the client's compressed batches as they were.
      const raw = await fetchRawBatches(ref.broker.host, ref.broker.port, topic, acks[0].partition, 0n);
      assert.ok(raw.batches.length > 0);
      for (const b of raw.batches) {
        assert.equal(b.compression, id, `stored batch at ${b.baseOffset} has codec ${b.compression}, expected ${codec}`);
        assert.ok(b.crcValid);
      }
    });
  }

  it('listOffsets earliest / latest / maxTimestamp', async () => {
    const base = Date.now() - 3_600_000;
    await runJava('produce', [bs(), tOffsets, 50, 'none', `--ts-base=${base}`, '--ts-peak=20', '--partition=0']);
    const s = summary(await runJava('list-offsets', [bs(), tOffsets, 0]), 'list-offsets');
    assert.equal(s.earliest, 0);
    assert.equal(s.latest, 50);
    // KIP-734 MAX_TIMESTAMP: the offset of the record carrying the largest timestamp (record 20, in the middle
    // of the producer's single batch), as Kafka 4.x answers (exact record offset since KAFKA-16310).
    assert.deepEqual(s.maxTimestamp, { offset: 20, timestamp: base + 1_000_000 });
  });

  it('deleteRecords moves the log start offset; earliest follows and reads start there', async () => {
    const d = summary(await runJava('delete-records', [bs(), tOffsets, 0, 10]), 'delete-records');
    assert.equal(d.lowWatermark, 10);
    const s = summary(await runJava('list-offsets', [bs(), tOffsets, 0]), 'list-offsets');
    assert.equal(s.earliest, 10);
    assert.equal(s.latest, 50);
    const c = await runJava('consume', [bs(), tOffsets, 40, 20_000]);
    const cs = summary(c, 'consume');
    assert.equal(cs.count, 40);
    assert.deepEqual(cs.startOffsets, { '0': 10 });
    const offs = c.lines.filter((l) => typeof l.offset === 'number' && !('ack' in l)).map((l) => l.offset);
    assert.deepEqual(offs, Array.from({ length: 40 }, (_, i) => 10 + i));
  });
});
