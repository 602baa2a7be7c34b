// Test harness for Connection: a scripted socket stands in for TCP so how much is unsent, when it drains and
// when the idle timer fires are decided by the test, not by timing; plus frames and handlers to drive it.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Connection, type ConnectionOptions } from '../../src/network/connection';
import { ApiKey } from '../../src/protocol/apis';
import { encodeRequestFrame } from '../../src/protocol/headers';
import { defineHandler, type ApiHandler } from '../../src/handlers/handler';
import type { BrokerServices } from '../../src/services';
import type { Logger } from '../../src/logger';
import { ALLOW_ALL } from '../../src/security/authorizer';
import { QuotaManager } from '../../src/security/quota-manager';
import { BrokerMetrics } from '../../src/metrics/registry';
import { systemClock } from '../../src/clock';
import type { MetadataImage } from '../../src/cluster/metadata-image';

/** What a Connection itself uses of the services: the authorizer (allow-all), quotas (from `quotas`), metrics. */
export function connectionServices(quotas: Pick<MetadataImage, 'quotas' | 'quotaVersion'> = { quotas: new Map(), quotaVersion: 0 }, windowSizeMs = 1000): BrokerServices {
  return {
    authorizer: ALLOW_ALL,
    quotas: new QuotaManager(quotas, { windowNum: 2, windowSizeMs, clock: systemClock }),
    metrics: new BrokerMetrics({ defaultMetrics: false }),
  } as unknown as BrokerServices;
}

/** The parts of net.Socket a Connection uses, with writes that stay unsent until the test drains them. */
export class ScriptedSocket extends EventEmitter {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 40000;
  readonly written: Buffer[] = [];
  writableLength = 0;
  writableNeedDrain = false;
  paused = false;
  destroyed = false;
  timeoutMs = 0;
  readonly writableHighWaterMark = 16 * 1024;

  setNoDelay(): this {
    return this;
  }
  setTimeout(ms: number): this {
    this.timeoutMs = ms;
    return this;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  cork(): void {}
  uncork(): void {}
  write(chunk: Buffer): boolean {
    this.written.push(Buffer.from(chunk));
    this.writableLength += chunk.length;
    if (this.writableLength >= this.writableHighWaterMark) this.writableNeedDrain = true;
    return !this.writableNeedDrain;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = true;
      this.emit('close');
    }
    return this;
  }
  /** The client read everything. */
  drainAll(): void {
    this.writableLength = 0;
    const needed = this.writableNeedDrain;
    this.writableNeedDrain = false;
    if (needed) this.emit('drain');
  }
  /** Complete response frames written so far (size prefixes stripped). */
  responses(): Buffer[] {
    const all = Buffer.concat(this.written);
    const out: Buffer[] = [];
    for (let pos = 0; pos + 4 <= all.length; ) {
      const n = all.readInt32BE(pos);
      out.push(all.subarray(pos + 4, pos + 4 + n));
      pos += 4 + n;
    }
    return out;
  }
}

export function quietLogger(lines: string[] = []): Logger {
  const log = (msg: string, fields?: Record<string, unknown>) => lines.push(`${msg} ${JSON.stringify(fields ?? {})}`);
  const l: Logger = { debug: log, info: log, warn: log, error: log, child: () => l };
  return l;
}

/** Lets every pending promise callback and immediate run (in-process only: no I/O is involved). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function frame(apiKey: number, version: number, correlationId: number, body: object): Buffer {
  return Buffer.concat(encodeRequestFrame(apiKey, version, correlationId, 'unit', body));
}
export const apiVersionsRequest = (corr: number) => frame(ApiKey.ApiVersions, 0, corr, {});
export const apiVersionsHandler = (onCall: () => void = () => undefined, payloadBytes = 0): ApiHandler =>
  defineHandler({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 0,
    handle() {
      onCall();
      // A big answer when asked, to fill the unsent budget: one apiKeys entry is 6 bytes in v0.
      const apiKeys = Array.from({ length: Math.max(1, Math.floor(payloadBytes / 6)) }, (_, i) => ({ apiKey: i % 100, minVersion: 0, maxVersion: 0 }));
      return { errorCode: 0, apiKeys, throttleTimeMs: 0 };
    },
  });

export interface Harness {
  socket: ScriptedSocket;
  conn: Connection;
  closes: Array<string | null>;
  requests: Array<{ api: string; errored: boolean }>;
  logs: string[];
}

export function open(handlers: ApiHandler[], over: Partial<ConnectionOptions> = {}): Harness {
  const socket = new ScriptedSocket();
  const closes: Array<string | null> = [];
  const requests: Array<{ api: string; errored: boolean }> = [];
  const logs: string[] = [];
  const conn = new Connection(socket as unknown as Socket, {
    maxFrameBytes: 1 << 20,
    maxInflight: 32,
    maxInflightBytes: 1 << 20,
    maxUnsentBytes: 1 << 20,
    idleTimeoutMs: 0,
    handlers: new Map(handlers.map((h) => [h.apiKey, h])),
    services: connectionServices(),
    logger: quietLogger(logs),
    onRequest: (api, _s, errored) => requests.push({ api, errored }),
    onClose: (reason) => closes.push(reason),
    ...over,
  });
  return { socket, conn, closes, requests, logs };
}

/** An ApiVersions handler that answers only once `release` is called (a request still being worked on). */
export function blockedApiVersions() {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  const handler = defineHandler({
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 0,
    async handle() {
      await blocked;
      return { errorCode: 0, apiKeys: [], throttleTimeMs: 0 };
    },
  });
  return { handler, release };
}
