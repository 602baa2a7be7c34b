// stratactl group list|describe|reset-offsets|delete run as a process against a Strata broker and Apache Kafka
// 4.1.1. The group state is made by a real client (KafkaJS): a consumer joins, commits one offset by hand, leaves;
// lag is checked to the record, resets are checked as dry runs and as commits, and an active group is refused.
import { strict as assert } from 'node:assert';
import type { Consumer, Kafka } from 'kafkajs';
import { startJava } from '../helpers/client-process';
import { requireJavaClient } from '../helpers/java';
import { useClientProcesses } from '../helpers/json-process';
import { createKafka } from '../helpers/kafkajs';
import { stratactl } from '../helpers/stratactl';
import { waitFor } from '../helpers/util';
import { forEachTarget } from './targets';

const TOPIC = 'orders';
const GROUP = 'billing';
const CLIENT_ID = 'stratactl-groups-test';
/** Record i of each partition has timestamp BASE_TS + i s; partition 0 holds 10 records, partition 1 holds 5. */
const BASE_TS = 1_700_000_000_000;
const COUNTS = [10, 5];

interface OffsetRow {
  topic: string;
  partition: number;
  committedOffset: number;
  latestOffset: number;
  lag: number | null;
  memberId: string | null;
}

forEachTarget('stratactl group', (target) => {
  let kafka: Kafka;
  let consumer: Consumer | undefined;
  const ctl = (...args: string[]) => stratactl(['--brokers', target().bootstrap, ...args]);
  const json = async (...args: string[]) => {
    const r = await ctl('-o', 'json', ...args);
    assert.equal(r.code, 0, `stratactl ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const committed = async () => ((await json('group', 'describe', GROUP)).offsets as OffsetRow[]).map((o) => [o.partition, o.committedOffset, o.lag]);
  const reset = async (...args: string[]) => {
    const out = await json('group', 'reset-offsets', GROUP, '--topic', TOPIC, ...args);
    return (out.offsets as Array<{ partition: number; previousOffset: number | null; newOffset: number }>).map((p) => [p.partition, p.previousOffset, p.newOffset]);
  };

  before(async function () {
    this.timeout(60_000);
    kafka = createKafka(target().bootstrap, CLIENT_ID);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (const [partition, n] of COUNTS.entries()) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: n }, (_, i) => ({ partition, value: `r${i}`, timestamp: String(BASE_TS + i * 1000) })) });
    }
    await producer.disconnect();
  });

  after(async () => {
    await consumer?.disconnect();
  });

  it('describes an active consumer: member, assignment, committed and latest offsets, exact lag', async () => {
    consumer = kafka.consumer({ groupId: GROUP });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer!.on(consumer!.events.GROUP_JOIN, () => resolve()));
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await joined;
    // Only partition 0 gets a commit: partition 1 is assigned without one, so its lag is unknown.
    await consumer.commitOffsets([{ topic: TOPIC, partition: 0, offset: '4' }]);

    const d = await json('group', 'describe', GROUP);
    assert.equal(d.groupId, GROUP);
    assert.equal(d.state, 'Stable');
    assert.equal(d.protocolType, 'consumer');
    assert.equal(d.members.length, 1);
    const member = d.members[0];
    assert.equal(member.clientId, CLIENT_ID);
    assert.deepEqual(member.assignment, [{ topic: TOPIC, partitions: [0, 1] }]);
    assert.deepEqual(
      d.offsets.map((o: OffsetRow) => [o.topic, o.partition, o.committedOffset, o.latestOffset, o.lag, o.memberId]),
      [
        [TOPIC, 0, 4, 10, 6, member.memberId],
        [TOPIC, 1, -1, 5, null, member.memberId],
      ],
    );
    assert.equal(d.totalLag, 6);

    const table = await ctl('group', 'describe', GROUP);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Group billing: Stable, 1 member\(s\), .*total lag 6$/m);
    assert.match(table.stdout, /^TOPIC\s+PARTITION\s+COMMITTED\s+LATEST\s+LAG\s+MEMBER\s+CLIENT-ID\s+HOST$/m);
    assert.match(table.stdout, new RegExp(`^orders\\s+0\\s+4\\s+10\\s+6\\s+\\S+\\s+${CLIENT_ID}\\s`, 'm'));
    assert.match(table.stdout, new RegExp(`^orders\\s+1\\s+-\\s+5\\s+-\\s+\\S+\\s+${CLIENT_ID}\\s`, 'm'));
  });

  it('lists the group with its state', async () => {
    const groups = await json('group', 'list');
    assert.deepEqual(groups.filter((g: { groupId: string }) => g.groupId === GROUP), [{ groupId: GROUP, state: 'Stable', protocolType: 'consumer' }]);
    const table = await ctl('group', 'list');
    assert.match(table.stdout, /^billing\s+Stable\s+consumer$/m);
  });

  it('refuses to reset offsets of or delete an active group (exit 7) and changes nothing', async () => {
    const r = await ctl('group', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest', '--execute');
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /^stratactl: group billing is Stable with 1 member\(s\): offsets can only be reset while the group is inactive/);
    const d = await ctl('group', 'delete', GROUP);
    assert.equal(d.code, 7, d.stderr);
    assert.match(d.stderr, /^stratactl: group billing still has members/);
    assert.deepEqual(await committed(), [[0, 4, 6], [1, -1, null]]);
  });

  it('keeps the committed offsets once the consumer left (Empty)', async () => {
    await consumer!.disconnect();
    consumer = undefined;
    const d = await waitFor(async () => {
      const x = await json('group', 'describe', GROUP);
      return x.state === 'Empty' ? x : undefined;
    }, { timeoutMs: 30_000, what: 'the group to become Empty' });
    assert.deepEqual(d.members, []);
    assert.deepEqual(d.offsets.map((o: OffsetRow) => [o.partition, o.committedOffset, o.latestOffset, o.lag, o.memberId]), [[0, 4, 10, 6, null]]);
    assert.equal(d.totalLag, 6);
  });

  it('reset-offsets only prints the plan unless --execute is given', async () => {
    assert.deepEqual(await reset('--to-earliest'), [[0, 4, 0], [1, null, 0]]);
    const table = await ctl('group', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^Dry run for group billing \(nothing committed; add --execute to commit\):$/m);
    assert.match(table.stdout, /^orders\s+1\s+-\s+0$/m);
    assert.deepEqual(await committed(), [[0, 4, 6]]);

    const out = await json('group', 'reset-offsets', GROUP, '--topic', TOPIC, '--to-earliest', '--execute');
    assert.equal(out.executed, true);
    assert.deepEqual(await committed(), [[0, 0, 10], [1, 0, 5]]);
    assert.equal((await json('group', 'describe', GROUP)).totalLag, 15);
  });

  it('resets to an offset, by a shift, to a time and to the end, clamped to each partition', async () => {
    assert.deepEqual(await reset('--to-offset', '7', '--partition', '0', '--execute'), [[0, 0, 7]]);
    assert.deepEqual(await committed(), [[0, 7, 3], [1, 0, 5]]);
    // Shifting back 2 goes below partition 1's start: clamped to 0.
    assert.deepEqual(await reset('--shift-by', '-2', '--execute'), [[0, 7, 5], [1, 0, 0]]);
    assert.deepEqual(await reset('--shift-by', '3', '--partition', '1', '--execute'), [[1, 0, 3]]);
    // Past the end: clamped to the latest offset (dry run).
    assert.deepEqual(await reset('--to-offset', '100'), [[0, 5, 10], [1, 3, 5]]);
    // The first record at or after BASE_TS + 3.5 s is record 4 in both partitions.
    assert.deepEqual(await reset('--to-datetime', new Date(BASE_TS + 3500).toISOString(), '--execute'), [[0, 5, 4], [1, 3, 4]]);
    // A time after every record: the end of each partition.
    assert.deepEqual(await reset('--to-datetime', new Date(BASE_TS + 3_600_000).toISOString()), [[0, 4, 10], [1, 4, 5]]);
    assert.deepEqual(await reset('--to-latest', '--execute'), [[0, 4, 10], [1, 4, 5]]);
    const d = await json('group', 'describe', GROUP);
    assert.deepEqual(d.offsets.map((o: OffsetRow) => o.lag), [0, 0]);
    assert.equal(d.totalLag, 0);
  });

  it('exits 2 on a missing, doubled or malformed reset target and 3 for an unknown topic, partition or group', async () => {
    for (const args of [[], ['--to-earliest', '--to-latest'], ['--to-datetime', 'yesterday'], ['--to-offset', '-1'], ['--shift-by', 'x']]) {
      const r = await ctl('group', 'reset-offsets', GROUP, '--topic', TOPIC, ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /stratactl|error/);
    }
    const noTopic = await ctl('group', 'reset-offsets', GROUP, '--topic', 'no-such-topic', '--to-earliest');
    assert.equal(noTopic.code, 3, noTopic.stderr);
    const noPartition = await ctl('group', 'reset-offsets', GROUP, '--topic', TOPIC, '--partition', '9', '--to-earliest');
    assert.equal(noPartition.code, 3, noPartition.stderr);
    assert.match(noPartition.stderr, /has no partition 9/);
    const noGroup = await ctl('group', 'describe', 'no-such-group');
    assert.equal(noGroup.code, 3, noGroup.stderr);
    assert.match(noGroup.stderr, /^stratactl: group no-such-group does not exist$/m);
  });

  it('deletes an inactive group with its offsets', async () => {
    const r = await ctl('group', 'delete', GROUP);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Deleted group billing\n');
    const gone = await ctl('group', 'describe', GROUP);
    assert.equal(gone.code, 3, gone.stderr);
    const again = await ctl('group', 'delete', GROUP);
    assert.equal(again.code, 3, again.stderr);
    assert.equal((await json('group', 'list')).some((g: { groupId: string }) => g.groupId === GROUP), false);
  });
});

// Kafka 4's own consumer protocol (KIP-848, group.protocol=consumer): such groups answer ConsumerGroupDescribe,
// not DescribeGroups. Strata speaks only the classic protocol, so this runs against Kafka only.
forEachTarget(
  'stratactl group with the KIP-848 consumer protocol',
  (target) => {
    const jvms = useClientProcesses();
    const ctl = (...args: string[]) => stratactl(['--brokers', target().bootstrap, ...args]);
    const json = async (...args: string[]) => {
      const r = await ctl('-o', 'json', ...args);
      assert.equal(r.code, 0, `stratactl ${args.join(' ')}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const lagOf = (d: { offsets: OffsetRow[] }) => d.offsets.map((o) => [o.partition, o.committedOffset, o.latestOffset, o.lag]);

    before(() => requireJavaClient());

    it('describes, refuses to reset while active, then resets and deletes a consumer-protocol group', async () => {
      const kafka = createKafka(target().bootstrap, CLIENT_ID);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'events', messages: [0, 0, 0, 0, 1, 1].map((partition, i) => ({ partition, value: `e${i}` })) });
      await producer.disconnect();

      // The Java client commits after every poll: once it has read everything, the lag is 0 on both partitions.
      const consumer = startJava('group-consume', [target().bootstrap, 'events', 'kip848', '--client-id=kip848-client', 'group.protocol=consumer'], { name: 'java KIP-848 consumer' });
      jvms.push(consumer);
      const d = await waitFor(async () => {
        const r = await ctl('-o', 'json', 'group', 'describe', 'kip848');
        const x = r.code === 0 ? JSON.parse(r.stdout) : undefined;
        return x && x.members.length === 1 && x.offsets.length === 2 && x.offsets.every((o: OffsetRow) => o.lag === 0) ? x : undefined;
      }, { timeoutMs: 60_000, intervalMs: 500, what: 'the KIP-848 consumer to join and commit everything' });
      assert.equal(d.state, 'Stable');
      assert.equal(d.protocolType, 'consumer');
      assert.equal(d.members[0].clientId, 'kip848-client');
      assert.deepEqual(d.members[0].assignment, [{ topic: 'events', partitions: [0, 1] }]);
      assert.deepEqual(lagOf(d), [[0, 4, 4, 0], [1, 2, 2, 0]]);
      assert.deepEqual((await json('group', 'list')).find((g: { groupId: string }) => g.groupId === 'kip848'), { groupId: 'kip848', state: 'Stable', protocolType: 'consumer' });

      const refused = await ctl('group', 'reset-offsets', 'kip848', '--topic', 'events', '--to-earliest', '--execute');
      assert.equal(refused.code, 7, refused.stderr);

      await consumer.stop();
      await waitFor(async () => (await json('group', 'describe', 'kip848')).state === 'Empty', { timeoutMs: 30_000, intervalMs: 300, what: 'the group to become Empty' });
      await json('group', 'reset-offsets', 'kip848', '--topic', 'events', '--to-earliest', '--execute');
      assert.deepEqual(lagOf(await json('group', 'describe', 'kip848')), [[0, 0, 4, 4], [1, 0, 2, 2]]);
      assert.equal((await ctl('group', 'delete', 'kip848')).code, 0);
      assert.equal((await ctl('group', 'describe', 'kip848')).code, 3);
    });
  },
  { only: ['kafka'] },
);
