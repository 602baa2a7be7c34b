// Per-key lock files, so writers in several processes sharing one local object store directory take turns on
// a key. A lock is the file <dir>/<sha1(key)>, created with O_EXCL ('wx'): exactly one creator succeeds. A holder
// keeps it for a few file operations; one left behind by a crashed process is broken once it is older than
// STALE_MS (a holder paused longer than that could then overlap with the next one: the bound is far above
// any real hold time, and the cluster's conditional writes are otherwise atomic). The file names its holder
// (pid, host, pid namespace): a holder on this host and in this pid namespace that no longer exists (kill -9
// mid-write) is broken at once, so a killed controller's lease is not stuck behind its lock for STALE_MS. Holders
// elsewhere (another host or container sharing the directory) are judged by age only.
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import * as path from 'node:path';

/** A lock file older than this is considered left by a dead process. */
export const STALE_MS = 10_000;
/** Longest pause between attempts on a busy lock (randomized below it so waiters do not move in step). */
const MAX_BACKOFF_MS = 8;
/** Where this process runs, as written into its lock files after the pid: "<host> <pid namespace>". */
export const PLACE = `${hostname()} ${pidNamespace()}`;

export class KeyLocks {
  constructor(
    private readonly dir: string,
    private readonly staleMs = STALE_MS,
  ) {}

  /** Runs `fn` while holding the lock of `key`. */
  async with<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const file = path.join(this.dir, createHash('sha1').update(key).digest('hex'));
    const ino = await this.acquire(file);
    try {
      return await fn();
    } finally {
      await this.release(file, ino);
    }
  }

  /** Creates the lock file, waiting while another holder has it; returns its inode (our proof of ownership). */
  private async acquire(file: string): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await fs.open(file, 'wx');
        try {
          await fh.writeFile(`${process.pid} ${PLACE}\n`);
          return (await fh.stat()).ino;
        } finally {
          await fh.close();
        }
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          await fs.mkdir(this.dir, { recursive: true });
          continue;
        }
        if (code !== 'EEXIST') throw err;
      }
      if (!(await this.breakIfStale(file))) {
        await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * Math.min(MAX_BACKOFF_MS, attempt + 1)));
      }
    }
  }

  /**
   * Removes the lock file when it is stale. It is first renamed to a unique name (only one breaker can), then
   * checked to be the very file judged stale: if a live holder's fresh lock was caught instead, it is put back.
   */
  private async breakIfStale(file: string): Promise<boolean> {
    const st = await statOrNull(file);
    if (!st) return true;
    if (Date.now() - st.mtimeMs < this.staleMs && !(await heldByDeadProcess(file))) return false;
    const moved = `${file}.broken-${randomUUID()}`;
    try {
      await fs.rename(file, moved);
    } catch {
      return false; // someone else broke or released it
    }
    const caught = await statOrNull(moved);
    if (caught && caught.ino !== st.ino) await fs.link(moved, file).catch(() => undefined);
    await fs.rm(moved, { force: true });
    return true;
  }

  /** Deletes the lock file if it is still ours (a breaker may have taken it over after a very long pause). */
  private async release(file: string, ino: number): Promise<void> {
    const st = await statOrNull(file);
    if (st?.ino === ino) await fs.rm(file, { force: true });
  }
}

/** Whether the lock file names a holder in this very place (host and pid namespace) that no longer exists. */
async function heldByDeadProcess(file: string): Promise<boolean> {
  let content: string;
  try {
    content = await fs.readFile(file, 'utf8');
  } catch {
    return false; // released meanwhile (the caller retries) or unreadable: judge by age
  }
  const m = /^(\d+) (.+)\n$/.exec(content);
  if (!m || m[2] !== PLACE || PLACE.endsWith(' ')) return false; // another host or container, or an older format
  const pid = Number(m[1]);
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** This process's pid namespace ("pid:[4026531836]"), '' where /proc does not say. */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}

async function statOrNull(file: string) {
  try {
    return await fs.stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
