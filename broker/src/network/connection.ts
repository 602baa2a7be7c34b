// One client connection. Requests are processed strictly one at a time and answered in order, as Kafka does
// (the next request starts once the previous response is queued), while further frames keep being read and
// parsed ahead up to `maxInflight`; past that the socket is paused (back-pressure instead of unbounded memory).
// Anything malformed closes this connection only, with a logged reason.
import type { Socket } from 'node:net';
import { decode, Reader, ProtocolError } from '../protocol/codec';
import { API_SPECS, ApiKey } from '../protocol/apis';
import { decodeRequestHeader, encodeResponseFrame } from '../protocol/headers';
import { ErrorCode } from '../protocol/errors';
import type { ApiHandler, RequestContext } from '../handlers/handler';
import type { BrokerServices } from '../services';
import type { Logger } from '../logger';
import { FrameError, FrameReader } from '../protocol/frame-reader';

export interface ConnectionOptions {
  maxFrameBytes: number;
  maxInflight: number;
  handlers: ReadonlyMap<number, ApiHandler>;
  services: BrokerServices;
  logger: Logger;
  /** Called after each request with its API name, duration and whether it failed. */
  onRequest?: (api: string, seconds: number, errored: boolean) => void;
  onClose?: (reason: string | null) => void;
}

export class Connection {
  private readonly frames: FrameReader;
  private readonly queue: Buffer[] = [];
  private processing = false;
  private closed = false;
  private readonly remote: string;

  constructor(
    private readonly socket: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.frames = new FrameReader(opts.maxFrameBytes);
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    socket.on('data', (data) => this.onData(data));
    socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    socket.on('close', () => this.close(null));
  }

  private onData(data: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.frames.push(data);
    } catch (err) {
      this.close(err instanceof FrameError ? err.message : String(err));
      return;
    }
    if (frames.length === 0) return;
    this.queue.push(...frames);
    if (this.queue.length >= this.opts.maxInflight) this.socket.pause();
    if (!this.processing) void this.drain();
  }

  private async drain(): Promise<void> {
    this.processing = true;
    while (this.queue.length > 0 && !this.closed) {
      const frame = this.queue.shift()!;
      if (this.queue.length < this.opts.maxInflight) this.socket.resume();
      await this.handle(frame);
    }
    this.processing = false;
  }

  private async handle(frame: Buffer): Promise<void> {
    const started = process.hrtime.bigint();
    let header;
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
    if (!handler || !spec) {
      this.close(`unknown api key ${apiKey}`);
      return;
    }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer with version 0 carrying the error and our version ranges, so the client can downgrade.
        this.send(encodeResponseFrame(apiKey, 0, correlationId, apiVersionsError(this.opts.handlers)));
        this.opts.onRequest?.(apiName, 0, true);
        return;
      }
      this.close(`unsupported version ${apiVersion} of ${apiName} (supported ${handler.minVersion}-${handler.maxVersion})`);
      return;
    }
    let request: unknown;
    try {
      request = decode(spec.request, apiVersion, new Reader(frame, header.bodyOffset));
    } catch (err) {
      const reason = err instanceof ProtocolError ? err.message : String(err);
      this.close(`malformed ${apiName} v${apiVersion} request: ${reason}`);
      return;
    }
    const ctx: RequestContext = {
      apiVersion,
      correlationId,
      clientId: header.clientId,
      remoteAddress: this.remote,
      services: this.opts.services,
      closeConnection: (reason) => this.close(reason),
    };
    let response: unknown;
    try {
      response = await handler.handle(request, ctx);
    } catch (err) {
      this.opts.logger.error('request handler failed', { api: apiName, version: apiVersion, err: (err as Error).stack ?? err });
      this.opts.onRequest?.(apiName, seconds(started), true);
      this.close(`internal error handling ${apiName}: ${(err as Error).message}`);
      return;
    }
    if (response !== null && !this.closed) {
      this.send(encodeResponseFrame(apiKey, apiVersion, correlationId, response as object));
    }
    this.opts.onRequest?.(apiName, seconds(started), false);
  }

  private send(chunks: Buffer[]): void {
    if (this.closed) return;
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  close(reason: string | null): void {
    if (this.closed) return;
    this.closed = true;
    if (reason) this.opts.logger.warn('closing connection', { remote: this.remote, reason });
    else if (this.frames.pendingBytes > 0) this.opts.logger.info('connection closed mid-frame', { remote: this.remote, bytes: this.frames.pendingBytes });
    this.queue.length = 0;
    this.socket.destroy();
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
