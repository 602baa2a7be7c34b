// RecordBatch v2 (magic 2). The broker stores batches exactly as received except for the 61-byte header:
// it validates length and CRC32C, reads counts/timestamps/producer fields, and rewrites baseOffset and
// partitionLeaderEpoch in place (both lie outside the CRC). On produce from a client it also walks the
// records' framing (a compressed batch is decompressed once for that, never recompressed), as Kafka's
// LogValidator does, so that no client can store a batch its consumers cannot read. Records are otherwise
// decoded only off the fetch path: compaction, exact timestamp lookups, internal topics, tests and benches.
// Every decompression has an output limit (decompressionLimit): a small batch must not inflate to gigabytes.
import { constants as bufferConstants } from 'buffer';
import { crc32c } from '@node-rs/crc32';
import { ErrorCode, KafkaError } from './errors';

// Header layout (byte offsets from the start of a batch).
const BASE_OFFSET = 0;
const BATCH_LENGTH = 8;
const PARTITION_LEADER_EPOCH = 12;
const MAGIC = 16;
const CRC = 17;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const BASE_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const PRODUCER_ID = 43;
const PRODUCER_EPOCH = 51;
const BASE_SEQUENCE = 53;
const RECORD_COUNT = 57;

/** Size of the fixed batch header; records start here. */
export const RECORD_BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
/** Bytes needed to know a batch's offsets and size (up to and including lastOffsetDelta). */
export const BATCH_OFFSETS_PREFIX = LAST_OFFSET_DELTA + 4;
export const CURRENT_MAGIC = 2;
export const NO_PRODUCER_ID = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;

const COMPRESSION_MASK = 0x07;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;

export const Compression = { NONE: 0, GZIP: 1, SNAPPY: 2, LZ4: 3, ZSTD: 4 } as const;
export type CompressionType = (typeof Compression)[keyof typeof Compression];

export type RecordTimestampType = 'CreateTime' | 'LogAppendTime';

/** A batch that fails validation or decoding, with the Kafka error code to answer. */
export class RecordBatchError extends KafkaError {
  override name = 'RecordBatchError';

  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: number;
  timestampType: RecordTimestampType;
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

// int64 fields as JS numbers: exact for |v| < 2^53, which covers offsets, timestamps and producer ids.
function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * 4294967296, pos + 4);
}

/** Parses the 61-byte header of the batch at `pos` (the caller guarantees the bytes are present). */
export function readBatchHeader(buf: Buffer, pos: number): BatchHeader {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  return {
    baseOffset: readInt64(buf, pos + BASE_OFFSET),
    batchLength: buf.readInt32BE(pos + BATCH_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(pos + MAGIC),
    crc: buf.readUInt32BE(pos + CRC),
    attributes,
    compression: attributes & COMPRESSION_MASK,
    timestampType: attributes & TIMESTAMP_TYPE_BIT ? 'LogAppendTime' : 'CreateTime',
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA),
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP),
    producerId: readInt64(buf, pos + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE),
    recordCount: buf.readInt32BE(pos + RECORD_COUNT),
  };
}

/** Offsets and size of the batch at `pos` from its first 27 bytes: enough to walk a log without parsing headers. */
export function readBatchOffsets(buf: Buffer, pos: number): { baseOffset: number; lastOffset: number; size: number } {
  const baseOffset = readInt64(buf, pos + BASE_OFFSET);
  return {
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(pos + LAST_OFFSET_DELTA),
    size: buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD,
  };
}

/**
 * The whole batches at the start of `data` that end before `maxOffset`, and the offset after the last one taken
 * (`fromOffset` when none is). A torn batch at the end is left out: it is the fetch path's size cut.
 */
export function wholeBatches(data: Buffer, fromOffset: number, maxOffset = Number.MAX_SAFE_INTEGER): { records: Buffer; nextOffset: number } {
  let taken = 0;
  let nextOffset = fromOffset;
  while (taken + BATCH_OFFSETS_PREFIX <= data.length) {
    const b = readBatchOffsets(data, taken);
    if (taken + b.size > data.length || b.lastOffset >= maxOffset) break;
    taken += b.size;
    nextOffset = b.lastOffset + 1;
  }
  return { records: data.subarray(0, taken), nextOffset };
}

/** Records in a buffer of whole batches, from their headers only (never decompressed). */
export function countRecords(buf: Buffer): number {
  let n = 0;
  for (let pos = 0; pos + RECORD_BATCH_HEADER_SIZE <= buf.length; ) {
    const { size } = readBatchOffsets(buf, pos);
    if (pos + size > buf.length) break;
    n += buf.readInt32BE(pos + RECORD_COUNT);
    pos += size;
  }
  return n;
}

/** The CRC32C of a batch as it should be: over the bytes from `attributes` to the end. */
export function computeBatchCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + ATTRIBUTES, pos + size));
}

export interface ValidatedBatch {
  /** Byte position of the batch in the validated buffer. */
  position: number;
  /** Total size in bytes (batchLength + 12). */
  size: number;
  header: BatchHeader;
}

export interface ValidatedBatches {
  batches: ValidatedBatch[];
  recordCount: number;
  bytes: number;
  /** Largest maxTimestamp over the batches (-1 if none carries a timestamp). */
  maxTimestamp: number;
}

/**
 * Checks one batch at `pos` of `buf` (framing, magic, CRC, record count) and returns its header and size.
 * `end` bounds the bytes that belong to the payload. Throws RecordBatchError.
 */
function validateBatch(buf: Buffer, pos: number, end: number, maxBatchBytes: number): ValidatedBatch {
  const remaining = end - pos;
  if (remaining < LOG_OVERHEAD) throw corrupt(`${remaining} trailing bytes at position ${pos} do not form a batch`);
  const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
  if (remaining > MAGIC) {
    const magic = buf.readInt8(pos + MAGIC);
    if (magic >= 0 && magic < CURRENT_MAGIC) {
      throw new RecordBatchError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `message format v${magic} is not supported, only v2`);
    }
    if (magic !== CURRENT_MAGIC) throw corrupt(`invalid magic ${magic} at position ${pos}`);
  }
  if (size < RECORD_BATCH_HEADER_SIZE) throw corrupt(`batch size ${size} at position ${pos} is smaller than the header`);
  if (size > remaining) throw corrupt(`batch at position ${pos} declares ${size} bytes but only ${remaining} are present`);
  if (size > maxBatchBytes) {
    throw new RecordBatchError(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes exceeds the maximum of ${maxBatchBytes}`);
  }
  const header = readBatchHeader(buf, pos);
  if (computeBatchCrc(buf, pos, size) !== header.crc) throw corrupt(`CRC mismatch in batch at position ${pos}`);
  if (header.recordCount < 1) {
    throw new RecordBatchError(ErrorCode.INVALID_RECORD, `batch at position ${pos} has record count ${header.recordCount}`);
  }
  if (header.lastOffsetDelta !== header.recordCount - 1) {
    throw new RecordBatchError(
      ErrorCode.INVALID_RECORD,
      `batch at position ${pos} has lastOffsetDelta ${header.lastOffsetDelta} for ${header.recordCount} records`,
    );
  }
  return { position: pos, size, header };
}

/** Checks on the records inside client batches (RecordWalk; checkCompressedRecords for compressed batches). */
export interface RecordCheckOptions {
  /** Refuse data records without a key (compacted topics), INVALID_RECORD as Kafka. */
  requireKeys: boolean;
}

/**
 * Validates every batch of a produce payload; the batches must exactly fill the buffer. With `recordCheck`,
 * the records of uncompressed batches are walked too (synchronously: they are at most maxBatchBytes); those
 * of compressed batches are left to checkCompressedRecords, which decompresses off the event loop.
 * Throws RecordBatchError.
 */
export function validateBatches(records: Buffer, maxBatchBytes = Infinity, recordCheck?: RecordCheckOptions): ValidatedBatches {
  const batches: ValidatedBatch[] = [];
  let recordCount = 0;
  let maxTimestamp = -1;
  let pos = 0;
  while (pos < records.length) {
    const batch = validateBatch(records, pos, records.length, maxBatchBytes);
    if (recordCheck && batch.header.compression === Compression.NONE) {
      const walk = new RecordWalk(records.subarray(pos + RECORD_BATCH_HEADER_SIZE, pos + batch.size), batch.header, pos);
      walk.step(Infinity);
      walk.checkKeys(recordCheck);
    }
    batches.push(batch);
    recordCount += batch.header.recordCount;
    if (batch.header.maxTimestamp > maxTimestamp) maxTimestamp = batch.header.maxTimestamp;
    pos += batch.size;
  }
  return { batches, recordCount, bytes: records.length, maxTimestamp };
}

function corrupt(message: string): RecordBatchError {
  return new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, message);
}

export function setBaseOffset(buf: Buffer, pos: number, offset: number): void {
  writeInt64(buf, pos + BASE_OFFSET, offset);
}

export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH);
}

/** Stamps the batch with the broker's time (message.timestamp.type=LogAppendTime); these bits are under the CRC. */
export function setLogAppendTime(buf: Buffer, pos: number, timestamp: number): void {
  const size = buf.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
  buf.writeInt16BE(buf.readInt16BE(pos + ATTRIBUTES) | TIMESTAMP_TYPE_BIT, pos + ATTRIBUTES);
  writeInt64(buf, pos + MAX_TIMESTAMP, timestamp);
  buf.writeUInt32BE(computeBatchCrc(buf, pos, size), pos + CRC);
}

// ---- Compression: importing protocol/compression.ts registers Kafka's codecs. They are asynchronous so that
// (de)compression runs off the event loop.

export interface CompressionCodec {
  compress(data: Buffer): Promise<Buffer>;
  /**
   * Decompresses without ever producing (or allocating for) more than `maxBytes`; throws
   * DecompressionLimitError when the output would be larger.
   */
  decompress(data: Buffer, maxBytes: number): Promise<Buffer>;
}

/** A batch whose records would inflate beyond the decompression limit: a compression bomb (or a limit set too low). */
export class DecompressionLimitError extends RecordBatchError {
  override name = 'DecompressionLimitError';

  constructor(message: string) {
    super(ErrorCode.CORRUPT_MESSAGE, message);
  }
}

/**
 * The output limit for decompressing one batch of a log whose batches are at most `maxMessageBytes`
 * (max.message.bytes) compressed. Kafka itself has no such limit (it streams records out of the decompressor);
 * we decompress a batch whole, so we bound it: 64 MiB, or 16 times max.message.bytes when that is raised
 * above 4 MiB (text compresses about 5-10x; a batch inflating 16x beyond the largest batch the topic allows is
 * refused), and never more than a Buffer can hold. The default 1 MiB max.message.bytes gives 64 MiB.
 */
export function decompressionLimit(maxMessageBytes: number): number {
  return Math.min(MAX_BUFFER_LENGTH, Math.max(MIN_DECOMPRESSION_LIMIT, maxMessageBytes * DECOMPRESSION_RATIO_LIMIT));
}

const MIN_DECOMPRESSION_LIMIT = 64 * 1024 * 1024;
const DECOMPRESSION_RATIO_LIMIT = 16;
const MAX_BUFFER_LENGTH = bufferConstants.MAX_LENGTH;
/** For decoders with no log config at hand (timestamp lookups, internal topics): the limit of Kafka's default max.message.bytes. */
export const DEFAULT_DECOMPRESSION_LIMIT = MIN_DECOMPRESSION_LIMIT;

const codecs = new Map<number, CompressionCodec>();

export function registerCompressionCodec(type: CompressionType, codec: CompressionCodec): void {
  codecs.set(type, codec);
}

export function codecFor(type: number): CompressionCodec {
  const codec = codecs.get(type);
  if (!codec) throw new RecordBatchError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `no codec registered for compression type ${type}`);
  return codec;
}

/**
 * The records section of a batch, decompressed to at most `maxBytes` (the one place the broker decompresses).
 * Codec failures are corrupt data; DecompressionLimitError when the records would be larger.
 */
async function decompressBody(header: BatchHeader, raw: Buffer, maxBytes: number): Promise<Buffer> {
  if (header.compression === Compression.NONE) return raw;
  const codec = codecFor(header.compression);
  const what = `batch at offset ${header.baseOffset} (compression type ${header.compression})`;
  let body: Buffer;
  try {
    body = await codec.decompress(raw, maxBytes);
  } catch (err) {
    if (err instanceof DecompressionLimitError) throw new DecompressionLimitError(`${what}: ${err.message}`);
    throw corrupt(`cannot decompress ${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
  // Codecs bound their output beforehand; this guards against a codec that does not.
  if (body.length > maxBytes) throw new DecompressionLimitError(`${what} inflates to ${body.length} bytes, over the limit of ${maxBytes}`);
  return body;
}

function compressBody(type: number, body: Buffer): Promise<Buffer> {
  return type === Compression.NONE ? Promise.resolve(body) : codecFor(type).compress(body);
}

// ---- Varints (zigzag), as in the Kafka protocol guide. Arithmetic rather than bit operations so that
// 64-bit values (timestamp deltas) up to 2^53 stay exact.

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function varintSize(value: number): number {
  let v = zigzag(value);
  let size = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, value: number): number {
  let v = zigzag(value);
  while (v >= 128) {
    buf[pos++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

class VarintReader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}

  varint(): number {
    // One-byte varints (small lengths, deltas, counts) are most of them: the record walk is on the produce path.
    const first = this.buf[this.pos];
    if (first < 0x80) {
      this.pos++;
      return first & 1 ? -(first + 1) / 2 : first / 2;
    }
    let raw = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw corrupt('varint runs past the end of the records');
      const byte = this.buf[this.pos++];
      raw += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 128;
      if (scale > 2 ** 63) throw corrupt('varint is too long');
    }
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** Skips a bytes field; its length, -1 for null. */
  skipBytes(): number {
    const length = this.varint();
    if (length > 0) {
      if (this.pos + length > this.buf.length) throw corrupt('record field runs past the end of the records');
      this.pos += length;
    }
    return length;
  }

  bytes(): Buffer | null {
    const length = this.varint();
    if (length < 0) return null;
    if (this.pos + length > this.buf.length) throw corrupt('record field runs past the end of the records');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
}

// ---- Building and decoding batches.

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Milliseconds after the batch timestamp (default 0). */
  timestampDelta?: number;
}

export interface BuildBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** Timestamp of the first record (default Date.now()). */
  timestamp?: number;
  isTransactional?: boolean;
  isControl?: boolean;
  compression?: CompressionType;
  records: RecordInput[];
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

function bytesFieldSize(b: Buffer | null | undefined): number {
  return b == null ? varintSize(-1) : varintSize(b.length) + b.length;
}

function writeBytesField(buf: Buffer, pos: number, b: Buffer | null | undefined): number {
  if (b == null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

function recordBodySize(r: RecordInput, offsetDelta: number): number {
  let size = 1 + varintSize(r.timestampDelta ?? 0) + varintSize(offsetDelta) + bytesFieldSize(r.key) + bytesFieldSize(r.value);
  const headers = r.headers ?? [];
  size += varintSize(headers.length);
  for (const h of headers) size += bytesFieldSize(Buffer.from(h.key, 'utf8')) + bytesFieldSize(h.value);
  return size;
}

function encodeRecords(records: RecordInput[]): Buffer {
  const bodySizes = records.map((r, i) => recordBodySize(r, i));
  const total = bodySizes.reduce((sum, s) => sum + varintSize(s) + s, 0);
  const buf = Buffer.alloc(total);
  let pos = 0;
  records.forEach((r, i) => {
    pos = writeVarint(buf, pos, bodySizes[i]);
    buf[pos++] = 0; // record attributes: unused
    pos = writeVarint(buf, pos, r.timestampDelta ?? 0);
    pos = writeVarint(buf, pos, i);
    pos = writeBytesField(buf, pos, r.key);
    pos = writeBytesField(buf, pos, r.value);
    const headers = r.headers ?? [];
    pos = writeVarint(buf, pos, headers.length);
    for (const h of headers) {
      pos = writeBytesField(buf, pos, Buffer.from(h.key, 'utf8'));
      pos = writeBytesField(buf, pos, h.value);
    }
  });
  return buf;
}

/** Encodes one uncompressed v2 batch with a valid CRC (buildRecordBatchAsync compresses). */
export function buildRecordBatch(opts: BuildBatchOptions): Buffer {
  const compression = opts.compression ?? Compression.NONE;
  if (compression !== Compression.NONE) throw new RangeError('compressed batches are built by buildRecordBatchAsync');
  return assembleBatch(opts, encodeRecords(checkedRecords(opts)));
}

/** Encodes one v2 batch with a valid CRC, compressing its records with the registered codec. */
export async function buildRecordBatchAsync(opts: BuildBatchOptions): Promise<Buffer> {
  const body = await compressBody(opts.compression ?? Compression.NONE, encodeRecords(checkedRecords(opts)));
  return assembleBatch(opts, body);
}

function checkedRecords(opts: BuildBatchOptions): RecordInput[] {
  if (opts.records.length === 0) throw new RangeError('a record batch needs at least one record');
  return opts.records;
}

function assembleBatch(opts: BuildBatchOptions, body: Buffer): Buffer {
  const compression = opts.compression ?? Compression.NONE;
  const baseTimestamp = opts.timestamp ?? Date.now();
  const maxDelta = opts.records.reduce((max, r) => Math.max(max, r.timestampDelta ?? 0), -Infinity);
  const attributes = compression | (opts.isTransactional ? TRANSACTIONAL_BIT : 0) | (opts.isControl ? CONTROL_BIT : 0);
  const buf = Buffer.alloc(RECORD_BATCH_HEADER_SIZE + body.length);
  writeInt64(buf, BASE_OFFSET, opts.baseOffset ?? 0);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH, PARTITION_LEADER_EPOCH);
  buf.writeInt8(CURRENT_MAGIC, MAGIC);
  buf.writeInt16BE(attributes, ATTRIBUTES);
  buf.writeInt32BE(opts.records.length - 1, LAST_OFFSET_DELTA);
  writeInt64(buf, BASE_TIMESTAMP, baseTimestamp);
  writeInt64(buf, MAX_TIMESTAMP, baseTimestamp + maxDelta);
  writeInt64(buf, PRODUCER_ID, opts.producerId ?? NO_PRODUCER_ID);
  buf.writeInt16BE(opts.producerEpoch ?? -1, PRODUCER_EPOCH);
  buf.writeInt32BE(opts.baseSequence ?? -1, BASE_SEQUENCE);
  buf.writeInt32BE(opts.records.length, RECORD_COUNT);
  body.copy(buf, RECORD_BATCH_HEADER_SIZE);
  return finishBatch(buf);
}

/** Sets batchLength and the CRC of a batch that fills `buf`. */
function finishBatch(buf: Buffer): Buffer {
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH);
  buf.writeUInt32BE(computeBatchCrc(buf, 0, buf.length), CRC);
  return buf;
}

/**
 * Key and value of the first record of an uncompressed batch at `pos` (control batches: the ControlRecordType
 * and its value), read without decoding the rest; null for a compressed or empty batch. Throws
 * RecordBatchError if malformed.
 */
export function firstRecord(buf: Buffer, pos: number): { key: Buffer | null; value: Buffer | null } | null {
  const h = readBatchHeader(buf, pos);
  if (h.compression !== Compression.NONE || h.recordCount < 1) return null;
  const end = pos + h.batchLength + LOG_OVERHEAD;
  const reader = new VarintReader(buf.subarray(0, Math.min(end, buf.length)), pos + RECORD_BATCH_HEADER_SIZE);
  reader.varint(); // record length
  reader.pos++; // attributes
  reader.varint(); // timestamp delta
  reader.varint(); // offset delta
  const key = reader.bytes();
  return { key, value: reader.bytes() };
}

export interface DecodedBatch {
  header: BatchHeader;
  records: DecodedRecord[];
}

/**
 * Decodes every batch in `buf` (a batch, or a fetch's records field of whole batches), decompressing with
 * the registered codecs, each batch to at most `maxDecompressedBytes`. Keys and values are views into the
 * (decompressed) bytes.
 */
export async function decodeBatches(buf: Buffer, maxDecompressedBytes = DEFAULT_DECOMPRESSION_LIMIT): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const { header, size, body } = await openBatch(buf, pos, maxDecompressedBytes);
    const reader = new VarintReader(body, 0);
    const records: DecodedRecord[] = [];
    for (let i = 0; i < header.recordCount; i++) records.push(decodeRecord(reader, header));
    out.push({ header, records });
    pos += size;
  }
  return out;
}

/** The records of every batch in `buf`, in offset order (see decodeBatches). */
export async function decodeRecords(buf: Buffer, maxDecompressedBytes = DEFAULT_DECOMPRESSION_LIMIT): Promise<DecodedRecord[]> {
  return (await decodeBatches(buf, maxDecompressedBytes)).flatMap((b) => b.records);
}

async function openBatch(buf: Buffer, pos: number, maxDecompressedBytes: number): Promise<{ header: BatchHeader; size: number; body: Buffer }> {
  if (buf.length - pos < RECORD_BATCH_HEADER_SIZE) throw corrupt(`batch at position ${pos} is truncated`);
  const header = readBatchHeader(buf, pos);
  const size = header.batchLength + LOG_OVERHEAD;
  if (size < RECORD_BATCH_HEADER_SIZE || pos + size > buf.length) throw corrupt(`batch at position ${pos} is truncated`);
  const body = await decompressBody(header, buf.subarray(pos + RECORD_BATCH_HEADER_SIZE, pos + size), maxDecompressedBytes);
  return { header, size, body };
}

/**
 * Rewrites the one batch in `batch` keeping only the records `keep` accepts (compaction). Kept records are
 * copied byte for byte: their deltas stay relative to the unchanged base offset and base timestamp, and the
 * batch keeps its offset range (lastOffsetDelta), producer fields, attributes and codec. Returns the input
 * itself when every record is kept, null when none is.
 */
export async function retainRecords(
  batch: Buffer,
  keep: (record: DecodedRecord) => boolean,
  maxDecompressedBytes = DEFAULT_DECOMPRESSION_LIMIT,
): Promise<Buffer | null> {
  const { header, size, body } = await openBatch(batch, 0, maxDecompressedBytes);
  if (size !== batch.length) throw new RangeError('retainRecords takes exactly one batch');
  const reader = new VarintReader(body, 0);
  const kept: Buffer[] = [];
  let maxTimestamp = -1;
  for (let i = 0; i < header.recordCount; i++) {
    const start = reader.pos;
    const record = decodeRecord(reader, header);
    if (!keep(record)) continue;
    kept.push(body.subarray(start, reader.pos));
    maxTimestamp = Math.max(maxTimestamp, record.timestamp);
  }
  if (kept.length === header.recordCount) return batch;
  if (kept.length === 0) return null;
  const compressed = await compressBody(header.compression, Buffer.concat(kept));
  const out = Buffer.alloc(RECORD_BATCH_HEADER_SIZE + compressed.length);
  batch.copy(out, 0, 0, RECORD_BATCH_HEADER_SIZE);
  // Under LogAppendTime the header's maxTimestamp is the append time and stays.
  if (header.timestampType === 'CreateTime') writeInt64(out, MAX_TIMESTAMP, maxTimestamp);
  out.writeInt32BE(kept.length, RECORD_COUNT);
  compressed.copy(out, RECORD_BATCH_HEADER_SIZE);
  return finishBatch(out);
}

/**
 * The header of `batch` with no records, as Kafka's cleaner keeps a producer's last batch whose records all go
 * (RETAIN_EMPTY): offsets, producer id/epoch/sequence, timestamps and flags stay, compression is none.
 */
export function emptyBatchLike(batch: Buffer): Buffer {
  const out = Buffer.from(batch.subarray(0, RECORD_BATCH_HEADER_SIZE));
  out.writeInt16BE(out.readInt16BE(ATTRIBUTES) & ~COMPRESSION_MASK, ATTRIBUTES);
  out.writeInt32BE(0, RECORD_COUNT);
  return finishBatch(out);
}

function decodeRecord(reader: VarintReader, header: BatchHeader): DecodedRecord {
  const length = reader.varint();
  const end = reader.pos + length;
  reader.pos++; // record attributes: unused
  const timestampDelta = reader.varint();
  const offsetDelta = reader.varint();
  const key = reader.bytes();
  const value = reader.bytes();
  const headerCount = reader.varint();
  const headers: RecordHeader[] = [];
  for (let i = 0; i < headerCount; i++) {
    const hKey = reader.bytes();
    headers.push({ key: hKey ? hKey.toString('utf8') : '', value: reader.bytes() });
  }
  if (reader.pos !== end) throw corrupt(`record length ${length} does not match its fields`);
  return {
    offset: header.baseOffset + offsetDelta,
    // With LogAppendTime every record carries the broker's time, stored once as maxTimestamp.
    timestamp: header.timestampType === 'LogAppendTime' ? header.maxTimestamp : header.baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

// ---- Checking the records of client batches, as Kafka's LogValidator reads them before appending.

/** Records walked between turns of the event loop when checking a decompressed batch. */
const WALK_SLICE_RECORDS = 20_000;

/**
 * Walks the records section of one batch without decoding it: exactly recordCount records, each one's varint
 * length matching its fields, offset deltas 0, 1, 2, ..., non-null header keys, and no bytes left over.
 * Resumable (step), so that a long walk can give the event loop turns. Throws RecordBatchError: framing errors
 * are CORRUPT_MESSAGE; offset deltas that do not count up are INVALID_RECORD, like a header whose
 * lastOffsetDelta disagrees with its record count (we never reassign inner offsets as Kafka may by recompressing).
 */
class RecordWalk {
  private readonly reader: VarintReader;
  private index = 0;
  /** A record without a key was seen. */
  missingKey = false;

  constructor(
    private readonly body: Buffer,
    private readonly header: BatchHeader,
    /** Byte position of the batch in the payload, for messages. */
    private readonly position: number,
  ) {
    this.reader = new VarintReader(body, 0);
  }

  /** Walks up to `max` more records; true once every record is walked and nothing follows them. */
  step(max: number): boolean {
    const count = this.header.recordCount;
    const until = Math.min(count, this.index + max);
    for (; this.index < until; this.index++) this.walkRecord();
    if (this.index < count) return false;
    const extra = this.body.length - this.reader.pos;
    if (extra !== 0) throw corrupt(`${extra} bytes follow the ${count} records of the batch at position ${this.position}`);
    return true;
  }

  /** Throws INVALID_RECORD, as Kafka does, if keys are required and a data record has none. */
  checkKeys(opts: RecordCheckOptions): void {
    if (opts.requireKeys && this.missingKey && !this.header.isControl) {
      throw new RecordBatchError(ErrorCode.INVALID_RECORD, 'Compacted topic cannot accept message without key');
    }
  }

  private walkRecord(): void {
    const r = this.reader;
    const where = `record ${this.index} of the batch at position ${this.position}`;
    const length = r.varint();
    const end = r.pos + length;
    if (length < 1 || end > this.body.length) throw corrupt(`${where} declares ${length} bytes, ${this.body.length - r.pos} are left`);
    r.pos++; // attributes
    r.varint(); // timestamp delta
    const offsetDelta = r.varint();
    if (offsetDelta !== this.index) throw new RecordBatchError(ErrorCode.INVALID_RECORD, `${where} has offset delta ${offsetDelta}`);
    if (r.skipBytes() < 0) this.missingKey = true;
    r.skipBytes(); // value
    const headerCount = r.varint();
    // Each header takes at least two bytes: a count beyond that is corrupt whatever follows.
    if (headerCount < 0 || headerCount * 2 > end - r.pos) throw corrupt(`${where} declares ${headerCount} headers`);
    for (let h = 0; h < headerCount; h++) {
      if (r.skipBytes() < 0) throw corrupt(`${where} has a header with a null key`);
      r.skipBytes(); // header value
    }
    if (r.pos !== end) throw corrupt(`${where}: length ${length} does not match its fields`);
  }
}

export interface CompressedRecordCheckOptions extends RecordCheckOptions {
  /** Output limit for each batch's decompression (decompressionLimit of the log's max.message.bytes). */
  maxDecompressedBytes: number;
}

/**
 * Checks the records of the compressed batches of a validated payload: each is decompressed once (off the
 * event loop, within the limit) and walked as validateBatches walks uncompressed ones; the stored bytes stay
 * those received. One batch at a time, so a payload holds at most one decompressed batch. Throws
 * RecordBatchError (DecompressionLimitError for a bomb).
 */
export async function checkCompressedRecords(records: Buffer, batches: ValidatedBatch[], opts: CompressedRecordCheckOptions): Promise<void> {
  for (const b of batches) {
    if (b.header.compression === Compression.NONE) continue;
    const raw = records.subarray(b.position + RECORD_BATCH_HEADER_SIZE, b.position + b.size);
    const walk = new RecordWalk(await decompressBody(b.header, raw, opts.maxDecompressedBytes), b.header, b.position);
    while (!walk.step(WALK_SLICE_RECORDS)) await new Promise<void>((resolve) => setImmediate(resolve));
    walk.checkKeys(opts);
  }
}
