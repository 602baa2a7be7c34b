// librdkafka through kcat, as a separate process over TCP: metadata, produce with keys and headers to explicit
// partitions, consume by partition/offset, beginning and end, NULL values, and every compression codec
// (checked both by reading back and by looking at the stored batch attributes over the wire).
import { strict as assert } from 'node:assert';
import { kcat, kcatConsume, kcatEndOffset, kcatProduce, KcatProcess, requireKcat } from './helpers/kcat';
import { createKafka } from './helpers/kafkajs';
import { useBroker } from './helpers/suite';
import { sleep, uniqueName, waitFor } from './helpers/util';
import { fetchRawBatches } from './helpers/wire';

interface KcatMetadata {
  brokers: Array<{ id: number; name: string }>;
  topics: Array<{ topic: string; error?: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
}

const CODECS = [
  { name: 'gzip', id: 1 },
  { name: 'snappy', id: 2 },
  { name: 'lz4', id: 3 },
  { name: 'zstd', id: 4 },
] as const;

describe('kcat (librdkafka) end to end', function () {
  this.timeout(60_000);
  const ref = useBroker({ name: 'kcat', autoCreateTopics: true, numPartitions: 3 });
  const topic = uniqueName('kcat-main'); // 3 partitions
  const endTopic = uniqueName('kcat-end'); // 1 partition
  const codecTopic = (codec: string) => `${topic}-z-${codec}`;

  before(async function () {
    requireKcat();
    const admin = createKafka(ref.broker.bootstrap, 'kcat-suite-admin').admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({
        topics: [
          { topic, numPartitions: 3 },
          { topic: endTopic, numPartitions: 1 },
          ...CODECS.map((c) => ({ topic: codecTopic(c.name), numPartitions: 1 })),
        ],
      });
      assert.equal(created, true, 'createTopics should report the topics as newly created');
    } finally {
      await admin.disconnect();
    }
  });

  async function metadata(args: string[] = []): Promise<KcatMetadata> {
    const { stdout } = await kcat(['-b', ref.broker.bootstrap, '-L', '-J', ...args]);
    return JSON.parse(stdout) as KcatMetadata;
  }

  it('-L lists the broker with its advertised address and the topics with their partitions', async () => {
    const md = await metadata();
    assert.deepEqual(md.brokers, [{ id: 1, name: `127.0.0.1:${ref.broker.port}` }]);
    const t = md.topics.find((x) => x.topic === topic);
    assert.ok(t, `topic ${topic} missing from ${JSON.stringify(md.topics.map((x) => x.topic))}`);
    assert.deepEqual(
      t.partitions.map((p) => p.partition).sort(),
      [0, 1, 2],
    );
    for (const p of t.partitions) {
      assert.equal(p.leader, 1);
      assert.deepEqual(p.replicas, [{ id: 1 }]);
      assert.deepEqual(p.isrs, [{ id: 1 }]);
    }
    for (const c of CODECS) assert.ok(md.topics.some((x) => x.topic === codecTopic(c.name)), `missing ${codecTopic(c.name)}`);

    // The human-readable form too.
    const { stdout } = await kcat(['-b', ref.broker.bootstrap, '-L', '-t', topic]);
    assert.match(stdout, new RegExp(`broker 1 at 127\\.0\\.0\\.1:${ref.broker.port}`));
    assert.match(stdout, new RegExp(`topic "${topic}" with 3 partitions`));
  });

  it('-L for an unknown topic with allow.auto.create.topics=false reports it as unknown and does not create it', async () => {
    const name = uniqueName('kcat-nosuch');
    const md = await metadata(['-t', name, '-X', 'allow.auto.create.topics=false']);
    const t = md.topics.find((x) => x.topic === name);
    assert.ok(t && t.error, `expected an error for unknown topic, got ${JSON.stringify(md.topics)}`);
    assert.match(String(t.error), /Unknown topic|UNKNOWN_TOPIC/i);
    const all = await metadata();
    assert.ok(!all.topics.some((x) => x.topic === name), 'the topic must not have been created');
  });

  it('-P with keys (-K:) and headers (-H) to explicit partitions; -C -p N -o 0 reads them back exactly', async () => {
    for (const p of [0, 1, 2]) {
      const lines = Array.from({ length: 20 }, (_, i) => `k${p}-${i}:v${p}-${i} with spaces`);
      await kcatProduce(ref.broker.bootstrap, topic, lines, ['-K:', '-p', String(p), '-H', 'h1=a', '-H', `part=${p}`]);
    }
    for (const p of [0, 1, 2]) {
      const got = await kcatConsume(ref.broker.bootstrap, topic, { partition: p, offset: 0, format: '%t|%p|%o|%k|%s|%h\n' });
      const want = Array.from({ length: 20 }, (_, i) => `${topic}|${p}|${i}|k${p}-${i}|v${p}-${i} with spaces|h1=a,part=${p}`);
      assert.deepEqual(got, want, `partition ${p}`);
    }
  });

  it('-C -o <n> starts at that offset; -c limits the count', async () => {
    const got = await kcatConsume(ref.broker.bootstrap, topic, { partition: 1, offset: 15, format: '%o|%k\n' });
    assert.deepEqual(got, [15, 16, 17, 18, 19].map((o) => `${o}|k1-${o}`));
    const two = await kcatConsume(ref.broker.bootstrap, topic, { partition: 2, offset: 3, count: 2, format: '%o|%s\n' });
    assert.deepEqual(two, ['3|v2-3 with spaces', '4|v2-4 with spaces']);
  });

  it('-C -o beginning over all partitions returns every record once', async () => {
    const got = await kcatConsume(ref.broker.bootstrap, topic, { offset: 'beginning', format: '%p|%o|%k\n' });
    assert.equal(got.length, 60);
    const want: string[] = [];
    for (const p of [0, 1, 2]) for (let i = 0; i < 20; i++) want.push(`${p}|${i}|k${p}-${i}`);
    assert.deepEqual([...got].sort(), want.sort());
    // Within each partition kcat prints in offset order.
    for (const p of [0, 1, 2]) {
      const offs = got.filter((l) => l.startsWith(`${p}|`)).map((l) => Number(l.split('|')[1]));
      assert.deepEqual(offs, Array.from({ length: 20 }, (_, i) => i));
    }
  });

  it('-J consume output carries partition, offset, key, payload and headers', async () => {
    const { stdout } = await kcat(['-b', ref.broker.bootstrap, '-C', '-t', topic, '-p', '0', '-o', '7', '-c', '1', '-e', '-J']);
    const m = JSON.parse(stdout.trim().split('\n')[0]) as Record<string, unknown>;
    assert.equal(m.topic, topic);
    assert.equal(m.partition, 0);
    assert.equal(m.offset, 7);
    assert.equal(m.key, 'k0-7');
    assert.equal(m.payload, 'v0-7 with spaces');
    assert.deepEqual(m.headers, ['h1', 'a', 'part', '0']);
    assert.equal(m.tstype, 'create');
    assert.ok(typeof m.ts === 'number' && Math.abs((m.ts as number) - Date.now()) < 10 * 60_000, `timestamp ${m.ts} should be recent`);
  });

  it('-C -o end delivers only records produced after it started', async () => {
    const bs = ref.broker.bootstrap;
    await kcatProduce(bs, endTopic, ['old-0', 'old-1', 'old-2']);
    const oldEnd = await kcatEndOffset(bs, endTopic, 0);
    assert.equal(oldEnd, 3n);
    const consumer = new KcatProcess(['-b', bs, '-C', '-t', endTopic, '-p', '0', '-o', 'end', '-c', '2', '-q', '-f', '%o|%s\n']);
    try {
      // The consumer resolves "end" asynchronously, so keep producing one new record at a time until it has
      // seen two. new-j is always stored at offset oldEnd + j.
      let j = 0;
      await waitFor(
        async () => {
          if (consumer.lines().length >= 2) return true;
          await kcatProduce(bs, endTopic, [`new-${j++}`]);
          await sleep(200);
          return consumer.lines().length >= 2;
        },
        { timeoutMs: 30_000, intervalMs: 0, what: 'kcat -o end to print two new records' },
      );
      const lines = consumer.lines().slice(0, 2);
      for (const l of lines) {
        const [off, val] = l.split('|');
        assert.match(val, /^new-\d+$/, `-o end returned an old record: ${l}`);
        const idx = Number(val.slice(4));
        assert.equal(BigInt(off), oldEnd + BigInt(idx), `record ${val} at unexpected offset`);
      }
      assert.equal(Number(lines[1].split('|')[0]), Number(lines[0].split('|')[0]) + 1, 'consecutive offsets');
    } finally {
      consumer.kill();
      await consumer.exited;
    }
  });

  it('-Z produces NULL values (tombstones) and empty keys as NULL', async () => {
    const t = uniqueName('kcat-null');
    // Auto-created by the producer's metadata request (broker runs with auto.create.topics.enable=true).
    await kcatProduce(ref.broker.bootstrap, t, ['knull:', ':vnokey', 'kv:val'], ['-K:', '-Z', '-p', '0']);
    const got = await kcatConsume(ref.broker.bootstrap, t, { partition: 0, offset: 0, format: '%o|%K|%k|%S|%s\n' });
    assert.deepEqual(got, ['0|5|knull|-1|', '1|-1||6|vnokey', '2|2|kv|3|val']);
  });

  it('a topic auto-created by the kcat producer gets num.partitions partitions', async () => {
    const t = uniqueName('kcat-auto');
    await kcatProduce(ref.broker.bootstrap, t, ['a', 'b', 'c'], ['-p', '0']);
    const md = await metadata(['-t', t]);
    const tm = md.topics.find((x) => x.topic === t);
    assert.ok(tm && !tm.error, JSON.stringify(md.topics));
    assert.equal(tm.partitions.length, 3);
    assert.deepEqual(await kcatConsume(ref.broker.bootstrap, t, { partition: 0, format: '%s\n' }), ['a', 'b', 'c']);
  });

  for (const codec of CODECS) {
    it(`-z ${codec.name}: produced compressed, stored as-is (codec ${codec.id} in the batch attributes) and consumed back exactly`, async () => {
      const t = codecTopic(codec.name);
      const filler = `${codec.name}-payload-`.repeat(20);
      const lines = Array.from({ length: 200 }, (_, i) => `key-${i}:${i}|${filler}`);
      await kcatProduce(ref.broker.bootstrap, t, lines, ['-K:', '-p', '0', '-z', codec.name, '-X', 'linger.ms=100', '-X', 'batch.num.messages=100']);
      const got = await kcatConsume(ref.broker.bootstrap, t, { partition: 0, offset: 'beginning', format: '%o|%k|%s\n' });
      assert.equal(got.length, 200);
      got.forEach((l, i) => assert.equal(l, `${i}|key-${i}|${i}|${filler}`));

      const raw = await fetchRawBatches(ref.broker.host, ref.broker.port, t, 0, 0n);
      assert.equal(raw.errorCode, 0);
      assert.equal(raw.highWatermark, 200n);
      assert.ok(raw.batches.length > 0, 'fetch returned no batches');
      let next = 0n;
      for (const b of raw.batches) {
        assert.equal(b.magic, 2);
        // librdkafka decides from ApiVersions whether it may compress: up to 2.11.0 it drops gzip/snappy/lz4
        // unless the broker advertises Produce v0 (Kafka 4.x advertises Produce 0+ for this reason, KAFKA-18659),
        // lz4 also needs FindCoordinator advertised, and zstd needs Produce v7 + Fetch v10. A 0 here means the
        // client sent the batch uncompressed because of what the broker advertised.
        assert.equal(
          b.compression,
          codec.id,
          `batch at ${b.baseOffset} has compression ${b.compression}, expected ${codec.id} (${codec.name}); ` +
            'if 0, librdkafka fell back to uncompressed because of the advertised ApiVersions (see comment)',
        );
        assert.ok(b.crcValid, `batch at ${b.baseOffset} fails its CRC32C`);
        assert.equal(b.baseOffset, next, 'batches are contiguous');
        next = b.baseOffset + BigInt(b.lastOffsetDelta) + 1n;
      }
      assert.equal(next, 200n);
    });
  }

  it('the broker is still the same process and serves /metrics', async () => {
    assert.ok(ref.broker.isAlive());
    const text = await ref.broker.metricsText();
    assert.match(text, /^strata_/m, 'expected strata_ metrics');
  });
});
