// Fixtures for the idempotent-producer tests: producer batches and client appends.
import { LogError } from '../../src/log/log-error';
import type { PartitionLog } from '../../src/log/partition-log';
import { batch } from './helpers';

export const CLIENT = { leaderEpoch: 0, fromClient: true };

/** A batch of `count` records from producer `pid` at `epoch`, starting at sequence `seq`. */
export function pbatch(pid: number, epoch: number, seq: number, count = 1, label = `p${pid}e${epoch}s${seq}`): Buffer {
  return batch(count, label, { producerId: pid, producerEpoch: epoch, baseSequence: seq });
}

export function isLogError(code: number) {
  return (err: unknown) => err instanceof LogError && err.code === code;
}

/** Appends `batches` batches of `count` records with sequences 0, count, 2*count…; returns their base offsets. */
export async function appendSequence(log: PartitionLog, pid: number, batches: number, count = 2, epoch = 0, firstSeq = 0): Promise<number[]> {
  const offsets: number[] = [];
  for (let i = 0; i < batches; i++) offsets.push((await log.append(pbatch(pid, epoch, firstSeq + i * count, count), CLIENT)).baseOffset);
  return offsets;
}
