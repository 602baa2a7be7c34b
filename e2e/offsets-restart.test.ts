// Committed offsets and group metadata live in __consumer_offsets (50 partitions, the default) and are loaded
// again when the broker starts. A group whose member (a KafkaJS process) committed and stopped resumes exactly
// where it stopped after a SIGTERM restart; offsets committed by the admin API (generation -1) survive too;
// after kill -9 of the broker, offsets acknowledged just before the crash are there, and a member that was
// running through the crash carries on without reading committed records again.
import { strict as assert } from 'node:assert';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { startNodeWorker } from './helpers/client-process';
import { committedOffsets, describeGroup, endOffsets } from './helpers/groups';
import { stopAll, type JsonLinesProcess } from './helpers/json-process';
import { createKafka } from './helpers/kafkajs';
import { useBroker } from './helpers/suite';
import { uniqueName, waitFor, withTimeout } from './helpers/util';

const PARTITIONS = 3;

describe('committed offsets survive broker restarts', function () {
  this.timeout(90_000);
  const ref = useBroker({ name: 'offsets-restart', autoCreateTopics: false, extraArgs: ['--group-initial-rebalance-delay-ms', '300'] });
  const topic = uniqueName('offs-restart');
  const g1 = uniqueName('offs-g1'); // a consumer group with a KafkaJS member
  const g2 = uniqueName('offs-g2'); // offsets set with the admin API only
  const g3 = uniqueName('offs-g3'); // admin commit right before kill -9
  const workers: JsonLinesProcess[] = [];
  const next = Array.from({ length: PARTITIONS }, () => 0);
  let kafka: Kafka;
  let admin: Admin;

  async function connectAdmin(): Promise<void> {
    if (admin) await withTimeout(admin.disconnect(), 5000, 'admin disconnect').catch(() => undefined);
    kafka = createKafka(ref.broker.bootstrap, 'offs-restart-test', { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 });
    admin = kafka.admin();
    await admin.connect();
  }

  before(async function () {
    await connectAdmin();
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] }), true);
  });

  after(async function () {
    this.timeout(30_000);
    await stopAll(workers);
    await withTimeout(admin?.disconnect() ?? Promise.resolve(), 5000, 'admin disconnect').catch(() => undefined);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const w of workers) console.log(`${w.describe(6, 2000)}\n(all output: ${w.dump()})`);
  });

  async function produce(perPartition: number): Promise<void> {
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const messages = [];
      for (let p = 0; p < PARTITIONS; p++) for (let k = 0; k < perPartition; k++) messages.push({ partition: p, value: `${p}:${next[p] + k}` });
      await producer.send({ topic, acks: -1, messages });
      for (let p = 0; p < PARTITIONS; p++) next[p] += perPartition;
    } finally {
      await withTimeout(producer.disconnect(), 5000, 'producer disconnect').catch(() => undefined);
    }
  }

  function member(group: string, name: string): JsonLinesProcess {
    const w = startNodeWorker('kafkajs-group-member', { bootstrap: ref.broker.bootstrap, topic, groupId: group, name, sessionTimeout: 10_000, heartbeatInterval: 500 }, `kafkajs ${name}`);
    workers.push(w);
    return w;
  }

  async function waitCommitted(group: string, want: number[], timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        const c = await committedOffsets(admin, group, topic);
        return want.every((o, p) => c.get(p) === o) ? true : undefined;
      },
      { timeoutMs, intervalMs: 250, what: `${group}: committed offsets ${JSON.stringify(want)}` },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; committed now ${JSON.stringify([...(await committedOffsets(admin, group, topic).catch(() => new Map()))])}`);
    });
  }

  /** The offsets a worker consumed, per partition, in the order consumed (values checked against offsets). */
  function consumed(w: JsonLinesProcess): number[][] {
    const out = Array.from({ length: PARTITIONS }, () => [] as number[]);
    for (const l of w.matching((x) => x.e === 'rec')) {
      assert.equal(l.v, `${l.p}:${l.o}`, `${w.opts.name}: value at ${l.p}/${l.o}`);
      out[l.p as number].push(l.o as number);
    }
    return out;
  }

  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  it('SIGTERM restart: the group resumes exactly where it stopped; admin-set offsets and group listings survive', async () => {
    await produce(100);
    const w1 = member(g1, 'w1');
    await waitCommitted(g1, [...next], 30_000);
    assert.deepEqual(await w1.stop(15_000), { code: 0, signal: null });
    assert.deepEqual(consumed(w1), next.map((n) => range(0, n)));
    await admin.setOffsets({ groupId: g2, topic, partitions: [{ partition: 0, offset: '10' }, { partition: 1, offset: '20' }, { partition: 2, offset: '30' }] });
    const stopped = [...next];
    await produce(30);

    const exit = await ref.broker.stop(20_000);
    assert.deepEqual(exit, { code: 0, signal: null }, 'broker stopped cleanly');
    await ref.broker.restart();
    await connectAdmin();

    assert.deepEqual([...(await committedOffsets(admin, g1, topic))].sort(), stopped.map((o, p) => [p, o]), `${g1} offsets after restart`);
    assert.deepEqual([...(await committedOffsets(admin, g2, topic))].sort(), [[0, 10], [1, 20], [2, 30]], `${g2} offsets after restart`);
    const listed = (await admin.listGroups()).groups.map((g) => g.groupId);
    assert.ok(listed.includes(g1) && listed.includes(g2), `both groups listed after restart: ${JSON.stringify(listed)}`);
    const view = await describeGroup(admin, g1, topic);
    assert.equal(view.state, 'Empty');
    assert.deepEqual(view.members, {});

    const w2 = member(g1, 'w2');
    await waitCommitted(g1, [...next], 30_000);
    assert.deepEqual(await w2.stop(15_000), { code: 0, signal: null });
    assert.deepEqual(consumed(w2), stopped.map((s, p) => range(s, next[p])), `${g1} resumed at its committed offsets and read only the new records`);

    const w3 = member(g2, 'w3');
    await waitCommitted(g2, [...next], 30_000);
    assert.deepEqual(await w3.stop(15_000), { code: 0, signal: null });
    assert.deepEqual(consumed(w3), [10, 20, 30].map((s, p) => range(s, next[p])), `${g2} started at the admin-set offsets`);
  });

  it('kill -9 restart: offsets acknowledged before the crash survive; a running member carries on without re-reading them', async () => {
    const w4 = member(g1, 'w4');
    const start = [...next];
    await produce(20);
    await waitCommitted(g1, [...next], 30_000);
    const committedBeforeCrash = [...next];
    await admin.setOffsets({ groupId: g3, topic, partitions: [{ partition: 0, offset: '1' }, { partition: 1, offset: '2' }, { partition: 2, offset: '3' }] });
    await ref.broker.kill9(); // right after the acknowledgement
    await ref.broker.restart();
    await connectAdmin();

    assert.deepEqual([...(await committedOffsets(admin, g3, topic))].sort(), [[0, 1], [1, 2], [2, 3]], 'admin commit acknowledged just before kill -9');
    const c1 = await committedOffsets(admin, g1, topic);
    assert.deepEqual([...c1].sort(), committedBeforeCrash.map((o, p) => [p, o]), `${g1} offsets after kill -9 and restart`);

    await produce(20);
    assert.deepEqual([...(await endOffsets(admin, topic))].sort(), next.map((o, p) => [p, o]));
    await waitCommitted(g1, [...next], 45_000); // w4 reconnects, rejoins and consumes the new records
    assert.deepEqual(await w4.stop(15_000), { code: 0, signal: null });
    assert.deepEqual(consumed(w4), start.map((s, p) => range(s, next[p])), 'w4 read every record once across the crash: nothing committed was read again');
  });
});
