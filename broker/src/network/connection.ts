// One client connection. Requests are processed strictly one at a time and answered in order, as Kafka does
// (the next request starts once the previous response is queued), while further frames keep being read and
// parsed ahead. Memory per connection is bounded by the broker, not by the client:
// - read-ahead stops (the socket is paused) once `maxInflight` frames or `maxInflightBytes` bytes wait;
// - a client that does not read its responses mutes the connection: once more than `maxUnsentBytes` of
//   responses sit unsent, neither reading nor processing continues until the socket drains (Kafka mutes such
//   a channel), so at most that budget plus one response is ever buffered;
// - a connection without traffic for `idleTimeoutMs` is closed (connections.max.idle.ms);
// - a request that put its client over a quota (ctx.recordQuota returned a throttle time, also sent as
//   throttle_time_ms) mutes the connection for that long after its response, as Kafka does since KIP-219:
//   nothing more is read or processed until the time has passed. The request_percentage quota is charged here
//   for every request (security/request-security.ts chargeRequestTime).
// Across connections, request bytes are bounded by the shared `pool` (queued.max.request.bytes): each frame's
// size is reserved when its size prefix is read, before its body; while the pool cannot grant it the socket
// is paused. The reservation lasts while the frame is read, queued and handled, until its response is queued
// or the connection closes (whatever the reason).
// Authentication (security/authenticator.ts) decides which requests may run before it completes, the frame
// limit until then, and the principal every request context carries.
// Anything that goes wrong with one request — malformed input, a failing handler, a response the encoder
// refuses — closes this connection only, with a logged reason; it never reaches the process.
import type { Socket } from 'node:net';
import { decode, Reader, ProtocolError, elementBudget } from '../protocol/codec';
import { API_SPECS, ApiKey } from '../protocol/apis';
import { decodeRequestHeader, encodeResponseFrame } from '../protocol/headers';
import { ErrorCode } from '../protocol/errors';
import type { ApiHandler, RequestContext } from '../handlers/handler';
import type { BrokerServices } from '../services';
import type { Logger } from '../logger';
import { FrameError, FrameReader } from '../protocol/frame-reader';
import type { PoolWaiter, RequestMemoryPool } from './request-pool';
import { ANONYMOUS, type KafkaPrincipal } from '../security/principal';
import { chargeRequestTime, requestSecurity } from '../security/request-security';
import type { Authenticator } from '../security/authenticator';

export interface ConnectionOptions {
  maxFrameBytes: number;
  /** Array elements one request may decode to (memory per element is far above its wire size); undefined: no bound. */
  maxRequestElements?: number;
  /** Frames read ahead before reading pauses. */
  maxInflight: number;
  /** Bytes of frames read ahead before reading pauses. */
  maxInflightBytes: number;
  /** Unsent response bytes past which the connection stops reading and processing until the socket drains. */
  maxUnsentBytes: number;
  /** Broker-wide budget of request bytes (queued.max.request.bytes); undefined: no shared bound. */
  pool?: RequestMemoryPool;
  /** Closes the connection after this long without traffic (connections.max.idle.ms); <= 0 never. */
  idleTimeoutMs: number;
  handlers: ReadonlyMap<number, ApiHandler>;
  services: BrokerServices;
  logger: Logger;
  /** Called after each request with its API name, duration and whether it failed. */
  onRequest?: (api: string, seconds: number, errored: boolean) => void;
  onClose?: (reason: string | null) => void;
  /** Called when the connection becomes muted (too much unsent) and when it stops being muted. */
  onMuted?: (muted: boolean) => void;
  /** Builds this connection's authenticator (given how to close the connection); none: PLAINTEXT, anonymous. */
  authenticator?: (close: (reason: string) => void) => Authenticator;
}

export class Connection {
  private readonly frames: FrameReader;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private processing = false;
  /** True while a handler runs (a long-polling Fetch is not idleness). */
  private handling = false;
  private readingPaused = false;
  private wasMuted = false;
  private closed = false;
  private drained: (() => void) | null = null;
  private readonly aborter = new AbortController();
  /** Set while the channel is muted for a quota; fires when it may be read and processed again. */
  private throttleTimer: NodeJS.Timeout | null = null;
  private readonly remote: string;
  private readonly auth: Authenticator | null;
  /** Set by authentication (SASL or a TLS client certificate); anonymous until then. */
  protected get principal(): KafkaPrincipal {
    return this.auth?.principal ?? ANONYMOUS;
  }
  /** The latest request read, for the context of log lines (a close reason is often about it). */
  private lastRequest: { api: string; apiVersion: number; correlationId: number; clientId?: string } | null = null;
  /** Bytes this connection holds in the pool: frames being read, queued and handled. */
  private reserved = 0;
  /** The frame waiting for pool space, if any (reading is paused meanwhile). */
  private poolWaiter: PoolWaiter | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.frames = new FrameReader(opts.maxFrameBytes, opts.pool ? (size) => this.admitFrame(opts.pool!, size) : undefined);
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.auth = opts.authenticator?.((reason) => this.close(reason)) ?? null;
    this.applyFrameLimit();
    socket.setNoDelay(true);
    socket.on('data', (data) => this.onData(data));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close(null));
    if (opts.idleTimeoutMs > 0) {
      // Node's socket timeout fires after that long without reads or write progress.
      socket.setTimeout(opts.idleTimeoutMs);
      socket.on('timeout', () => this.onIdle());
    }
  }

  private onData(data: Buffer): void {
    this.takeFrames(() => this.frames.push(data));
  }

  /** Queues the frames `read` completes (closing the connection on a framing error) and starts processing. */
  private takeFrames(read: () => Buffer[]): void {
    let frames: Buffer[];
    try {
      frames = read();
    } catch (err) {
      this.close(err instanceof FrameError ? err.message : String(err));
      return;
    }
    for (const f of frames) {
      this.queue.push(f);
      this.queuedBytes += f.length;
    }
    this.updateReading();
    if (frames.length > 0 && !this.processing) void this.process();
  }

  /** The frame reader's admission check: reserves the frame's size in the pool, or waits for it (false). */
  private admitFrame(pool: RequestMemoryPool, size: number): boolean {
    if (pool.tooLarge(size)) throw new FrameError(`frame size ${size} exceeds queued.max.request.bytes (${pool.capacity})`);
    const waiter: PoolWaiter = {
      bytes: size,
      granted: () => {
        // Runs inside another connection's release: count the bytes now, read on once that call has returned.
        this.poolWaiter = null;
        this.reserved += size;
        queueMicrotask(() => {
          if (!this.closed) this.takeFrames(() => this.frames.admitted());
        });
      },
    };
    if (pool.reserve(waiter)) {
      this.reserved += size;
      return true;
    }
    this.poolWaiter = waiter;
    return false;
  }

  /** A request is done with (its response queued, or none): its bytes go back to the pool. */
  private releaseFrame(bytes: number): void {
    if (!this.opts.pool || this.closed) return; // close() released everything already
    this.reserved -= bytes;
    this.opts.pool.release(bytes);
  }

  private onDrain(): void {
    this.updateReading();
    const wake = this.drained;
    this.drained = null;
    wake?.();
  }

  private onIdle(): void {
    if (this.closed) return;
    if (this.handling || this.poolWaiter || this.throttleTimer) {
      // A request is being worked on (e.g. a long poll), or the broker makes us wait for pool space: not the
      // client's idleness; look again after another period.
      this.socket.setTimeout(this.opts.idleTimeoutMs);
      return;
    }
    this.close(`idle timeout: no traffic for ${this.opts.idleTimeoutMs} ms (connections.max.idle.ms)`);
  }

  /**
   * Responses the client has not read yet beyond the budget: the connection is muted until they drain.
   * writableNeedDrain guarantees a 'drain' event will come (budgets below the socket's high-water mark act as it).
   */
  private get muted(): boolean {
    return this.socket.writableNeedDrain && this.socket.writableLength > this.opts.maxUnsentBytes;
  }

  /** Pauses reading while read-ahead is full or the connection is muted; resumes otherwise. */
  private updateReading(): void {
    if (this.closed) return;
    const muted = this.muted;
    if (muted !== this.wasMuted) this.setMuted(muted);
    const pause =
      this.queue.length >= this.opts.maxInflight ||
      this.queuedBytes >= this.opts.maxInflightBytes ||
      muted ||
      this.frames.holding ||
      this.throttleTimer !== null;
    if (pause === this.readingPaused) return;
    this.readingPaused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  private setMuted(muted: boolean): void {
    this.wasMuted = muted;
    this.opts.onMuted?.(muted);
  }

  private async process(): Promise<void> {
    this.processing = true;
    try {
      while (this.queue.length > 0 && !this.closed && this.throttleTimer === null) {
        if (this.muted) {
          await new Promise<void>((resolve) => (this.drained = resolve));
          continue;
        }
        const frame = this.queue.shift()!;
        this.queuedBytes -= frame.length;
        this.updateReading();
        try {
          await this.handle(frame);
        } finally {
          this.releaseFrame(frame.length);
        }
      }
    } catch (err) {
      // handle() contains every failure of a request; reaching here is a bug in this class, still only this connection's.
      this.opts.logger.error('connection failed', { ...this.logContext(), err: (err as Error)?.stack ?? err });
      this.close(`internal error: ${(err as Error)?.message ?? err}`);
    } finally {
      this.processing = false;
    }
  }

  /** Before authentication completes, frames are limited to sasl.server.max.receive.size. */
  private applyFrameLimit(): void {
    const saslLimit = this.auth?.frameLimit ?? null;
    if (saslLimit !== null && saslLimit < this.opts.maxFrameBytes) this.frames.setLimit(saslLimit, 'sasl.server.max.receive.size');
    else this.frames.setLimit(this.opts.maxFrameBytes, 'socket.request.max.bytes');
  }

  private async handle(frame: Buffer): Promise<void> {
    try {
      if (this.auth?.expectsRawToken) await this.handleRawToken(this.auth, frame);
      else await this.handleRequest(frame);
    } finally {
      this.applyFrameLimit();
    }
  }

  /** After SaslHandshake v0 the client sends SASL tokens as bare frames, answered the same way (no header). */
  private async handleRawToken(auth: Authenticator, frame: Buffer): Promise<void> {
    const reply = await auth.rawToken(frame);
    if (reply === null || this.closed) return; // failed: the authenticator closes after its delay
    const size = Buffer.alloc(4);
    size.writeInt32BE(reply.length);
    this.send([size, reply]);
  }

  private async handleRequest(frame: Buffer): Promise<void> {
    const started = process.hrtime.bigint();
    let header;
    this.lastRequest = null;
    try {
      header = decodeRequestHeader(frame);
    } catch (err) {
      this.close(`malformed request header: ${(err as Error).message}`);
      return;
    }
    const { apiKey, apiVersion, correlationId } = header;
    const spec = API_SPECS.get(apiKey);
    const handler = this.opts.handlers.get(apiKey);
    const apiName = spec?.name ?? `unknown(${apiKey})`;
    this.lastRequest = { api: apiName, apiVersion, correlationId, clientId: boundedClientId(header.clientId) };
    const admission = this.auth?.admit(apiKey);
    if (admission && !admission.ok) {
      if (admission.close) this.close(admission.close);
      return;
    }
    if (!handler || !spec) {
      this.close(`unknown api key ${apiKey}`);
      return;
    }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer with version 0 carrying the error and our version ranges, so the client can downgrade.
        this.respond(apiName, apiKey, 0, correlationId, apiVersionsError(this.opts.handlers));
        this.opts.onRequest?.(apiName, 0, true);
        return;
      }
      this.close(`unsupported version ${apiVersion} of ${apiName} (supported ${handler.minVersion}-${handler.maxVersion})`);
      return;
    }
    let request: unknown;
    try {
      request = decode(spec.request, apiVersion, new Reader(frame, header.bodyOffset, frame.length, elementBudget(this.opts.maxRequestElements ?? Number.POSITIVE_INFINITY)));
    } catch (err) {
      const reason = err instanceof ProtocolError ? err.message : String(err);
      this.close(`malformed ${apiName} v${apiVersion} request: ${reason}`);
      return;
    }
    let throttleMs = 0;
    const ctx: RequestContext = {
      apiVersion,
      correlationId,
      clientId: header.clientId,
      remoteAddress: this.remote,
      principal: this.principal,
      listenerName: this.auth?.listenerName ?? 'PLAINTEXT',
      securityProtocol: this.auth?.securityProtocol ?? 'PLAINTEXT',
      authenticator: this.auth ?? undefined,
      services: this.opts.services,
      closeConnection: (reason) => this.close(reason),
      signal: this.aborter.signal,
      ...requestSecurity(this.opts.services, this.principal, this.remote, header.clientId, apiName, (ms) => (throttleMs = Math.max(throttleMs, ms))),
    };
    let response: unknown;
    // Time on the event loop for this request, as Kafka's request quota counts handler-thread time: decoding and
    // the handler's synchronous part (waits for data, rebalances or disk are not included).
    let busyMs = 0;
    this.handling = true;
    try {
      const pending = handler.handle(request, ctx);
      busyMs = Number(process.hrtime.bigint() - started) / 1e6;
      response = await pending;
    } catch (err) {
      this.opts.logger.error('request handler failed', { ...this.logContext(), err: (err as Error)?.stack ?? err });
      this.opts.onRequest?.(apiName, seconds(started), true);
      this.close(`internal error handling ${apiName}: ${(err as Error)?.message ?? err}`);
      return;
    } finally {
      this.handling = false;
    }
    chargeRequestTime(ctx, apiKey, busyMs, response);
    const sent = response === null || this.closed || this.respond(apiName, apiKey, apiVersion, correlationId, response as object);
    this.opts.onRequest?.(apiName, seconds(started), !sent);
    if (throttleMs > 0) this.throttle(throttleMs);
  }

  /**
   * Mutes the channel for a quota: no reading or processing for `ms` (the processing loop stops; the timer restarts
   * it). The end is checked against the clock: a Node timer measures from the event loop's cached time, so under
   * load it can fire early, and the client was told to wait the whole `ms`.
   */
  private throttle(ms: number): void {
    if (this.closed) return;
    const until = performance.now() + ms;
    const arm = (delay: number) => {
      this.throttleTimer = setTimeout(() => {
        const left = until - performance.now();
        if (left > 0) return arm(Math.ceil(left));
        this.throttleTimer = null;
        this.updateReading();
        if (!this.processing && this.queue.length > 0) void this.process();
      }, delay);
    };
    if (this.throttleTimer) clearTimeout(this.throttleTimer);
    arm(ms);
    this.updateReading();
  }

  /** Encodes and queues a response; a response the encoder refuses closes this connection. False if it did. */
  private respond(apiName: string, apiKey: number, apiVersion: number, correlationId: number, body: object): boolean {
    let chunks: Buffer[];
    try {
      chunks = encodeResponseFrame(apiKey, apiVersion, correlationId, body);
    } catch (err) {
      this.opts.logger.error('response encoding failed', { ...this.logContext(), err: (err as Error)?.stack ?? err });
      this.close(`response encoding failed for ${apiName} v${apiVersion}: ${(err as Error)?.message ?? err}`);
      return false;
    }
    this.send(chunks);
    return true;
  }

  private send(chunks: Buffer[]): void {
    if (this.closed) return;
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
    this.updateReading();
  }

  /** Gives back every byte this connection holds or waits for (called once, on close). */
  private releasePool(): void {
    const pool = this.opts.pool;
    if (!pool) return;
    if (this.poolWaiter) pool.cancel(this.poolWaiter);
    this.poolWaiter = null;
    const bytes = this.reserved;
    this.reserved = 0;
    pool.release(bytes);
  }

  /** Fields every log line of this connection carries: the peer and the request last read, if any. */
  private logContext(): Record<string, unknown> {
    return this.lastRequest ? { remote: this.remote, ...this.lastRequest } : { remote: this.remote };
  }

  close(reason: string | null): void {
    if (this.closed) return;
    this.closed = true;
    if (reason) this.opts.logger.warn('closing connection', { ...this.logContext(), reason });
    else if (this.frames.pendingBytes > 0) this.opts.logger.info('connection closed mid-frame', { ...this.logContext(), bytes: this.frames.pendingBytes });
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.releasePool();
    this.auth?.dispose();
    this.socket.destroy();
    this.aborter.abort();
    if (this.throttleTimer) clearTimeout(this.throttleTimer);
    this.throttleTimer = null;
    if (this.wasMuted) this.setMuted(false);
    const wake = this.drained;
    this.drained = null;
    wake?.();
    this.opts.onClose?.(reason);
  }
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The ApiVersions v0 body sent when the client asked for a version we do not implement. */
export function apiVersionsError(handlers: ReadonlyMap<number, ApiHandler>) {
  return {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: [...handlers.values()].map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
  };
}

/** client.id is whatever the client sent (up to 32 KB): logs keep its first 64 characters. */
const MAX_LOGGED_CLIENT_ID = 64;
function boundedClientId(clientId: string | null | undefined): string | undefined {
  if (!clientId) return undefined;
  return clientId.length > MAX_LOGGED_CLIENT_ID ? `${clientId.slice(0, MAX_LOGGED_CLIENT_ID)}…` : clientId;
}
