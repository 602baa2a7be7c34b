// Disk faults and durability of the partition log, with faults injected by count into Segment's file calls:
// a full disk refuses the appends it hits and rolls the log back (the log stays online and takes appends again),
// another I/O error takes the log offline, and durable appends (acks=all) resolve only after a shared fsync.
import { strict as assert } from 'assert';
import { ErrorCode } from '../../src/protocol/errors';
import { Segment } from '../../src/log/segment';
import type { PartitionLog } from '../../src/log/partition-log';
import { batch, open, readAll, segmentFiles, sized, useTempDir } from './helpers';
import { CLIENT, isLogError, pbatch } from './producer-state-helpers';
import { waitFor } from '../../../e2e/helpers/util';

const originalWrite = Segment.prototype.write;
const originalSync = Segment.prototype.sync;

/** Makes the next `count` segment writes land half their bytes and then fail with `code`. */
function failWrites(count: number, code: string): void {
  let left = count;
  Segment.prototype.write = async function (this: Segment, buffers: Buffer[], position: number, bytes: number): Promise<void> {
    if (left <= 0) return originalWrite.call(this, buffers, position, bytes);
    left--;
    const partial = Buffer.concat(buffers).subarray(0, bytes >> 1);
    const fh = await this.fileHandle();
    await fh.write(partial, 0, partial.length, position);
    throw Object.assign(new Error(`${code}: injected, write`), { code });
  };
}

const values = async (log: PartitionLog) => (await readAll(log)).map((r) => `${r.offset}:${r.value!.toString()}`);

describe('log: storage faults', () => {
  // Before useTempDir's hook, which closes the logs: their final fsync must not be held.
  afterEach(() => {
    Segment.prototype.write = originalWrite;
    Segment.prototype.sync = originalSync;
  });
  const dir = useTempDir();

  describe('full disk', () => {
    it('refuses the appends it hits with KAFKA_STORAGE_ERROR, keeps what was written, and takes appends again', async () => {
      const log = await open(dir());
      await log.append(batch(3, 'a'), { leaderEpoch: 0 });
      failWrites(1, 'ENOSPC');
      // Both go to the file in one write: both are refused.
      const refused = [log.append(batch(2, 'b'), { leaderEpoch: 0 }), log.append(batch(2, 'c'), { leaderEpoch: 0 })];
      for (const r of refused) await assert.rejects(r, isLogError(ErrorCode.KAFKA_STORAGE_ERROR));
      assert.equal(log.isOffline, false);
      assert.equal(log.logEndOffset, 3);
      assert.deepEqual(await values(log), ['0:a-0', '1:a-1', '2:a-2']);

      assert.equal((await log.append(batch(2, 'd'), { leaderEpoch: 1 })).baseOffset, 3);
      const expected = ['0:a-0', '1:a-1', '2:a-2', '3:d-0', '4:d-1'];
      assert.deepEqual(await values(log), expected);
      assert.deepEqual(log.endOffsetForLeaderEpoch(0), { leaderEpoch: 0, endOffset: 3 });

      await log.close();
      const reopened = await open(dir());
      assert.deepEqual(await values(reopened), expected);
      assert.equal(reopened.logEndOffset, 5);
    });

    it('drops a segment rolled for refused appends, and the next roll reuses its base offset', async () => {
      const segmentBytes = 2 * sized(200).length + 10;
      const log = await open(dir(), { segmentBytes });
      await log.append(sized(200), { leaderEpoch: 0 });
      failWrites(1, 'ENOSPC');
      // The first fills segment 0 and fails; the second rolled to a segment at offset 2 and is refused with it.
      const refused = [log.append(sized(200), { leaderEpoch: 0 }), log.append(sized(200), { leaderEpoch: 0 })];
      for (const r of refused) await assert.rejects(r, isLogError(ErrorCode.KAFKA_STORAGE_ERROR));
      assert.deepEqual(await segmentFiles(log.dir), ['00000000000000000000.log']);
      assert.equal((await log.append(sized(200), { leaderEpoch: 0 })).baseOffset, 1);
      assert.equal((await log.append(sized(200), { leaderEpoch: 0 })).baseOffset, 2);
      assert.deepEqual(
        (await readAll(log)).map((r) => r.offset),
        [0, 1, 2],
      );
      await log.close();
      const reopened = await open(dir(), { segmentBytes });
      assert.equal(reopened.logEndOffset, 3);
      assert.deepEqual(await segmentFiles(reopened.dir), ['00000000000000000000.log', '00000000000000000002.log']);
    });

    it('forgets refused batches of an idempotent producer, so its retry is written once', async () => {
      const log = await open(dir());
      assert.equal((await log.append(pbatch(7, 0, 0, 2), CLIENT)).baseOffset, 0);
      failWrites(1, 'EDQUOT');
      await assert.rejects(log.append(pbatch(7, 0, 2, 2), CLIENT), isLogError(ErrorCode.KAFKA_STORAGE_ERROR));
      const retry = await log.append(pbatch(7, 0, 2, 2), CLIENT);
      assert.equal(retry.baseOffset, 2);
      assert.equal(retry.duplicate, undefined);
      assert.equal((await log.append(pbatch(7, 0, 4, 1), CLIENT)).baseOffset, 4);
      assert.equal(log.logEndOffset, 5);
    });

    it('any other I/O error takes the log offline for good', async () => {
      const log = await open(dir());
      await log.append(batch(1, 'a'), { leaderEpoch: 0 });
      failWrites(1, 'EIO');
      await assert.rejects(log.append(batch(1, 'b'), { leaderEpoch: 0 }), isLogError(ErrorCode.KAFKA_STORAGE_ERROR));
      assert.equal(log.isOffline, true);
      await assert.rejects(log.append(batch(1, 'c'), { leaderEpoch: 0 }), isLogError(ErrorCode.KAFKA_STORAGE_ERROR));
      assert.deepEqual(await values(log), ['0:a-0']); // reads keep working
    });
  });

  describe('durable appends (acks=all)', () => {
    /** Holds every segment fsync until released; counts them. */
    function holdSyncs() {
      const held: Array<() => void> = [];
      const state = { calls: 0, release: () => held.splice(0).forEach((r) => r()) };
      Segment.prototype.sync = async function (this: Segment): Promise<void> {
        state.calls++;
        await new Promise<void>((resolve) => held.push(resolve));
        return originalSync.call(this);
      };
      return state;
    }

    function track<T>(p: Promise<T>): { done: boolean; promise: Promise<T> } {
      const t = { done: false, promise: p };
      void p.then(() => (t.done = true));
      return t;
    }

    it('resolve only after an fsync, and one fsync covers every append that waited meanwhile', async () => {
      const log = await open(dir());
      const syncs = holdSyncs();
      const a = track(log.append(batch(1, 'a'), { leaderEpoch: 0, durable: true }));
      await waitFor(() => syncs.calls === 1, { timeoutMs: 5000, intervalMs: 5, what: 'the first fsync' });
      // Written while the first fsync runs: they wait for the next one, together.
      const b = track(log.append(batch(1, 'b'), { leaderEpoch: 0, durable: true }));
      const c = track(log.append(batch(1, 'c'), { leaderEpoch: 0, durable: true }));
      await waitFor(() => log.logEndOffset === 3, { timeoutMs: 5000, intervalMs: 5, what: 'b and c written' });
      assert.equal(a.done, false, 'resolved before its fsync');

      syncs.release();
      await a.promise;
      await waitFor(() => syncs.calls === 2, { timeoutMs: 5000, intervalMs: 5, what: 'the second fsync' });
      assert.equal(b.done || c.done, false, 'resolved before their fsync');
      syncs.release();
      await Promise.all([b.promise, c.promise]);
      assert.equal(syncs.calls, 2);
    });

    it('a failed fsync, even ENOSPC, fails the waiting appends and takes the log offline', async () => {
      const log = await open(dir());
      Segment.prototype.sync = async () => {
        throw Object.assign(new Error('ENOSPC: injected, fsync'), { code: 'ENOSPC' });
      };
      await assert.rejects(log.append(batch(1, 'a'), { leaderEpoch: 0, durable: true }), isLogError(ErrorCode.KAFKA_STORAGE_ERROR));
      assert.equal(log.isOffline, true);
    });

    it('acks=1 appends do not wait for an fsync', async () => {
      const log = await open(dir());
      const syncs = holdSyncs();
      const durable = track(log.append(batch(1, 'a'), { leaderEpoch: 0, durable: true }));
      await waitFor(() => syncs.calls === 1, { timeoutMs: 5000, intervalMs: 5, what: 'the fsync' });
      assert.equal((await log.append(batch(1, 'b'), { leaderEpoch: 0 })).baseOffset, 1);
      assert.equal(durable.done, false);
      syncs.release();
      await durable.promise;
    });
  });
});
