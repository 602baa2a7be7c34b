// Kafka's four record batch codecs, registered with records.ts when this module is first imported. All of
// them run off the event loop: zlib on the libuv pool, the others as N-API async work.
//   gzip   zlib (RFC 1952)
//   snappy raw snappy blocks; reads both raw and the xerial framing that the Java client writes, and writes
//          xerial (the Java client reads only that reliably; librdkafka and KafkaJS codecs read both)
//   lz4    the LZ4 frame format (independent blocks, correct header checksum: magic v2 batches)
//   zstd   a standard zstd frame, level 3 as Kafka's default; frames without a content size decode too
//
// Decompression has an output limit (a batch of a few KiB can claim or really inflate to gigabytes). Only
// zlib can stop a decoder at a limit (maxOutputLength); the snappy, lz4 and zstd bindings decode a whole
// input into one growing buffer. So before decoding, each codec computes from the compressed bytes alone an
// upper bound of what they can produce and refuses when it exceeds the limit; that walk is cheap (a few
// header bytes per block) and fails fast on garbage, which then never reaches the native decoder:
//   snappy  each raw block starts with its exact uncompressed length (the decoder allocates that and fails
//           unless the block fills it): the bound is exact.
//   lz4     a frame is a sequence of blocks, each with its compressed size, at most the frame's block maximum
//           (64 KiB-4 MiB) out; an LZ4 sequence cannot emit more than 255 bytes per input byte.
//   zstd    a frame is a sequence of blocks of at most 128 KiB out each (raw and RLE blocks state their size).
//           A declared frame content size is checked too; it alone is not trusted, being the sender's claim.
//   gzip    zlib stops at the limit while decoding; the trailer's ISIZE (the last member's size mod 2^32,
//           which can only understate) refuses an honest bomb before any decoding.
// Every codec's output is checked against the limit again afterwards (records.ts).
import { promisify } from 'util';
import * as zlib from 'zlib';
import * as snappy from 'snappy';
import * as lz4 from 'lz4-napi';
import * as zstd from '@mongodb-js/zstd';
import { Compression, CompressionCodec, DecompressionLimitError, registerCompressionCodec } from './records';

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

/** Refuses input whose output can reach `bound` bytes when only `maxBytes` are allowed. */
function checkBound(bound: number, maxBytes: number, what: string): void {
  if (bound > maxBytes) throw new DecompressionLimitError(`${what} can inflate to ${bound} bytes, over the limit of ${maxBytes}`);
}

/** Throws a plain Error (corrupt data) when `pos + n` bytes are not all in `data`. */
function need(data: Buffer, pos: number, n: number, what: string): void {
  if (pos + n > data.length) throw new Error(`${what} is truncated at byte ${pos}`);
}

/** The smallest gzip stream: a 10-byte header, an empty deflate block and the 8-byte trailer. */
const GZIP_MIN_SIZE = 20;

export const gzipCodec: CompressionCodec = {
  compress: (data) => gzipAsync(data),
  async decompress(data, maxBytes) {
    if (data.length >= GZIP_MIN_SIZE) checkBound(data.readUInt32LE(data.length - 4), maxBytes, 'gzip stream (by its trailer)');
    try {
      return await gunzipAsync(data, { maxOutputLength: maxBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new DecompressionLimitError(`gzip stream inflates beyond the limit of ${maxBytes} bytes`);
      throw err;
    }
  },
};

/** 0x82 "SNAPPY" 0x00, then int32 version and int32 compatible version (both 1). */
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = XERIAL_MAGIC.length + 8;
/** Uncompressed bytes per xerial block, as the Java client's SnappyOutputStream. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

async function snappyRawDecompress(data: Buffer): Promise<Buffer> {
  return (await snappy.uncompress(data, { asBuffer: true })) as Buffer;
}

/** The uncompressed length a raw snappy block starts with (a varint of at most 32 bits). */
function snappyRawLength(block: Buffer): number {
  let length = 0;
  for (let i = 0, scale = 1; i < 5 && i < block.length; i++, scale *= 128) {
    length += (block[i] & 0x7f) * scale;
    if (block[i] < 0x80) return length;
  }
  throw new Error('snappy block does not start with a valid length');
}

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

/** Blocks of a xerial stream: [int32 compressed length][raw snappy] after the 16-byte header. */
function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new Error('xerial snappy stream ends inside a block length');
    const length = data.readInt32BE(pos);
    pos += 4;
    if (length < 0 || pos + length > data.length) throw new Error(`xerial snappy block of ${length} bytes overruns the stream`);
    blocks.push(data.subarray(pos, pos + length));
    pos += length;
  }
  return blocks;
}

export const snappyCodec: CompressionCodec = {
  async compress(data) {
    const chunks: Buffer[] = [];
    for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) chunks.push(data.subarray(pos, pos + XERIAL_BLOCK_SIZE));
    const compressed = await Promise.all(chunks.map((c) => snappy.compress(c)));
    const header = Buffer.alloc(XERIAL_HEADER_SIZE);
    XERIAL_MAGIC.copy(header);
    header.writeInt32BE(1, XERIAL_MAGIC.length);
    header.writeInt32BE(1, XERIAL_MAGIC.length + 4);
    const parts: Buffer[] = [header];
    for (const c of compressed) {
      const length = Buffer.alloc(4);
      length.writeInt32BE(c.length);
      parts.push(length, c);
    }
    return Buffer.concat(parts);
  },
  async decompress(data, maxBytes) {
    const xerial = isXerialFramed(data);
    const blocks = xerial ? xerialBlocks(data) : [data];
    checkBound(blocks.reduce((total, b) => total + snappyRawLength(b), 0), maxBytes, 'snappy data');
    if (!xerial) return snappyRawDecompress(data);
    return Buffer.concat(await Promise.all(blocks.map(snappyRawDecompress)));
  },
};

/** Skippable frames (LZ4 and zstd share them): magic 0x184D2A50-5F, a 4-byte size, ignored content. */
function skippableFrameSize(data: Buffer, pos: number, magic: number): number | null {
  if ((magic & 0xfffffff0) !== 0x184d2a50) return null;
  need(data, pos, 8, 'skippable frame');
  return 8 + data.readUInt32LE(pos + 4);
}

const LZ4_MAGIC = 0x184d2204;
/** Block maximum sizes by the BD byte's 3-bit code (4-7; others are invalid). */
const LZ4_BLOCK_MAX: Record<number, number> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };
/** An LZ4 sequence emits at most 255 bytes per byte of input (a match length grows by 255 per extra byte). */
const LZ4_MAX_RATIO = 255;

/** Most bytes the LZ4 frames in `data` can decode to, from frame headers and block sizes only. */
export function lz4OutputBound(data: Buffer): number {
  let bound = 0;
  let pos = 0;
  while (pos < data.length) {
    need(data, pos, 4, 'lz4 frame');
    const magic = data.readUInt32LE(pos);
    const skip = skippableFrameSize(data, pos, magic);
    if (skip !== null) {
      pos += skip;
      continue;
    }
    if (magic !== LZ4_MAGIC) throw new Error(`not an lz4 frame (magic 0x${magic.toString(16)})`);
    need(data, pos, 7, 'lz4 frame header');
    const flags = data[pos + 4];
    const blockMax = LZ4_BLOCK_MAX[(data[pos + 5] >> 4) & 7];
    if ((flags & 0xc0) !== 0x40 || blockMax === undefined) throw new Error('invalid lz4 frame header');
    // FLG, BD, then content size (8 bytes) and dictionary id (4) if flagged, then the header checksum.
    pos += 6 + (flags & 0x08 ? 8 : 0) + (flags & 0x01 ? 4 : 0) + 1;
    const blockChecksumSize = flags & 0x10 ? 4 : 0;
    for (;;) {
      need(data, pos, 4, 'lz4 block');
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break; // end mark
      const size = word & 0x7fffffff;
      if (size > blockMax) throw new Error(`lz4 block of ${size} bytes exceeds the frame's block size ${blockMax}`);
      const stored = word >>> 31 === 1;
      bound += stored ? size : Math.min(blockMax, size * LZ4_MAX_RATIO);
      pos += size + blockChecksumSize;
    }
    pos += flags & 0x04 ? 4 : 0; // content checksum
  }
  if (pos > data.length) throw new Error('lz4 frame is truncated');
  return bound;
}

export const lz4Codec: CompressionCodec = {
  compress: (data) => lz4.compressFrame(data),
  async decompress(data, maxBytes) {
    checkBound(lz4OutputBound(data), maxBytes, 'lz4 data');
    return lz4.decompressFrame(data);
  },
};

/** Kafka's default compression.zstd.level. */
const ZSTD_LEVEL = 3;
const ZSTD_MAGIC = 0xfd2fb528;
/** A zstd block decodes to at most 128 KiB (less when the window is smaller). */
const ZSTD_BLOCK_MAX = 128 << 10;
const ZSTD_BLOCK_RLE = 1;
const ZSTD_BLOCK_COMPRESSED = 2;
const ZSTD_BLOCK_RESERVED = 3;

/**
 * Most bytes the zstd frames in `data` can decode to, from frame and block headers only: per frame the larger
 * of its declared content size and the sum of its blocks' maxima (the decoder fails a frame whose output
 * differs from its declared size, so both are upper bounds for a frame that decodes at all).
 */
export function zstdOutputBound(data: Buffer): number {
  let bound = 0;
  let pos = 0;
  while (pos < data.length) {
    need(data, pos, 4, 'zstd frame');
    const magic = data.readUInt32LE(pos);
    const skip = skippableFrameSize(data, pos, magic);
    if (skip !== null) {
      pos += skip;
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new Error(`not a zstd frame (magic 0x${magic.toString(16)})`);
    need(data, pos, 6, 'zstd frame header');
    const descriptor = data[pos + 4];
    if (descriptor & 0x08) throw new Error('zstd frame header has its reserved bit set');
    const singleSegment = (descriptor & 0x20) !== 0;
    pos += 5;
    let windowSize = Infinity;
    if (!singleSegment) {
      const exponent = data[pos] >> 3;
      const base = 2 ** (10 + exponent);
      windowSize = base + (base / 8) * (data[pos] & 7);
      pos++;
    }
    pos += [0, 1, 2, 4][descriptor & 3]; // dictionary id
    const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6];
    need(data, pos, contentSizeBytes, 'zstd frame header');
    let contentSize = 0;
    if (contentSizeBytes === 1) contentSize = data[pos];
    else if (contentSizeBytes === 2) contentSize = data.readUInt16LE(pos) + 256;
    else if (contentSizeBytes === 4) contentSize = data.readUInt32LE(pos);
    else if (contentSizeBytes === 8) contentSize = data.readUInt32LE(pos + 4) * 2 ** 32 + data.readUInt32LE(pos);
    pos += contentSizeBytes;
    if (singleSegment) windowSize = contentSize;
    const blockMax = Math.min(windowSize, ZSTD_BLOCK_MAX);
    let blocksBound = 0;
    let last = false;
    while (!last) {
      need(data, pos, 3, 'zstd block');
      const header = data.readUIntLE(pos, 3);
      pos += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === ZSTD_BLOCK_RESERVED) throw new Error('zstd block of the reserved type');
      if (type === ZSTD_BLOCK_RLE) {
        blocksBound += size;
        pos += 1;
      } else {
        blocksBound += type === ZSTD_BLOCK_COMPRESSED ? blockMax : size;
        pos += size;
      }
    }
    if (descriptor & 0x04) pos += 4; // content checksum
    bound += Math.max(contentSize, blocksBound);
  }
  if (pos > data.length) throw new Error('zstd frame is truncated');
  return bound;
}

export const zstdCodec: CompressionCodec = {
  compress: (data) => zstd.compress(data, ZSTD_LEVEL),
  async decompress(data, maxBytes) {
    checkBound(zstdOutputBound(data), maxBytes, 'zstd data');
    return zstd.decompress(data);
  },
};

registerCompressionCodec(Compression.GZIP, gzipCodec);
registerCompressionCodec(Compression.SNAPPY, snappyCodec);
registerCompressionCodec(Compression.LZ4, lz4Codec);
registerCompressionCodec(Compression.ZSTD, zstdCodec);
