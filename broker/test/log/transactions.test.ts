import { strict as assert } from 'assert';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { ControlRecordType, buildControlBatch, controlTypeOf } from '../../src/log/control-batch';
import type { PartitionLog } from '../../src/log/partition-log';
import { TXN_INDEX_ENTRY_SIZE } from '../../src/log/transaction-index';
import { ErrorCode } from '../../src/protocol/errors';
import { decodeBatches, readBatchHeader } from '../../src/protocol/records';
import { batch, crashImage, open, segmentFiles, useTempDir } from './helpers';
import { CLIENT, isLogError, pbatch } from './producer-state-helpers';

const LEADER = { leaderEpoch: 0 };

/** A transactional batch of `count` records from producer `pid`. */
function tbatch(pid: number, epoch: number, seq: number, count = 1, label = `t${pid}s${seq}`): Buffer {
  return batch(count, label, { producerId: pid, producerEpoch: epoch, baseSequence: seq, isTransactional: true });
}

function marker(pid: number, epoch: number, commit: boolean, coordinatorEpoch = 0) {
  return { producerId: pid, producerEpoch: epoch, coordinatorEpoch, commit };
}

/** Offsets of the records a read_committed reader would keep from [from, LSO), as Kafka clients filter. */
async function committedOffsets(log: PartitionLog, from = log.logStartOffset): Promise<number[]> {
  const out: number[] = [];
  let offset = from;
  const lso = log.lastStableOffset;
  while (offset < lso) {
    const r = await log.read(offset, 1 << 20, { minOneMessage: true, isolationMaxOffset: lso });
    if (r.records.length === 0) break;
    const aborted = await log.abortedTransactions(offset, r.nextOffset);
    for (const b of await decodeBatches(r.records)) {
      const h = b.header;
      if (h.isControl) continue;
      const abortedTxn = h.isTransactional && aborted.some((t) => t.producerId === h.producerId && t.firstOffset <= h.baseOffset && t.lastOffset > h.baseOffset);
      if (!abortedTxn) out.push(...b.records.map((rec) => rec.offset).filter((o) => o >= offset));
    }
    offset = r.nextOffset;
  }
  return out;
}

describe('log: transactions (markers, last stable offset, aborted index)', () => {
  const dir = useTempDir();

  it('builds control batches as Kafka does and reads their type back', () => {
    const b = buildControlBatch(marker(7, 2, true, 5), 1234);
    const h = readBatchHeader(b, 0);
    assert.deepEqual([h.isControl, h.isTransactional, h.producerId, h.producerEpoch, h.baseSequence, h.recordCount], [true, true, 7, 2, -1, 1]);
    assert.equal(controlTypeOf(b, 0), ControlRecordType.COMMIT);
    assert.equal(controlTypeOf(buildControlBatch(marker(7, 2, false), 0), 0), ControlRecordType.ABORT);
    assert.equal(controlTypeOf(batch(1), 0), null, 'a data batch with a null key is no marker');
  });

  it('holds the LSO at an open transaction and releases it with the COMMIT marker', async () => {
    const log = await open(dir());
    await log.append(batch(2, 'plain'), CLIENT);
    await log.append(tbatch(1, 0, 0, 3), CLIENT);
    await log.append(batch(1, 'after'), CLIENT);
    assert.deepEqual([log.lastStableOffset, log.highWatermark, log.openTransactions], [2, 6, 1]);
    const read = await log.read(0, 1 << 20, { isolationMaxOffset: log.lastStableOffset });
    assert.equal(read.nextOffset, 2, 'read_committed stops before the open transaction');
    const committed = await log.appendTxnMarker(marker(1, 0, true), LEADER);
    assert.equal(committed.baseOffset, 6);
    assert.deepEqual([log.lastStableOffset, log.highWatermark, log.openTransactions], [7, 7, 0]);
    assert.deepEqual(await log.abortedTransactions(0, 7), []);
    assert.deepEqual(await committedOffsets(log), [0, 1, 2, 3, 4, 5]);
  });

  it('indexes an ABORT in the .txnindex and returns it for the fetched range only', async () => {
    const log = await open(dir());
    await log.append(tbatch(1, 0, 0, 2), CLIENT); // 0-1
    await log.append(tbatch(2, 0, 0, 2), CLIENT); // 2-3
    await log.append(tbatch(1, 0, 2, 1), CLIENT); // 4
    await log.appendTxnMarker(marker(1, 0, false), LEADER); // 5: abort pid 1 (0..5)
    assert.equal(log.lastStableOffset, 2, 'producer 2 still open');
    await log.appendTxnMarker(marker(2, 0, true), LEADER); // 6
    assert.equal(log.lastStableOffset, 7);
    assert.deepEqual(await log.abortedTransactions(0, 7), [{ producerId: 1, firstOffset: 0, lastOffset: 5, lastStableOffset: 2 }]);
    assert.deepEqual(await log.abortedTransactions(6, 7), [], 'nothing aborted overlaps [6, 7)');
    assert.deepEqual(await committedOffsets(log), [2, 3]);
    const [index] = await segmentFiles(log.dir, '.txnindex');
    assert.equal((await fsp.stat(path.join(log.dir, index))).size, TXN_INDEX_ENTRY_SIZE, 'one entry: commits are not indexed');
  });

  it('refuses markers from an older producer epoch or coordinator epoch', async () => {
    const log = await open(dir());
    await log.append(tbatch(1, 3, 0), CLIENT);
    await assert.rejects(log.appendTxnMarker(marker(1, 2, false), LEADER), isLogError(ErrorCode.INVALID_PRODUCER_EPOCH));
    await log.appendTxnMarker(marker(1, 3, true, 4), LEADER);
    await log.append(tbatch(1, 3, 1), CLIENT);
    await assert.rejects(log.appendTxnMarker(marker(1, 3, true, 3), LEADER), isLogError(ErrorCode.TRANSACTION_COORDINATOR_FENCED));
    assert.equal(log.openTransactions, 1, 'refused markers end nothing');
    assert.equal(log.logEndOffset, 3);
  });

  it('refuses a non-transactional batch from a producer with an open transaction, and control batches from clients', async () => {
    const log = await open(dir());
    await log.append(tbatch(1, 0, 0), CLIENT);
    await assert.rejects(log.append(pbatch(1, 0, 1), CLIENT), isLogError(ErrorCode.INVALID_TXN_STATE));
    await assert.rejects(log.append(buildControlBatch(marker(1, 0, true), 0), CLIENT), isLogError(ErrorCode.INVALID_RECORD));
    assert.equal(log.logEndOffset, 1);
  });

  it('keeps open transactions, the LSO and the aborted index across a clean restart', async () => {
    const d = dir();
    const log = await open(d);
    await log.append(tbatch(1, 0, 0, 2), CLIENT);
    await log.appendTxnMarker(marker(1, 0, false), LEADER); // 0-2 aborted
    await log.append(tbatch(2, 0, 0, 2), CLIENT); // 3-4 open
    await log.close();
    const reopened = await open(d);
    assert.deepEqual([reopened.lastStableOffset, reopened.openTransactions], [3, 1]);
    assert.deepEqual(await reopened.abortedTransactions(0, 3), [{ producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 }]);
    await reopened.appendTxnMarker(marker(2, 0, true), LEADER);
    assert.equal(reopened.lastStableOffset, 6);
  });

  it('rebuilds open transactions and the .txnindex from the log after a crash', async () => {
    const log = await open(dir(), { segmentBytes: 400, indexIntervalBytes: 64 });
    for (let i = 0; i < 4; i++) {
      await log.append(tbatch(1, 0, i * 2, 2, `a${i}`), CLIENT);
      await log.appendTxnMarker(marker(1, 0, i % 2 === 1), LEADER);
    }
    await log.append(tbatch(3, 0, 0, 1), CLIENT);
    await log.append(batch(1, 'plain'), CLIENT);
    const expectedAborted = await log.abortedTransactions(0, log.logEndOffset);
    const expectedCommitted = await committedOffsets(log);
    assert.equal(expectedAborted.length, 2);
    assert.ok((await segmentFiles(log.dir)).length > 2, 'spans several segments');
    const crashed = await crashImage(log);
    for (const f of await segmentFiles(crashed, '.txnindex')) await fsp.rm(path.join(crashed, f));
    await fsp.rm(path.join(crashed, 'partition.state')); // nothing known flushed: everything is re-validated
    const recovered = await open(crashed, { segmentBytes: 400, indexIntervalBytes: 64 });
    assert.deepEqual([recovered.lastStableOffset, recovered.openTransactions], [log.lastStableOffset, 1]);
    assert.deepEqual(await recovered.abortedTransactions(0, recovered.logEndOffset), expectedAborted);
    assert.deepEqual(await committedOffsets(recovered), expectedCommitted);
  });

  it('remembers the coordinator epoch of markers when producer state is rebuilt from the log', async () => {
    const log = await open(dir());
    await log.append(tbatch(1, 0, 0), CLIENT);
    await log.appendTxnMarker(marker(1, 0, true, 5), LEADER);
    const recovered = await open(await crashImage(log));
    await recovered.append(tbatch(1, 0, 1), CLIENT);
    await assert.rejects(recovered.appendTxnMarker(marker(1, 0, false, 4), LEADER), isLogError(ErrorCode.TRANSACTION_COORDINATOR_FENCED));
    assert.equal((await recovered.appendTxnMarker(marker(1, 0, false, 5), LEADER)).baseOffset, 3);
  });

  it('finds an abort whose data starts segments before its marker, and deletes the index with its segment', async () => {
    const DAY = 86_400_000;
    const log = await open(dir(), { segmentBytes: 300, retentionMs: DAY });
    await log.append(tbatch(1, 0, 0, 1, 'first'), CLIENT);
    for (let i = 0; i < 6; i++) await log.append(batch(2, `filler${i}`), CLIENT);
    await log.appendTxnMarker(marker(1, 0, false), LEADER);
    const markerOffset = log.logEndOffset - 1;
    for (let i = 0; i < 4; i++) await log.append(batch(2, `tail${i}`), CLIENT);
    assert.ok((await segmentFiles(log.dir)).length >= 3);
    assert.deepEqual(await log.abortedTransactions(0, 1), [{ producerId: 1, firstOffset: 0, lastOffset: markerOffset, lastStableOffset: markerOffset + 1 }]);
    assert.equal((await segmentFiles(log.dir, '.txnindex')).length, 1);
    await log.enforceRetention(Date.now() + 10 * DAY);
    assert.equal((await segmentFiles(log.dir, '.txnindex')).length, 0, 'retention removed the segment and its index');
  });

  it('never expires a producer with an open transaction', async () => {
    const log = await open(dir(), { retentionMs: -1 });
    await log.append(tbatch(1, 0, 0), { ...CLIENT, now: 0 });
    await log.enforceRetention(10 * 86_400_000 * 365);
    assert.equal(log.lastStableOffset, 0);
    assert.ok(log.producerState(1));
  });
});
