// The log primitives replication is built on: follower appends of the leader's bytes, truncation (in a
// segment, across segments, to nothing), the high watermark in both modes, and what survives a restart.
import { strict as assert } from 'assert';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { PartitionLog } from '../../src/log/partition-log';
import { TXN_INDEX_ENTRY_SIZE } from '../../src/log/transaction-index';
import { ErrorCode } from '../../src/protocol/errors';
import { computeBatchCrc } from '../../src/protocol/records';
import { batch, config, crashImage, logger, open, readAll, segmentFiles, useTempDir } from './helpers';
import { CLIENT, isLogError, pbatch } from './producer-state-helpers';

const SMALL_SEGMENTS = { segmentBytes: 400, indexIntervalBytes: 64 };

/** Every stored byte from `from` to the log end, read as a follower's fetch does. */
async function rawBytes(log: PartitionLog, from = log.logStartOffset, maxBytes = 300): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let offset = from; offset < log.logEndOffset; ) {
    const r = await log.read(offset, maxBytes, { minOneMessage: true });
    if (r.records.length === 0) throw new Error(`no progress at offset ${offset}`);
    parts.push(Buffer.from(r.records));
    offset = r.nextOffset;
  }
  return Buffer.concat(parts);
}

/** Copies the leader's log from the follower's end onwards, fetch by fetch, as a replica fetcher does. */
async function replicate(leader: PartitionLog, follower: PartitionLog, maxBytes = 300): Promise<void> {
  while (follower.logEndOffset < leader.logEndOffset) {
    const r = await leader.read(follower.logEndOffset, maxBytes, { minOneMessage: true });
    await follower.appendAsFollower(Buffer.from(r.records));
  }
}

/** A transactional batch of producer `pid`. */
function tbatch(pid: number, seq: number, count = 1): Buffer {
  return batch(count, `t${pid}s${seq}`, { producerId: pid, producerEpoch: 0, baseSequence: seq, isTransactional: true });
}

function abort(pid: number) {
  return { producerId: BigInt(pid), producerEpoch: 0, coordinatorEpoch: 3, commit: false };
}

/** A leader log with three epochs, two producers and about ten small segments. */
async function leaderWithHistory(dir: string): Promise<PartitionLog> {
  const leader = await open(dir, SMALL_SEGMENTS);
  const nextSeq = [0, 0, 0];
  for (let i = 0; i < 30; i++) {
    const epoch = i < 10 ? 1 : i < 20 ? 4 : 5;
    const pid = 1 + (i % 2);
    const payload = i % 3 === 0 ? batch(3, `plain-${i}`) : pbatch(pid, 0, nextSeq[pid], 2);
    if (i % 3 !== 0) nextSeq[pid] += 2;
    await leader.append(payload, { leaderEpoch: epoch, fromClient: i % 3 !== 0 });
  }
  return leader;
}

describe('log: replication primitives', () => {
  const dir = useTempDir();
  const sibling = (name: string) => path.join(path.dirname(dir()), name);

  describe('appendAsFollower', () => {
    it('stores the leader\'s batches byte for byte, with its epochs and producer state', async () => {
      const leader = await leaderWithHistory(dir());
      const follower = await open(sibling('follower-0'), { segmentBytes: 700, indexIntervalBytes: 64 });
      await replicate(leader, follower);
      assert.equal(follower.logEndOffset, leader.logEndOffset);
      assert.ok(Buffer.compare(await rawBytes(follower, 0), await rawBytes(leader, 0)) === 0, 'byte-identical');
      assert.equal(follower.latestEpoch, 5);
      for (const epoch of [0, 1, 2, 4, 5]) assert.deepEqual(follower.endOffsetForLeaderEpoch(epoch), leader.endOffsetForLeaderEpoch(epoch), `epoch ${epoch}`);
      assert.deepEqual(follower.producerState(1)?.batches, leader.producerState(1)?.batches);
      assert.deepEqual(follower.producerState(2)?.batches, leader.producerState(2)?.batches);
      assert.ok((await segmentFiles(follower.dir)).length > 3, 'the follower rolls by its own segment.bytes');
    });

    it('refuses batches below its log end and damaged bytes, and writes nothing for them', async () => {
      const leader = await open(dir());
      await leader.append(batch(2), { leaderEpoch: 0 });
      await leader.append(batch(2), { leaderEpoch: 0 });
      const bytes = await rawBytes(leader, 0);
      const follower = await open(sibling('follower-0'));
      await follower.appendAsFollower(bytes);
      await assert.rejects(follower.appendAsFollower(bytes), isLogError(ErrorCode.OFFSET_OUT_OF_RANGE));
      const damaged = Buffer.from(bytes);
      damaged[damaged.length - 1] ^= 0xff;
      const empty = await open(sibling('follower-1'));
      await assert.rejects(empty.appendAsFollower(damaged), isLogError(ErrorCode.CORRUPT_MESSAGE));
      assert.equal(empty.logEndOffset, 0);
      assert.equal(follower.logEndOffset, 4);
    });

    it('does not deduplicate: the leader\'s producer state is the follower\'s to copy, not to judge', async () => {
      const leader = await open(dir());
      await leader.append(pbatch(7, 0, 0, 2), CLIENT);
      const first = await rawBytes(leader, 0);
      const follower = await open(sibling('follower-0'));
      await follower.appendAsFollower(first);
      // The same producer batch again at later offsets (e.g. written by a leader that lost its state): copied.
      const again = Buffer.from(first);
      again.writeBigInt64BE(2n, 0);
      again.writeUInt32BE(computeBatchCrc(again, 0, again.length), 17);
      const r = await follower.appendAsFollower(again);
      assert.deepEqual([r.baseOffset, r.lastOffset, r.duplicate], [2, 3, undefined]);
      assert.equal(follower.logEndOffset, 4);
    });
  });

  describe('truncateTo', () => {
    it('cuts in the middle of a segment and across segments, then takes the leader\'s batches again', async () => {
      const leader = await leaderWithHistory(dir());
      const follower = await open(sibling('follower-0'), SMALL_SEGMENTS);
      await replicate(leader, follower);
      const segmentsBefore = (await segmentFiles(follower.dir)).length;
      const full = await rawBytes(follower, 0);

      // Across segments, to a batch boundary inside an older segment.
      const target = leader.endOffsetForLeaderEpoch(1).endOffset + 2; // a few offsets into epoch 4
      await follower.truncateTo(target);
      assert.ok(follower.logEndOffset <= target && follower.logEndOffset > target - 3, `end ${follower.logEndOffset} for ${target}`);
      assert.ok((await segmentFiles(follower.dir)).length < segmentsBefore);
      assert.ok(Buffer.compare(await rawBytes(follower, 0), full.subarray(0, (await rawBytes(follower, 0)).length)) === 0, 'a prefix of what it had');
      assert.equal(follower.latestEpoch, 4);
      assert.deepEqual(follower.endOffsetForLeaderEpoch(4), { leaderEpoch: 4, endOffset: follower.logEndOffset });
      assert.deepEqual(follower.endOffsetForLeaderEpoch(1), leader.endOffsetForLeaderEpoch(1));

      // Inside the active segment: a batch that straddles the offset goes whole.
      const end = follower.logEndOffset;
      await follower.truncateTo(end - 1);
      assert.ok(follower.logEndOffset < end);

      await replicate(leader, follower);
      assert.ok(Buffer.compare(await rawBytes(follower, 0), await rawBytes(leader, 0)) === 0, 'byte-identical again');
      assert.deepEqual(follower.producerState(1)?.batches, leader.producerState(1)?.batches);
      assert.equal(follower.latestEpoch, 5);
      // Reads through the rebuilt indexes land on the right batches.
      assert.deepEqual(
        (await readAll(follower, 100)).map((r) => [r.offset, r.value?.toString()]),
        (await readAll(leader, 100)).map((r) => [r.offset, r.value?.toString()]),
      );
    });

    it('makes appends that come meanwhile wait, so they land after the new end', async () => {
      const log = await open(dir(), SMALL_SEGMENTS);
      for (let i = 0; i < 10; i++) await log.append(batch(2, `b${i}`), { leaderEpoch: 0 });
      const truncating = log.truncateTo(6);
      const late = log.append(batch(1, 'late'), { leaderEpoch: 1 });
      await truncating;
      assert.equal((await late).baseOffset, 6);
      assert.deepEqual(
        (await readAll(log)).map((r) => r.value?.toString()),
        ['b0-0', 'b0-1', 'b1-0', 'b1-1', 'b2-0', 'b2-1', 'late-0'],
      );
      assert.deepEqual(log.endOffsetForLeaderEpoch(0), { leaderEpoch: 0, endOffset: 6 });
    });

    it('is a no-op at or past the log end', async () => {
      const log = await open(dir());
      await log.append(batch(3), { leaderEpoch: 0 });
      await log.truncateTo(3);
      await log.truncateTo(10);
      assert.equal(log.logEndOffset, 3);
    });

    it('rebuilds the producer state: a retry of a kept batch is a duplicate, the next sequence continues after it', async () => {
      const leader = await open(dir(), SMALL_SEGMENTS);
      const offsets: number[] = [];
      for (let i = 0; i < 12; i++) offsets.push((await leader.append(pbatch(1, 0, 2 * i, 2), CLIENT)).baseOffset);
      const follower = await open(sibling('follower-0'), SMALL_SEGMENTS);
      await replicate(leader, follower);
      await follower.truncateTo(offsets[9]); // batches 9, 10 and 11 go
      assert.equal(follower.logEndOffset, offsets[9]);
      assert.equal(follower.producerState(1)?.lastSeq, 17);

      // The follower becomes leader; the producer retries what it had not had acknowledged.
      const retry = await follower.append(pbatch(1, 0, 16, 2), CLIENT);
      assert.deepEqual([retry.baseOffset, retry.duplicate], [offsets[8], true]);
      await assert.rejects(follower.append(pbatch(1, 0, 20, 2), CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
      assert.equal((await follower.append(pbatch(1, 0, 18, 2), CLIENT)).baseOffset, offsets[9]);
    });

    it('truncating away an abort marker reopens its transaction: LSO and transaction index follow', async () => {
      const leader = await open(dir());
      await leader.append(batch(2, 'before'), { leaderEpoch: 0 });
      const txnStart = (await leader.append(tbatch(9, 0, 2), CLIENT)).baseOffset;
      await leader.append(batch(1, 'plain'), { leaderEpoch: 0 });
      const marker = (await leader.appendTxnMarker(abort(9), { leaderEpoch: 0 })).baseOffset;
      await leader.append(batch(1, 'after'), { leaderEpoch: 0 });
      const follower = await open(sibling('follower-0'));
      await replicate(leader, follower);
      assert.equal(follower.lastStableOffset, follower.logEndOffset);
      const aborted = [{ producerId: 9, firstOffset: txnStart, lastOffset: marker, lastStableOffset: marker + 1 }];
      assert.deepEqual(await follower.abortedTransactions(0, follower.logEndOffset), aborted);

      await follower.truncateTo(marker);
      assert.equal(follower.logEndOffset, marker);
      assert.equal(follower.lastStableOffset, txnStart, 'the transaction is open again');
      assert.equal(follower.openTransactions, 1);
      assert.deepEqual(await follower.abortedTransactions(0, follower.logEndOffset), []);
      const txnIndex = (await segmentFiles(follower.dir, '.txnindex'))[0];
      assert.equal(txnIndex === undefined ? 0 : (await fsp.stat(path.join(follower.dir, txnIndex))).size, 0);

      await replicate(leader, follower);
      assert.deepEqual(await follower.abortedTransactions(0, follower.logEndOffset), aborted);
      assert.equal(follower.lastStableOffset, follower.logEndOffset);
      assert.equal((await fsp.stat(path.join(follower.dir, (await segmentFiles(follower.dir, '.txnindex'))[0]))).size, TXN_INDEX_ENTRY_SIZE);
    });

    it('survives a restart, clean or not: same end, data, epochs and producer state', async () => {
      const leader = await leaderWithHistory(dir());
      const follower = await open(sibling('follower-0'), SMALL_SEGMENTS);
      await replicate(leader, follower);
      await follower.truncateTo(leader.endOffsetForLeaderEpoch(4).endOffset + 3);
      const end = follower.logEndOffset;
      const bytes = await rawBytes(follower, 0);
      const epochs = [1, 4, 5].map((e) => follower.endOffsetForLeaderEpoch(e));
      const producer = follower.producerState(2)?.batches;
      const crashed = await crashImage(follower);
      await follower.close();
      for (const d of [follower.dir, crashed]) {
        const reopened = await open(d, SMALL_SEGMENTS);
        assert.equal(reopened.logEndOffset, end, d);
        assert.ok(Buffer.compare(await rawBytes(reopened, 0), bytes) === 0, d);
        assert.deepEqual([1, 4, 5].map((e) => reopened.endOffsetForLeaderEpoch(e)), epochs, d);
        assert.deepEqual(reopened.producerState(2)?.batches, producer, d);
        await replicate(leader, reopened);
        assert.ok(Buffer.compare(await rawBytes(reopened, 0), await rawBytes(leader, 0)) === 0, d);
      }
    });
  });

  describe('truncateFullyAndStartAt', () => {
    it('empties the log and starts it at the offset; the leader\'s batches follow from there', async () => {
      const leader = await leaderWithHistory(dir());
      const follower = await open(sibling('follower-0'), SMALL_SEGMENTS);
      await replicate(leader, follower);
      const start = leader.endOffsetForLeaderEpoch(4).endOffset; // the first batch of epoch 5
      await follower.truncateFullyAndStartAt(start);
      assert.deepEqual([follower.logStartOffset, follower.logEndOffset, follower.highWatermark], [start, start, start]);
      const startFile = `${String(start).padStart(20, '0')}.log`;
      assert.ok((await segmentFiles(follower.dir)).every((f) => f === startFile), 'no segment but the new one');
      assert.equal(follower.producerState(1), undefined);
      assert.equal(follower.latestEpoch, -1);
      await assert.rejects(follower.read(start - 1, 100), isLogError(ErrorCode.OFFSET_OUT_OF_RANGE));

      await replicate(leader, follower);
      assert.ok(Buffer.compare(await rawBytes(follower), await rawBytes(leader, start)) === 0);
      assert.equal(follower.latestEpoch, 5);
      await follower.close();
      const reopened = await open(follower.dir, SMALL_SEGMENTS);
      assert.deepEqual([reopened.logStartOffset, reopened.logEndOffset], [start, leader.logEndOffset]);
    });
  });

  describe('a follower starting inside a batch', () => {
    it('takes the leader\'s batch that holds its start whole, and serves nothing below the start', async () => {
      const leader = await open(dir());
      for (let i = 0; i < 4; i++) await leader.append(batch(3, `b${i}`), { leaderEpoch: 2 });
      await leader.deleteRecordsBefore(4); // inside the batch 3..5
      const follower = await open(sibling('follower-0'));
      await follower.truncateFullyAndStartAt(leader.localLogStartOffset);
      const r = await leader.read(follower.logEndOffset, 1 << 20);
      assert.equal(r.records.readBigInt64BE(0), 3n, 'the leader answers from the batch holding offset 4');
      await follower.appendAsFollower(Buffer.from(r.records));
      assert.deepEqual([follower.logStartOffset, follower.logEndOffset, follower.latestEpoch], [4, 12, 2]);
      assert.ok(Buffer.compare(await rawBytes(follower), await rawBytes(leader)) === 0);
      assert.deepEqual((await readAll(follower)).map((rec) => rec.offset), [4, 5, 6, 7, 8, 9, 10, 11]);
      await assert.rejects(follower.read(3, 100), isLogError(ErrorCode.OFFSET_OUT_OF_RANGE));
      await follower.close();
      const reopened = await open(follower.dir);
      assert.deepEqual([reopened.logStartOffset, reopened.logEndOffset], [4, 12]);
      assert.deepEqual((await readAll(reopened)).map((rec) => rec.offset), [4, 5, 6, 7, 8, 9, 10, 11]);
    });
  });

  describe('high watermark', () => {
    it('follows the log end while the log is not replicated', async () => {
      const log = await open(dir());
      await log.append(batch(3), { leaderEpoch: 0 });
      assert.equal(log.highWatermark, 3);
      assert.equal(log.updateHighWatermark(1), false);
      assert.equal(log.highWatermark, 3);
    });

    it('moves only forward, by updateHighWatermark, up to the log end, once replicated; LSO stays below it', async () => {
      const log = await open(dir());
      log.replicated = true;
      const moves: number[] = [];
      log.on('highWatermark', (hw) => moves.push(hw));
      await log.append(batch(3), { leaderEpoch: 0 });
      await log.append(tbatch(4, 0, 2), CLIENT);
      assert.deepEqual([log.logEndOffset, log.highWatermark, log.lastStableOffset], [5, 0, 0]);
      assert.equal(log.updateHighWatermark(2), true);
      assert.equal(log.updateHighWatermark(1), false, 'never backwards');
      assert.equal(log.updateHighWatermark(2), false);
      assert.deepEqual([log.highWatermark, log.lastStableOffset], [2, 2]);
      assert.equal(log.updateHighWatermark(100), true);
      assert.deepEqual([log.highWatermark, log.lastStableOffset], [5, 3], 'clamped to the log end; the open transaction bounds the LSO');
      const read = await log.read(0, 1 << 20, { isolationMaxOffset: log.highWatermark });
      assert.equal(read.highWatermark, 5);
      assert.deepEqual(moves, [2, 5]);

      await log.truncateTo(3);
      assert.deepEqual([log.logEndOffset, log.highWatermark], [3, 3], 'truncation clamps it');
      await log.append(batch(1), { leaderEpoch: 0 });
      assert.equal(log.highWatermark, 3);
      log.replicated = false;
      assert.equal(log.highWatermark, 4, 'back to following the log end');
      assert.deepEqual(moves, [2, 5, 4]);
    });

    it('a replicated log reopens with the high watermark it last persisted, not at its log end', async () => {
      const log = await open(dir());
      log.replicated = true;
      await log.append(batch(5), { leaderEpoch: 0 });
      log.updateHighWatermark(3);
      await log.close();
      const replica = await PartitionLog.open(log.dir, config(), { logger, replicated: true });
      try {
        assert.deepEqual([replica.replicated, replica.highWatermark, replica.logEndOffset], [true, 3, 5]);
      } finally {
        await replica.close();
      }
      const single = await open(log.dir);
      assert.deepEqual([single.replicated, single.highWatermark], [false, 5], 'one broker: what is written is committed');
    });
  });
});
