import { strict as assert } from 'assert';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { STATE_FILE } from '../../src/log/file-names';
import type { PartitionLog } from '../../src/log/partition-log';
import { snapshotFile } from '../../src/log/producer-snapshot';
import { ErrorCode } from '../../src/protocol/errors';
import { crashImage, open, readAll, segmentFiles, useTempDir } from './helpers';
import { CLIENT, appendSequence, isLogError, pbatch } from './producer-state-helpers';

const SMALL_SEGMENTS = { segmentBytes: 400, indexIntervalBytes: 64 };

async function snapshots(d: string): Promise<string[]> {
  return segmentFiles(d, '.snapshot');
}

/** What a producer that sent `offsets.length` batches of 2 records (pid 1, epoch 0) should see after a restart. */
async function assertProducerResumes(log: PartitionLog, offsets: number[]): Promise<void> {
  const n = offsets.length;
  const end = log.logEndOffset;
  for (const k of [n - 1, n - 3, n - 5]) {
    const retry = await log.append(pbatch(1, 0, 2 * k, 2), CLIENT);
    assert.deepEqual([retry.baseOffset, retry.duplicate], [offsets[k], true], `retry of batch ${k}`);
  }
  await assert.rejects(log.append(pbatch(1, 0, 2 * (n - 6), 2), CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
  await assert.rejects(log.append(pbatch(1, 0, 2 * n + 1), CLIENT), isLogError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
  assert.equal(log.logEndOffset, end, 'retries and refusals write nothing');
  assert.equal((await log.append(pbatch(1, 0, 2 * n), CLIENT)).baseOffset, end);
}

describe('log: idempotent producer state across restarts', () => {
  const dir = useTempDir();

  it('reloads the state from the snapshot written by a clean close', async () => {
    const d = dir();
    const log = await open(d);
    const lastWrite = Date.now() - 5000;
    const offsets: number[] = [];
    for (let i = 0; i < 7; i++) offsets.push((await log.append(pbatch(1, 0, 2 * i, 2), { ...CLIENT, now: lastWrite })).baseOffset);
    await log.append(pbatch(2, 3, 0), CLIENT);
    await log.close();
    assert.deepEqual(await snapshots(d), [path.basename(snapshotFile(d, 15))]);

    const reopened = await open(d);
    // Replay would stamp the load time; the snapshot keeps the time of the last write.
    assert.equal(reopened.producerState(1)?.lastTimestamp, lastWrite);
    assert.equal(reopened.producerState(1)?.batches.length, 5);
    await assert.rejects(reopened.append(pbatch(2, 2, 1), CLIENT), isLogError(ErrorCode.INVALID_PRODUCER_EPOCH));
    await assertProducerResumes(reopened, offsets);
  });

  it('rebuilds the state by replaying the log after a crash', async () => {
    const d = dir();
    const log = await open(d);
    const offsets = await appendSequence(log, 1, 8);
    await log.append(pbatch(2, 0, 0), CLIENT);
    await log.append(pbatch(2, 1, 0), CLIENT); // epoch bump
    const crashed = await crashImage(log);
    assert.deepEqual(await snapshots(crashed), [], 'no roll, no close: nothing but the log to go by');

    const reopened = await open(crashed);
    assert.equal(reopened.producerState(2)?.epoch, 1);
    await assert.rejects(reopened.append(pbatch(2, 0, 1), CLIENT), isLogError(ErrorCode.INVALID_PRODUCER_EPOCH));
    await assertProducerResumes(reopened, offsets);
  });

  it('replays only the tail after the newest snapshot, across segments', async () => {
    const d = dir();
    const log = await open(d, SMALL_SEGMENTS);
    const offsets = await appendSequence(log, 1, 40);
    const crashed = await crashImage(log);
    assert.ok((await segmentFiles(crashed)).length > 5);
    const kept = await snapshots(crashed);
    assert.equal(kept.length, 2, 'only the two newest snapshots are kept');
    // Relabel the first batch as producer 99's: replay must not reach it (the segment is trusted, not re-validated).
    const first = await fsp.open(path.join(crashed, (await segmentFiles(crashed))[0]), 'r+');
    const pid = Buffer.alloc(8);
    pid.writeUInt32BE(99, 4);
    await first.write(pid, 0, 8, 43);
    await first.close();

    const reopened = await open(crashed, SMALL_SEGMENTS);
    assert.equal(reopened.producerState(99), undefined);
    await assertProducerResumes(reopened, offsets);
    assert.equal((await readAll(reopened)).length, 81);
  });

  it('forgets a batch that a crash tore from the log, so its retry is written', async () => {
    const d = dir();
    const log = await open(d);
    const offsets = await appendSequence(log, 1, 4);
    const crashed = await crashImage(log);
    const file = path.join(crashed, (await segmentFiles(crashed))[0]);
    await fsp.truncate(file, (await fsp.stat(file)).size - 5);

    const reopened = await open(crashed);
    assert.equal(reopened.logEndOffset, 6);
    const retry = await reopened.append(pbatch(1, 0, 6, 2), CLIENT);
    assert.deepEqual([retry.baseOffset, retry.duplicate], [offsets[3], undefined]);
    assert.equal((await reopened.append(pbatch(1, 0, 4, 2), CLIENT)).duplicate, true);
  });

  it('ignores and deletes a snapshot past the log end', async () => {
    const d = dir();
    const log = await open(d, SMALL_SEGMENTS);
    const offsets = await appendSequence(log, 1, 12);
    const crashed = await crashImage(log);
    // As if the newest snapshot described batches the crash lost: it claims epoch 5.
    const future = snapshotFile(crashed, 10_000);
    await fsp.writeFile(future, JSON.stringify({ version: 1, offset: 10_000, producers: [[1, 5, Date.now(), []]] }));

    const reopened = await open(crashed, SMALL_SEGMENTS);
    assert.equal(reopened.producerState(1)?.epoch, 0);
    await assert.rejects(fsp.access(future));
    await assertProducerResumes(reopened, offsets);
  });

  it('falls back to an older snapshot or the log when the newest is unreadable', async () => {
    const d = dir();
    const log = await open(d, SMALL_SEGMENTS);
    const offsets = await appendSequence(log, 1, 12);
    await log.close();
    const newest = snapshotFile(d, log.logEndOffset);
    await fsp.writeFile(newest, '{"version":1,"off');

    const reopened = await open(d, SMALL_SEGMENTS);
    await assert.rejects(fsp.access(newest));
    await assertProducerResumes(reopened, offsets);
  });

  it('rebuilds from the log alone without snapshots or partition state', async () => {
    const d = dir();
    const log = await open(d, SMALL_SEGMENTS);
    const offsets = await appendSequence(log, 1, 12);
    await log.close();
    for (const name of await snapshots(d)) await fsp.rm(path.join(d, name));
    await fsp.rm(path.join(d, STATE_FILE));

    const reopened = await open(d, SMALL_SEGMENTS);
    await assertProducerResumes(reopened, offsets);
  });

  it('keeps the state of producers whose batches were deleted', async () => {
    const d = dir();
    const log = await open(d, SMALL_SEGMENTS);
    const offsets = await appendSequence(log, 1, 12);
    await log.deleteRecordsBefore(log.logEndOffset - 4);
    assert.ok(log.logStartOffset > offsets[6]);
    await log.close();
    const reopened = await open(d, SMALL_SEGMENTS);
    await assertProducerResumes(reopened, offsets);
  });
});
