// The log side of transactions, against a broker process over TCP (the project's protocol client playing the
// transaction coordinator with WriteTxnMarkers, kcat as a librdkafka consumer):
//  - transactional batches from producer ids of InitProducerId hold the last stable offset (LSO): read_committed
//    Fetch stops there, read_uncommitted sees everything, ListOffsets read_committed answers the LSO;
//  - COMMIT and ABORT markers move the LSO; read_committed Fetch returns the aborted transactions of the range,
//    so a consumer keeps only committed records; a marker from an older producer epoch is refused;
//  - a read_committed long poll wakes when a marker makes data readable;
//  - open transactions, the LSO and the aborted index survive kill -9 and a restart;
//  - kcat (-X isolation.level=read_committed) sees only committed records, read_uncommitted sees all;
//  - a tiered topic (tiny segments, local object store) serves read_committed from the bucket with the aborted list;
//  - the cleaner of a compacted topic removes aborted records and compacts committed transactional ones.
import { strict as assert } from 'node:assert';
import { KafkaClient } from '../broker/src/protocol/client';
import { ErrorCode } from '../broker/src/protocol/errors';
import { buildRecordBatch } from '../broker/src/protocol/records';
import { createKafka } from './helpers/kafkajs';
import { kcatConsume, requireKcat } from './helpers/kcat';
import { WireClient } from './helpers/protocol-batches';
import { useBroker } from './helpers/suite';
import { READ_COMMITTED, READ_UNCOMMITTED, consumeCommitted, fetchOnce, listOffset, writeTxnMarker } from './helpers/txn-wire';
import { uniqueName, waitFor } from './helpers/util';

const EARLIEST_LOCAL = -4;

interface Producer {
  id: number;
  epoch: number;
  seq: number;
}

/** A record with `value`, keyed by the part before '=' when there is one (compacted topics). */
function rec(v: string) {
  const eq = v.indexOf('=');
  return { key: eq > 0 ? Buffer.from(v.slice(0, eq)) : null, value: Buffer.from(v) };
}

/** A transactional batch of `values` from `p`, advancing its sequence. */
function txnBatch(p: Producer, values: string[]): Buffer {
  const b = buildRecordBatch({ producerId: p.id, producerEpoch: p.epoch, baseSequence: p.seq, isTransactional: true, records: values.map(rec) });
  p.seq += values.length;
  return b;
}

function plainBatch(values: string[]): Buffer {
  return buildRecordBatch({ records: values.map(rec) });
}

function allValues(batches: Array<{ header: { isControl: boolean }; records: Array<{ value: string | null }> }>): string[] {
  return batches.filter((b) => !b.header.isControl).flatMap((b) => b.records.map((r) => r.value ?? '<null>'));
}

describe('transactions: the log side (broker process, WriteTxnMarkers, read_committed)', function () {
  this.timeout(120_000);
  const ref = useBroker({ name: 'txn-log', autoCreateTopics: false, extraArgs: ['--log-retention-check-interval-ms', '200', '--log-cleaner-backoff-ms', '200'] });
  const topic = uniqueName('txn');
  const tiered = uniqueName('txn-tiered');
  const compacted = uniqueName('txn-compacted');
  let w: WireClient;
  let c: KafkaClient;
  const a: Producer = { id: -1, epoch: 0, seq: 0 };
  const b: Producer = { id: -1, epoch: 0, seq: 0 };

  async function connect(): Promise<void> {
    w = await WireClient.connect(ref.broker.host, ref.broker.port, 'txn-log-e2e');
    c = w.client;
  }

  before(async function () {
    const admin = createKafka(ref.broker.bootstrap, 'txn-log-admin').admin();
    await admin.connect();
    try {
      const tieredConfigs = { 'segment.bytes': '16384', 'remote.storage.enable': 'true', 'local.retention.ms': '200', 'local.retention.bytes': '1' };
      const compactedConfigs = { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'min.cleanable.dirty.ratio': '0.01' };
      const entries = (configs: Record<string, string>) => Object.entries(configs).map(([name, value]) => ({ name, value }));
      await admin.createTopics({
        topics: [
          { topic, numPartitions: 1 },
          { topic: tiered, numPartitions: 1, configEntries: entries(tieredConfigs) },
          { topic: compacted, numPartitions: 1, configEntries: entries(compactedConfigs) },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    await connect();
    for (const p of [a, b]) {
      const init = await w.initProducerId();
      assert.equal(init.errorCode, 0);
      [p.id, p.epoch] = [init.producerId, init.producerEpoch];
    }
  });

  after(async () => {
    await w?.close();
  });

  it('read_committed stops at the LSO of an open transaction; markers move it; aborted transactions are listed', async () => {
    assert.equal((await w.produce(topic, 0, plainBatch(['p0']))).errorCode, 0); // 0
    assert.deepEqual(await w.produce(topic, 0, txnBatch(a, ['a0', 'a1'])).then((r) => [r.errorCode, r.baseOffset]), [0, 1]); // 1-2
    assert.deepEqual(await w.produce(topic, 0, txnBatch(b, ['b0'])).then((r) => [r.errorCode, r.baseOffset]), [0, 3]); // 3

    const open = await fetchOnce(c, topic, 0, 0, READ_COMMITTED);
    assert.deepEqual([open.highWatermark, open.lastStableOffset], [4, 1]);
    assert.deepEqual(allValues(open.batches), ['p0'], 'read_committed returns nothing at or past the LSO');
    assert.deepEqual(open.aborted, []);
    const uncommitted = await fetchOnce(c, topic, 0, 0, READ_UNCOMMITTED);
    assert.deepEqual(allValues(uncommitted.batches), ['p0', 'a0', 'a1', 'b0']);
    assert.equal(uncommitted.lastStableOffset, 1, 'every Fetch response carries the LSO');
    assert.equal(uncommitted.aborted, null, 'read_uncommitted gets no aborted list');
    assert.equal(await listOffset(c, topic, 0, -1, READ_COMMITTED), 1);
    assert.equal(await listOffset(c, topic, 0, -1, READ_UNCOMMITTED), 4);

    assert.equal(await writeTxnMarker(c, topic, 0, { producerId: a.id, producerEpoch: a.epoch, commit: false }), ErrorCode.NONE); // 4
    assert.equal(await listOffset(c, topic, 0, -1, READ_COMMITTED), 3, 'producer b is still open');
    assert.equal(await writeTxnMarker(c, topic, 0, { producerId: b.id, producerEpoch: b.epoch, commit: true }), ErrorCode.NONE); // 5
    assert.equal(await listOffset(c, topic, 0, -1, READ_COMMITTED), 6);

    const decided = await fetchOnce(c, topic, 0, 0, READ_COMMITTED);
    assert.deepEqual([decided.highWatermark, decided.lastStableOffset], [6, 6]);
    assert.deepEqual(decided.aborted, [{ producerId: a.id, firstOffset: 1 }]);
    assert.deepEqual(
      decided.batches.filter((x) => x.header.isControl).map((x) => [x.header.baseOffset, x.header.producerId, x.control]),
      [
        [4, a.id, 0],
        [5, b.id, 1],
      ],
      'markers are control batches of the transaction\'s producer, ABORT = 0, COMMIT = 1',
    );
    assert.deepEqual((await consumeCommitted(c, topic, 0)).values, ['p0', 'b0']);
    assert.deepEqual((await fetchOnce(c, topic, 0, 5, READ_COMMITTED)).aborted, [], 'nothing aborted overlaps a fetch from 5');
  });

  it('refuses a marker from an older producer epoch', async () => {
    a.epoch += 1; // as InitProducerId with a transactional id would bump it
    a.seq = 0;
    assert.deepEqual(await w.produce(topic, 0, txnBatch(a, ['a2'])).then((r) => [r.errorCode, r.baseOffset]), [0, 6]);
    assert.equal(await writeTxnMarker(c, topic, 0, { producerId: a.id, producerEpoch: a.epoch - 1, commit: true }), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(await listOffset(c, topic, 0, -1, READ_COMMITTED), 6, 'the refused marker ended nothing');
  });

  it('a read_committed long poll wakes when the COMMIT marker arrives', async () => {
    const other = await KafkaClient.connect({ host: ref.broker.host, port: ref.broker.port, clientId: 'txn-log-poll', timeoutMs: 120_000 });
    try {
      const started = Date.now();
      const polling = fetchOnce(other, topic, 0, 6, READ_COMMITTED, { maxWaitMs: 60_000, minBytes: 1 });
      // The poll is parked: appending more open-transaction data must not answer it with nothing.
      assert.equal((await w.produce(topic, 0, txnBatch(a, ['a3']))).errorCode, 0); // 7
      assert.equal(await writeTxnMarker(c, topic, 0, { producerId: a.id, producerEpoch: a.epoch, commit: true }), ErrorCode.NONE); // 8
      const r = await polling;
      assert.ok(Date.now() - started < 30_000, `the poll was answered after ${Date.now() - started} ms, not by the marker`);
      assert.deepEqual(allValues(r.batches), ['a2', 'a3']);
      assert.equal(r.lastStableOffset, 9);
    } finally {
      await other.close();
    }
  });

  it('open transactions, the LSO and the aborted index survive kill -9', async () => {
    b.seq = 1;
    assert.deepEqual(await w.produce(topic, 0, txnBatch(b, ['b1'])).then((r) => [r.errorCode, r.baseOffset]), [0, 9]);
    assert.equal(await listOffset(c, topic, 0, -1, READ_COMMITTED), 9);
    await w.close();
    await ref.broker.kill9();
    await ref.broker.restart();
    await connect();
    assert.equal(await listOffset(c, topic, 0, -1, READ_COMMITTED), 9, 'LSO after the restart');
    assert.equal(await listOffset(c, topic, 0, -1, READ_UNCOMMITTED), 10);
    const r = await fetchOnce(c, topic, 0, 0, READ_COMMITTED);
    assert.equal(r.lastStableOffset, 9);
    assert.deepEqual(r.aborted, [{ producerId: a.id, firstOffset: 1 }]);
    assert.deepEqual((await consumeCommitted(c, topic, 0)).values, ['p0', 'b0', 'a2', 'a3']);
    assert.equal(await writeTxnMarker(c, topic, 0, { producerId: b.id, producerEpoch: b.epoch, commit: false }), ErrorCode.NONE); // 10
    assert.equal(await listOffset(c, topic, 0, -1, READ_COMMITTED), 11);
    assert.deepEqual((await consumeCommitted(c, topic, 0)).values, ['p0', 'b0', 'a2', 'a3'], 'b1 was aborted');
  });

  it('kcat read_committed sees only committed records; read_uncommitted sees all', async function () {
    requireKcat();
    const fmt = '%s\n';
    const committed = await kcatConsume(ref.broker.bootstrap, topic, { format: fmt, extra: ['-X', 'isolation.level=read_committed'] });
    assert.deepEqual(committed, ['p0', 'b0', 'a2', 'a3']);
    const all = await kcatConsume(ref.broker.bootstrap, topic, { format: fmt, extra: ['-X', 'isolation.level=read_uncommitted'] });
    assert.deepEqual(all, ['p0', 'a0', 'a1', 'b0', 'a2', 'a3', 'b1']);
  });

  it('a tiered topic serves read_committed from the object store with the aborted transactions', async () => {
    const fill = (i: number) => `${'x'.repeat(2000)}-${i}`;
    const expected: string[] = [];
    // Rounds of: a's transaction (aborted), plain records, b's transaction (committed): several 16 KiB segments.
    a.epoch += 1;
    a.seq = 0;
    b.epoch += 1;
    b.seq = 0;
    for (let round = 0; round < 12; round++) {
      assert.equal((await w.produce(tiered, 0, txnBatch(a, [fill(round), `aborted-${round}`]))).errorCode, 0);
      assert.equal((await w.produce(tiered, 0, plainBatch([fill(100 + round)]))).errorCode, 0);
      assert.equal((await w.produce(tiered, 0, txnBatch(b, [`committed-${round}`, fill(200 + round)]))).errorCode, 0);
      assert.equal(await writeTxnMarker(c, tiered, 0, { producerId: a.id, producerEpoch: a.epoch, commit: false }), ErrorCode.NONE);
      assert.equal(await writeTxnMarker(c, tiered, 0, { producerId: b.id, producerEpoch: b.epoch, commit: true }), ErrorCode.NONE);
      expected.push(fill(100 + round), `committed-${round}`, fill(200 + round));
    }
    const end = await listOffset(c, tiered, 0, -1, READ_COMMITTED);
    assert.equal(end, await listOffset(c, tiered, 0, -1, READ_UNCOMMITTED), 'every transaction is decided');
    // Uploaded, then deleted locally (local.retention.*): the first offsets are only in the bucket.
    await waitFor(async () => (await listOffset(c, tiered, 0, EARLIEST_LOCAL, READ_UNCOMMITTED)) > 0, { timeoutMs: 60_000, what: `local segments of ${tiered} tiered and deleted` });
    const first = await fetchOnce(c, tiered, 0, 0, READ_COMMITTED, { maxBytes: 8192 });
    assert.equal(first.errorCode, 0);
    assert.deepEqual(first.aborted?.[0], { producerId: a.id, firstOffset: 0 }, 'the aborted list comes from the remote .txnindex');
    const consumed = await consumeCommitted(c, tiered, 0, 0, 8192);
    assert.deepEqual(consumed.values, expected);
    assert.ok(consumed.aborted.length >= 12, `aborted transactions reported: ${JSON.stringify(consumed.aborted)}`);
  });

  it('the cleaner of a compacted topic removes aborted records and compacts committed transactional ones', async () => {
    a.epoch += 1;
    a.seq = 0;
    b.epoch += 1;
    b.seq = 0;
    const produced = async (batch: Buffer) => assert.equal((await w.produce(compacted, 0, batch)).errorCode, 0);
    const marker = async (p: Producer, commit: boolean) => assert.equal(await writeTxnMarker(c, compacted, 0, { producerId: p.id, producerEpoch: p.epoch, commit }), ErrorCode.NONE);
    await produced(txnBatch(a, ['k1=aborted']));
    await produced(plainBatch(['k1=v1']));
    await produced(txnBatch(b, ['k2=old', 'k3=committed']));
    await marker(a, false);
    await marker(b, true);
    await produced(plainBatch(['k2=v2']));
    await produced(txnBatch(a, ['k1=aborted-later'])); // must not shadow k1=v1
    await marker(a, false);
    const fillers = Array.from({ length: 12 }, (_, i) => `f${i}=${'y'.repeat(150)}`);
    for (const f of fillers) await produced(plainBatch([f]));
    const expectedCommitted = ['k1=v1', 'k2=old', 'k3=committed', 'k2=v2', ...fillers];
    assert.deepEqual((await consumeCommitted(c, compacted, 0)).values, expectedCommitted, 'before cleaning');

    const stored = async () => (await w.readBatches(compacted, 0)).filter((x) => !x.header.isControl).flatMap((x) => x.records.map((r) => r.value ?? ''));
    await waitFor(async () => !(await stored()).some((v) => v.startsWith('k1=aborted') || v === 'k2=old'), { timeoutMs: 60_000, what: `the cleaner to clean ${compacted}` });
    const left = await stored();
    assert.deepEqual(left, ['k1=v1', 'k3=committed', 'k2=v2', ...fillers], 'aborted and superseded records are gone, k1=v1 was not shadowed');
    assert.deepEqual((await consumeCommitted(c, compacted, 0)).values, left);
    requireKcat();
    const viaKcat = await kcatConsume(ref.broker.bootstrap, compacted, { format: '%s\n', extra: ['-X', 'isolation.level=read_committed'] });
    assert.deepEqual(viaKcat, left);
  });
});
