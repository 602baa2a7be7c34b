import { strict as assert } from 'node:assert';
import { buildRecordBatch } from '../../src/protocol/records';
import { parseManifest } from '../../src/tier/remote-manifest';
import { manifestKey, partitionPrefix } from '../../src/tier/remote-keys';
import { CLUSTER, TOPIC_ID, bucketKeys, localSegments, useTierEnv } from './tier-helpers';

const MANIFEST = manifestKey(partitionPrefix(CLUSTER, TOPIC_ID, 0));
const LEADER = { leaderEpoch: 0 };

/** A transactional batch of one ~300-byte record (3 per 1 KiB segment). */
function tbatch(pid: number, seq: number): Buffer {
  return buildRecordBatch({ producerId: pid, producerEpoch: 0, baseSequence: seq, isTransactional: true, timestamp: Date.now(), records: [{ value: Buffer.alloc(280, 't') }] });
}

describe('tiered storage: transactions', () => {
  const env = useTierEnv();

  it('uploads a segment\'s .txnindex and answers aborted transactions from it once the local copy is gone', async () => {
    const log = await env().open({ localRetentionBytes: 0 });
    await log.append(tbatch(1, 0), { ...LEADER, fromClient: true }); // 0
    await log.appendTxnMarker({ producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: false }, LEADER); // 1
    await log.append(tbatch(2, 0), { ...LEADER, fromClient: true }); // 2
    await log.appendTxnMarker({ producerId: 2, producerEpoch: 0, coordinatorEpoch: 0, commit: true }, LEADER); // 3: segment 0-3 is full
    for (let i = 0; i < 6; i++) await log.append(tbatch(3, i), { ...LEADER, fromClient: true });
    assert.equal(log.lastStableOffset, 4, 'producer 3 is still open');
    await log.waitForUploads();
    const m = parseManifest(await env().store.inner.get(MANIFEST));
    assert.ok(m.segments.every((s) => s.lastOffset < 4), 'nothing at or past the LSO is tiered');
    assert.deepEqual(
      m.segments.filter((s) => s.txnIndexBytes).map((s) => [s.baseOffset, s.txnIndexBytes]),
      [[0, 34]],
    );
    assert.equal((await bucketKeys(env(), '.txnindex')).length, 1, 'only the segment with an abort has a .txnindex object');

    await log.appendTxnMarker({ producerId: 3, producerEpoch: 0, coordinatorEpoch: 0, commit: true }, LEADER);
    await log.append(tbatch(4, 0), { ...LEADER, fromClient: true }); // roll past the marker
    await log.waitForUploads();
    await log.enforceRetention();
    assert.ok(!(await localSegments(log)).includes('00000000000000000000.log'), 'the first segment is only in the bucket');
    assert.ok(log.localLogStartOffset > 2);
    assert.deepEqual(await log.abortedTransactions(0, 4), [{ producerId: 1, firstOffset: 0, lastOffset: 1, lastStableOffset: 2 }]);
    assert.deepEqual(await log.abortedTransactions(2, 4), [], 'the abort ends before offset 2');
    const read = await log.read(0, 1 << 20, { isolationMaxOffset: log.lastStableOffset });
    assert.equal(read.nextOffset, 4, 'read_committed reads the remote segment whole');

    await log.deleteRecordsBefore(4);
    assert.deepEqual(await bucketKeys(env(), '.txnindex'), [], 'the .txnindex object goes with its segment');
  });
});
