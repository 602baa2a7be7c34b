// Small filesystem helpers shared by the log's files.
import { constants as fsc, promises as fsp } from 'fs';
import type { FileHandle } from 'fs/promises';

/** fsyncs a directory so that files created or renamed in it survive a power loss. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A read-write file opened (created) on first use, shared by a segment's log file and its transaction index.
 * A failed open (full disk) is not remembered: the next use tries again. After close() every open is refused.
 */
export class LazyFile {
  private handle?: Promise<FileHandle>;
  private closed = false;

  constructor(
    readonly path: string,
    /** What the file is, for the error after close ("segment …", "transaction index …"). */
    private readonly what: string,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** The handle, opening the file if needed. */
  open(): Promise<FileHandle> {
    if (this.closed) return Promise.reject(new Error(`${this.what} ${this.path} is closed`));
    if (!this.handle) {
      const opening = fsp.open(this.path, fsc.O_RDWR | fsc.O_CREAT, 0o644);
      this.handle = opening;
      opening.catch(() => {
        if (this.handle === opening) this.handle = undefined;
      });
    }
    return this.handle;
  }

  /** The handle only if the file was opened already (sync and truncate need not create it). */
  get opened(): Promise<FileHandle> | undefined {
    return this.closed ? undefined : this.handle;
  }

  /** Closes once reads in flight are done; a failed open has nothing to close. */
  async close(): Promise<void> {
    this.closed = true;
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await handle.then((fh) => fh.close(), () => undefined);
  }
}
