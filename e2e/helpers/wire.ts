// A deliberately tiny, independent Kafka wire encoder/decoder for the e2e suites: just the few non-flexible
// request versions the bad-input and compression checks need (ApiVersions v0, Metadata v1, Produce v3,
// Fetch v4), written from the protocol spec rather than with the broker's own codec, so a bug in the
// broker's codec cannot hide itself in the test. Malformed frames are built by hand from these pieces.
import * as net from 'node:net';
import { crc32c } from '@node-rs/crc32';

export const ApiKey = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18 } as const;
export const ErrorCode = { NONE: 0, CORRUPT_MESSAGE: 2, UNSUPPORTED_VERSION: 35 } as const;

/** Append-only big-endian writer. */
export class Writer {
  private chunks: Buffer[] = [];

  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    return this.raw(b);
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.raw(b);
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.raw(b);
  }
  uint32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return this.raw(b);
  }
  int64(v: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    return this.raw(b);
  }
  /** Non-compact nullable string (int16 length, -1 = null); a Buffer is written as it is (e.g. invalid UTF-8). */
  string(s: string | Buffer | null): this {
    if (s === null) return this.int16(-1);
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    return this.int16(b.length).raw(b);
  }
  /** Non-compact nullable bytes (int32 length, -1 = null). */
  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }
  /** Zigzag varint (32-bit) as used inside record batches. */
  varint(v: number): this {
    let z = ((v << 1) ^ (v >> 31)) >>> 0;
    const out: number[] = [];
    while (z > 0x7f) {
      out.push((z & 0x7f) | 0x80);
      z >>>= 7;
    }
    out.push(z);
    return this.raw(Buffer.from(out));
  }
  /** Zigzag varlong. */
  varlong(v: bigint | number): this {
    const x = BigInt(v);
    let z = BigInt.asUintN(64, (x << 1n) ^ (x >> 63n));
    const out: number[] = [];
    while (z > 0x7fn) {
      out.push(Number(z & 0x7fn) | 0x80);
      z >>= 7n;
    }
    out.push(Number(z));
    return this.raw(Buffer.from(out));
  }
  array<T>(items: readonly T[] | null, each: (w: this, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const it of items) each(this, it);
    return this;
  }
  raw(b: Buffer): this {
    this.chunks.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Bounds-checked big-endian reader. */
export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
  ) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error(`read past end (need ${n} at ${this.pos} of ${this.buf.length})`);
  }
  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  string(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  bytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  array<T>(each: (r: Reader) => T): T[] | null {
    const n = this.int32();
    if (n < 0) return null;
    if (n > this.buf.length) throw new Error(`implausible array length ${n}`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }
}

/**
 * Request header v1 (apiKey, apiVersion, correlationId, clientId) + body, with the int32 size prefix; with
 * `flexibleHeader` it is header v2 (an empty tagged-field section after the clientId), as clients send for
 * flexible versions.
 */
export function requestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: Buffer,
  clientId: string | null = 'strata-e2e-raw',
  flexibleHeader = false,
): Buffer {
  const header = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).string(clientId);
  if (flexibleHeader) header.raw(Buffer.from([0]));
  const payload = Buffer.concat([header.build(), body]);
  return new Writer().int32(payload.length).raw(payload).build();
}

// ---------------------------------------------------------------------------------------------------------
// Record batches (magic 2)

export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Array<[string, Buffer]>;
}

/** An uncompressed RecordBatch v2 with a correct CRC32C (baseOffset 0, no producer id). */
export function recordBatch(records: RawRecord[], baseTimestamp = Date.now()): Buffer {
  const body = new Writer();
  records.forEach((r, i) => {
    const rec = new Writer().int8(0).varlong(0).varint(i);
    if (r.key === null) rec.varint(-1);
    else rec.varint(r.key.length).raw(r.key);
    if (r.value === null) rec.varint(-1);
    else rec.varint(r.value.length).raw(r.value);
    const headers = r.headers ?? [];
    rec.varint(headers.length);
    for (const [k, v] of headers) {
      const kb = Buffer.from(k, 'utf8');
      rec.varint(kb.length).raw(kb).varint(v.length).raw(v);
    }
    const recBytes = rec.build();
    body.varint(recBytes.length).raw(recBytes);
  });
  // Everything the CRC covers: attributes … records.
  const afterCrc = new Writer()
    .int16(0) // attributes: no compression, CreateTime, not transactional, not control
    .int32(records.length - 1) // lastOffsetDelta
    .int64(baseTimestamp)
    .int64(baseTimestamp) // maxTimestamp (all records have delta 0)
    .int64(-1) // producerId
    .int16(-1) // producerEpoch
    .int32(-1) // baseSequence
    .int32(records.length)
    .raw(body.build())
    .build();
  const crc = crc32c(afterCrc);
  const afterLength = new Writer().int32(-1 /* partitionLeaderEpoch */).int8(2).uint32(crc).raw(afterCrc).build();
  return new Writer().int64(0).int32(afterLength.length).raw(afterLength).build();
}

/** Offsets inside a RecordBatch v2 header. */
export const BATCH = { crcOffset: 17, attributesOffset: 21, recordCountOffset: 57, headerSize: 61 } as const;

export interface BatchInfo {
  baseOffset: bigint;
  lastOffsetDelta: number;
  magic: number;
  attributes: number;
  /** attributes & 7: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  compression: number;
  recordCount: number;
  crcValid: boolean;
}

/** Splits a records blob (as returned by Fetch) into batch headers; a trailing partial batch is ignored. */
export function parseBatches(records: Buffer): BatchInfo[] {
  const out: BatchInfo[] = [];
  let pos = 0;
  while (pos + BATCH.headerSize <= records.length) {
    const baseOffset = records.readBigInt64BE(pos);
    const batchLength = records.readInt32BE(pos + 8);
    const end = pos + 12 + batchLength;
    if (end > records.length) break;
    const magic = records.readInt8(pos + 16);
    const crc = records.readUInt32BE(pos + BATCH.crcOffset);
    const attributes = records.readInt16BE(pos + BATCH.attributesOffset);
    out.push({
      baseOffset,
      lastOffsetDelta: records.readInt32BE(pos + 23),
      magic,
      attributes,
      compression: attributes & 7,
      recordCount: records.readInt32BE(pos + BATCH.recordCountOffset),
      crcValid: crc32c(records.subarray(pos + BATCH.attributesOffset, end)) === crc,
    });
    pos = end;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Requests and responses

export function apiVersionsV0Frame(correlationId: number, version = 0): Buffer {
  return requestFrame(ApiKey.ApiVersions, version, correlationId, Buffer.alloc(0));
}

/**
 * ApiVersions as a newer client sends it (KIP-511): header v2 and a v3-style body (compact strings
 * client_software_name and client_software_version, empty tagged fields), at any version number.
 */
export function apiVersionsFlexibleFrame(correlationId: number, version: number): Buffer {
  const compact = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([b.length + 1]), b]);
  };
  const body = Buffer.concat([compact('strata-e2e'), compact('1.0'), Buffer.from([0])]);
  return requestFrame(ApiKey.ApiVersions, version, correlationId, body, 'strata-e2e-raw', true);
}

export interface ApiVersionsV0Response {
  correlationId: number;
  errorCode: number;
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
}

export function parseApiVersionsV0(frame: Buffer): ApiVersionsV0Response {
  const r = new Reader(frame);
  const correlationId = r.int32();
  const errorCode = r.int16();
  const apiKeys = r.array((x) => ({ apiKey: x.int16(), minVersion: x.int16(), maxVersion: x.int16() })) ?? [];
  return { correlationId, errorCode, apiKeys };
}

/** Metadata v1 for the given topics (null = all topics). */
export function metadataV1Frame(correlationId: number, topics: string[] | null, version = 1): Buffer {
  const body = new Writer().array(topics, (w, t) => w.string(t)).build();
  return requestFrame(ApiKey.Metadata, version, correlationId, body);
}

/** A Metadata request at a (future) flexible version: header v2, body = null topic list + flags + no tags. */
export function metadataFlexibleFrame(correlationId: number, version: number): Buffer {
  const body = Buffer.from([0 /* compact null array */, 1 /* allow_auto_topic_creation */, 0, 0 /* tags */]);
  return requestFrame(ApiKey.Metadata, version, correlationId, body, 'strata-e2e-raw', true);
}

export function produceV3Frame(
  correlationId: number,
  topic: string,
  partition: number,
  batch: Buffer,
  opts: { acks?: number; timeoutMs?: number } = {},
): Buffer {
  const body = new Writer()
    .string(null) // transactional_id
    .int16(opts.acks ?? -1)
    .int32(opts.timeoutMs ?? 10_000)
    .array([topic], (w, t) => {
      w.string(t).array([partition], (w2, p) => {
        w2.int32(p).bytes(batch);
      });
    })
    .build();
  return requestFrame(ApiKey.Produce, 3, correlationId, body);
}

export interface ProducePartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  baseOffset: bigint;
}

export function parseProduceV3(frame: Buffer): { correlationId: number; results: ProducePartitionResult[] } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  const results: ProducePartitionResult[] = [];
  r.array((t) => {
    const topic = t.string() ?? '';
    t.array((p) => {
      const partition = p.int32();
      const errorCode = p.int16();
      const baseOffset = p.int64();
      p.int64(); // log_append_time_ms
      results.push({ topic, partition, errorCode, baseOffset });
    });
  });
  r.int32(); // throttle_time_ms
  return { correlationId, results };
}

/** Fetch v4 of one partition; `maxBytes` is both the response and the partition limit unless `o` says otherwise. */
export function fetchV4Frame(
  correlationId: number,
  topic: string,
  partition: number,
  offset: bigint,
  maxBytes = 1 << 20,
  o: { maxWaitMs?: number; minBytes?: number; partitionMaxBytes?: number } = {},
): Buffer {
  const body = new Writer()
    .int32(-1) // replica_id
    .int32(o.maxWaitMs ?? 100)
    .int32(o.minBytes ?? 1)
    .int32(maxBytes)
    .int8(0) // isolation_level READ_UNCOMMITTED
    .array([topic], (w, t) => {
      w.string(t).array([partition], (w2, p) => {
        w2.int32(p).int64(offset).int32(o.partitionMaxBytes ?? maxBytes);
      });
    })
    .build();
  return requestFrame(ApiKey.Fetch, 4, correlationId, body);
}

export interface FetchPartitionResult {
  partition: number;
  errorCode: number;
  highWatermark: bigint;
  records: Buffer | null;
}

export function parseFetchV4(frame: Buffer): { correlationId: number; partitions: FetchPartitionResult[] } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  r.int32(); // throttle_time_ms
  const partitions: FetchPartitionResult[] = [];
  r.array((t) => {
    t.string();
    t.array((p) => {
      const partition = p.int32();
      const errorCode = p.int16();
      const highWatermark = p.int64();
      p.int64(); // last_stable_offset
      p.array((a) => {
        a.int64();
        a.int64();
      });
      partitions.push({ partition, errorCode, highWatermark, records: p.bytes() });
    });
  });
  return { correlationId, partitions };
}

// ---------------------------------------------------------------------------------------------------------
// A raw TCP connection that can send anything and reports what the broker did: answered, closed, or nothing.

export type Outcome = { kind: 'frame'; frame: Buffer } | { kind: 'closed' } | { kind: 'timeout' };

export class RawConnection {
  private buf = Buffer.alloc(0);
  private frames: Buffer[] = [];
  private isClosed = false;
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (size < 0 || this.buf.length < 4 + size) break;
        this.frames.push(this.buf.subarray(4, 4 + size));
        this.buf = this.buf.subarray(4 + size);
      }
      this.wake();
    });
    socket.on('error', () => undefined); // EPIPE/ECONNRESET after the broker closed: reported as closed
    socket.on('close', () => {
      this.isClosed = true;
      this.wake();
    });
  }

  static open(host: string, port: number, timeoutMs = 5000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawConnection(s));
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(data: Buffer): void {
    if (!this.isClosed) this.socket.write(data);
  }

  /** Half-close our side (FIN) after writing, like a client that gives up mid-frame. */
  end(): void {
    this.socket.end();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The next response frame, or 'closed' if the broker closed the connection, or 'timeout'. */
  async next(timeoutMs: number): Promise<Outcome> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = this.frames.shift();
      if (f) return { kind: 'frame', frame: f };
      if (this.isClosed) return { kind: 'closed' };
      const left = deadline - Date.now();
      if (left <= 0) return { kind: 'timeout' };
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Sends a frame and returns the response frame; throws if the broker closed or did not answer. */
  async request(frame: Buffer, timeoutMs = 10_000): Promise<Buffer> {
    this.write(frame);
    const o = await this.next(timeoutMs);
    if (o.kind !== 'frame') throw new Error(`expected a response, got ${o.kind}`);
    return o.frame;
  }

  /** True if the broker closes the connection within the deadline (any frames before that are discarded). */
  async waitClosed(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const o = await this.next(Math.max(0, deadline - Date.now()));
      if (o.kind === 'closed') return true;
      if (o.kind === 'timeout') return false;
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Fetches raw batches of one partition from `offset` over a fresh connection (Fetch v4) and parses their headers. */
export async function fetchRawBatches(host: string, port: number, topic: string, partition: number, offset = 0n): Promise<{ errorCode: number; highWatermark: bigint; batches: BatchInfo[] }> {
  const conn = await RawConnection.open(host, port);
  try {
    const res = parseFetchV4(await conn.request(fetchV4Frame(4242, topic, partition, offset)));
    if (res.correlationId !== 4242) throw new Error(`fetch response has correlation id ${res.correlationId}, expected 4242`);
    const p = res.partitions.find((x) => x.partition === partition);
    if (!p) throw new Error(`fetch response has no partition ${partition}`);
    return { errorCode: p.errorCode, highWatermark: p.highWatermark, batches: p.records ? parseBatches(p.records) : [] };
  } finally {
    conn.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------
// JoinGroup v5 (the last non-flexible version; it has group_instance_id)

export const JOIN_GROUP = { apiKey: 11, INVALID_GROUP_ID: 24, INVALID_REQUEST: 42, MEMBER_ID_REQUIRED: 79 } as const;

export function joinGroupV5Frame(
  correlationId: number,
  o: { groupId: string | Buffer; memberId: string; clientId: string; groupInstanceId?: string | Buffer | null; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number },
): Buffer {
  const body = new Writer()
    .string(o.groupId)
    .int32(o.sessionTimeoutMs ?? 10_000)
    .int32(o.rebalanceTimeoutMs ?? 10_000)
    .string(o.memberId)
    .string(o.groupInstanceId ?? null)
    .string('consumer')
    .array(['range'], (w, name) => w.string(name).bytes(Buffer.alloc(0)))
    .build();
  return requestFrame(JOIN_GROUP.apiKey, 5, correlationId, body, o.clientId);
}

export interface JoinGroupV5Response {
  correlationId: number;
  errorCode: number;
  generationId: number;
  protocolName: string | null;
  leader: string | null;
  memberId: string | null;
  members: Array<{ memberId: string | null; groupInstanceId: string | null }>;
}

export function parseJoinGroupV5(frame: Buffer): JoinGroupV5Response {
  const r = new Reader(frame);
  const correlationId = r.int32();
  r.int32(); // throttle_time_ms
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.string();
  const leader = r.string();
  const memberId = r.string();
  const members =
    r.array((m) => {
      const id = m.string();
      const instance = m.string();
      m.bytes();
      return { memberId: id, groupInstanceId: instance };
    }) ?? [];
  return { correlationId, errorCode, generationId, protocolName, leader, memberId, members };
}
