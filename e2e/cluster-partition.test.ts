// Cluster mode, a network partition of one broker (issue 10): under a steady idempotent Java producer (acks=all)
// into an RF=3, min.insync.replicas=2 topic, a broker that leads a partition (not the controller) is cut off from
// every peer and client by nftables rules (net-partition.ts), while it still reaches the shared object store.
// The others fence it and elect new leaders; the producer carries on; the cut-off broker acknowledges nothing
// (the producer cannot reach it, and it must not make a write visible that the majority does not have). After
// the partition heals it rejoins as a follower, every broker agrees on one leader per partition (no split
// brain), and every acknowledged record is in the log exactly once, in order; nothing failed is there.
// Cutting off the CONTROLLER the same way: it hears from no majority, so it fences nobody and hands the lease over;
// a broker of the majority takes it, fences the cut-off one and moves its leaderships; the producer carries on.
import { strict as assert } from 'node:assert';
import { checkAckedRecords, describeAckedReport, isClean } from './helpers/acked-records';
import { startJava } from './helpers/client-process';
import { useCluster } from './helpers/cluster';
import { requireJavaClient } from './helpers/java';
import { useClientProcesses } from './helpers/json-process';
import { uniqueName, waitFor } from './helpers/util';

const PARTITIONS = 3;
const RATE = 200;
const STEP_MS = 45_000;

describe('cluster: a network partition of one broker', function () {
  this.timeout(240_000);
  const ref = useCluster({ name: 'partition', partitionable: true });
  const procs = useClientProcesses();

  /** Starts a steady idempotent Java producer into a new RF=3 topic; resolves once it is acknowledged. */
  async function startLoad(name: string) {
    requireJavaClient();
    const c = ref.cluster;
    const topic = uniqueName(name);
    await c.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const views = await c.waitForFullIsr(topic, PARTITIONS, 3, STEP_MS);
    const producer = startJava('idem-produce', [c.bootstrap, topic, PARTITIONS, RATE], { name: 'java idem-produce' });
    procs.push(producer);
    const acks = () => producer.lines.filter((l) => typeof l.ack === 'number').length;
    await waitFor(() => acks() >= RATE, { timeoutMs: 30_000, what: 'acknowledgements before the partition' });
    return { topic, views, producer, acks };
  }

  /**
   * Cuts `victim` off; once the majority has moved the partitions it led and acknowledged more records, heals it,
   * waits for every broker to agree on a full ISR and checks every acknowledged record exactly once, in order.
   */
  async function partitionAndCheck(load: Awaited<ReturnType<typeof startLoad>>, victim: number, duringCut: (majority: number[]) => Promise<void>) {
    const c = ref.cluster;
    const { topic, views, producer, acks } = load;
    const led = views.flatMap((v, p) => (v.leader === victim ? [p] : []));
    c.isolate(victim);
    try {
      const majority = c.running;
      await duringCut(majority);
      for (const p of led) await c.waitForLeader(topic, p, (v) => v.leader !== victim && !v.isr.includes(victim), STEP_MS, majority);
      const acked = acks();
      await waitFor(() => acks() >= acked + RATE, { timeoutMs: STEP_MS, what: `acknowledgements with broker ${victim} cut off` });
    } finally {
      c.heal(victim);
    }
    // Healed: it rejoins as a follower; all three brokers (the healed one too) report one leader and the full
    // ISR for every partition (waitForFullIsr asks each running broker and requires them to agree).
    await c.waitForFullIsr(topic, PARTITIONS, 3, STEP_MS);
    await producer.stop(120_000);
    const report = checkAckedRecords(
      producer.lines,
      await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await c.readPartition(topic, p)).flatMap((b) => b.records))),
    );
    assert.ok(isClean(report), describeAckedReport(report));
    assert.equal(report.failed, 0, 'no send failed');
    return { led, report };
  }

  it('no split brain and no acknowledged record lost', async () => {
    const c = ref.cluster;
    const controller = await c.waitForController((id) => id > 0, 30_000);
    const load = await startLoad('partitioned');
    const victim = load.views.map((v) => v.leader).find((l) => l !== controller);
    assert.ok(victim !== undefined, `a partition led by a broker other than the controller ${controller}: ${JSON.stringify(load.views)}`);
    const { led, report } = await partitionAndCheck(load, victim, async () => undefined);
    console.log(`      (broker ${victim} cut off, leading partitions ${led.join(',')}; ${report.acked} records acknowledged, none lost or doubled)`);
  });

  it('a cut-off controller hands its lease to the majority, which fences it and carries on', async () => {
    const c = ref.cluster;
    const controller = await c.waitForController((id) => id > 0, 30_000);
    const load = await startLoad('controller-cut');
    const cutAt = Date.now();
    let takeoverMs = 0;
    const { report } = await partitionAndCheck(load, controller, async (majority) => {
      const next = await c.waitForController((id) => id > 0 && id !== controller, STEP_MS, majority);
      takeoverMs = Date.now() - cutAt;
      assert.ok(majority.includes(next), `the new controller ${next} is on the majority side (${majority.join(',')})`);
    });
    console.log(`      (controller ${controller} cut off; the majority had a new controller after ${takeoverMs} ms; ${report.acked} records acknowledged, none lost or doubled)`);
  });
});
