// Cluster mode, a disposable broker (issue 10): the leader of a tiered RF=3 partition (small segments, most of
// them uploaded and deleted locally) is killed, its data dir deleted, and it is started again with an empty disk
// (a new incarnation). It rejoins, is never reported leader while outside the ISR, replicates only the hot tail
// (its earliest local offset is above 0), and once it leads, reads from offset 0 through it are byte for byte
// what the partition held before (the cold part from the bucket).
import { strict as assert } from 'node:assert';
import { useCluster, type PartitionView } from './helpers/cluster';
import { uniqueName, waitFor } from './helpers/util';

const FAILOVER_MS = 30_000;
const BATCHES = 120;
const value = (b: number, i: number) => `value ${b}/${i} `.padEnd(300, String.fromCharCode(97 + ((b + i) % 26)));

describe('cluster: a wiped broker rejoins', function () {
  this.timeout(180_000);
  const ref = useCluster({ name: 'wipe' });

  it('rejoins, is not leader until caught up, and reads from offset 0 through it are byte-for-byte correct', async () => {
    const c = ref.cluster;
    const topic = uniqueName('wiped');
    await c.createTopic(topic, {
      partitions: 1,
      replicationFactor: 3,
      configs: { 'min.insync.replicas': '2', 'remote.storage.enable': 'true', 'segment.bytes': '16384', 'local.retention.bytes': '16384' },
    });
    await c.produce(topic, 0, Array.from({ length: BATCHES }, (_, b) => Array.from({ length: 5 }, (_, i) => ({ key: `k-${b}-${i}`, value: value(b, i) }))));
    const victim = (await c.waitForIsr(topic, 0, 3, FAILOVER_MS)).leader;
    // Wait until the cold part exists only in the bucket: the leader's earliest local offset moved past 0.
    await waitFor(async () => (await c.listOffset(victim, topic, 0, -4)).offset > 0, { timeoutMs: 60_000, what: 'segments tiered and deleted locally' });
    const before = await c.readPartition(topic, 0);
    assert.equal(before.flatMap((b) => b.records).length, BATCHES * 5);

    await c.kill(victim, 'SIGKILL');
    await c.waitForLeader(topic, 0, (v) => v.leader !== victim, FAILOVER_MS);
    c.wipe(victim);
    await c.restart(victim);

    // Until it is back in the ISR, no broker may name it leader.
    const seen: PartitionView[] = [];
    await c.waitForLeader(
      topic,
      0,
      (v) => {
        seen.push(v);
        return v.isr.includes(victim) && v.isr.length === 3;
      },
      60_000,
    );
    const early = seen.find((v) => v.leader === victim && !v.isr.includes(victim));
    assert.equal(early, undefined, `the wiped broker was leader outside the ISR: ${JSON.stringify(early)}`);

    await c.stopLeadersUntil(topic, 0, victim, FAILOVER_MS);
    await c.waitForEndOffset(victim, topic, 0, BATCHES * 5, FAILOVER_MS);
    const earliest = await c.listOffset(victim, topic, 0, -2);
    const earliestLocal = await c.listOffset(victim, topic, 0, -4);
    assert.deepEqual([earliest.errorCode, earliest.offset], [0, 0], 'the log still starts at 0 (in the bucket)');
    assert.ok(earliestLocal.offset > 0, `the wiped broker copied only the hot tail (earliest local offset ${earliestLocal.offset})`);
    const after = await c.readPartition(topic, 0);
    assert.deepEqual(after, before, 'every batch read through the wiped broker equals what the partition held before');
    console.log(`      (broker ${victim} wiped; it holds offsets ${earliestLocal.offset}.. locally of 0..${BATCHES * 5 - 1})`);
  });
});
