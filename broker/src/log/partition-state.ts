// partition.state: the few facts about a partition that the segment files cannot tell. Written atomically
// (temp file, fsync, rename, fsync dir) so a crash leaves either the old or the new version.
import { promises as fsp } from 'fs';
import * as path from 'path';
import { STATE_FILE } from './file-names';
import { Serial } from './serial';
import { fsyncDirectory } from './fs-util';

export interface PartitionState {
  logStartOffset: number;
  /** Everything below this offset is known to be fsynced: recovery starts at its segment. */
  recoveryPoint: number;
  /** Written true by a clean close, false as soon as the log is opened. */
  cleanShutdown: boolean;
  leaderEpochs: Array<[number, number]>;
  /**
   * The high watermark when the state was written (a lower bound of the current one: it only moves up). A
   * replicated log reopens with it rather than at its log end, whose tail may not be committed. Absent in
   * files written before replication.
   */
  highWatermark?: number;
}

const TMP_SUFFIX = '.tmp';

export function stateFileTmp(dir: string): string {
  return path.join(dir, STATE_FILE + TMP_SUFFIX);
}

/** The stored state, null if there is none; throws if it is unreadable. */
export async function readPartitionState(dir: string): Promise<PartitionState | null> {
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const s = JSON.parse(text) as Partial<PartitionState>;
  const valid =
    typeof s.logStartOffset === 'number' &&
    typeof s.recoveryPoint === 'number' &&
    typeof s.cleanShutdown === 'boolean' &&
    Array.isArray(s.leaderEpochs) &&
    s.leaderEpochs.every((e) => Array.isArray(e) && e.length === 2 && e.every((n) => typeof n === 'number')) &&
    (s.highWatermark === undefined || typeof s.highWatermark === 'number');
  if (!valid) throw new Error(`malformed ${STATE_FILE}`);
  return s as PartitionState;
}

/** Serializes writes; each write takes the freshest snapshot when its turn comes. */
export class PartitionStateWriter {
  private readonly serial = new Serial();

  constructor(private readonly dir: string) {}

  save(snapshot: () => PartitionState): Promise<void> {
    return this.serial.run(() => this.write(snapshot()));
  }

  private async write(state: PartitionState): Promise<void> {
    const tmp = stateFileTmp(this.dir);
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify(state));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path.join(this.dir, STATE_FILE));
    await fsyncDirectory(this.dir);
  }
}
