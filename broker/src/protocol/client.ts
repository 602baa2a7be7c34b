// A small Kafka request/response client over one TCP connection, for admin tools, tests and benchmarks.
// Requests are pipelined: each gets a correlation id and its promise resolves when that response arrives.
// Optionally over TLS and authenticated with SASL (PLAIN, SCRAM-SHA-256/512) before it is handed out.
import * as net from 'net';
import * as tls from 'tls';
import { ScramClient, type ScramMechanism } from '../security/scram';
import { API_SPECS, ApiKey, apiName } from './apis';
import { ProtocolError } from './codec';
import { ErrorCode, KafkaError } from './errors';
import { decodeResponse, encodeRequestFrame } from './headers';
import { FrameReader } from './frame-reader';
import type { VersionRange } from './schema/spec';
import type { ApiVersionsResponse, SaslAuthenticateResponse, SaslHandshakeResponse } from './schema/types';

export interface ClientOptions {
  host: string;
  port: number;
  clientId?: string;
  /** Connect timeout and per-request timeout; 0 disables the request timeout. Default 30 s. */
  timeoutMs?: number;
  /** Largest response frame accepted. Default 256 MiB. */
  maxFrameBytes?: number;
  /** Connect with TLS using these options (ca, cert, key, servername…). */
  tls?: tls.ConnectionOptions;
  /** Authenticate with SASL (SaslHandshake v1 + SaslAuthenticate) before the client is returned. */
  sasl?: SaslCredentials;
}

export interface SaslCredentials {
  mechanism: 'PLAIN' | ScramMechanism;
  username: string;
  password: string;
}

interface Pending {
  decode(frame: Buffer): unknown;
  resolve(body: unknown): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

export class KafkaClient {
  private readonly pending = new Map<number, Pending>();
  private readonly frames: FrameReader;
  private readonly clientId: string;
  private readonly timeoutMs: number;
  private nextCorrelationId = 1;
  private failure: Error | undefined;
  private versions: ReadonlyMap<number, VersionRange> | undefined;

  private constructor(
    private readonly socket: net.Socket,
    private readonly address: string,
    opts: ClientOptions,
  ) {
    this.clientId = opts.clientId ?? 'strata-client';
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.frames = new FrameReader(opts.maxFrameBytes ?? 256 * 1024 * 1024);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(new Error(`connection to ${address} failed: ${err.message}`)));
    socket.on('close', () => this.fail(new Error(`connection to ${address} closed`)));
  }

  static async connect(opts: ClientOptions): Promise<KafkaClient> {
    const client = await KafkaClient.open(opts);
    if (opts.sasl) {
      try {
        await client.authenticate(opts.sasl);
      } catch (err) {
        await client.close();
        throw err;
      }
    }
    return client;
  }

  private static open(opts: ClientOptions): Promise<KafkaClient> {
    const address = `${opts.host}:${opts.port}`;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const socket = opts.tls ? tls.connect({ host: opts.host, port: opts.port, ...opts.tls }) : net.connect({ host: opts.host, port: opts.port });
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(new Error(`cannot connect to ${address}: ${err.message}`));
      };
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connecting to ${address} timed out after ${timeoutMs} ms`));
      }, timeoutMs || 30_000);
      socket.once('error', onError);
      socket.once(opts.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', onError);
        resolve(new KafkaClient(socket, address, opts));
      });
    });
  }

  /** SaslHandshake v1 + SaslAuthenticate v1; throws a KafkaError (e.g. SASL_AUTHENTICATION_FAILED) on refusal. */
  async authenticate(sasl: SaslCredentials): Promise<{ sessionLifetimeMs: number }> {
    const hs = await this.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: sasl.mechanism });
    if (hs.errorCode !== ErrorCode.NONE) throw new KafkaError(hs.errorCode, `SASL mechanism ${sasl.mechanism} refused; the broker offers ${hs.mechanisms.join(', ')}`);
    const step = async (authBytes: Buffer) => {
      const res = await this.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 1, { authBytes });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage ?? undefined);
      return res;
    };
    if (sasl.mechanism === 'PLAIN') {
      const res = await step(Buffer.from(`\u0000${sasl.username}\u0000${sasl.password}`));
      return { sessionLifetimeMs: res.sessionLifetimeMs };
    }
    const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
    const first = await step(scram.firstMessage());
    const final = await step(await scram.finalMessage(first.authBytes));
    scram.verifyServerFinal(final.authBytes);
    return { sessionLifetimeMs: final.sessionLifetimeMs };
  }

  /** Sends a request and resolves with the decoded response body. */
  request<T>(apiKey: number, version: number, body: object): Promise<T> {
    return this.send<T>(apiKey, version, body, (frame) => decodeResponse<T>(apiKey, version, frame).body);
  }

  /** Sends a request the broker does not answer (Produce with acks=0); resolves once written. */
  requestNoResponse(apiKey: number, version: number, body: object): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    let chunks: Buffer[];
    try {
      chunks = encodeRequestFrame(apiKey, version, this.takeCorrelationId(), this.clientId, body);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => this.write(chunks, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * Asks the broker for its api versions once and caches them. Starts at our highest ApiVersions version
   * and steps down when the broker answers UNSUPPORTED_VERSION (with a v0 body, as Kafka brokers do).
   */
  async apiVersions(): Promise<ReadonlyMap<number, VersionRange>> {
    if (this.versions) return this.versions;
    let version = API_SPECS.get(ApiKey.ApiVersions)!.request.validVersions.max;
    const body = { clientSoftwareName: 'strata-client', clientSoftwareVersion: '0.1.0' };
    for (;;) {
      const v = version;
      const res = await this.send<ApiVersionsResponse>(ApiKey.ApiVersions, v, body, (frame) => {
        try {
          return decodeResponse<ApiVersionsResponse>(ApiKey.ApiVersions, v, frame).body;
        } catch {
          return decodeResponse<ApiVersionsResponse>(ApiKey.ApiVersions, 0, frame).body;
        }
      });
      if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION && v > 0) {
        const theirs = res.apiKeys.find((k) => k.apiKey === ApiKey.ApiVersions);
        version = Math.min(theirs ? theirs.maxVersion : 0, v - 1);
        continue;
      }
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode);
      this.versions = new Map(res.apiKeys.map((k) => [k.apiKey, { min: k.minVersion, max: k.maxVersion }]));
      return this.versions;
    }
  }

  /** The highest version (≤ wantMax) that both the broker and our schemas support; needs apiVersions() first. */
  pickVersion(apiKey: number, wantMax = Infinity): number {
    if (!this.versions) throw new Error('pickVersion needs apiVersions() to have completed');
    const broker = this.versions.get(apiKey);
    const ours = API_SPECS.get(apiKey)?.request.validVersions;
    if (!broker || !ours) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `the broker does not support ${apiName(apiKey)}`);
    const max = Math.min(broker.max, ours.max, wantMax);
    if (max < Math.max(broker.min, ours.min)) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_VERSION,
        `no usable ${apiName(apiKey)} version: broker ${broker.min}-${broker.max}, ours ${ours.min}-${ours.max}, wanted ≤ ${wantMax}`,
      );
    }
    return max;
  }

  /** True once the connection has failed or been closed: every further request would be rejected. */
  get isClosed(): boolean {
    return this.failure !== undefined || this.socket.destroyed;
  }

  /** Closes the connection; pending requests are rejected. */
  close(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.fail(new Error(`client for ${this.address} closed`));
    });
  }

  private send<T>(apiKey: number, version: number, body: object, decode: (frame: Buffer) => T): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const correlationId = this.takeCorrelationId();
    let chunks: Buffer[];
    try {
      chunks = encodeRequestFrame(apiKey, version, correlationId, this.clientId, body);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => {
      const p: Pending = { decode, resolve: resolve as (body: unknown) => void, reject };
      if (this.timeoutMs > 0) {
        // A late response to a timed-out request is dropped: its correlation id is no longer pending.
        p.timer = setTimeout(() => {
          this.pending.delete(correlationId);
          reject(new Error(`${apiName(apiKey)} v${version} to ${this.address} timed out after ${this.timeoutMs} ms`));
        }, this.timeoutMs);
      }
      this.pending.set(correlationId, p);
      this.write(chunks);
    });
  }

  private takeCorrelationId(): number {
    const id = this.nextCorrelationId;
    this.nextCorrelationId = id === 0x7fffffff ? 1 : id + 1;
    return id;
  }

  private write(chunks: Buffer[], done?: (err?: Error | null) => void): void {
    this.socket.cork();
    for (let i = 0; i < chunks.length; i++) this.socket.write(chunks[i], i === chunks.length - 1 ? done : undefined);
    this.socket.uncork();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.frames.push(chunk);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const frame of frames) {
      if (frame.length < 4) {
        this.fail(new ProtocolError(`response frame of ${frame.length} bytes has no correlation id`));
        return;
      }
      const correlationId = frame.readInt32BE(0);
      const p = this.pending.get(correlationId);
      if (!p) continue;
      this.pending.delete(correlationId);
      clearTimeout(p.timer);
      try {
        p.resolve(p.decode(frame));
      } catch (err) {
        p.reject(err as Error);
      }
    }
  }

  private fail(err: Error): void {
    if (!this.failure) {
      this.failure = err;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.pending.clear();
    }
    this.socket.destroy();
  }
}
