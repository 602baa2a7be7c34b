// An ObjectStore on an S3-compatible bucket (AWS S3, or any server speaking its API over HTTP such as moto in
// the tests). Keys are stored under an optional prefix ("<prefix>/<key>"). Etags are returned without the
// quotes S3 puts around them, so single-part objects have the MD5 hex etag LocalObjectStore gives.
//
// Conditional writes use S3's own preconditions, which are atomic on the server: putIfAbsent sends
// `If-None-Match: *`, putIfMatch sends `If-Match: "<etag>"`. A 412 PreconditionFailed, a 409
// ConditionalRequestConflict (a concurrent conditional write to the same key) and, for putIfMatch, a 404
// (the key is gone) mean "another writer won" and give null. put and putIfAbsent bodies above
// `multipartThresholdBytes` go up as a multipart upload (If-None-Match then rides on CompleteMultipartUpload),
// aborted on any failure so no parts are left behind. putIfMatch is always one PutObject (up to 5 GiB): moto
// does not check If-Match on CompleteMultipartUpload, and checking it separately would not be atomic.
// putFile (segment uploads) never holds more than FILE_PART_CONCURRENCY parts of the file: up to one part it is a
// single PutObject of that part, above it a multipart upload whose parts are read from the file as they are sent,
// two at a time (one part at a time made a 256 MiB segment take 11 s instead of 7 s on moto; uploads are also
// bounded broker-wide by remote.max.concurrent.uploads, so memory stays a few parts per upload).
//
// Retries: by default the SDK does not retry (maxAttempts 1); every failure is thrown as an ObjectStoreError
// whose `cause` label ('500', '503', 'SlowDown', 'timeout', 'reset', ...) lets the caller decide to retry with
// its own backoff and count errors by cause. A conditional write that failed with 'timeout' or 'reset' is
// ambiguous (the server may have applied it): a retry may then report null for a write that actually won,
// so callers of putIfAbsent/putIfMatch resolve such outcomes by reading the object back.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { FileHandle } from 'node:fs/promises';
import { ObjectNotFoundError, checkRange, readFileRange, type ByteRange, type ObjectStore } from './object-store';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Default 'us-east-1'. */
  region?: string;
  /** Endpoint URL of an S3-compatible server; undefined or '' = AWS. */
  endpoint?: string;
  /** Prepended to every key; a trailing '/' is added when missing. '' = none. */
  prefix?: string;
  /** Path-style addressing (http://host/bucket/key), needed by most S3-compatible servers. */
  forcePathStyle?: boolean;
  /** A static key pair; undefined = the AWS SDK default credential chain (env, profile, web identity, IMDS...). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Connection timeout, time to response headers, and socket inactivity limit of one request. Default 30000. */
  requestTimeoutMs?: number;
  /** Bodies larger than this are uploaded as multipart uploads. Default 16 MiB. */
  multipartThresholdBytes?: number;
  /** Part size of multipart uploads (S3 minimum 5 MiB except the last part). Default 8 MiB. */
  partSizeBytes?: number;
  /** Parts uploaded at once in one multipart upload. Default 4. */
  partConcurrency?: number;
  /** MaxKeys of one ListObjectsV2 page (1-1000). Default 1000. */
  listPageSize?: number;
  /** Keys per DeleteObjects request (1-1000). Default 1000. */
  deleteBatchSize?: number;
  /** SDK attempts per request (1 = no SDK retries; callers retry on ObjectStoreError). Default 1. */
  maxAttempts?: number;
}

const MiB = 1024 * 1024;
const MIN_PART_SIZE = 5 * MiB;
/** Parts of a file upload (putFile) read and in flight at once. */
const FILE_PART_CONCURRENCY = 2;
const MAX_SINGLE_PUT = 5 * 1024 * MiB;

/**
 * A failed object-store request. `cause` is a short label for metrics and retry decisions: the HTTP status
 * ('500', '503', '403', ...), 'SlowDown' (503 throttling), 'timeout', 'reset' (connection reset or closed
 * mid-request, including a response body cut short), 'refused', 'network' (other socket errors) or 'unknown'.
 */
export class ObjectStoreError extends Error {
  override readonly name = 'ObjectStoreError';
  constructor(
    readonly op: string,
    readonly key: string | undefined,
    override readonly cause: string,
    /** 5xx, SlowDown, timeouts, resets and refused connections are worth retrying; 4xx are not. */
    readonly retryable: boolean,
    /** HTTP status when the server answered. */
    readonly status: number | undefined,
    /** The error the SDK threw. */
    readonly error: unknown,
    message: string,
  ) {
    super(message);
    this.code = CODES[cause] ?? (cause === 'network' ? ((error as { code?: string })?.code ?? cause) : errName(error) ?? cause);
    this.$metadata = { httpStatusCode: status };
  }

  /**
   * Node/SDK-style fields, so classifiers written against raw SDK and socket errors (code, $metadata) keep
   * working: 'SlowDown', 'ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', another socket code, or the S3 error code.
   */
  readonly code: string;
  readonly $metadata: { httpStatusCode?: number };
}

const CODES: Record<string, string> = { SlowDown: 'SlowDown', timeout: 'ETIMEDOUT', reset: 'ECONNRESET', refused: 'ECONNREFUSED' };

/** The cause label of any error an ObjectStore throws ('NotFound' for ObjectNotFoundError, 'RangeError', ...). */
export function objectStoreErrorCause(err: unknown): string {
  if (err instanceof ObjectStoreError) return err.cause;
  if (err instanceof ObjectNotFoundError) return 'NotFound';
  if (err instanceof Error) return classify(err).cause;
  return 'unknown';
}

export class S3ObjectStore implements ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly multipartThresholdBytes: number;
  private readonly partSize: number;
  private readonly partConcurrency: number;
  private readonly listPageSize: number;
  private readonly deleteBatchSize: number;

  constructor(opts: S3ObjectStoreOptions) {
    if (!opts.bucket) throw new Error('S3ObjectStore: bucket is required');
    this.bucket = opts.bucket;
    this.prefix = opts.prefix && !opts.prefix.endsWith('/') ? `${opts.prefix}/` : opts.prefix ?? '';
    this.multipartThresholdBytes = opts.multipartThresholdBytes ?? 16 * MiB;
    this.partSize = Math.max(MIN_PART_SIZE, opts.partSizeBytes ?? 8 * MiB);
    this.partConcurrency = Math.max(1, opts.partConcurrency ?? 4);
    this.listPageSize = clampInt(opts.listPageSize ?? 1000, 1, 1000);
    this.deleteBatchSize = clampInt(opts.deleteBatchSize ?? 1000, 1, 1000);
    // The pinned SDK supports Node 20; its notice about future versions would only clutter the broker's log.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const timeout = opts.requestTimeoutMs ?? 30_000;
    this.client = new S3Client({
      region: opts.region || 'us-east-1',
      endpoint: opts.endpoint || undefined,
      forcePathStyle: opts.forcePathStyle ?? false,
      credentials: opts.credentials,
      maxAttempts: Math.max(1, opts.maxAttempts ?? 1),
      requestHandler: {
        connectionTimeout: timeout,
        requestTimeout: timeout,
        throwOnRequestTimeout: true,
        socketTimeout: timeout,
      },
    });
  }

  async put(key: string, body: Buffer): Promise<{ etag: string }> {
    const res = await this.write('put', key, body, {});
    if (!res) throw new Error(`S3 put of ${JSON.stringify(key)} reported a precondition failure without a precondition`);
    return res;
  }

  async putFile(key: string, file: FileHandle, length: number): Promise<{ etag: string }> {
    const res =
      length <= this.partSize
        ? await this.write('put', key, await readFileRange(file, 0, length), {})
        : await this.multipart('put', key, length, (start, end) => readFileRange(file, start, end - start), FILE_PART_CONCURRENCY, {});
    if (!res) throw new Error(`S3 put of ${JSON.stringify(key)} reported a precondition failure without a precondition`);
    return res;
  }

  putIfAbsent(key: string, body: Buffer): Promise<{ etag: string } | null> {
    return this.write('putIfAbsent', key, body, { IfNoneMatch: '*' });
  }

  putIfMatch(key: string, body: Buffer, etag: string): Promise<{ etag: string } | null> {
    return this.write('putIfMatch', key, body, { IfMatch: quote(etag) });
  }

  async get(key: string, range?: ByteRange): Promise<Buffer> {
    if (range) checkRange(range);
    const Key = this.fullKey(key);
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }),
      );
      if (!res.Body) return Buffer.alloc(0);
      const bytes = await res.Body.transformToByteArray();
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // Never hand out a body cut short (a connection closed mid-response): check it against Content-Length.
      if (res.ContentLength !== undefined && buf.length !== res.ContentLength) {
        throw Object.assign(new Error(`response body of ${buf.length} bytes, Content-Length ${res.ContentLength}`), { code: 'ECONNRESET' });
      }
      return buf;
    } catch (err) {
      const status = statusOf(err);
      if (status === 404 || errName(err) === 'NoSuchKey') throw new ObjectNotFoundError(key);
      // Range starting at or past the end (also any range of an empty object): nothing to return.
      if (range && (status === 416 || errName(err) === 'InvalidRange')) return Buffer.alloc(0);
      throw wrap('get', key, err);
    }
  }

  async head(key: string): Promise<{ size: number; etag: string } | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      return { size: res.ContentLength ?? 0, etag: unquote(res.ETag ?? '') };
    } catch (err) {
      if (statusOf(err) === 404 || errName(err) === 'NotFound' || errName(err) === 'NoSuchKey') return null;
      throw wrap('head', key, err);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const full = this.prefix + prefix;
    const keys: string[] = [];
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: full, ContinuationToken: token, MaxKeys: this.listPageSize }),
        );
      } catch (err) {
        throw wrap('list', prefix, err);
      }
      for (const obj of res.Contents ?? []) {
        if (obj.Key !== undefined && obj.Key.startsWith(this.prefix)) keys.push(obj.Key.slice(this.prefix.length));
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    // S3 lists in UTF-8 byte order already; sort anyway so a server that pages differently cannot reorder keys.
    return keys
      .map((k) => ({ k, bytes: Buffer.from(k) }))
      .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
      .map((e) => e.k);
  }

  async delete(keys: string[]): Promise<void> {
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += this.deleteBatchSize) {
      const batch = unique.slice(i, i + this.deleteBatchSize);
      let res;
      try {
        res = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((k) => ({ Key: this.fullKey(k) })), Quiet: true },
          }),
        );
      } catch (err) {
        throw wrap('delete', batch[0], err);
      }
      // Missing keys are not reported by S3; anything listed here really failed (AccessDenied, InternalError...).
      const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0];
        const code = first.Code ?? 'unknown';
        const retryable = code === 'InternalError' || code === 'SlowDown' || code === 'ServiceUnavailable';
        throw new ObjectStoreError(
          'delete', first.Key, code, retryable, undefined, failed,
          `S3 delete of ${failed.length} of ${batch.length} keys failed; first ${JSON.stringify(first.Key)}: ${code} ${first.Message ?? ''}`,
        );
      }
    }
  }

  /** Stops the SDK's HTTP agent (idle keep-alive sockets). */
  destroy(): void {
    this.client.destroy();
  }

  private fullKey(key: string): string {
    if (key === '') throw new Error('invalid object key "": empty key');
    return this.prefix + key;
  }

  /** One put, plain or conditional, single-part or multipart; null when the precondition failed. */
  private async write(
    op: string,
    key: string,
    body: Buffer,
    cond: { IfNoneMatch?: string; IfMatch?: string },
  ): Promise<{ etag: string } | null> {
    const Key = this.fullKey(key);
    const conditional = cond.IfNoneMatch !== undefined || cond.IfMatch !== undefined;
    // putIfMatch stays a single PutObject (S3 takes up to 5 GiB in one): moto ignores If-Match on
    // CompleteMultipartUpload (it honours If-None-Match there), and a HEAD before completing would not be atomic.
    if (body.length > this.multipartThresholdBytes && cond.IfMatch === undefined) {
      return this.multipart(op, key, body.length, async (start, end) => body.subarray(start, end), this.partConcurrency, cond);
    }
    if (body.length > MAX_SINGLE_PUT) throw new RangeError(`S3 ${op} of ${body.length} bytes: conditional replace is limited to 5 GiB`);
    try {
      const res = await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ...cond }));
      return { etag: unquote(res.ETag ?? '') };
    } catch (err) {
      if (conditional && lostRace(err, cond)) return null;
      throw wrap(op, key, err);
    }
  }

  /**
   * A multipart upload of `size` bytes; `readPart(start, endExclusive)` gives each part's bytes when it is sent,
   * so at most `concurrency` parts are in memory at once.
   */
  private async multipart(
    op: string,
    key: string,
    size: number,
    readPart: (start: number, end: number) => Promise<Buffer>,
    concurrency: number,
    cond: { IfNoneMatch?: string; IfMatch?: string },
  ): Promise<{ etag: string } | null> {
    const Key = this.fullKey(key);
    let uploadId: string | undefined;
    try {
      const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
      uploadId = created.UploadId;
      if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      const count = Math.ceil(size / this.partSize);
      const parts: CompletedPart[] = new Array(count);
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < count; i = next++) {
          const chunk = await readPart(i * this.partSize, Math.min(size, (i + 1) * this.partSize));
          const res = await this.client.send(
            new UploadPartCommand({ Bucket: this.bucket, Key, UploadId: uploadId, PartNumber: i + 1, Body: chunk }),
          );
          parts[i] = { PartNumber: i + 1, ETag: res.ETag };
        }
      };
      // On a failed part, start no more and let the parts in flight finish before aborting: a part that lands
      // after AbortMultipartUpload can leave the upload's storage behind (S3 documents aborting again for this).
      const settled = await Promise.allSettled(
        Array.from({ length: Math.min(concurrency, count) }, () =>
          worker().catch((err: unknown) => {
            next = count;
            throw err;
          }),
        ),
      );
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      const done = await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts }, ...cond }),
      );
      uploadId = undefined; // completed: nothing to abort
      return { etag: unquote(done.ETag ?? '') };
    } catch (err) {
      if (err instanceof RangeError) throw err; // the source file is shorter than announced: not a store failure
      const conditional = cond.IfNoneMatch !== undefined || cond.IfMatch !== undefined;
      if (conditional && lostRace(err, cond)) return null;
      throw wrap(op, key, err);
    } finally {
      if (uploadId !== undefined) {
        // Best effort, a few times (the SDK itself does not retry here, and the failure that got us here may have
        // broken a pooled connection too): a leftover upload costs storage until a lifecycle rule removes it.
        for (let attempt = 0; attempt < ABORT_ATTEMPTS; attempt++) {
          const aborted = await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId: uploadId })).then(
            () => true,
            (err: unknown) => statusOf(err) === 404, // NoSuchUpload: already gone
          );
          if (aborted) break;
        }
      }
    }
  }
}

/** Tries of AbortMultipartUpload after a failed multipart upload. */
const ABORT_ATTEMPTS = 3;

/** Whether a conditional write failed because another writer won (or, for If-Match, deleted the key). */
function lostRace(err: unknown, cond: { IfMatch?: string }): boolean {
  const status = statusOf(err);
  const name = errName(err);
  if (status === 412 || name === 'PreconditionFailed') return true;
  if (status === 409 && (name === 'ConditionalRequestConflict' || name === 'OperationAborted' || name === undefined)) return true;
  if (cond.IfMatch !== undefined && (status === 404 || name === 'NoSuchKey')) return true;
  return false;
}

function wrap(op: string, key: string | undefined, err: unknown): ObjectStoreError {
  if (err instanceof ObjectStoreError) return err;
  const { cause, retryable } = classify(err);
  const status = statusOf(err);
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new ObjectStoreError(op, key, cause, retryable, status, err, `S3 ${op}${key !== undefined ? ` ${JSON.stringify(key)}` : ''} failed (${cause}): ${detail}`);
}

function classify(err: unknown): { cause: string; retryable: boolean } {
  const e = err as { name?: string; code?: string; message?: string };
  const status = statusOf(err);
  const name = e?.name;
  const code = e?.code;
  const msg = e?.message ?? '';
  if (name === 'SlowDown' || code === 'SlowDown') return { cause: 'SlowDown', retryable: true };
  if (status !== undefined && status > 0) {
    return { cause: String(status), retryable: status >= 500 || status === 429 || name === 'RequestTimeout' };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE' || /socket hang up|aborted|premature close/i.test(msg)) {
    return { cause: 'reset', retryable: true };
  }
  if (code === 'ETIMEDOUT' || name === 'TimeoutError' || /timed? ?out/i.test(msg)) return { cause: 'timeout', retryable: true };
  if (code === 'ECONNREFUSED') return { cause: 'refused', retryable: true };
  if (typeof code === 'string' && code.startsWith('E')) return { cause: 'network', retryable: true };
  return { cause: 'unknown', retryable: false };
}

function statusOf(err: unknown): number | undefined {
  const s = (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  // The SDK reports the status of a response; a network failure leaves it undefined.
  return typeof s === 'number' ? s : undefined;
}

function errName(err: unknown): string | undefined {
  return (err as { name?: string })?.name;
}

function quote(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

function unquote(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}

function clampInt(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.floor(n)));
}
