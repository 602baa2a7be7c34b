// Idempotent producers:
//  - on the wire (the project's protocol client): InitProducerId, then a batch with producer id/epoch/sequence
//    sent twice is acknowledged both times with the original base offset and written once, also when it is
//    one of the last five batches but not the last; a sequence gap gets OUT_OF_ORDER_SEQUENCE_NUMBER; an older
//    epoch gets INVALID_PRODUCER_EPOCH (or PRODUCER_FENCED); the dedupe state survives a SIGTERM restart
//    (snapshot) and a kill -9 restart (replay of the log);
//  - the Java producer (idempotent by default, acks=all) and librdkafka (enable.idempotence=true) write
//    batches with a producer id and contiguous sequences, every record exactly once;
//  - kill -9 of the broker under a steady idempotent Java producer (its own JVM, unlimited retries): after the
//    restart every acknowledged record is in the log exactly once, at its acknowledged offset, with no gaps
//    and in send order per partition.
import { strict as assert } from 'node:assert';
import type { Admin } from 'kafkajs';
import { ErrorCode } from '../broker/src/protocol/errors';
import { buildRecordBatch } from '../broker/src/protocol/records';
import { startJava } from './helpers/client-process';
import { requireJavaClient, runJava, summary } from './helpers/java';
import { stopAll, type JsonLinesProcess } from './helpers/json-process';
import { createKafka } from './helpers/kafkajs';
import { kcatProduce, requireKcat } from './helpers/kcat';
import { WireClient } from './helpers/protocol-batches';
import { useBroker } from './helpers/suite';
import { sleep, uniqueName, waitFor, withTimeout } from './helpers/util';

const rec = (s: string) => ({ key: Buffer.from(`key-${s}`), value: Buffer.from(`val-${s}`) });
const copy = (b: Buffer) => Buffer.from(b); // the broker rewrites offsets in the buffer it receives

/** Per partition: all batches carry one producer id and epoch, and sequences run contiguously from 0. */
async function checkIdempotentBatches(w: WireClient, topic: string, partitions: number): Promise<{ keys: string[]; producerIds: Set<number> }> {
  const keys: string[] = [];
  const producerIds = new Set<number>();
  for (let p = 0; p < partitions; p++) {
    const batches = await w.readBatches(topic, p);
    let seq = 0;
    for (const b of batches) {
      assert.ok(b.header.producerId >= 0, `${topic}[${p}] batch at ${b.header.baseOffset} has producer id ${b.header.producerId}`);
      assert.ok(b.header.producerEpoch >= 0, `${topic}[${p}] batch at ${b.header.baseOffset} has producer epoch ${b.header.producerEpoch}`);
      assert.equal(b.header.baseSequence, seq, `${topic}[${p}] batch at offset ${b.header.baseOffset}: base sequence`);
      seq += b.header.recordCount;
      producerIds.add(b.header.producerId);
      for (const r of b.records) keys.push(r.key ?? '<null>');
    }
  }
  return { keys, producerIds };
}

describe('idempotent producers', function () {
  this.timeout(90_000);
  const ref = useBroker({ name: 'idempotence', autoCreateTopics: false, logSegmentBytes: 256 * 1024 });
  const tRaw = uniqueName('idem-raw');
  const tJava = uniqueName('idem-java');
  const tKcat = uniqueName('idem-kcat');
  const tCrash = uniqueName('idem-crash');
  const procs: JsonLinesProcess[] = [];
  let admin: Admin;

  before(async function () {
    const kafka = createKafka(ref.broker.bootstrap, 'idem-admin');
    admin = kafka.admin();
    await admin.connect();
    assert.equal(
      await admin.createTopics({
        topics: [
          { topic: tRaw, numPartitions: 1 },
          { topic: tJava, numPartitions: 3 },
          { topic: tKcat, numPartitions: 2 },
          { topic: tCrash, numPartitions: 3 },
        ],
      }),
      true,
    );
    await withTimeout(admin.disconnect(), 5000, 'admin disconnect').catch(() => undefined);
  });

  after(async function () {
    this.timeout(60_000);
    await stopAll(procs, 30_000);
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') for (const p of procs) console.log(`${p.describe(6, 3000)}\n(all output: ${p.dump()})`);
  });

  async function wire(): Promise<WireClient> {
    return WireClient.connect(ref.broker.host, ref.broker.port, 'idem-e2e-wire');
  }

  describe('on the wire', () => {
    let pid = -1;
    let epoch = -1;
    let bumped: Buffer; // epoch+1, sequence 0, 2 records, written at offset 10
    let tail: Buffer; // a second producer's batch written after the SIGTERM restart (state only in the log)
    let tailPid = -1;
    let tailOffset = -1;

    it('a batch sent twice is acknowledged with its original offset and written once; gaps and stale epochs are refused', async () => {
      const w = await wire();
      try {
        const init = await w.initProducerId();
        assert.equal(init.errorCode, 0, `InitProducerId error ${init.errorCode}`);
        assert.ok(init.producerId >= 0 && init.producerEpoch >= 0, `producer id ${init.producerId} epoch ${init.producerEpoch}`);
        pid = init.producerId;
        epoch = init.producerEpoch;
        const other = await w.initProducerId();
        assert.equal(other.errorCode, 0);
        assert.notEqual(other.producerId, pid, 'each InitProducerId allocates a new producer id');

        // Two plain records first, so the idempotent batch does not start at offset 0.
        const plain = await w.produce(tRaw, 0, buildRecordBatch({ records: [rec('plain-0'), rec('plain-1')] }));
        assert.deepEqual([plain.errorCode, plain.baseOffset], [0, 0]);

        const b0 = buildRecordBatch({ producerId: pid, producerEpoch: epoch, baseSequence: 0, records: [0, 1, 2, 3, 4].map((i) => rec(`a${i}`)) });
        const first = await w.produce(tRaw, 0, copy(b0));
        assert.deepEqual([first.errorCode, first.baseOffset], [0, 2], 'first send of the batch');
        const again = await w.produce(tRaw, 0, copy(b0));
        assert.deepEqual([again.errorCode, again.baseOffset], [0, 2], 'the resent batch is acknowledged with its original base offset');
        assert.equal(await w.offset(tRaw, 0), 7, 'log end offset advanced only once');

        const b1 = buildRecordBatch({ producerId: pid, producerEpoch: epoch, baseSequence: 5, records: [0, 1, 2].map((i) => rec(`b${i}`)) });
        const second = await w.produce(tRaw, 0, copy(b1));
        assert.deepEqual([second.errorCode, second.baseOffset], [0, 7], 'the next sequence appends');
        const older = await w.produce(tRaw, 0, copy(b0));
        assert.deepEqual([older.errorCode, older.baseOffset], [0, 2], 'an older batch among the last five is still recognised as a duplicate');
        const b1again = await w.produce(tRaw, 0, copy(b1));
        assert.deepEqual([b1again.errorCode, b1again.baseOffset], [0, 7]);
        assert.equal(await w.offset(tRaw, 0), 10);

        const gap = await w.produce(tRaw, 0, buildRecordBatch({ producerId: pid, producerEpoch: epoch, baseSequence: 20, records: [rec('gap')] }));
        assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, `a sequence gap: error ${gap.errorCode}`);
        assert.equal(await w.offset(tRaw, 0), 10, 'nothing written for the gap');

        bumped = buildRecordBatch({ producerId: pid, producerEpoch: epoch + 1, baseSequence: 0, records: [rec('c0'), rec('c1')] });
        const bump = await w.produce(tRaw, 0, copy(bumped));
        assert.deepEqual([bump.errorCode, bump.baseOffset], [0, 10], 'a higher epoch starting at sequence 0 is accepted');
        const stale = await w.produce(tRaw, 0, buildRecordBatch({ producerId: pid, producerEpoch: epoch, baseSequence: 8, records: [rec('stale')] }));
        assert.ok(
          stale.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH || stale.errorCode === ErrorCode.PRODUCER_FENCED,
          `a batch with the old epoch: error ${stale.errorCode}, expected INVALID_PRODUCER_EPOCH (47) or PRODUCER_FENCED (90)`,
        );
        assert.equal(await w.offset(tRaw, 0), 12);

        const batches = await w.readBatches(tRaw, 0);
        assert.deepEqual(
          batches.flatMap((b) => b.records.map((r) => r.key)),
          ['plain-0', 'plain-1', 'a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'c0', 'c1'].map((k) => `key-${k}`),
          'the log holds every record once',
        );
        assert.deepEqual(
          batches.map((b) => [b.header.baseOffset, b.header.producerId, b.header.producerEpoch, b.header.baseSequence]),
          [[0, -1, -1, -1], [2, pid, epoch, 0], [7, pid, epoch, 5], [10, pid, epoch + 1, 0]],
        );
      } finally {
        await w.close();
      }
    });

    it('the dedupe state survives a SIGTERM restart (snapshot)', async () => {
      assert.deepEqual(await ref.broker.stop(20_000), { code: 0, signal: null });
      await ref.broker.restart();
      const w = await wire();
      try {
        const r = await w.produce(tRaw, 0, copy(bumped));
        assert.deepEqual([r.errorCode, r.baseOffset], [0, 10], 'resent after the restart: original offset');
        assert.equal(await w.offset(tRaw, 0), 12, 'not written again');
        const nextSeq = await w.produce(tRaw, 0, buildRecordBatch({ producerId: pid, producerEpoch: epoch + 1, baseSequence: 2, records: [rec('c2')] }));
        assert.deepEqual([nextSeq.errorCode, nextSeq.baseOffset], [0, 12], 'the next sequence continues after the restart');

        // A new producer whose state exists only in the log (no snapshot has seen it) for the kill -9 case.
        const init = await w.initProducerId();
        assert.equal(init.errorCode, 0);
        assert.ok(init.producerId !== pid, 'producer ids are not reused after a restart');
        tailPid = init.producerId;
        tail = buildRecordBatch({ producerId: tailPid, producerEpoch: init.producerEpoch, baseSequence: 0, records: [rec('d0'), rec('d1'), rec('d2')] });
        const t = await w.produce(tRaw, 0, copy(tail));
        assert.deepEqual([t.errorCode, t.baseOffset], [0, 13]);
        tailOffset = t.baseOffset;
      } finally {
        await w.close();
      }
    });

    it('the dedupe state survives kill -9 and restart (rebuilt from the log)', async () => {
      await ref.broker.kill9();
      await ref.broker.restart();
      const w = await wire();
      try {
        const t = await w.produce(tRaw, 0, copy(tail));
        assert.deepEqual([t.errorCode, t.baseOffset], [0, tailOffset], 'the last batch of a producer seen only in the log is recognised after kill -9');
        const r = await w.produce(tRaw, 0, copy(bumped));
        assert.deepEqual([r.errorCode, r.baseOffset], [0, 10], 'an older batch of the first producer too');
        assert.equal(await w.offset(tRaw, 0), 16, 'nothing written twice');
        const keys = (await w.readBatches(tRaw, 0)).flatMap((b) => b.records.map((x) => x.key));
        assert.equal(new Set(keys).size, keys.length, `no duplicates in the log: ${JSON.stringify(keys)}`);
      } finally {
        await w.close();
      }
    });
  });

  it('the Java producer (idempotent by default, acks=all): every record once, batches with a producer id and contiguous sequences', async function () {
    requireJavaClient();
    const N = 3000;
    const res = await runJava('produce', [ref.broker.bootstrap, tJava, N, 'none'], 60_000);
    assert.equal(summary(res, 'produce').acked, N);
    const w = await wire();
    try {
      const { keys, producerIds } = await checkIdempotentBatches(w, tJava, 3);
      assert.equal(producerIds.size, 1, `one producer id for the whole run: ${[...producerIds]}`);
      assert.equal(keys.length, N, 'record count');
      assert.deepEqual([...keys].sort(), Array.from({ length: N }, (_, i) => `key-${i}`).sort(), 'every record exactly once');
    } finally {
      await w.close();
    }
  });

  it('librdkafka with enable.idempotence=true: every record once, batches with a producer id and contiguous sequences', async function () {
    requireKcat();
    const N = 2000;
    await kcatProduce(ref.broker.bootstrap, tKcat, Array.from({ length: N }, (_, i) => `k-${i}:v-${i}`), ['-K:', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5'], 60_000);
    const w = await wire();
    try {
      const { keys, producerIds } = await checkIdempotentBatches(w, tKcat, 2);
      assert.equal(producerIds.size, 1, `one producer id: ${[...producerIds]}`);
      assert.deepEqual([...keys].sort(), Array.from({ length: N }, (_, i) => `k-${i}`).sort(), 'every record exactly once');
    } finally {
      await w.close();
    }
  });

  it('kill -9 during a steady idempotent Java producer: acknowledged records exactly once, at their offsets, no gaps, in order', async function () {
    requireJavaClient();
    const P = 3;
    const producer = startJava('idem-produce', [ref.broker.bootstrap, tCrash, P, 1500], { name: 'java idem-produce' });
    procs.push(producer);
    const acks = () => producer.lines.filter((l) => typeof l.ack === 'number').length;
    await waitFor(() => acks() >= 1500, { timeoutMs: 30_000, what: '1500 acknowledged records before the crash' });
    await ref.broker.kill9();
    const atKill = acks();
    await sleep(2000);
    await ref.broker.restart();
    const atRestart = acks();
    await waitFor(() => acks() >= atRestart + 1500, { timeoutMs: 60_000, what: '1500 more acknowledgements after the restart' });
    await producer.stop(90_000);
    const sumLine = producer.lines.find((l) => l.cmd === 'idem-produce');
    assert.ok(sumLine, `no summary from the producer: ${producer.describe()}`);
    const nacks = producer.lines.filter((l) => typeof l.nack === 'number');
    assert.deepEqual(nacks.slice(0, 5), [], `${nacks.length} sends failed`);
    assert.equal(sumLine.failed, 0);
    assert.equal(sumLine.acked, sumLine.sent, 'every record sent was acknowledged (the producer retried through the crash)');
    const sent = sumLine.sent as number;

    const w = await wire();
    try {
      const byOffset: Array<Map<number, string>> = [];
      for (let p = 0; p < P; p++) {
        const records = (await w.readBatches(tCrash, p)).flatMap((b) => b.records);
        byOffset.push(new Map(records.map((r) => [r.offset, r.key ?? ''])));
        const keys = records.map((r) => r.key);
        const want = Array.from({ length: Math.floor((sent - 1 - p) / P) + 1 }, (_, i) => `k-${p + i * P}`);
        if (JSON.stringify(keys) !== JSON.stringify(want)) {
          const dup = keys.find((k, i) => keys.indexOf(k) !== i);
          const missing = want.find((k) => !keys.includes(k));
          assert.fail(`partition ${p}: ${keys.length} records, expected ${want.length} (first duplicate ${dup}, first missing ${missing}, first difference at ${keys.findIndex((k, i) => k !== want[i])})`);
        }
      }
      for (const a of producer.lines.filter((l) => typeof l.ack === 'number')) {
        const key = byOffset[a.p as number].get(a.o as number);
        if (key !== `k-${a.ack}`) assert.fail(`record ${a.ack} was acknowledged at ${a.p}/${a.o}, where the log holds ${key}`);
      }
    } finally {
      await w.close();
    }
    console.log(`      (${sent} records: ${atKill} acknowledged before kill -9, ${sent - atKill} after; none lost, none twice)`);
  });
});
