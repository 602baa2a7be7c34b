// stratactl against a three-broker Strata cluster (issue 16 on top of issue 10): it follows leadership. A consumer
// started before the partition's leader is killed (kill -9) carries on at the new leader and prints every record
// once; a produce started right after the kill, while the dead broker is still in the metadata, retries until the
// new leader takes it; describe, group and tier commands route each request to the broker that owns it.
import { strict as assert } from 'node:assert';
import { useCluster } from '../helpers/cluster';
import { startStratactl, stratactl } from '../helpers/stratactl';
import { uniqueName, waitFor, withTimeout } from '../helpers/util';

describe('stratactl against a three-broker cluster (leader killed)', function () {
  this.timeout(180_000);
  const ref = useCluster({ name: 'stratactl-cluster' });

  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await stratactl(['--brokers', ref.cluster.bootstrap, ...args], { input });
    assert.equal(r.code, 0, `stratactl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

  it('consume --follow and produce carry on through the leader’s death; describe shows the new leader', async () => {
    const c = ref.cluster;
    const topic = uniqueName('ctl-failover');
    await ok(['topic', 'create', topic, '-p', '1', '-r', '3', '-c', 'min.insync.replicas=2']);
    await c.waitForFullIsr(topic, 1, 3, 30_000);
    await ok(['topic', 'produce', topic, '--acks', 'all'], `${lines('before', 50).join('\n')}\n`);

    const follower = startStratactl(['--brokers', c.bootstrap, 'topic', 'consume', topic, '--follow', '-c', '100']);
    try {
      await waitFor(() => follower.stdout.split('\n').length > 50, { timeoutMs: 30_000, what: `the follower to print the first 50 (${follower.stderr})` });
      const leader = (await c.waitForLeader(topic, 0, (p) => p.leader > 0, 10_000)).leader;
      await c.kill(leader, 'SIGKILL');

      // The bootstrap list still names the dead broker, and so may the metadata for a while: produce must wait
      // for the election rather than fail.
      await ok(['topic', 'produce', topic, '--acks', 'all'], `${lines('after', 50).join('\n')}\n`);
      assert.equal(await withTimeout(follower.exited, 60_000, 'the follower to reach 100 records'), 0, follower.stderr);
      assert.deepEqual(follower.stdout.trim().split('\n'), [...lines('before', 50), ...lines('after', 50)]);

      const described = JSON.parse(await ok(['-o', 'json', 'topic', 'describe', topic]));
      const p0 = described.partitions[0];
      assert.notEqual(p0.leader, leader);
      assert.equal(p0.isr.includes(leader), false);
      assert.equal(p0.latestOffset, 100);
      const info = JSON.parse(await ok(['-o', 'json', 'cluster', 'info']));
      assert.equal(info.brokers.some((b: { nodeId: number }) => b.nodeId === leader), false, 'a fenced broker is not listed');
    } finally {
      follower.child.kill('SIGKILL');
    }
  });

  it('group describe and reset-offsets reach the group’s coordinator; tier status asks each partition’s leader', async () => {
    const c = ref.cluster;
    const topic = uniqueName('ctl-spread');
    await ok(['topic', 'create', topic, '-p', '3', '-r', '2']);
    await waitFor(async () => (await c.metadata(c.running[0]!, [topic])).topics[0]?.partitions.every((p) => p.leaderId > 0) ?? false, { timeoutMs: 30_000, what: 'leaders' });
    await ok(['topic', 'produce', topic, '-K', ':'], `${Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`).join('\n')}\n`);
    const group = uniqueName('ctl-group');
    const plan = JSON.parse(await ok(['-o', 'json', 'group', 'reset-offsets', group, '--topic', topic, '--to-latest', '--execute']));
    assert.equal(plan.executed, true);
    assert.equal(plan.offsets.reduce((n: number, o: { newOffset: number }) => n + o.newOffset, 0), 30);
    const desc = JSON.parse(await ok(['-o', 'json', 'group', 'describe', group]));
    assert.equal(desc.totalLag, 0);
    assert.deepEqual(desc.offsets.map((o: { partition: number }) => o.partition).sort(), [0, 1, 2]);
    const tier = JSON.parse(await ok(['-o', 'json', 'tier', 'status', '--topic', topic]));
    assert.equal(tier.length, 3);
    const md = await c.metadata(c.running[0]!, [topic]);
    for (const row of tier) {
      const p = md.topics[0]!.partitions.find((x) => x.partitionIndex === row.partition)!;
      assert.equal(row.leader, p.leaderId);
      assert.equal(typeof row.localBytes, 'number', 'each leader reports its local size');
    }
    assert.equal(tier.reduce((n: number, r: { logEndOffset: number }) => n + r.logEndOffset, 0), 30);
  });

  it('tier status still lists every partition when one has lost its only replica, saying why for that one', async () => {
    const c = ref.cluster;
    const topic = uniqueName('ctl-offline');
    await ok(['topic', 'create', topic, '-p', '2', '-r', '1']);
    const leaders = await Promise.all([0, 1].map((p) => c.waitForLeader(topic, p, (v) => v.leader > 0, 30_000)));
    await ok(['topic', 'produce', topic, '-p', '1'], 'a\nb\nc\n');
    if (leaders[0]!.leader === leaders[1]!.leader) return assert.fail(`both partitions on broker ${leaders[0]!.leader}: placement should spread them`);
    // Its only replica gone (and, with two of three brokers down, nobody fenced): partition 0 cannot answer.
    await c.kill(leaders[0]!.leader, 'SIGKILL');
    const rows = JSON.parse(await ok(['-o', 'json', 'tier', 'status', '--topic', topic]));
    assert.equal(rows.length, 2);
    const [p0, p1] = rows;
    assert.match(p0.error, /NOT_LEADER_OR_FOLLOWER|LEADER_NOT_AVAILABLE/);
    assert.equal(p0.logEndOffset, -1);
    assert.equal(p1.error, null);
    assert.equal(p1.logEndOffset, 3);
    const table = await ok(['tier', 'status', '--topic', topic]);
    assert.match(table, new RegExp(`^${topic}\\s+0\\s+${leaders[0]!.leader}\\s+-\\s+-\\s+-\\s+-\\s+-\\s+\\S`, 'm'));
  });
});
