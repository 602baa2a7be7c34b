// Small filesystem helpers shared by the log's files.
import { promises as fsp } from 'fs';

/** fsyncs a directory so that files created or renamed in it survive a power loss. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
