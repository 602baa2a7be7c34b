// Cluster mode, a rolling restart (issue 10): under a steady idempotent Java producer (acks=all) into an RF=3,
// min.insync.replicas=2 topic, each broker in turn gets SIGTERM (a controlled shutdown: it hands its leaderships
// away before it exits), is started again and caught up before the next one goes. No produce error may reach the
// application, even with a delivery timeout of 10 s (a record waiting out a leaderless gap would fail), and
// every acknowledged record is in the log exactly once, in order.
import { strict as assert } from 'node:assert';
import { checkAckedRecords, describeAckedReport, isClean } from './helpers/acked-records';
import { startJava } from './helpers/client-process';
import { useCluster } from './helpers/cluster';
import { requireJavaClient } from './helpers/java';
import { useClientProcesses } from './helpers/json-process';
import { uniqueName, waitFor } from './helpers/util';

const PARTITIONS = 3;
const RATE = 200;
const STEP_TIMEOUT_MS = 45_000;

describe('cluster: rolling restart with SIGTERM', function () {
  this.timeout(300_000);
  const ref = useCluster({ name: 'rolling' });
  const procs = useClientProcesses();

  it('every broker restarted in turn under steady acks=all load: zero produce errors reach the application', async () => {
    requireJavaClient();
    const c = ref.cluster;
    const topic = uniqueName('rolling');
    await c.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const producer = startJava('idem-produce', [c.bootstrap, topic, PARTITIONS, RATE, 'delivery.timeout.ms=10000'], { name: 'java idem-produce' });
    procs.push(producer);
    const acks = () => producer.lines.filter((l) => typeof l.ack === 'number').length;
    await waitFor(() => acks() >= RATE, { timeoutMs: 30_000, what: 'the producer to be acknowledged before the roll' });

    const shutdownMs: number[] = [];
    for (const id of c.ids) {
      const at = Date.now();
      const exit = await c.kill(id, 'SIGTERM');
      shutdownMs.push(Date.now() - at);
      assert.deepEqual(exit, { code: 0, signal: null }, `broker ${id} finished its controlled shutdown and exited cleanly`);
      const acked = acks();
      await waitFor(() => acks() >= acked + RATE / 2, { timeoutMs: STEP_TIMEOUT_MS, what: `acknowledgements while broker ${id} is down` });
      await c.restart(id);
      await c.waitForFullIsr(topic, PARTITIONS, 3, STEP_TIMEOUT_MS);
    }

    await producer.stop(60_000);
    const nacks = producer.lines.filter((l) => typeof l.nack === 'number');
    assert.deepEqual(nacks.slice(0, 3), [], `${nacks.length} produce errors reached the application`);
    const report = checkAckedRecords(
      producer.lines,
      await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await c.readPartition(topic, p)).flatMap((b) => b.records))),
    );
    assert.ok(isClean(report), describeAckedReport(report));
    console.log(`      (${report.acked} records acknowledged, 0 errors; controlled shutdowns took ${shutdownMs.join(', ')} ms)`);
  });
});
