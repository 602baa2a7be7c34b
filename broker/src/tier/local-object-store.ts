// An ObjectStore in a local directory: the embedded default for single-broker mode and for tests.
// Key "a/b/c" is the file <root>/a/b/c. Writes go to a temp file under <root>/.tmp, are fsynced and then
// moved into place, so a reader or a crash never sees half an object. Etags are the MD5 of the content
// (hex), as S3 gives for single-part uploads. putFile copies the file in 1 MiB pieces, hashing as it goes.
//
// Several processes (brokers of one cluster on one machine) may share the directory: putIfAbsent commits with a
// hard link, which fails with EEXIST for all but one creator; every other write to a key (put, putFile,
// putIfMatch, delete) holds the key's lock file (key-lock.ts), so putIfMatch's compare-then-rename is atomic
// against writers in other processes too.
//
// Limits, compared with S3: a key cannot also be a "directory" of other keys ("a" and "a/b" cannot both
// exist). Etags are content hashes, as S3's: rewriting the same bytes keeps the etag, so a compare-and-swap
// user whose bodies can repeat must put something unique in them (a counter, an epoch).
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { ObjectNotFoundError, checkRange, readFileRange, type ByteRange, type ObjectStore } from './object-store';
import { KeyLocks } from './key-lock';

/** Top-level directory of in-progress writes and key locks; no key may start with it. */
const TMP_DIR = '.tmp';
const READ_CHUNK = 1 << 20;
/** Attempts to move a temp file into a directory that a concurrent delete keeps pruning. */
const COMMIT_ATTEMPTS = 10;

export class LocalObjectStore implements ObjectStore {
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly locks: KeyLocks;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
    this.tmpDir = path.join(this.root, TMP_DIR);
    this.locks = new KeyLocks(path.join(this.tmpDir, 'locks'));
  }

  async put(key: string, body: Buffer): Promise<{ etag: string }> {
    const file = this.file(key);
    return this.locked(file, async () => {
      await this.commit(file, await this.stage((out) => out.writeFile(body)), 'replace');
      return { etag: md5(body) };
    });
  }

  async putFile(key: string, source: FileHandle, length: number): Promise<{ etag: string }> {
    const file = this.file(key);
    const hash = createHash('md5');
    // Staged outside the lock: a long copy must not hold up other writers of the key.
    const tmp = await this.stage(async (out) => {
      for (let pos = 0; pos < length; pos += READ_CHUNK) {
        const chunk = await readFileRange(source, pos, Math.min(READ_CHUNK, length - pos));
        hash.update(chunk);
        await out.writeFile(chunk); // on a handle: writes all of it at the current position (appends)
      }
    });
    return this.locked(file, async () => {
      await this.commit(file, tmp, 'replace');
      return { etag: hash.digest('hex') };
    });
  }

  async putIfAbsent(key: string, body: Buffer): Promise<{ etag: string } | null> {
    const file = this.file(key);
    // No lock: the hard link is atomic across processes, and no locked writer can make an existing key absent
    // other than delete, after which creating it is legitimate.
    return (await this.commit(file, await this.stage((out) => out.writeFile(body)), 'create')) ? { etag: md5(body) } : null;
  }

  async putIfMatch(key: string, body: Buffer, etag: string): Promise<{ etag: string } | null> {
    const file = this.file(key);
    // The lock makes check-then-replace atomic against every other write to this key, in any process.
    return this.locked(file, async () => {
      const current = await this.head(key);
      if (current?.etag !== etag) return null;
      await this.commit(file, await this.stage((out) => out.writeFile(body)), 'replace');
      return { etag: md5(body) };
    });
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    if (range) checkRange(range);
    const obj = await openObject(this.file(key));
    if (!obj) throw new ObjectNotFoundError(key);
    try {
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? Infinity, obj.size - 1);
      const buf = Buffer.alloc(Math.max(0, end - start + 1));
      let filled = 0;
      while (filled < buf.length) {
        const { bytesRead } = await obj.fh.read(buf, filled, buf.length - filled, start + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buf.subarray(0, filled);
    } finally {
      await obj.fh.close();
    }
  }

  async head(key: string): Promise<{ size: number; etag: string } | null> {
    const obj = await openObject(this.file(key));
    if (!obj) return null;
    try {
      // Hash through the open handle: size and etag then describe the same version even if a put lands meanwhile.
      const hash = createHash('md5');
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      for (let pos = 0; ; ) {
        const { bytesRead } = await obj.fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        hash.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
      return { size: obj.size, etag: hash.digest('hex') };
    } finally {
      await obj.fh.close();
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    await this.walk('', prefix, keys);
    // S3 lists in UTF-8 byte order, which differs from JS string order for some non-ASCII keys.
    return keys
      .map((k) => ({ k, bytes: Buffer.from(k) }))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
      .map((e) => e.k);
  }

  async delete(keys: string[]): Promise<void> {
    const files = keys.map((k) => this.file(k));
    await Promise.all(
      files.map((file) =>
        this.locked(file, async () => {
          try {
            await fs.unlink(file);
          } catch (err) {
            if (isMissing(err)) return;
            throw err;
          }
          await this.pruneEmptyDirs(path.dirname(file));
        }),
      ),
    );
  }

  /**
   * Runs a write of one key's file under its locks: the in-process queue first (writers in this process wait
   * their turn without polling), then the lock file other processes see.
   */
  private locked<T>(file: string, fn: () => Promise<T>): Promise<T> {
    return withLock(file, () => this.locks.with(path.relative(this.root, file), fn));
  }

  /** The file of a key; throws for keys that could escape the root or do not map to one file. */
  private file(key: string): string {
    const segments = key.split('/');
    const problem =
      key === '' ? 'empty key'
      : key.startsWith('/') ? 'absolute path'
      : key.includes('\0') ? 'NUL character'
      : segments.includes('') ? 'empty path segment'
      : segments.some((s) => s === '.' || s === '..') ? '"." or ".." segment'
      : segments[0] === TMP_DIR ? `"${TMP_DIR}" is reserved`
      : null;
    if (problem) throw new Error(`invalid object key ${JSON.stringify(key)}: ${problem}`);
    return path.join(this.root, ...segments);
  }

  /** Writes a new temp file with `write`, fsyncs it and returns its path. */
  private async stage(write: (out: FileHandle) => Promise<unknown>): Promise<string> {
    await fs.mkdir(this.tmpDir, { recursive: true });
    const tmp = path.join(this.tmpDir, randomUUID());
    try {
      const fh = await fs.open(tmp, 'wx');
      try {
        await write(fh);
        await fh.sync();
      } finally {
        await fh.close();
      }
      return tmp;
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Moves a staged file to its key. 'replace' renames over any existing object (atomic); 'create' hard-links,
   * which fails with EEXIST when the key exists, so exactly one of several creators wins. False = lost.
   */
  private async commit(file: string, tmp: string, mode: 'replace' | 'create'): Promise<boolean> {
    const dir = path.dirname(file);
    try {
      let firstCreated: string | undefined;
      for (let attempt = 1; ; attempt++) {
        try {
          firstCreated = await fs.mkdir(dir, { recursive: true });
          if (mode === 'replace') await fs.rename(tmp, file);
          else await fs.link(tmp, file);
          break;
        } catch (err) {
          if (mode === 'create' && errorCode(err) === 'EEXIST') return false;
          // ENOENT: a concurrent delete pruned the directory (even during mkdir); make it again.
          if (errorCode(err) !== 'ENOENT' || attempt === COMMIT_ATTEMPTS) throw err;
        }
      }
      // The new entry, and each directory just created for it, is durable once its parent is fsynced.
      const top = firstCreated === undefined ? dir : path.dirname(firstCreated);
      for (let d = dir; ; d = path.dirname(d)) {
        await fsyncDir(d);
        if (d === top) break;
      }
      return true;
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /** Removes directories left empty by a delete, up to (not including) the root. */
  private async pruneEmptyDirs(dir: string): Promise<void> {
    for (; dir !== this.root && dir.startsWith(this.root); dir = path.dirname(dir)) {
      try {
        await fs.rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop climbing
      }
    }
  }

  /** Collects keys under directory `rel` that start with `prefix`, descending only where matches can be. */
  private async walk(rel: string, prefix: string, out: string[]): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(path.join(this.root, rel), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    await Promise.all(
      entries.map(async (e) => {
        const key = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isFile()) {
          if (key.startsWith(prefix)) out.push(key);
        } else if (e.isDirectory() && key !== TMP_DIR) {
          const dirPrefix = `${key}/`;
          if (dirPrefix.startsWith(prefix) || prefix.startsWith(dirPrefix)) await this.walk(key, prefix, out);
        }
      }),
    );
  }
}

function md5(body: Buffer): string {
  return createHash('md5').update(body).digest('hex');
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Errors meaning "no object at this key" (ENOTDIR/EISDIR: a path component or the key itself is a directory). */
function isMissing(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/** Opens the object's file, or null when there is no object. The handle pins one version of the object. */
async function openObject(file: string): Promise<{ fh: FileHandle; size: number } | null> {
  let fh: FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  try {
    const st = await fh.stat();
    if (st.isFile()) return { fh, size: st.size };
  } catch (err) {
    await fh.close();
    throw err;
  }
  await fh.close();
  return null;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// Writes to one file are serialized process-wide, keyed by absolute path, so several stores over the same
// directory (several brokers in one test process) still see each other's conditional writes atomically.
const locks = new Map<string, Promise<void>>();

async function withLock<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(file) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  locks.set(file, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(file) === tail) locks.delete(file);
  }
}
