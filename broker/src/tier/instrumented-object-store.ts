// An ObjectStore decorator that reports every operation's latency, and its error cause when it failed, to a
// callback (the broker feeds its object-store latency histogram and error counters from it). Outcomes that
// are answers rather than failures are not errors: head → null, a lost conditional write → null. A get of a
// missing key is reported with cause 'NotFound'. Each report also names the key (the prefix of a list, the first
// key of a delete) and the body bytes read, so requests and egress can be counted per topic (metrics/cost-model.ts).
import type { FileHandle } from 'node:fs/promises';
import { objectStoreErrorCause } from './s3-object-store';
import type { ByteRange, ObjectStore } from './object-store';

/** What one request touched: its key (see above) and the bytes of the body it returned (a get's). */
export interface ObjectStoreRequest {
  key: string;
  bytesRead: number;
}

/** op is the ObjectStore method name: put, get, head, list, delete, putIfAbsent, putIfMatch (putFile counts as put). */
export type ObjectStoreObserver = (op: string, seconds: number, errorCause: string | undefined, request: ObjectStoreRequest) => void;

export class InstrumentedObjectStore implements ObjectStore {
  constructor(
    readonly inner: ObjectStore,
    private readonly observe: ObjectStoreObserver,
  ) {}

  put(key: string, body: Buffer): Promise<{ etag: string }> {
    return this.timed('put', key, () => this.inner.put(key, body));
  }

  putFile(key: string, file: FileHandle, length: number): Promise<{ etag: string }> {
    return this.timed('put', key, () => this.inner.putFile(key, file, length));
  }

  get(key: string, range?: ByteRange): Promise<Buffer> {
    return this.timed('get', key, () => this.inner.get(key, range), (body) => body.length);
  }

  head(key: string): Promise<{ size: number; etag: string } | null> {
    return this.timed('head', key, () => this.inner.head(key));
  }

  list(prefix: string): Promise<string[]> {
    return this.timed('list', prefix, () => this.inner.list(prefix));
  }

  delete(keys: string[]): Promise<void> {
    return this.timed('delete', keys[0] ?? '', () => this.inner.delete(keys));
  }

  putIfAbsent(key: string, body: Buffer): Promise<{ etag: string } | null> {
    return this.timed('putIfAbsent', key, () => this.inner.putIfAbsent(key, body));
  }

  putIfMatch(key: string, body: Buffer, etag: string): Promise<{ etag: string } | null> {
    return this.timed('putIfMatch', key, () => this.inner.putIfMatch(key, body, etag));
  }

  private async timed<T>(op: string, key: string, fn: () => Promise<T>, bytesRead: (result: T) => number = () => 0): Promise<T> {
    const start = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
    let result: T;
    try {
      result = await fn();
    } catch (err) {
      this.report(op, seconds(), objectStoreErrorCause(err), { key, bytesRead: 0 });
      throw err;
    }
    this.report(op, seconds(), undefined, { key, bytesRead: bytesRead(result) });
    return result;
  }

  /** An observer that throws must not turn a successful operation into a failure. */
  private report(op: string, seconds: number, cause: string | undefined, request: ObjectStoreRequest): void {
    try {
      this.observe(op, seconds, cause, request);
    } catch {
      // ignored
    }
  }
}
