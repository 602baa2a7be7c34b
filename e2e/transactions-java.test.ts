// Transactions and exactly-once with the reference client, kafka-clients 4.1.1, each client its own JVM
// (StrataClientCheck txn-shell / txn-process / txn-read / txn-describe) against a broker process:
//  - consume-transform-produce (read `in`, write `out`, sendOffsetsToTransaction, commit) while the processor is
//    kill -9ed in the middle of a transaction after a number of committed ones, several rounds; a read_committed
//    consumer of `out` then sees every input transformed exactly once (checker: none lost, none duplicated,
//    nothing unexplained) while read_uncommitted also sees the aborted output;
//  - write, abort, write, commit: read_committed sees only the committed record, read_uncommitted both; offsets
//    sent in the aborted transaction are not visible, those of a committed one are;
//  - zombie fencing: a second producer with the same transactional.id fences the first and aborts its open
//    transaction; the first's later writes and commit fail;
//  - transaction.timeout.ms: an abandoned transaction is aborted by the broker (producer fenced) and stops
//    blocking read_committed consumers;
//  - the broker kill -9ed right after writing PrepareCommit (STRATA_TEST_KILL_AFTER_PREPARE_COMMIT): after a
//    restart the transaction completes as committed and read_committed consumers read past it.
import { strict as assert } from 'node:assert';
import { startJava } from './helpers/client-process';
import { TxnShell } from './helpers/txn-shell';
import { useAdminWithTopicAndProducer } from './helpers/groups';
import { requireJavaClient, runJava, summary, type JsonLine } from './helpers/java';
import { useClientProcesses } from './helpers/json-process';
import { BrokerProcess } from './helpers/broker-process';
import { useBroker } from './helpers/suite';
import { uniqueName, waitFor } from './helpers/util';
import { checkExactlyOnce, describeReport } from './helpers/exactly-once';

async function readTopic(bootstrap: string, topic: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const res = await runJava('txn-read', [bootstrap, topic, isolation, 30_000], 60_000);
  summary(res, 'txn-read');
  return res.lines.filter((l) => typeof l.v === 'string').map((l) => l.v as string);
}

async function describeTxn(bootstrap: string, txnId: string): Promise<JsonLine> {
  return summary(await runJava('txn-describe', [bootstrap, txnId]), 'txn-describe');
}

describe('transactions: Java client (kafka-clients 4.1.1)', function () {
  this.timeout(240_000);
  const ref = useBroker({
    name: 'txn-java',
    autoCreateTopics: false,
    extraArgs: ['--offsets-topic-num-partitions', '5', '--transaction-state-log-num-partitions', '5', '--transaction-abort-timed-out-transaction-cleanup-interval-ms', '200'],
  });
  before(() => requireJavaClient());
  const jvms = useClientProcesses();
  const clients = useAdminWithTopicAndProducer(() => ref.broker.bootstrap, 'txn-java-test', uniqueName('txn-unused'), 1);

  async function createTopic(topic: string, numPartitions: number): Promise<void> {
    assert.equal(await clients.admin.createTopics({ topics: [{ topic, numPartitions }] }), true);
  }

  it('consume-transform-produce survives kill -9 of the processor: every input in `out` exactly once (read_committed)', async function () {
    const bootstrap = ref.broker.bootstrap;
    const input = uniqueName('eos-in');
    const output = uniqueName('eos-out');
    const group = uniqueName('eos-group');
    const txnId = uniqueName('eos-processor');
    await createTopic(input, 3);
    await createTopic(output, 3);
    const inputs = Array.from({ length: 600 }, (_, i) => `v${i}`);
    for (let i = 0; i < inputs.length; i += 100) {
      await clients.producer.send({ topic: input, messages: inputs.slice(i, i + 100).map((v, j) => ({ key: `k${i + j}`, value: v })) });
    }
    // Each round is killed (-9) in the middle of its 7th transaction, after the records and the input offsets of
    // that transaction were written: the next round's initTransactions must abort them.
    const ROUNDS = 3;
    const COMMITS_BEFORE_KILL = 6;
    for (let round = 0; round < ROUNDS; round++) {
      const p = startJava('txn-process', [bootstrap, input, output, group, txnId, 10, COMMITS_BEFORE_KILL], { name: `txn-process round ${round}` });
      jvms.push(p);
      await p.waitForLine((l) => l.event === 'in-transaction', 90_000, `an open transaction after ${COMMITS_BEFORE_KILL} commits (round ${round})`);
      await p.kill9();
    }
    const last = startJava('txn-process', [bootstrap, input, output, group, txnId, 10], { name: 'txn-process final round' });
    jvms.push(last);
    await last.waitForLine((l) => l.event === 'caught-up', 120_000, 'the final processor to catch up');
    await last.stop();

    const committed = await readTopic(bootstrap, output, 'read_committed');
    const report = checkExactlyOnce(inputs, committed, (v) => `T:${v}`);
    const uncommitted = await readTopic(bootstrap, output, 'read_uncommitted');
    console.log(`      exactly-once checker: ${describeReport(report)}; read_uncommitted saw ${uncommitted.length} (aborted writes included)`);
    assert.deepEqual({ lost: report.lost, duplicated: report.duplicated, unexpected: report.unexpected }, { lost: [], duplicated: [], unexpected: [] }, describeReport(report));
    assert.equal(report.seen, inputs.length);
    assert.ok(uncommitted.length >= inputs.length + ROUNDS, `the killed rounds left aborted output behind (read_uncommitted saw ${uncommitted.length})`);
    const offsets = summary(await runJava('group-offsets', [bootstrap, group]), 'group-offsets');
    const total = Object.values((offsets.offsets as Record<string, Record<string, number>>)[input] ?? {}).reduce((n, o) => n + o, 0);
    assert.equal(total, inputs.length, `committed input offsets ${JSON.stringify(offsets.offsets)}`);
  });

  it('write, abort, write, commit: read_committed sees the committed record only; offsets count only when committed', async function () {
    const bootstrap = ref.broker.bootstrap;
    const topic = uniqueName('txn-ab');
    const group = uniqueName('txn-ab-group');
    await createTopic(topic, 1);
    const shell = new TxnShell(bootstrap, uniqueName('txn-ab'), 60_000, jvms);
    await shell.ok('init', 'begin', `send ${topic} k1 aborted-1`, `offsets ${group} ${topic} 0 5`, 'abort');
    let offsets = summary(await runJava('group-offsets', [bootstrap, group]), 'group-offsets');
    assert.deepEqual(offsets.offsets, {}, 'offsets of the aborted transaction must not be visible');
    await shell.ok('begin', `send ${topic} k2 committed-1`, `offsets ${group} ${topic} 0 7`, 'commit', 'close');
    assert.deepEqual(await readTopic(bootstrap, topic, 'read_committed'), ['committed-1']);
    assert.deepEqual(await readTopic(bootstrap, topic, 'read_uncommitted'), ['aborted-1', 'committed-1']);
    offsets = summary(await runJava('group-offsets', [bootstrap, group]), 'group-offsets');
    assert.equal((offsets.offsets as Record<string, Record<string, number>>)[topic]?.['0'], 7, JSON.stringify(offsets.offsets));
  });

  it('zombie fencing: a second producer with the same transactional.id fences the first and aborts its transaction', async function () {
    const bootstrap = ref.broker.bootstrap;
    const topic = uniqueName('txn-zombie');
    const txnId = uniqueName('txn-zombie-id');
    await createTopic(topic, 2);
    const before = await fencedCount(ref.broker);
    const zombie = new TxnShell(bootstrap, txnId, 60_000, jvms);
    await zombie.ok('init', 'begin', `send ${topic} k zombie-1`);
    const open = await describeTxn(bootstrap, txnId);
    assert.equal(open.state, 'Ongoing', JSON.stringify(open));
    const successor = new TxnShell(bootstrap, txnId, 60_000, jvms);
    await successor.ok('init');
    const fencedWrite = await zombie.op(`send ${topic} k zombie-2`);
    const fencedCommit = await zombie.op('commit');
    assert.equal(fencedCommit.ok, false, `the zombie's commit must fail: ${JSON.stringify(fencedCommit)} (send: ${JSON.stringify(fencedWrite)})`);
    assert.match(String(fencedCommit.exception), /Fenced|InvalidProducerEpoch|ProducerFenced/);
    await successor.ok('begin', `send ${topic} k successor-1`, 'commit', 'close');
    assert.deepEqual(await readTopic(bootstrap, topic, 'read_committed'), ['successor-1']);
    const d = await describeTxn(bootstrap, txnId);
    assert.equal(d.state, 'CompleteCommit', JSON.stringify(d));
    assert.ok((d.producerEpoch as number) >= 2, `epoch bumped past the zombie's: ${JSON.stringify(d)}`);
    assert.ok((d.listed as string[]).includes(`${txnId}=CompleteCommit`), JSON.stringify(d.listed));
    assert.ok((await fencedCount(ref.broker)) > before, 'strata_transaction_producers_fenced_total rose');
  });

  it('transaction.timeout.ms: an abandoned transaction is aborted by the broker and stops blocking read_committed', async function () {
    const bootstrap = ref.broker.bootstrap;
    const topic = uniqueName('txn-timeout');
    const txnId = uniqueName('txn-timeout-id');
    await createTopic(topic, 1);
    const shell = new TxnShell(bootstrap, txnId, 1500, jvms);
    await shell.ok('init', 'begin', `send ${topic} k abandoned-1`);
    await waitFor(async () => (await describeTxn(bootstrap, txnId)).state === 'CompleteAbort', { timeoutMs: 60_000, intervalMs: 500, what: 'the broker to abort the timed-out transaction' });
    const commit = await shell.op('commit');
    assert.equal(commit.ok, false, `commit after the timeout abort must fail: ${JSON.stringify(commit)}`);
    assert.deepEqual(await readTopic(bootstrap, topic, 'read_committed'), []);
    assert.deepEqual(await readTopic(bootstrap, topic, 'read_uncommitted'), ['abandoned-1']);
    await clients.producer.send({ topic, messages: [{ key: 'k', value: 'after' }] });
    assert.deepEqual(await readTopic(bootstrap, topic, 'read_committed'), ['after'], 'read_committed is not blocked by the aborted transaction');
  });
});

describe('transactions: broker kill -9 between PrepareCommit and the markers', function () {
  this.timeout(180_000);
  let broker: BrokerProcess | undefined;
  const jvms = useClientProcesses();

  after(async function () {
    this.timeout(40_000);
    await broker?.cleanup();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && broker) console.log(`--- broker log tail ---\n${broker.logTail(60)}`);
  });

  it('after a restart the transaction completes as committed and read_committed consumers read past it', async function () {
    requireJavaClient();
    broker = await BrokerProcess.start({
      name: 'txn-crash',
      autoCreateTopics: false,
      extraArgs: ['--offsets-topic-num-partitions', '3', '--transaction-state-log-num-partitions', '3'],
      env: { STRATA_TEST_KILL_AFTER_PREPARE_COMMIT: '1' },
    });
    const bootstrap = broker.bootstrap;
    const topic = uniqueName('txn-crash');
    const txnId = uniqueName('txn-crash-id');
    const created = await runJava('create-topic', [bootstrap, topic, 2]);
    summary(created, 'create-topic');
    const shell = new TxnShell(bootstrap, txnId, 60_000, jvms);
    await shell.ok('init', 'begin', `send ${topic} a decided-1`, `send ${topic} b decided-2`);
    const commitLine = shell.op('commit', 120_000);
    const exit = await broker.waitForExit(60_000);
    assert.equal(exit.signal, 'SIGKILL', `the broker killed itself after PrepareCommit: ${JSON.stringify(exit)}`);
    broker.env = {};
    await broker.restart();
    const commit = await commitLine;
    assert.equal(commit.ok, true, `the client's commit completes once the broker is back: ${JSON.stringify(commit)}`);
    const d = await describeTxn(bootstrap, txnId);
    assert.equal(d.state, 'CompleteCommit', JSON.stringify(d));
    assert.deepEqual((await readTopic(bootstrap, topic, 'read_committed')).sort(), ['decided-1', 'decided-2']);
    await shell.ok('begin', `send ${topic} a next-1`, 'commit', 'close');
    assert.deepEqual((await readTopic(bootstrap, topic, 'read_committed')).sort(), ['decided-1', 'decided-2', 'next-1']);
  });
});

async function fencedCount(broker: BrokerProcess): Promise<number> {
  const text = await broker.metricsText();
  const m = /^strata_transaction_producers_fenced_total (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}
