import { strict as assert } from 'assert';
import type { PartitionLog } from '../../src/log/partition-log';
import { buildRecordBatch, decodeBatches } from '../../src/protocol/records';
import { COMPACTED, T0, put } from './compaction-helpers';
import { crashImage, open, useTempDir } from './helpers';

const SMALL = { ...COMPACTED, segmentBytes: 400 };
const DAY = 86_400_000;

function txn(pid: number, seq: number, key: string, value: string): Buffer {
  return buildRecordBatch({ timestamp: T0, isTransactional: true, producerId: pid, producerEpoch: 0, baseSequence: seq, records: [{ key: Buffer.from(key), value: Buffer.from(value) }] });
}

async function end(log: PartitionLog, pid: number, commit: boolean): Promise<number> {
  return (await log.appendTxnMarker({ producerId: pid, producerEpoch: 0, coordinatorEpoch: 0, commit }, { leaderEpoch: 0, now: T0 })).baseOffset;
}

/** Every batch from the log start: data as `offset:key=value`, markers as `offset:MARKER(pid)`, emptied batches as `offset:EMPTY(pid)`. */
async function layout(log: PartitionLog): Promise<string[]> {
  const out: string[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 1 << 20, { minOneMessage: true });
    if (r.records.length === 0) break;
    for (const b of await decodeBatches(r.records)) {
      const h = b.header;
      if (h.baseOffset + h.lastOffsetDelta < offset) continue;
      if (h.isControl) out.push(`${h.baseOffset}:MARKER(${h.producerId})`);
      else if (b.records.length === 0) out.push(`${h.baseOffset}:EMPTY(${h.producerId})`);
      else for (const rec of b.records) out.push(`${rec.offset}:${rec.key}=${rec.value}`);
    }
    offset = r.nextOffset;
  }
  return out;
}

describe('log: compaction of transactional data', () => {
  const dir = useTempDir();

  it('removes aborted records (which never shadow committed ones), compacts committed ones, drops empty markers after delete.retention.ms, and stops at the LSO', async () => {
    const log = await open(dir(), SMALL);
    await log.append(txn(1, 0, 'k1', 'aborted'), { leaderEpoch: 0 }); // 0
    await put(log, [['k1', 'v1']]); // 1
    await log.append(txn(2, 0, 'k2', 'committed-old'), { leaderEpoch: 0 }); // 2
    assert.equal(await end(log, 1, false), 3);
    assert.equal(await end(log, 2, true), 4);
    await put(log, [['k2', 'v2']]); // 5
    await log.append(txn(1, 1, 'k1', 'aborted-later'), { leaderEpoch: 0 }); // 6: must not shadow k1=v1
    assert.equal(await end(log, 1, false), 7);
    await log.append(txn(2, 1, 'k3', 'committed'), { leaderEpoch: 0 }); // 8
    assert.equal(await end(log, 2, true), 9);
    for (let i = 0; i < 6; i++) await put(log, [[`f${i}`, 'x'.repeat(60)]]); // 10-15
    await log.append(txn(3, 0, 'k5', 'open'), { leaderEpoch: 0 }); // 16: open, the LSO
    for (let i = 0; i < 6; i++) await put(log, [['k5', `later-${i}`]]); // 17-22: superseding, but past the LSO
    assert.equal(log.lastStableOffset, 16);
    const uncleaned = await layout(log);

    const first = await log.compact(T0 + 1000);
    assert.ok(first.cleaned && first.firstDirtyOffset <= 16, `cleaned below the LSO only: ${JSON.stringify(first)}`);
    const after = await layout(log);
    assert.deepEqual(
      after.filter((l) => Number(l.split(':')[0]) < 10),
      ['1:k1=v1', '3:MARKER(1)', '4:MARKER(2)', '5:k2=v2', '7:MARKER(1)', '8:k3=committed', '9:MARKER(2)'],
      'aborted data and superseded committed data are gone; markers stay (data left, last batch, or not yet past delete.retention.ms)',
    );
    assert.deepEqual(
      after.filter((l) => Number(l.split(':')[0]) >= 16),
      uncleaned.filter((l) => Number(l.split(':')[0]) >= 16),
      'nothing at or past the LSO was cleaned',
    );
    assert.deepEqual(
      (await log.abortedTransactions(0, 16)).map((t) => [t.producerId, t.firstOffset, t.lastOffset]),
      [
        [1, 0, 3],
        [1, 6, 7],
      ],
      'the cleaned segment kept the .txnindex entries of its ABORT markers',
    );

    // Past delete.retention.ms, a second cleaning drops the markers whose transactions are empty, except each
    // producer's last batch (7 for producer 1, 9 for producer 2).
    const second = await log.compact(T0 + 2 * DAY);
    assert.equal(second.cleaned, true);
    const later = (await layout(log)).filter((l) => Number(l.split(':')[0]) < 10);
    assert.deepEqual(later, ['1:k1=v1', '5:k2=v2', '7:MARKER(1)', '8:k3=committed', '9:MARKER(2)']);
    assert.deepEqual((await log.abortedTransactions(0, 16)).map((t) => [t.producerId, t.firstOffset, t.lastOffset]), [[1, 6, 7]]);

    // The cleaned state, .txnindex included, survives a crash and recovery.
    const recovered = await open(await crashImage(log), SMALL);
    assert.deepEqual(await layout(recovered), await layout(log));
    assert.deepEqual(await recovered.abortedTransactions(0, 16), await log.abortedTransactions(0, 16));
    assert.equal(recovered.lastStableOffset, 16);
  });

  it('keeps a producer\'s last cleaned batch as an empty batch when it is aborted data (its marker in a later segment)', async () => {
    const log = await open(dir(), SMALL);
    await put(log, [['a', '1']]); // 0
    await log.append(txn(5, 0, 'a', 'aborted'), { leaderEpoch: 0 }); // 1
    for (let i = 0; i < 8; i++) await put(log, [[`f${i}`, 'y'.repeat(60)]]); // 2-9
    assert.equal(log.lastStableOffset, 1, 'the transaction is open');
    await log.compact(T0 + 1000, { force: true });
    assert.ok((await layout(log)).includes('1:a=aborted'), 'nothing from the LSO on is cleaned');
    assert.equal(await end(log, 5, false), 10); // in the active segment: not cleanable
    await log.compact(T0 + 1000, { force: true });
    const cleaned = await layout(log);
    assert.deepEqual(cleaned.slice(0, 2), ['0:a=1', '1:EMPTY(5)'], 'the committed value survives; the aborted batch keeps only its header');
    assert.ok(cleaned.includes('10:MARKER(5)'));
    const reopened = await open(await crashImage(log), SMALL);
    assert.equal(reopened.producerState(5)?.epoch, 0, 'producer state is rebuilt from the emptied batch and the marker');
    assert.equal(reopened.openTransactions, 0);
  });
});
