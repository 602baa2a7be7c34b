// Cluster mode, the headline promise (issue 10): a steady idempotent Java producer (acks=all) writes into an
// RF=3, min.insync.replicas=2 topic while the test kill -9s the broker leading its partitions, restarts it,
// waits for it to be back in every ISR, and repeats (STRATA_CHAOS_ROUNDS rounds, 10 by default; `npm run chaos`
// runs 50). Afterwards every partition is read from its leader: every acknowledged record is there exactly
// once, at its acknowledged offset, in send order, and no record the producer was told failed. A Java consumer
// group consumes through all of it and ends up having seen every acknowledged record.
import { strict as assert } from 'node:assert';
import { checkAckedRecords, describeAckedReport, isClean } from './helpers/acked-records';
import { startJava } from './helpers/client-process';
import { useCluster } from './helpers/cluster';
import { requireJavaClient } from './helpers/java';
import { useClientProcesses, type JsonLinesProcess } from './helpers/json-process';
import { uniqueName, waitFor } from './helpers/util';

const ROUNDS = Number(process.env.STRATA_CHAOS_ROUNDS ?? 10);
const PARTITIONS = 3;
const RATE = 200; // records per second
/** Failover, restart and catch-up of one round on a loaded 2-core machine. */
const ROUND_TIMEOUT_MS = 45_000;

describe('cluster chaos: kill -9 the leader under an idempotent acks=all producer', function () {
  this.timeout(120_000 + ROUNDS * ROUND_TIMEOUT_MS);
  const ref = useCluster({ name: 'chaos' });
  const procs = useClientProcesses();
  const topic = uniqueName('chaos');

  it(`${ROUNDS} rounds: no acknowledged record lost, none twice, none out of order; the group keeps consuming`, async function () {
    requireJavaClient();
    const c = ref.cluster;
    await c.createTopic(topic, { partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } });
    const producer = startJava('idem-produce', [c.bootstrap, topic, PARTITIONS, RATE], { name: 'java idem-produce' });
    const consumer = startJava('group-consume', [c.bootstrap, topic, uniqueName('chaos-group')], { name: 'java group-consume' });
    procs.push(producer, consumer);
    const acks = () => countLines(producer, 'ack');
    const consumed = () => countLines(consumer, 'o');
    await waitFor(() => acks() >= RATE, { timeoutMs: 30_000, what: 'the producer to be acknowledged before the first round' });

    const failovers: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const before = await c.waitForLeader(topic, 0, (p) => p.isr.length === 3, ROUND_TIMEOUT_MS);
      const victim = before.leader;
      const ackedAtKill = acks();
      const consumedAtKill = consumed();
      const killedAt = Date.now();
      await c.kill(victim, 'SIGKILL');
      // Every partition gets a leader among the survivors, and the producer and the group carry on.
      for (let p = 0; p < PARTITIONS; p++) await c.waitForLeader(topic, p, (v) => v.leader !== victim, ROUND_TIMEOUT_MS);
      failovers.push(Date.now() - killedAt);
      await waitFor(() => acks() >= ackedAtKill + RATE / 2, { timeoutMs: ROUND_TIMEOUT_MS, what: `round ${round}: acknowledgements with broker ${victim} down` });
      await waitFor(() => consumed() > consumedAtKill, { timeoutMs: ROUND_TIMEOUT_MS, what: `round ${round}: the group to consume with broker ${victim} down` });
      await c.restart(victim);
      await c.waitForFullIsr(topic, PARTITIONS, 3, ROUND_TIMEOUT_MS);
    }

    await producer.stop(150_000);
    const sum = producer.lines.find((l) => l.cmd === 'idem-produce');
    assert.ok(sum, `no summary from the producer\n${producer.describe()}`);
    const report = checkAckedRecords(
      producer.lines,
      await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => (await c.readPartition(topic, p)).flatMap((b) => b.records))),
    );
    assert.ok(isClean(report), describeAckedReport(report));
    assert.equal(report.failed, 0, `sends failed: ${JSON.stringify(producer.lines.filter((l) => typeof l.nack === 'number').slice(0, 3))}`);
    assert.equal(report.acked, sum.sent, 'every record sent was acknowledged (the producer retried through every failover)');

    // The group saw every acknowledged record (at least once: it commits after processing).
    const ackedKeys = new Set(producer.lines.filter((l) => typeof l.ack === 'number').map((l) => `k-${l.ack as number}`));
    await waitFor(() => [...ackedKeys].every((k) => seenKeys(consumer).has(k)), {
      timeoutMs: 60_000,
      what: `the group to consume all ${ackedKeys.size} acknowledged records (has ${seenKeys(consumer).size})`,
    });
    await consumer.stop(30_000);
    const sorted = [...failovers].sort((a, b) => a - b);
    console.log(
      `      (${ROUNDS} rounds, ${report.acked} acknowledged, 0 lost, 0 duplicated; leader failover ms: median ${sorted[sorted.length >> 1]}, max ${sorted[sorted.length - 1]})`,
    );
  });
});

function countLines(p: JsonLinesProcess, field: string): number {
  let n = 0;
  for (const l of p.lines) if (typeof l[field] === 'number') n++;
  return n;
}

function seenKeys(consumer: JsonLinesProcess): Set<string> {
  return new Set(consumer.lines.filter((l) => typeof l.o === 'number').map((l) => l.k as string));
}
