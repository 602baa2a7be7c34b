// A small HTTP reverse proxy for the tiered-storage suites, put between the broker (or an S3ObjectStore) and
// the S3 server. It forwards everything unchanged (the Host header too: requests stay SigV4-signed for the
// proxy's address) until faults are switched on at runtime:
//   - 'status'        answer with an S3 XML error (500 InternalError by default) after reading the request;
//   - 'slowdown'      answer 503 SlowDown with S3's XML body;
//   - 'stall'         read the request and never answer (the client's timeout must fire);
//   - 'drop-request'  read `afterBytes` of the request body, then reset the connection (nothing reaches the server);
//   - 'drop-response' forward, send the response headers and `afterBytes` of the body, then reset the connection.
// Each fault can be limited to methods, a path pattern, every n-th matching request and a number of times;
// nothing is random, so a test knows exactly which requests fail and can wait until all of them have. The
// proxy counts requests by method, and forwarded response bytes by method, for benchmarks and assertions.
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultKind = 'status' | 'slowdown' | 'stall' | 'drop-request' | 'drop-response';

export interface FaultRule {
  kind: FaultKind;
  /** HTTP methods it applies to (upper case); all when omitted. */
  methods?: string[];
  /** Applies only when the request path (with query) matches. */
  path?: RegExp;
  /** Status for 'status' (default 500). */
  status?: number;
  /** Bytes let through before the connection is dropped ('drop-request', 'drop-response'). Default 1024. */
  afterBytes?: number;
  /** Applies to this many matching requests, then switches itself off. Unlimited when omitted. */
  times?: number;
  /** Only every n-th matching request gets the fault (the n-th, 2n-th, ...); default 1 = each one. */
  every?: number;
}

export interface ProxyRequestLog {
  method: string;
  path: string;
  /** Status forwarded, or the fault applied. */
  outcome: number | FaultKind | 'error';
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'expect', 'te', 'trailer'];

export class FaultProxy {
  /** Requests received, by method (faulted ones included). */
  readonly counts: Record<string, number> = {};
  /** Requests that got a fault, by kind. */
  readonly injected: Record<string, number> = {};
  /** Response body bytes forwarded to clients, by method. */
  readonly bytesOut: Record<string, number> = {};
  /** Request body bytes forwarded to the server, by method. */
  readonly bytesIn: Record<string, number> = {};
  /** The last 10000 requests. */
  readonly log: ProxyRequestLog[] = [];
  private rules: Array<FaultRule & { left: number; seen: number }> = [];
  private readonly sockets = new Set<Socket>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  private constructor(
    private readonly server: http.Server,
    readonly upstreamHost: string,
    readonly upstreamPort: number,
  ) {}

  /** Listens on a free loopback port and forwards to http://upstreamHost:upstreamPort. */
  static async start(upstreamPort: number, upstreamHost = '127.0.0.1'): Promise<FaultProxy> {
    const server = http.createServer();
    const proxy = new FaultProxy(server, upstreamHost, upstreamPort);
    server.on('request', (req, res) => proxy.handle(req, res));
    server.on('connection', (s: Socket) => {
      proxy.sockets.add(s);
      s.once('close', () => proxy.sockets.delete(s));
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Replaces every fault rule (none = pass everything through). */
  setFaults(...rules: FaultRule[]): void {
    this.rules = rules.map((r) => ({ ...r, left: r.times ?? Infinity, seen: 0 }));
  }

  /** Adds one rule after the existing ones. */
  addFault(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times ?? Infinity, seen: 0 });
  }

  /** Passes everything through again and releases stalled requests (their connections are reset). */
  clearFaults(): void {
    this.rules = [];
    for (const s of this.stalled) s.destroy();
    this.stalled.clear();
  }

  /** Faults still to be applied by rules with `times` (Infinity if a rule has no limit). */
  get faultsLeft(): number {
    return this.rules.reduce((n, r) => n + r.left, 0);
  }

  /** Faults applied since the last resetCounts, all kinds together. */
  get totalInjected(): number {
    return Object.values(this.injected).reduce((a, b) => a + b, 0);
  }

  resetCounts(): void {
    for (const o of [this.counts, this.injected, this.bytesOut, this.bytesIn]) for (const k of Object.keys(o)) delete o[k];
    this.log.length = 0;
  }

  async stop(): Promise<void> {
    this.rules = [];
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private readonly stalled = new Set<Socket>();

  private pick(req: http.IncomingMessage): FaultRule | undefined {
    const method = req.method ?? 'GET';
    for (const r of this.rules) {
      if (r.left <= 0) continue;
      if (r.methods && !r.methods.includes(method)) continue;
      if (r.path && !r.path.test(req.url ?? '')) continue;
      if (++r.seen % (r.every ?? 1) !== 0) continue;
      r.left--;
      return r;
    }
    return undefined;
  }

  private record(method: string, path: string, outcome: ProxyRequestLog['outcome']): void {
    this.log.push({ method, path, outcome });
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    const fault = this.pick(req);
    if (fault) {
      this.injected[fault.kind] = (this.injected[fault.kind] ?? 0) + 1;
      this.record(method, path, fault.kind);
      this.inject(fault, req, res);
      return;
    }
    this.forward(req, res, undefined);
  }

  private inject(fault: FaultRule, req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    switch (fault.kind) {
      case 'status':
      case 'slowdown': {
        const status = fault.kind === 'slowdown' ? 503 : fault.status ?? 500;
        const [code, message] =
          fault.kind === 'slowdown' ? ['SlowDown', 'Please reduce your request rate.']
          : status === 503 ? ['ServiceUnavailable', 'Service is unable to handle request.']
          : ['InternalError', 'We encountered an internal error. Please try again.'];
        req.resume();
        req.once('end', () => {
          const body =
            method === 'HEAD' ? ''
            : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomBytes(8).toString('hex')}</RequestId></Error>`;
          res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
        return;
      }
      case 'stall':
        req.resume();
        this.stalled.add(req.socket);
        req.socket.once('close', () => this.stalled.delete(req.socket));
        return;
      case 'drop-request': {
        const limit = fault.afterBytes ?? 1024;
        let seen = 0;
        const drop = () => req.socket.destroy();
        req.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen >= limit) drop();
        });
        req.once('end', drop); // a body shorter than the limit: drop before answering
        return;
      }
      case 'drop-response':
        this.forward(req, res, fault.afterBytes ?? 1024);
        return;
    }
  }

  /** Forwards to the server; with cutAfter, resets the connection after that many response body bytes. */
  private forward(req: http.IncomingMessage, res: http.ServerResponse, cutAfter: number | undefined): void {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const headers = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    const up = http.request(
      { host: this.upstreamHost, port: this.upstreamPort, method, path, headers, agent: this.agent },
      (upRes) => {
        const outHeaders = { ...upRes.headers };
        for (const h of HOP_BY_HOP) delete outHeaders[h];
        res.writeHead(upRes.statusCode ?? 502, outHeaders);
        if (cutAfter === undefined) this.record(method, path, upRes.statusCode ?? 0);
        let sent = 0;
        upRes.on('data', (chunk: Buffer) => {
          if (cutAfter !== undefined) {
            const room = cutAfter - sent;
            if (room <= 0) return;
            const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
            sent += part.length;
            this.bytesOut[method] = (this.bytesOut[method] ?? 0) + part.length;
            res.write(part);
            if (sent >= cutAfter) {
              // Let the partial body reach the client, then reset the connection mid-response.
              setTimeout(() => res.socket?.destroy(), 20);
              upRes.destroy();
            }
            return;
          }
          sent += chunk.length;
          this.bytesOut[method] = (this.bytesOut[method] ?? 0) + chunk.length;
          if (!res.write(chunk)) {
            upRes.pause();
            res.once('drain', () => upRes.resume());
          }
        });
        upRes.once('end', () => {
          if (cutAfter !== undefined && sent < cutAfter) {
            // The body was shorter than the cut point: still drop it before it completes.
            res.socket?.destroy();
            return;
          }
          if (cutAfter === undefined) res.end();
        });
        upRes.once('error', () => res.socket?.destroy());
      },
    );
    up.on('error', () => {
      this.record(method, path, 'error');
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('fault proxy: upstream error');
      } else {
        res.socket?.destroy();
      }
    });
    req.on('data', (chunk: Buffer) => {
      this.bytesIn[method] = (this.bytesIn[method] ?? 0) + chunk.length;
    });
    req.pipe(up);
    // A client that goes away mid-request takes the upstream request with it.
    req.once('aborted', () => up.destroy());
    res.once('close', () => {
      if (!res.writableFinished) up.destroy();
    });
  }
}
