// Cluster mode, a paused leader (issue 10): SIGSTOP the leader of an RF=3, min.insync.replicas=2 partition for
// longer than the session timeout (the others fence it and elect a new leader), write through the new leader,
// then hand the old leader a produce (acks=all) on a connection it accepted before its pause and SIGCONT it.
// It must not acknowledge that write; the write is never visible to consumers; the old leader rejoins the ISR
// as a follower, and once it leads again its log is exactly the new leader's (what diverged was truncated).
import { strict as assert } from 'node:assert';
import { buildRecordBatch } from '../broker/src/protocol/records';
import { useCluster } from './helpers/cluster';
import { WireClient } from './helpers/protocol-batches';
import { uniqueName } from './helpers/util';

const FAILOVER_MS = 30_000;

const batch = (label: string) => [Array.from({ length: 5 }, (_, i) => ({ key: `${label}-${i}`, value: `value of ${label}-${i}` }))];

describe('cluster: a paused leader is fenced', function () {
  this.timeout(180_000);
  const ref = useCluster({ name: 'fencing' });

  it('acknowledges nothing after its fencing, its late write is never visible, it rejoins as a follower and truncates', async () => {
    const c = ref.cluster;
    const topic = uniqueName('fenced');
    await c.createTopic(topic, { partitions: 1, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    for (let i = 0; i < 4; i++) await c.produce(topic, 0, batch(`before-${i}`));

    const { leader: old, wire: oldConn } = await c.leaderClient(topic, 0);
    const others = c.running.filter((id) => id !== old);
    let late: Awaited<ReturnType<WireClient['produce']>> | Error;
    try {
      c.pause(old);
      // The survivors fence it (session timeout) and elect one of themselves; writes need both in the ISR
      // (min.insync.replicas=2), and the other follower may take a moment to move its fetching to the new leader.
      await c.waitForLeader(topic, 0, (v) => v.leader !== old && !v.isr.includes(old) && v.isr.length === 2, FAILOVER_MS, others);
      for (let i = 0; i < 4; i++) await c.produce(topic, 0, batch(`after-${i}`));

      // A write that reaches the old leader only after its fencing: queued in its socket while it is stopped.
      const pending = oldConn.produce(topic, 0, buildRecordBatch({ records: [{ key: Buffer.from('late'), value: Buffer.from('written to a fenced leader') }] }));
      c.resume(old);
      late = await pending.catch((err: Error) => err);
    } finally {
      c.resume(old);
      await oldConn.close().catch(() => undefined);
    }
    assert.ok(late instanceof Error || late.errorCode !== 0, `the fenced leader acknowledged an acks=all write: ${JSON.stringify(late)}`);

    // It comes back as a follower and catches up into the ISR.
    await c.waitForLeader(topic, 0, (v) => v.isr.includes(old) && v.isr.length === 3, FAILOVER_MS);
    const expected = ['before-0', 'before-1', 'before-2', 'before-3', 'after-0', 'after-1', 'after-2', 'after-3'].flatMap((l) => batch(l)[0].map((r) => r.key));
    const fromNewLeader = await c.readPartition(topic, 0);
    assert.deepEqual(fromNewLeader.flatMap((b) => b.records.map((r) => r.key)), expected, 'the log has every acknowledged record once and no late write');

    // Read through the old leader itself: the same batches, byte for byte (headers with CRCs, records).
    await c.stopLeadersUntil(topic, 0, old, FAILOVER_MS);
    await c.waitForEndOffset(old, topic, 0, expected.length, FAILOVER_MS);
    const fromOld = await c.readPartition(topic, 0);
    assert.deepEqual(fromOld, fromNewLeader, 'the old leader truncated what diverged and holds exactly the new leader\'s log');
  });
});
