import { strict as assert } from 'assert';
import { promises as fsp } from 'fs';
import * as path from 'path';
import { STATE_FILE } from '../../src/log/file-names';
import { batch, crashImage, open, readAll, segmentFiles, useTempDir } from './helpers';

const FIRST_LOG = '00000000000000000000.log';

/** Appends `n` batches of 2 records (`b${i}-k`) and returns the directory a crash would leave. */
async function appendAndCrash(d: string, n: number, overrides = {}): Promise<string> {
  const log = await open(d, overrides);
  for (let i = 0; i < n; i++) await log.append(batch(2, `b${i}`), { leaderEpoch: 1 });
  return crashImage(log);
}

async function stateOf(d: string): Promise<{ cleanShutdown: boolean; recoveryPoint: number; logStartOffset: number }> {
  return JSON.parse(await fsp.readFile(path.join(d, STATE_FILE), 'utf8'));
}

describe('log: recovery', () => {
  const dir = useTempDir();

  it('reopens a cleanly closed log where it left off', async () => {
    const d = dir();
    const log = await open(d, { segmentBytes: 500, indexIntervalBytes: 64 });
    for (let i = 0; i < 30; i++) await log.append(batch(2, `b${i}`), { leaderEpoch: 0 });
    await log.close();
    assert.equal((await stateOf(d)).cleanShutdown, true);
    const reopened = await open(d, { segmentBytes: 500, indexIntervalBytes: 64 });
    assert.equal((await stateOf(d)).cleanShutdown, false, 'an open log is not clean');
    assert.equal(reopened.logEndOffset, 60);
    assert.equal(reopened.sizeBytes, log.sizeBytes);
    const r = await reopened.append(batch(1, 'after'), { leaderEpoch: 0 });
    assert.equal(r.baseOffset, 60);
    const recs = await readAll(reopened);
    assert.equal(recs.length, 61);
    assert.equal(recs[60].value?.toString(), 'after-0');
    await reopened.close();
  });

  it('reopens an empty log', async () => {
    const d = dir();
    await (await open(d)).close();
    const log = await open(d);
    assert.equal(log.logEndOffset, 0);
    assert.equal((await log.append(batch(1), { leaderEpoch: 0 })).baseOffset, 0);
  });

  it('truncates a torn tail after a crash and continues the offsets', async () => {
    const d = await appendAndCrash(dir(), 10);
    const file = path.join(d, FIRST_LOG);
    const size = (await fsp.stat(file)).size;
    const batchSize = size / 10;
    await fsp.truncate(file, size - 7); // the last batch is torn
    await fsp.rm(path.join(d, '00000000000000000000.index'), { force: true });
    const log = await open(d);
    assert.equal(log.logEndOffset, 18);
    assert.equal((await fsp.stat(file)).size, 9 * batchSize);
    assert.equal((await log.append(batch(1, 'next'), { leaderEpoch: 2 })).baseOffset, 18);
    const recs = await readAll(log);
    assert.equal(recs.length, 19);
    assert.equal(recs[17].value?.toString(), 'b8-1');
    assert.equal(recs[18].value?.toString(), 'next-0');
    assert.deepEqual(log.endOffsetForLeaderEpoch(1), { leaderEpoch: 1, endOffset: 18 });
  });

  it('drops garbage appended after the last batch', async () => {
    const d = await appendAndCrash(dir(), 5);
    const file = path.join(d, FIRST_LOG);
    const size = (await fsp.stat(file)).size;
    await fsp.appendFile(file, Buffer.alloc(100, 0xab));
    const log = await open(d);
    assert.equal(log.logEndOffset, 10);
    assert.equal((await fsp.stat(file)).size, size);
    assert.equal((await readAll(log)).length, 10);
  });

  it('truncates at a batch whose CRC no longer matches', async () => {
    const d = await appendAndCrash(dir(), 6);
    const file = path.join(d, FIRST_LOG);
    const data = await fsp.readFile(file);
    const batchSize = data.length / 6;
    data[batchSize * 3 + 70] ^= 0x10; // inside the 4th batch's records
    await fsp.writeFile(file, data);
    const log = await open(d);
    assert.equal(log.logEndOffset, 6);
    assert.equal((await readAll(log)).length, 6);
  });

  it('re-validates a cleanly closed log whose tail was damaged and whose index is gone', async () => {
    const d = dir();
    const log = await open(d, { indexIntervalBytes: 100 });
    for (let i = 0; i < 20; i++) await log.append(batch(2, `b${i}`), { leaderEpoch: 0 });
    await log.close();
    const file = path.join(d, FIRST_LOG);
    await fsp.appendFile(file, Buffer.from('torn write'));
    await fsp.rm(path.join(d, '00000000000000000000.index'));
    const reopened = await open(d, { indexIntervalBytes: 100 });
    assert.equal(reopened.logEndOffset, 40);
    assert.equal((await reopened.append(batch(1), { leaderEpoch: 0 })).baseOffset, 40);
    assert.equal((await readAll(reopened)).length, 41);
    // the rebuilt index serves reads in the middle of the segment
    const mid = await reopened.read(25, 1 << 20);
    assert.ok(mid.records.length > 0);
  });

  it('re-validates from the recovery point and drops segments after a torn one', async () => {
    const d = await appendAndCrash(dir(), 40, { segmentBytes: 400 });
    // As if the crash came before the rolled segments were flushed: the recovery point is still 20.
    const state = await stateOf(d);
    assert.ok(state.recoveryPoint > 20);
    await fsp.writeFile(path.join(d, STATE_FILE), JSON.stringify({ ...state, recoveryPoint: 20 }));
    const files = await segmentFiles(d);
    assert.ok(files.length >= 4);
    // Tear the second-to-last segment: everything after it must go.
    const victim = path.join(d, files[files.length - 2]);
    const victimSize = (await fsp.stat(victim)).size;
    await fsp.truncate(victim, victimSize - 10);
    const reopened = await open(d, { segmentBytes: 400 });
    const after = await segmentFiles(d);
    assert.equal(after.length, files.length - 1);
    const recs = await readAll(reopened);
    assert.equal(recs.length, reopened.logEndOffset);
    assert.ok(reopened.logEndOffset >= 60 && reopened.logEndOffset < 80);
    recs.forEach((r, i) => assert.equal(r.value?.toString(), `b${Math.floor(i / 2)}-${i % 2}`));
  });

  it('recovers everything when the state file is unreadable', async () => {
    const d = dir();
    const log = await open(d, { segmentBytes: 300 });
    for (let i = 0; i < 8; i++) await log.append(batch(2, `b${i}`), { leaderEpoch: 0 });
    await log.close();
    await fsp.writeFile(path.join(d, STATE_FILE), '{not json');
    const reopened = await open(d, { segmentBytes: 300 });
    assert.equal(reopened.logEndOffset, 16);
    assert.equal((await readAll(reopened)).length, 16);
  });

  it('removes index files that belong to no segment', async () => {
    const d = dir();
    const log = await open(d);
    await log.append(batch(1), { leaderEpoch: 0 });
    await log.close();
    await fsp.writeFile(path.join(d, '00000000000000000777.index'), Buffer.alloc(8));
    await open(d);
    assert.deepEqual(await segmentFiles(d, '.index'), ['00000000000000000000.index']);
  });
});
