// Consumer groups with KafkaJS 2.2.4, each member its own node process (e2e/workers/kafkajs-group-member.ts),
// over a 12-partition topic while a producer in the test process writes steadily to every partition:
//  - 3 members: every partition assigned exactly once (as each member reports it and as DescribeGroups says);
//  - a 4th member joins: a rebalance with a new generation, still exactly once, the others keep their ids;
//  - one member is kill -9ed: nothing happens until its session times out (6 s), then its partitions move;
//  - afterwards every record was consumed, in order per partition, and nothing was delivered twice except
//    records the killed member had consumed after its last commit; committed offsets reach the log end.
import { strict as assert } from 'node:assert';
import type { Admin, Producer } from 'kafkajs';
import { startNodeWorker } from './helpers/client-process';
import { adminWithTopicAndProducer, analyzeConsumption, committedOffsets, describeGroup, endOffsets, exactCoverProblem, metricValue, SteadyProducer, workerState } from './helpers/groups';
import type { JsonLinesProcess } from './helpers/json-process';
import { stopAll } from './helpers/json-process';
import { useBroker } from './helpers/suite';
import { sleep, uniqueName, waitFor, withTimeout } from './helpers/util';

const PARTITIONS = 12;
const SESSION_TIMEOUT = 6000;
const HEARTBEAT = 500;

interface Member {
  name: string;
  proc: JsonLinesProcess;
  killed: boolean;
}

interface Stable {
  generation: number;
  /** worker name → partitions */
  byName: Record<string, number[]>;
  /** worker name → member id */
  ids: Record<string, string>;
  /** latest join time among the members */
  lastJoinT: number;
}

describe('consumer groups: KafkaJS members in separate processes', function () {
  this.timeout(90_000);
  const ref = useBroker({
    name: 'groups-kafkajs',
    autoCreateTopics: false,
    extraArgs: ['--group-initial-rebalance-delay-ms', '300', '--offsets-topic-num-partitions', '5'],
  });
  const topic = uniqueName('grp-kjs');
  const groupId = uniqueName('grp-kjs-g');
  const members: Member[] = [];
  let admin: Admin;
  let producer: Producer;
  let steady: SteadyProducer;
  let stable3: Stable;
  let stable4: Stable;
  let victim: Member;

  before(async function () {
    ({ admin, producer } = await adminWithTopicAndProducer(ref.broker.bootstrap, 'grp-kjs-test', topic, PARTITIONS));
    steady = new SteadyProducer(producer, topic, PARTITIONS, 40);
    steady.start();
  });

  after(async function () {
    this.timeout(40_000);
    await steady?.stop().catch(() => undefined);
    await stopAll(members.map((m) => m.proc));
    await withTimeout(producer?.disconnect() ?? Promise.resolve(), 5000, 'producer disconnect').catch(() => undefined);
    await withTimeout(admin?.disconnect() ?? Promise.resolve(), 5000, 'admin disconnect').catch(() => undefined);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const m of members) console.log(`${m.proc.describe(6, 1500)}\n(all output of ${m.name}: ${m.proc.dump()})`);
  });

  function startMember(name: string): Member {
    const proc = startNodeWorker(
      'kafkajs-group-member',
      { bootstrap: ref.broker.bootstrap, topic, groupId, name, sessionTimeout: SESSION_TIMEOUT, heartbeatInterval: HEARTBEAT, rebalanceTimeout: 20_000 },
      `kafkajs member ${name}`,
    );
    const m = { name, proc, killed: false };
    members.push(m);
    return m;
  }

  /**
   * Waits until every given member reports a join confirmed by a heartbeat in one common generation
   * (> minGeneration), the reported assignments cover the partitions exactly once, and DescribeGroups shows
   * the same: state Stable, exactly these member ids, the same assignments.
   */
  async function waitStable(live: Member[], minGeneration: number, timeoutMs: number): Promise<Stable> {
    let last = '';
    return waitFor(
      async () => {
        for (const m of live) if (!m.proc.isAlive()) throw new Error(`${m.name} exited: ${m.proc.describe()}`);
        const states = live.map((m) => ({ m, s: workerState(m.proc) }));
        const byName: Record<string, number[]> = {};
        const ids: Record<string, string> = {};
        const gens = new Set<number | null>();
        let lastJoinT = 0;
        for (const { m, s } of states) {
          if (!s) {
            last = `${m.name} has not joined yet`;
            return undefined;
          }
          byName[m.name] = s.partitions;
          ids[m.name] = s.memberId;
          gens.add(s.generation);
          lastJoinT = Math.max(lastJoinT, s.joinT);
        }
        const gen = [...gens][0];
        if (gens.size !== 1 || gen === null || gen === undefined || gen <= minGeneration) {
          last = `generations ${JSON.stringify([...gens])} (need one common generation > ${minGeneration})`;
          return undefined;
        }
        const cover = exactCoverProblem(byName, PARTITIONS);
        if (cover) {
          last = cover;
          return undefined;
        }
        const view = await describeGroup(admin, groupId, topic);
        const want = Object.fromEntries(live.map((m) => [ids[m.name], byName[m.name]]));
        if (view.state !== 'Stable' || JSON.stringify(sortKeys(view.members)) !== JSON.stringify(sortKeys(want))) {
          last = `DescribeGroups: state ${view.state}, members ${JSON.stringify(view.members)}; members report ${JSON.stringify(want)}`;
          return undefined;
        }
        assert.equal(view.protocolType, 'consumer');
        return { generation: gen, byName, ids, lastJoinT };
      },
      { timeoutMs, intervalMs: 200, what: `a stable group of ${live.map((m) => m.name).join(', ')}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\nlast state: ${last}`);
    });
  }

  it('three members in three processes: all 12 partitions assigned, each exactly once', async () => {
    for (const n of ['m1', 'm2', 'm3']) startMember(n);
    stable3 = await waitStable(members, 0, 40_000);
    for (const m of members) assert.ok(stable3.byName[m.name].length === 4, `${m.name} got ${stable3.byName[m.name].length} partitions, a balanced assignment gives each 4`);
    // Consumption is under way in every member.
    for (const m of members) await m.proc.waitForLine((l) => l.e === 'rec', 15_000, `${m.name} to consume a record`);
  });

  it('a fourth member joins: rebalance to a new generation, still exactly once; the others keep their member ids; /metrics shows the group', async () => {
    startMember('m4');
    stable4 = await waitStable(members, stable3.generation, 40_000);
    assert.ok(stable4.generation > stable3.generation);
    for (const n of ['m1', 'm2', 'm3']) assert.equal(stable4.ids[n], stable3.ids[n], `${n} kept its member id across the rebalance`);
    for (const m of members) assert.equal(stable4.byName[m.name].length, 3, `${m.name} has 3 of 12 partitions`);
    await members[3].proc.waitForLine((l) => l.e === 'rec', 15_000, 'm4 to consume a record');
    await members[3].proc.waitForLine((l) => l.e === 'commit', 15_000, 'm4 to commit');

    const metrics = await ref.broker.metricsText();
    assert.equal(metricValue(metrics, 'strata_group_members', { group: groupId }), 4, '/metrics: members of the group');
    assert.ok((metricValue(metrics, 'strata_groups', { state: 'Stable' }) ?? 0) >= 1, '/metrics: a Stable group');
    assert.ok((metricValue(metrics, 'strata_group_rebalances_total', { group: groupId }) ?? 0) >= 2, '/metrics: rebalances of the group');
    assert.ok((metricValue(metrics, 'strata_group_offset_commits_total', { group: groupId }) ?? 0) > 0, '/metrics: offset commits of the group');
    for (let p = 0; p < PARTITIONS; p++) {
      assert.notEqual(metricValue(metrics, 'strata_group_lag', { group: groupId, topic, partition: String(p) }), undefined, `/metrics: lag of partition ${p}`);
    }
  });

  it('kill -9 of a member: its partitions move to the survivors only after the session timeout', async () => {
    victim = members[1];
    await victim.proc.waitForLine((l) => l.e === 'commit', 10_000, `${victim.name} to have committed`);
    await sleep(1000); // let it consume a little past its last commit
    const moved = stable4.byName[victim.name];
    const killT = Date.now();
    await victim.proc.kill9();
    victim.killed = true;
    const survivors = members.filter((m) => !m.killed);

    // Within the session timeout the dead member is still part of the group (Kafka does not act on a closed connection).
    await sleep(SESSION_TIMEOUT - 2500);
    const during = await describeGroup(admin, groupId, topic);
    assert.ok(stable4.ids[victim.name] in during.members, `the killed member left the group ${Date.now() - killT} ms after kill -9, before its ${SESSION_TIMEOUT} ms session timeout: ${JSON.stringify(during)}`);

    const after = await waitStable(survivors, stable4.generation, SESSION_TIMEOUT + 25_000);
    const firstRejoin = Math.min(...survivors.map((m) => workerState(m.proc)!.joinT));
    assert.ok(firstRejoin - killT >= SESSION_TIMEOUT - 2000, `survivors rejoined ${firstRejoin - killT} ms after the kill, before the session timeout`);
    const nowOwned = survivors.flatMap((m) => after.byName[m.name]);
    for (const p of moved) assert.ok(nowOwned.includes(p), `partition ${p} of the killed member is owned by a survivor`);
    for (const m of survivors) assert.equal(after.ids[m.name], stable4.ids[m.name], `${m.name} kept its member id`);
    const view = await describeGroup(admin, groupId, topic);
    assert.equal(Object.keys(view.members).length, 3, 'DescribeGroups lists the three survivors only');
    await sleep(1500); // the producer keeps writing; the survivors consume the moved partitions
  });

  it('every record consumed in per-partition order; re-delivered only what the killed member had not committed; commits reach the end', async () => {
    await steady.stop();
    const end = await endOffsets(admin, topic);
    for (let p = 0; p < PARTITIONS; p++) assert.equal(end.get(p), steady.sent[p], `partition ${p}: log end offset equals acknowledged sends`);
    assert.ok(steady.total >= PARTITIONS * 100, `only ${steady.total} records were produced`);
    const survivors = members.filter((m) => !m.killed);

    await waitFor(
      async () => {
        const c = await committedOffsets(admin, groupId, topic);
        return [...end].every(([p, e]) => c.get(p) === e) ? c : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: 'committed offsets to reach the log end offsets' },
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}: committed ${JSON.stringify([...(await committedOffsets(admin, groupId, topic))])}, end ${JSON.stringify([...end])}`);
    });

    const metrics = await ref.broker.metricsText();
    for (let p = 0; p < PARTITIONS; p++) {
      assert.equal(metricValue(metrics, 'strata_group_lag', { group: groupId, topic, partition: String(p) }), 0, `/metrics: lag of partition ${p} once everything is committed`);
    }
    assert.equal(metricValue(metrics, 'strata_group_members', { group: groupId }), 3, '/metrics: members after the kill');

    await stopAll(survivors.map((m) => m.proc), 20_000);
    for (const m of survivors) {
      assert.deepEqual(m.proc.exit, { code: 0, signal: null }, `${m.name} stopped cleanly`);
      assert.equal(m.proc.matching((l) => l.e === 'crash' || l.e === 'fatal').length, 0, `${m.name} reported no crash: ${JSON.stringify(m.proc.matching((l) => l.e === 'crash'))}`);
    }
    const victimRecs = victim.proc.matching((l) => l.e === 'rec').length;
    assert.ok(victimRecs > 0, 'the killed member had consumed records');

    const report = analyzeConsumption(
      members.map((m) => ({ name: m.name, killed: m.killed, lines: m.proc.lines })),
      end,
    );
    assert.deepEqual(report.problems.slice(0, 20), [], `${report.problems.length} consumption problems`);
    console.log(`      (${steady.total} records produced, ${report.consumed} consumptions, ${report.duplicates} re-deliveries of the killed member's uncommitted records)`);

    const view = await describeGroup(admin, groupId, topic);
    assert.equal(view.state, 'Empty', 'after every member left, the group is Empty');
    assert.deepEqual(view.members, {});
  });
});

function sortKeys(o: Record<string, number[]>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
