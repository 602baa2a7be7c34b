// moto in server mode as a real S3-compatible server process on a free loopback port, for the tiered-storage
// suites and bench/tier.ts. moto is installed from PyPI into a venv outside the repository by
// e2e/tier/install.sh (pinned in e2e/tier/requirements.txt); STRATA_MOTO_SERVER names another moto_server.
// Its output goes to a log file in a temp dir, printed on failure. State lives in the process's memory.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { track } from './children';
import { freePort, httpStatus, makeTempDir, removeTempDir, repoRoot, sleep, tailFile, withTimeout } from './util';

export const MOTO_ACCESS_KEY = 'test';
export const MOTO_SECRET_KEY = 'test';
export const MOTO_REGION = 'us-east-1';

// The pinned SDK supports Node 20; its notice about future SDK versions is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let serverPath: string | undefined;

/** The moto_server executable, installing moto first when needed (idempotent; fast once installed). */
export function motoServerPath(): string {
  if (serverPath) return serverPath;
  if (process.env.STRATA_MOTO_SERVER) return (serverPath = process.env.STRATA_MOTO_SERVER);
  const script = path.join(repoRoot(), 'e2e', 'tier', 'install.sh');
  let out: string;
  try {
    out = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`e2e/tier/install.sh failed: ${e.message}\n${e.stderr ?? ''}`);
  }
  const last = out.trim().split('\n').pop() ?? '';
  if (!fs.existsSync(last)) throw new Error(`e2e/tier/install.sh did not print a moto_server path (got ${JSON.stringify(last)})`);
  return (serverPath = last);
}

export class MotoServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> | null = null;
  private clients: S3Client[] = [];

  private constructor(
    /** Listening address: loopback, or e.g. a node bridge address that pods reach (e2e/k8s). */
    readonly host: string,
    readonly port: number,
    readonly baseDir: string,
    readonly logPath: string,
  ) {}

  /** Starts moto_server, waits until it answers HTTP, and creates the given buckets. */
  static async start(opts: { buckets?: string[]; readyTimeoutMs?: number; host?: string } = {}): Promise<MotoServer> {
    const exe = motoServerPath();
    const port = await freePort();
    const baseDir = makeTempDir('moto');
    const server = new MotoServer(opts.host ?? '127.0.0.1', port, baseDir, path.join(baseDir, 'moto.log'));
    try {
      server.launch(exe);
      await server.waitReady(opts.readyTimeoutMs ?? 30_000);
      for (const b of opts.buckets ?? []) await server.createBucket(b);
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  get endpoint(): string {
    return `http://${this.host}:${this.port}`;
  }

  isAlive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** An S3 client for this server (path-style, the test key pair), destroyed by stop(). */
  client(endpoint = this.endpoint): S3Client {
    const c = new S3Client({
      endpoint,
      region: MOTO_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
    });
    this.clients.push(c);
    return c;
  }

  async createBucket(bucket: string): Promise<void> {
    await this.client().send(new CreateBucketCommand({ Bucket: bucket }));
  }

  /** Every key in the bucket under `prefix`, straight from the server (all pages), sorted. */
  async listKeys(bucket: string, prefix = ''): Promise<string[]> {
    const c = this.client();
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const res = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** Keys with their sizes. */
  async listObjects(bucket: string, prefix = ''): Promise<Array<{ key: string; size: number }>> {
    const c = this.client();
    const out: Array<{ key: string; size: number }> = [];
    let token: string | undefined;
    do {
      const res = await c.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key) out.push({ key: o.Key, size: o.Size ?? 0 });
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async getObject(bucket: string, key: string): Promise<Buffer> {
    const res = await this.client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  async headObject(bucket: string, key: string): Promise<{ size: number; etag: string } | null> {
    try {
      const res = await this.client().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { size: res.ContentLength ?? 0, etag: res.ETag ?? '' };
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw err;
    }
  }

  /** Multipart uploads started and neither completed nor aborted. */
  async openMultipartUploads(bucket: string): Promise<string[]> {
    const res = await this.client().send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    return (res.Uploads ?? []).map((u) => `${u.Key}#${u.UploadId}`);
  }

  /** SIGTERM, then SIGKILL after 5 s; destroys the clients and removes the temp dir. Safe to call twice. */
  async stop(): Promise<void> {
    for (const c of this.clients) c.destroy();
    this.clients = [];
    if (this.child && this.exited && this.isAlive()) {
      this.child.kill('SIGTERM');
      try {
        await withTimeout(this.exited, 5_000, 'moto_server exit after SIGTERM');
      } catch {
        this.child.kill('SIGKILL');
        await withTimeout(this.exited, 5_000, 'moto_server exit after SIGKILL').catch(() => undefined);
      }
    }
    removeTempDir(this.baseDir);
  }

  logTail(lines = 40): string {
    return tailFile(this.logPath, lines);
  }

  private launch(exe: string): void {
    const fd = fs.openSync(this.logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(exe, ['-H', this.host, '-p', String(this.port)], { stdio: ['ignore', fd, fd], env: { ...process.env } });
    } finally {
      fs.closeSync(fd);
    }
    track(child);
    this.child = child;
    this.exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err) => {
        fs.appendFileSync(this.logPath, `[e2e] spawn error: ${err.message}\n`);
        resolve();
      });
    });
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (!this.isAlive()) throw new Error(`moto_server exited before it answered\n--- moto log ---\n${this.logTail()}`);
      try {
        const status = await httpStatus(`${this.endpoint}/moto-api/`, 1000);
        if (status > 0) return;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`moto_server on port ${this.port} did not answer within ${timeoutMs} ms (${last})\n--- moto log ---\n${this.logTail()}`);
  }
}
