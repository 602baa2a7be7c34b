// Consumer groups with the reference client, kafka-clients 4.1.1 (classic group protocol), each consumer its
// own JVM running StrataClientCheck group-consume (subscribe, commitSync after every poll):
//  - CooperativeStickyAssignor: a second member joins and only the partitions that move are revoked from the
//    first (incremental cooperative rebalancing); all partitions covered; every record consumed once;
//  - static membership (group.instance.id): a member kill -9ed and restarted within the session timeout gets
//    the same partitions and the same generation back, and the other member sees no rebalance at all;
//  - AdminClient: listGroups (with a state filter), describeConsumerGroups, listConsumerGroupOffsets,
//    alterConsumerGroupOffsets, deleteConsumerGroupOffsets, deleteConsumerGroups, including the errors Kafka
//    gives for groups that still have members.
import { strict as assert } from 'node:assert';
import { startJava } from './helpers/client-process';
import { committedOffsets, describeGroup, endOffsets, exactCoverProblem, useAdminWithTopicAndProducer } from './helpers/groups';
import { requireJavaClient, runJava, type JsonLine } from './helpers/java';
import { useClientProcesses, type JsonLinesProcess } from './helpers/json-process';
import { useBroker } from './helpers/suite';
import { sleep, uniqueName, waitFor } from './helpers/util';

const PARTITIONS = 6;

interface Rec {
  p: number;
  o: number;
  k: string;
}

/** The member's current assignment, generation and member id from its latest rebalance/status line. */
function current(j: JsonLinesProcess): { assignment: number[]; generation: number; memberId: string; index: number } | null {
  for (let i = j.lines.length - 1; i >= 0; i--) {
    const l = j.lines[i];
    if (l.event === 'assigned' || l.event === 'revoked' || l.event === 'lost' || l.event === 'status') {
      return { assignment: l.assignment as number[], generation: l.generation as number, memberId: l.memberId as string, index: i };
    }
  }
  return null;
}

function recs(j: JsonLinesProcess): Rec[] {
  return j.lines.filter((l) => typeof l.p === 'number' && typeof l.o === 'number') as unknown as Rec[];
}

describe('consumer groups: Java client (kafka-clients 4.1.1) in separate JVMs', function () {
  this.timeout(90_000);
  const ref = useBroker({
    name: 'groups-java',
    autoCreateTopics: false,
    extraArgs: ['--group-initial-rebalance-delay-ms', '300', '--offsets-topic-num-partitions', '5'],
  });
  const topic = uniqueName('grp-java');
  const coopGroup = uniqueName('grp-java-coop');
  const staticGroup = uniqueName('grp-java-static');
  const next = Array.from({ length: PARTITIONS }, () => 0);
  let j1: JsonLinesProcess;
  let j2: JsonLinesProcess;
  let s1: JsonLinesProcess;
  let s2b: JsonLinesProcess;

  before(() => requireJavaClient());
  const jvms = useClientProcesses();
  const clients = useAdminWithTopicAndProducer(() => ref.broker.bootstrap, 'grp-java-test', topic, PARTITIONS);

  function consumer(name: string, group: string, extra: string[]): JsonLinesProcess {
    const j = startJava('group-consume', [ref.broker.bootstrap, topic, group, `--client-id=${name}`, ...extra], { name: `java consumer ${name}` });
    jvms.push(j);
    return j;
  }

  async function produce(perPartition: number): Promise<void> {
    const messages = [];
    for (let p = 0; p < PARTITIONS; p++) {
      for (let k = 0; k < perPartition; k++) messages.push({ partition: p, key: `k${p}-${next[p] + k}`, value: `${p}:${next[p] + k}` });
    }
    await clients.producer.send({ topic, acks: -1, messages });
    for (let p = 0; p < PARTITIONS; p++) next[p] += perPartition;
  }

  /** Waits until the given members' current assignments cover every partition once and DescribeGroups agrees. */
  async function waitCover(group: string, members: JsonLinesProcess[], timeoutMs: number): Promise<Record<string, number[]>> {
    let last = '';
    return waitFor(
      async () => {
        const byName: Record<string, number[]> = {};
        const byId: Record<string, number[]> = {};
        for (const j of members) {
          if (!j.isAlive()) throw new Error(`${j.opts.name} exited\n${j.describe()}`);
          const c = current(j);
          if (!c || c.generation < 1) {
            last = `${j.opts.name} has no assignment yet`;
            return undefined;
          }
          byName[j.opts.name] = c.assignment;
          byId[c.memberId] = c.assignment;
        }
        const problem = exactCoverProblem(byName, PARTITIONS);
        if (problem) {
          last = problem;
          return undefined;
        }
        const view = await describeGroup(clients.admin, group, topic);
        last = `DescribeGroups ${JSON.stringify(view)} vs members ${JSON.stringify(byId)}`;
        if (view.state !== 'Stable') return undefined;
        if (JSON.stringify(Object.entries(view.members).sort()) !== JSON.stringify(Object.entries(byId).sort())) return undefined;
        return byName;
      },
      { timeoutMs, intervalMs: 200, what: `${members.map((j) => j.opts.name).join(' + ')} to cover all partitions` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; last: ${last}`);
    });
  }

  async function waitCommitted(group: string, want: number[], timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        const c = await committedOffsets(clients.admin, group, topic);
        return want.every((o, p) => c.get(p) === o) ? true : undefined;
      },
      { timeoutMs, intervalMs: 200, what: `${group}: committed offsets ${JSON.stringify(want)}` },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}; committed now ${JSON.stringify([...(await committedOffsets(clients.admin, group, topic))])}`);
    });
  }

  it('CooperativeStickyAssignor: a second member takes over only the partitions that move; each record consumed once', async () => {
    j1 = consumer('j1', coopGroup, ['--assignor=cooperative-sticky']);
    await waitCover(coopGroup, [j1], 40_000);
    await produce(20);
    await waitFor(() => recs(j1).length >= 120, { timeoutMs: 20_000, what: 'j1 to consume 120 records' });
    const j1Before = j1.lines.length;

    j2 = consumer('j2', coopGroup, ['--assignor=cooperative-sticky']);
    const cover = await waitCover(coopGroup, [j1, j2], 40_000);
    assert.equal(cover[j1.opts.name].length, 3, 'j1 keeps 3 partitions');
    assert.equal(cover[j2.opts.name].length, 3, 'j2 gets 3 partitions');
    // Cooperative rebalancing: j1 gave up exactly the partitions j2 got, never the ones it kept.
    const revoked = j1.lines.slice(j1Before).filter((l) => l.event === 'revoked').flatMap((l) => l.partitions as number[]);
    assert.deepEqual([...revoked].sort((a, b) => a - b), cover[j2.opts.name], 'j1 revoked only the partitions that moved to j2');
    assert.equal(j1.lines.slice(j1Before).filter((l) => l.event === 'lost').length, 0, 'j1 lost no partitions');

    await produce(20);
    await waitCommitted(coopGroup, [...next], 30_000);
    await sleep(300);
    const all = [...recs(j1), ...recs(j2)];
    for (let p = 0; p < PARTITIONS; p++) {
      const offs = all.filter((r) => r.p === p).map((r) => r.o).sort((a, b) => a - b);
      assert.deepEqual(offs, Array.from({ length: next[p] }, (_, i) => i), `partition ${p}: every offset consumed exactly once`);
    }
    for (const j of [j1, j2]) {
      assert.equal(j.matching((l) => l.event === 'commit-failed').length, 0, `${j.opts.name}: no failed commits ${JSON.stringify(j.matching((l) => l.event === 'commit-failed'))}`);
      const byP = new Map<number, number>();
      for (const r of recs(j)) {
        assert.ok((byP.get(r.p) ?? -1) < r.o, `${j.opts.name}: partition ${r.p} offset ${r.o} in order`);
        byP.set(r.p, r.o);
      }
    }
  });

  it('static membership: a member restarted within the session timeout gets its partitions back, and the other sees no rebalance', async () => {
    const staticArgs = (id: string) => [`--instance-id=${id}`, '--assignor=range', 'session.timeout.ms=30000', 'heartbeat.interval.ms=500'];
    // s2 (the one restarted below) joins first: it becomes the group leader and goes through a second rebalance
    // when s1 joins, so its subscription metadata then lists owned partitions and a generation, which the
    // restarted process (owning nothing yet) does not. Kafka still does not rebalance: only a change of the
    // group's selected protocol would.
    const s2 = consumer('s2', staticGroup, staticArgs('s2'));
    await s2.waitForLine((l) => l.event === 'assigned', 40_000, 's2 to get its first assignment');
    s1 = consumer('s1', staticGroup, staticArgs('s1'));
    const cover = await waitCover(staticGroup, [s1, s2], 40_000);
    await waitCommitted(staticGroup, [...next], 20_000); // both consumed everything so far and committed
    const s1State = current(s1)!;
    const s2State = current(s2)!;
    assert.equal(s1State.generation, s2State.generation);
    const s1Lines = s1.lines.length;

    await s2.kill9();
    const killedAt = Date.now();
    s2b = consumer('s2-restarted', staticGroup, staticArgs('s2'));
    const assigned = await s2b.waitForLine((l) => l.event === 'assigned', 40_000, 'the restarted static member to get an assignment');
    assert.ok(Date.now() - killedAt < 30_000, 'restarted within the session timeout');
    assert.deepEqual(assigned.partitions, cover['java consumer s2'], 'the restarted static member has the same partitions');
    assert.equal(assigned.generation, s2State.generation, 'no new generation: the static member rejoined without a rebalance');
    assert.notEqual(assigned.memberId, s2State.memberId, 'the restarted member has a new member id');

    await produce(10);
    await waitCommitted(staticGroup, [...next], 20_000);
    await sleep(1500); // several heartbeats of s1: a rebalance would have reached it by now
    const s1After = s1.lines.slice(s1Lines);
    const events = s1After.filter(
      (l) =>
        l.event === 'assigned' ||
        l.event === 'revoked' ||
        l.event === 'lost' ||
        (l.event === 'status' && (l.generation !== s1State.generation || l.memberId !== s1State.memberId)),
    );
    assert.deepEqual(events, [], `s1 saw no rebalance: ${JSON.stringify(events)}`);
    assert.equal(current(s1)!.generation, s1State.generation, 's1 generation unchanged');
    // The restarted member resumed at its committed offsets: it read only the 10 new records of each of its partitions.
    const mine = cover['java consumer s2'];
    for (const p of mine) {
      assert.deepEqual(recs(s2b).filter((r) => r.p === p).map((r) => r.o), Array.from({ length: 10 }, (_, i) => next[p] - 10 + i), `partition ${p} after the restart`);
    }
    const view = await describeGroup(clients.admin, staticGroup, topic);
    assert.equal(view.state, 'Stable');
    assert.deepEqual(Object.keys(view.members).sort(), [s1State.memberId, assigned.memberId as string].sort(), 'DescribeGroups lists s1 and the new member id of s2');
  });

  it('AdminClient: listGroups with a state filter, describe, list/alter/delete offsets, delete groups', async () => {
    for (const j of [j1, j2]) assert.deepEqual(await j.stop(20_000), { code: 0, signal: null }, `${j.opts.name} closed cleanly`);
    await waitFor(async () => ((await describeGroup(clients.admin, coopGroup, topic)).state === 'Empty' ? true : undefined), {
      timeoutMs: 10_000,
      what: 'the cooperative group to be Empty after both members closed',
    });
    const end = await endOffsets(clients.admin, topic);
    const q = (...op: string[]) => ['--', ...op];
    const res = await runJava(
      'admin-batch',
      [
        ref.broker.bootstrap,
        ...q('groups-list'),
        ...q('groups-list', 'Stable'),
        ...q('groups-list', 'Empty'),
        ...q('groups-describe', coopGroup, staticGroup),
        ...q('group-offsets', coopGroup),
        ...q('group-offsets-alter', coopGroup, topic, '0=5', '1=7'),
        ...q('group-offsets', coopGroup),
        ...q('group-offsets-alter', staticGroup, topic, '0=0'),
        ...q('group-offsets-delete', coopGroup, topic, '2'),
        ...q('group-offsets', coopGroup),
        ...q('group-offsets-delete', staticGroup, topic, '0'),
        ...q('groups-delete', staticGroup),
        ...q('groups-delete', coopGroup),
        ...q('groups-list'),
        ...q('groups-describe', coopGroup),
      ],
      60_000,
    );
    const out = res.lines.filter((l) => typeof l.cmd === 'string');
    const take = (cmd: string): JsonLine => {
      const l = out.shift();
      assert.ok(l, `missing output line for ${cmd}`);
      assert.equal(l.cmd, cmd);
      return l;
    };
    type G = { groupId: string; state: string; protocolType: string };
    const ids = (l: JsonLine) => (l.groups as G[]).map((g) => g.groupId);

    const all = take('groups-list').groups as G[];
    const coop = all.find((g) => g.groupId === coopGroup);
    const stat = all.find((g) => g.groupId === staticGroup);
    assert.ok(coop && stat, `listGroups shows both groups: ${JSON.stringify(all)}`);
    assert.equal(coop.state, 'Empty');
    assert.equal(stat.state, 'Stable');
    assert.equal(coop.protocolType, 'consumer');
    const stable = take('groups-list');
    assert.ok(ids(stable).includes(staticGroup) && !ids(stable).includes(coopGroup), `listGroups(Stable): ${JSON.stringify(stable.groups)}`);
    const empty = take('groups-list');
    assert.ok(ids(empty).includes(coopGroup) && !ids(empty).includes(staticGroup), `listGroups(Empty): ${JSON.stringify(empty.groups)}`);

    const described = take('groups-describe').groups as Record<string, Record<string, unknown>>;
    assert.equal(described[coopGroup].state, 'Empty');
    assert.deepEqual(described[coopGroup].members, []);
    const sd = described[staticGroup];
    assert.equal(sd.state, 'Stable');
    assert.equal(sd.type, 'Classic');
    assert.equal(sd.partitionAssignor, 'range');
    assert.equal(sd.coordinator, 1);
    const members = sd.members as Array<{ groupInstanceId: string; clientId: string; assignment: Record<string, number[]> }>;
    assert.deepEqual(members.map((m) => m.groupInstanceId).sort(), ['s1', 's2']);
    assert.equal(exactCoverProblem(Object.fromEntries(members.map((m) => [m.groupInstanceId, m.assignment[topic] ?? []])), PARTITIONS), null);

    const endObj = Object.fromEntries([...end].map(([p, o]) => [String(p), o]));
    assert.deepEqual((take('group-offsets').offsets as Record<string, unknown>)[topic], endObj, 'listConsumerGroupOffsets = log end offsets');
    assert.equal(take('group-offsets-alter').result, 'ok');
    assert.deepEqual((take('group-offsets').offsets as Record<string, unknown>)[topic], { ...endObj, '0': 5, '1': 7 }, 'offsets after alterConsumerGroupOffsets');
    assert.match(String(take('group-offsets-alter').result), /^UnknownMemberIdException/, 'altering offsets of a group with members fails with UNKNOWN_MEMBER_ID');
    assert.equal(take('group-offsets-delete').result, 'ok');
    const afterDelete = { ...endObj, '0': 5, '1': 7 } as Record<string, number>;
    delete afterDelete['2'];
    assert.deepEqual((take('group-offsets').offsets as Record<string, unknown>)[topic], afterDelete, 'offsets after deleteConsumerGroupOffsets');
    assert.match(String(take('group-offsets-delete').result), /^GroupSubscribedToTopicException/, 'deleting offsets of a subscribed topic fails');
    assert.match(String((take('groups-delete').results as Record<string, string>)[staticGroup]), /^GroupNotEmptyException/, 'deleting a group with members fails');
    assert.equal((take('groups-delete').results as Record<string, string>)[coopGroup], 'ok');
    assert.ok(!ids(take('groups-list')).includes(coopGroup), 'the deleted group is no longer listed');
    const gone = (take('groups-describe').groups as Record<string, Record<string, unknown>>)[coopGroup];
    assert.ok(gone.state === 'Dead' || /^GroupIdNotFoundException/.test(String(gone.error)), `a deleted group describes as Dead or GROUP_ID_NOT_FOUND: ${JSON.stringify(gone)}`);
    assert.deepEqual(out, [], 'no unexpected output');
    const c = await committedOffsets(clients.admin, coopGroup, topic);
    assert.ok([...c.values()].every((o) => o === -1), `no committed offsets remain for the deleted group: ${JSON.stringify([...c])}`);
  });
});
