import { strict as assert } from 'assert';
import { PartitionLog } from '../../src/log/partition-log';
import { ErrorCode } from '../../src/protocol/errors';
import { batch, config, open, readAll, useTempDir } from './helpers';
import { CLIENT, appendSequence, isLogError, pbatch } from './producer-state-helpers';

const INT32_MAX = 0x7fffffff;

describe('log: idempotent producer state', () => {
  const dir = useTempDir();

  it('answers a resent batch with its original offsets and writes nothing', async () => {
    const log = await open(dir());
    await log.append(batch(3, 'plain'), CLIENT);
    const first = await log.append(pbatch(7, 0, 0, 2), CLIENT);
    const size = log.sizeBytes;
    const retry = await log.append(pbatch(7, 0, 0, 2), CLIENT);
    assert.deepEqual([retry.baseOffset, retry.lastOffset, retry.duplicate, retry.recordCount, retry.bytes], [3, 4, true, 0, 0]);
    assert.equal(first.duplicate, undefined);
    assert.equal(log.logEndOffset, 5);
    assert.equal(log.sizeBytes, size);
    assert.equal((await readAll(log)).length, 5);
  });

  it('deduplicates a retry of any of the last five batches', async () => {
    const log = await open(dir());
    const offsets = await appendSequence(log, 1, 5);
    for (const k of [0, 2, 4]) {
      const retry = await log.append(pbatch(1, 0, 2 * k, 2), CLIENT);
      assert.deepEqual([retry.baseOffset, retry.lastOffset, retry.duplicate], [offsets[k], offsets[k] + 1, true]);
    }
    assert.equal(log.logEndOffset, 10);
  });

  it('refuses a retry older than the last five batches as out of order', async () => {
    const log = await open(dir());
    await appendSequence(log, 1, 6);
    await assert.rejects(log.append(pbatch(1, 0, 0, 2), CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    const stillCached = await log.append(pbatch(1, 0, 2, 2), CLIENT);
    assert.equal(stillCached.duplicate, true);
    assert.equal(log.logEndOffset, 12);
  });

  it('refuses a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER and writes nothing', async () => {
    const log = await open(dir());
    await appendSequence(log, 1, 2);
    const size = log.sizeBytes;
    await assert.rejects(log.append(pbatch(1, 0, 5), CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    await assert.rejects(log.append(pbatch(1, 0, 3), CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal(log.logEndOffset, 4);
    assert.equal(log.sizeBytes, size);
    assert.equal((await log.append(pbatch(1, 0, 4), CLIENT)).baseOffset, 4, 'the expected sequence still goes through');
  });

  it('refuses a stale epoch with INVALID_PRODUCER_EPOCH', async () => {
    const log = await open(dir());
    await log.append(pbatch(1, 3, 0), CLIENT);
    await assert.rejects(log.append(pbatch(1, 2, 1), CLIENT), isLogError(ErrorCode.INVALID_PRODUCER_EPOCH));
    await assert.rejects(log.append(pbatch(1, 2, 0), CLIENT), isLogError(ErrorCode.INVALID_PRODUCER_EPOCH));
    assert.equal(log.logEndOffset, 1);
  });

  it('starts a new epoch at sequence 0 and fences the old one', async () => {
    const log = await open(dir());
    await appendSequence(log, 1, 3);
    await assert.rejects(log.append(pbatch(1, 1, 6), CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    const bumped = await log.append(pbatch(1, 1, 0, 2), CLIENT);
    assert.equal(bumped.baseOffset, 6);
    assert.deepEqual([log.producerState(1)?.epoch, log.producerState(1)?.batches.length], [1, 1]);
    await assert.rejects(log.append(pbatch(1, 0, 6), CLIENT), isLogError(ErrorCode.INVALID_PRODUCER_EPOCH));
    await assert.rejects(log.append(pbatch(1, 0, 4, 2), CLIENT), isLogError(ErrorCode.INVALID_PRODUCER_EPOCH), 'an old epoch is no duplicate');
    assert.equal((await log.append(pbatch(1, 1, 2), CLIENT)).baseOffset, 8);
  });

  it('accepts and tracks a producer it does not know at any sequence', async () => {
    const log = await open(dir());
    assert.equal((await log.append(pbatch(9, 4, 42, 3), CLIENT)).baseOffset, 0);
    assert.equal(log.producerState(9)?.lastSeq, 44);
    await assert.rejects(log.append(pbatch(9, 4, 46), CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal((await log.append(pbatch(9, 4, 45), CLIENT)).baseOffset, 3);
  });

  it('refuses a negative sequence from a producer', async () => {
    const log = await open(dir());
    await assert.rejects(log.append(pbatch(1, 0, -1), CLIENT), isLogError(ErrorCode.INVALID_RECORD));
    assert.equal(log.logEndOffset, 0);
  });

  it('wraps sequence numbers from INT32_MAX to 0', async () => {
    const log = await open(dir());
    await log.append(pbatch(1, 0, INT32_MAX - 1, 3), CLIENT); // INT32_MAX - 1, INT32_MAX, 0
    assert.equal(log.producerState(1)?.lastSeq, 0);
    assert.equal((await log.append(pbatch(1, 0, INT32_MAX - 1, 3), CLIENT)).duplicate, true);
    assert.equal((await log.append(pbatch(1, 0, 1), CLIENT)).baseOffset, 3);
    const log2 = await open(`${dir()}-2`);
    await log2.append(pbatch(1, 0, INT32_MAX - 1, 2), CLIENT);
    assert.equal((await log2.append(pbatch(1, 0, 0), CLIENT)).baseOffset, 2);
  });

  it('checks the batches of one payload in order, all or nothing', async () => {
    const log = await open(dir());
    await appendSequence(log, 1, 1);
    const good = Buffer.concat([pbatch(1, 0, 2, 2), pbatch(2, 0, 0), pbatch(1, 0, 4, 3), batch(1, 'plain')]);
    const r = await log.append(good, CLIENT);
    assert.deepEqual([r.baseOffset, r.lastOffset], [2, 8]);
    assert.deepEqual([log.producerState(1)?.lastSeq, log.producerState(2)?.lastSeq], [6, 0]);

    const gapInSecond = Buffer.concat([pbatch(1, 0, 7), pbatch(1, 0, 9), pbatch(3, 0, 0)]);
    await assert.rejects(log.append(gapInSecond, CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.equal(log.logEndOffset, 9);
    assert.equal(log.producerState(1)?.lastSeq, 6, 'the first batch of a refused payload is not recorded');
    assert.equal(log.producerState(3), undefined, 'nor is a producer it introduced');

    const reordered = Buffer.concat([pbatch(1, 0, 8), pbatch(1, 0, 7)]);
    await assert.rejects(log.append(reordered, CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    const bumpThenContinue = Buffer.concat([pbatch(1, 1, 0, 2), pbatch(1, 1, 2)]);
    assert.equal((await log.append(bumpThenContinue, CLIENT)).baseOffset, 9);
    assert.deepEqual([log.producerState(1)?.epoch, log.producerState(1)?.lastSeq], [1, 2]);
  });

  it('answers a resent multi-batch payload with its original offsets', async () => {
    const log = await open(dir());
    await log.append(batch(2, 'plain'), CLIENT);
    const payload = () => Buffer.concat([pbatch(1, 0, 0, 2), pbatch(2, 0, 0, 3), pbatch(1, 0, 2)]);
    const first = await log.append(payload(), CLIENT);
    const retry = await log.append(payload(), CLIENT);
    assert.deepEqual([retry.baseOffset, retry.lastOffset, retry.duplicate], [first.baseOffset, first.lastOffset, true]);
    assert.equal(log.logEndOffset, 8);
    // Retried batches mixed with new ones: neither a clean retry nor a valid append.
    const mixed = Buffer.concat([pbatch(1, 0, 2), pbatch(1, 0, 3)]);
    await assert.rejects(log.append(mixed, CLIENT), isLogError(ErrorCode.INVALID_RECORD));
    assert.equal(log.logEndOffset, 8);
  });

  it('answers a retry of a batch still being written once it is written, in order', async () => {
    const log = await open(dir());
    const original = log.append(pbatch(1, 0, 0, 2), CLIENT);
    const next = log.append(pbatch(1, 0, 2), CLIENT);
    const retry = log.append(pbatch(1, 0, 0, 2), CLIENT);
    const order: string[] = [];
    await Promise.all([original, next, retry].map((p, i) => p.then(() => order.push(['original', 'next', 'retry'][i]))));
    assert.deepEqual(order, ['original', 'next', 'retry']);
    assert.deepEqual([(await retry).baseOffset, (await retry).duplicate, log.logEndOffset], [0, true, 3]);
  });

  it('tracks several producers independently', async () => {
    const log = await open(dir());
    for (let seq = 0; seq < 4; seq++) {
      for (const pid of [1, 2, 3]) await log.append(pbatch(pid, pid, seq), CLIENT);
    }
    await assert.rejects(log.append(pbatch(2, 2, 5), CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
    assert.deepEqual((await log.append(pbatch(3, 3, 1), CLIENT)).baseOffset, 5);
    assert.equal((await log.append(pbatch(1, 1, 4), CLIENT)).baseOffset, 12);
  });

  it('does not check the broker’s own writes but tracks them', async () => {
    const log = await open(dir());
    await log.append(pbatch(1, 0, 0), CLIENT);
    await log.append(pbatch(1, 0, 0), { leaderEpoch: 0 }); // trusted: written as given
    assert.equal(log.logEndOffset, 2);
    assert.equal(log.producerState(1)?.batches.length, 2);
  });

  it('leaves batches without a producer id alone', async () => {
    const log = await open(dir());
    for (let i = 0; i < 3; i++) assert.equal((await log.append(batch(2), CLIENT)).duplicate, undefined);
    assert.equal(log.logEndOffset, 6);
    assert.equal(log.producerState(-1), undefined);
  });

  it('forgets producers after producer.id.expiration.ms', async () => {
    const d = dir();
    const log = await open(d, { retentionMs: -1 });
    await appendSequence(log, 1, 2);
    await log.enforceRetention(Date.now() + 60_000);
    assert.ok(log.producerState(1), 'a day by default');
    await log.close();
    const short = await PartitionLog.open(d, config({ retentionMs: -1 }), { producerIdExpirationMs: 1000 });
    try {
      assert.ok(short.producerState(1));
      await short.enforceRetention(Date.now() + 2000);
      assert.equal(short.producerState(1), undefined);
      assert.equal((await short.append(pbatch(1, 0, 40), CLIENT)).baseOffset, 4, 'an expired producer is unknown again');
    } finally {
      await short.close();
    }
  });
});
