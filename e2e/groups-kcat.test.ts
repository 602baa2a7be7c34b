// Consumer groups with librdkafka: `kcat -G` balanced consumers as separate processes (JSON envelope output,
// auto commit). Two members split a 4-partition topic and each record is consumed once; committed offsets
// (read back with KafkaJS admin OffsetFetch) reach the log end; a member stopped with SIGTERM and started
// again resumes exactly at the committed offsets; after kill -9 a new member starts exactly at whatever was
// committed before the kill (only uncommitted records are delivered again).
import { strict as assert } from 'node:assert';
import type { Admin, Producer } from 'kafkajs';
import { adminWithTopicAndProducer, committedOffsets, describeGroup, endOffsets, exactCoverProblem } from './helpers/groups';
import { JsonLinesProcess, stopAll, type JsonLine } from './helpers/json-process';
import { requireKcat } from './helpers/kcat';
import { useBroker } from './helpers/suite';
import { sleep, uniqueName, waitFor, withTimeout } from './helpers/util';

const PARTITIONS = 4;

interface KcatRecord {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
}

describe('consumer groups: librdkafka (kcat -G)', function () {
  this.timeout(60_000);
  const ref = useBroker({
    name: 'groups-kcat',
    autoCreateTopics: false,
    extraArgs: ['--group-initial-rebalance-delay-ms', '300', '--offsets-topic-num-partitions', '5'],
  });
  const topic = uniqueName('grp-kcat');
  const groupId = uniqueName('grp-kcat-g');
  const procs: JsonLinesProcess[] = [];
  const next = Array.from({ length: PARTITIONS }, () => 0); // records produced per partition
  let admin: Admin;
  let producer: Producer;

  before(async function () {
    requireKcat();
    ({ admin, producer } = await adminWithTopicAndProducer(ref.broker.bootstrap, 'grp-kcat-test', topic, PARTITIONS));
  });

  after(async function () {
    this.timeout(30_000);
    await Promise.all(procs.map((p) => p.terminate(5000).catch(() => p.kill9().catch(() => undefined))));
    await stopAll(procs);
    await withTimeout(producer?.disconnect() ?? Promise.resolve(), 5000, 'producer disconnect').catch(() => undefined);
    await withTimeout(admin?.disconnect() ?? Promise.resolve(), 5000, 'admin disconnect').catch(() => undefined);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const p of procs) console.log(`${p.describe(5, 3000)}\n(all output: ${p.dump()})`);
  });

  function startKcat(name: string, commitIntervalMs = 200): JsonLinesProcess {
    const p = new JsonLinesProcess(
      'kcat',
      [
        '-b', ref.broker.bootstrap,
        '-G', groupId,
        '-J', '-u',
        '-X', 'auto.offset.reset=earliest',
        '-X', `auto.commit.interval.ms=${commitIntervalMs}`,
        '-X', 'session.timeout.ms=6000',
        '-X', 'heartbeat.interval.ms=500',
        '-X', `client.id=kcat-${name}`,
        topic,
      ],
      { name: `kcat -G ${name}` },
    );
    procs.push(p);
    return p;
  }

  function records(p: JsonLinesProcess): KcatRecord[] {
    return p.lines.filter((l: JsonLine) => typeof l.offset === 'number' && typeof l.partition === 'number') as unknown as KcatRecord[];
  }

  async function produce(perPartition: number): Promise<void> {
    for (let i = 0; i < perPartition; i += 50) {
      const messages = [];
      for (let p = 0; p < PARTITIONS; p++) {
        for (let k = 0; k < Math.min(50, perPartition - i); k++) {
          const n = next[p] + k;
          messages.push({ partition: p, key: `k${p}-${n}`, value: `${p}:${n}` });
        }
      }
      await producer.send({ topic, acks: -1, messages });
      for (let p = 0; p < PARTITIONS; p++) next[p] += Math.min(50, perPartition - i);
    }
  }

  async function waitStableMembers(n: number, timeoutMs: number): Promise<Record<string, number[]>> {
    let last = '';
    return waitFor(
      async () => {
        const view = await describeGroup(admin, groupId, topic);
        last = JSON.stringify(view);
        if (view.state !== 'Stable' || Object.keys(view.members).length !== n) return undefined;
        if (exactCoverProblem(view.members, PARTITIONS)) return undefined;
        return view.members;
      },
      { timeoutMs, intervalMs: 200, what: `a Stable group of ${n} kcat members` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last DescribeGroups: ${last}`);
    });
  }

  async function waitCommitted(want: number[], timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        const c = await committedOffsets(admin, groupId, topic);
        return want.every((o, p) => c.get(p) === o) ? true : undefined;
      },
      { timeoutMs, intervalMs: 200, what: `committed offsets ${JSON.stringify(want)}` },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; committed now ${JSON.stringify([...(await committedOffsets(admin, groupId, topic))])}`);
    });
  }

  /** Offsets [from[p], to[p]) of every partition, each exactly once, in order per partition, with matching values. */
  function assertExactly(got: KcatRecord[], from: number[], to: number[], what: string): void {
    for (let p = 0; p < PARTITIONS; p++) {
      const offs = got.filter((r) => r.partition === p).map((r) => r.offset);
      const want = Array.from({ length: to[p] - from[p] }, (_, i) => from[p] + i);
      assert.deepEqual(offs, want, `${what}: partition ${p} offsets`);
    }
    for (const r of got) assert.equal(r.payload, `${r.partition}:${r.offset}`, `${what}: value of ${r.partition}/${r.offset}`);
  }

  it('two kcat -G members split the partitions, consume every record once, and commit to the log end', async () => {
    const a = startKcat('a');
    const b = startKcat('b');
    const members = await waitStableMembers(2, 30_000);
    for (const [m, parts] of Object.entries(members)) assert.ok(parts.length === 2, `member ${m} has ${parts.length} of 4 partitions`);

    await produce(100);
    await waitFor(() => records(a).length + records(b).length >= 400, { timeoutMs: 20_000, what: '400 records consumed by the two kcat members' });
    await sleep(300); // anything extra (a duplicate) would show up now
    const all = [...records(a), ...records(b)].sort((x, y) => x.partition - y.partition || x.offset - y.offset);
    assertExactly(all, [0, 0, 0, 0], next, 'both members together');
    const aParts = new Set(records(a).map((r) => r.partition));
    const bParts = new Set(records(b).map((r) => r.partition));
    assert.equal([...aParts].filter((p) => bParts.has(p)).length, 0, 'no partition was consumed by both members');
    assert.ok(aParts.size > 0 && bParts.size > 0, 'both members consumed');
    await waitCommitted([...next], 10_000);
  });

  it('after SIGTERM of both members, a restarted kcat resumes exactly at the committed offsets', async () => {
    for (const p of procs) {
      const exit = await p.terminate(15_000);
      assert.equal(exit.signal === null ? exit.code : exit.signal, 0, `${p.opts.name} exited cleanly after SIGTERM (${JSON.stringify(exit)})`);
    }
    await waitFor(async () => ((await describeGroup(admin, groupId, topic)).state === 'Empty' ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the group to be Empty after both members left',
    });
    const committed = [...next];
    await waitCommitted(committed, 5000);
    await produce(50);
    const c = startKcat('c', 1000);
    await waitFor(() => records(c).length >= 200, { timeoutMs: 30_000, what: 'the restarted member to consume the 200 new records' });
    await sleep(500);
    assertExactly(
      [...records(c)].sort((x, y) => x.partition - y.partition || x.offset - y.offset),
      committed,
      next,
      'restarted member',
    );
    await waitCommitted([...next], 10_000);
  });

  it('after kill -9 of the member, the next member starts exactly at the offsets committed before the kill', async () => {
    const c = procs[procs.length - 1];
    const before = records(c).length;
    await produce(50);
    // Kill as soon as everything new has been consumed: with a 1 s auto-commit interval part of it is
    // usually not committed yet, and must be delivered again.
    await waitFor(() => records(c).length >= before + 200, { timeoutMs: 20_000, what: 'the member to consume 200 more records' });
    await c.kill9();
    const committed = await committedOffsets(admin, groupId, topic);
    const from = Array.from({ length: PARTITIONS }, (_, p) => committed.get(p) ?? -1);
    for (let p = 0; p < PARTITIONS; p++) assert.ok(from[p] >= 150 && from[p] <= next[p], `partition ${p}: committed ${from[p]} lies between the previous commit 150 and the end ${next[p]}`);
    const end = await endOffsets(admin, topic);
    assert.deepEqual([...end].sort((x, y) => x[0] - y[0]).map(([, o]) => o), next, 'log end offsets');

    const d = startKcat('d');
    const redelivered = next.reduce((s, e, p) => s + (e - from[p]), 0);
    if (redelivered > 0) {
      await waitFor(() => records(d).length >= redelivered, { timeoutMs: 30_000, what: `the new member to consume the ${redelivered} uncommitted records` });
    } else {
      await waitStableMembers(1, 30_000); // the dead member's session expired and d owns everything
    }
    await sleep(1000);
    assertExactly(
      [...records(d)].sort((x, y) => x.partition - y.partition || x.offset - y.offset),
      from,
      next,
      'member started after kill -9',
    );
    console.log(`      (${redelivered} records were consumed but not yet committed at the kill and were delivered again)`);
    await waitCommitted([...next], 10_000);
  });
});
