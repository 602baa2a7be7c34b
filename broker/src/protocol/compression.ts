// Kafka's four record batch codecs, registered with records.ts when this module is first imported. All of
// them run off the event loop: zlib on the libuv pool, the others as N-API async work.
//   gzip   zlib (RFC 1952)
//   snappy raw snappy blocks; reads both raw and the xerial framing that the Java client writes, and writes
//          xerial (the Java client reads only that reliably; librdkafka and KafkaJS codecs read both)
//   lz4    the LZ4 frame format (independent blocks, correct header checksum: magic v2 batches)
//   zstd   a standard zstd frame, level 3 as Kafka's default; frames without a content size decode too
import { promisify } from 'util';
import * as zlib from 'zlib';
import * as snappy from 'snappy';
import * as lz4 from 'lz4-napi';
import * as zstd from '@mongodb-js/zstd';
import { Compression, CompressionCodec, registerCompressionCodec } from './records';

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

export const gzipCodec: CompressionCodec = {
  compress: (data) => gzipAsync(data),
  decompress: (data) => gunzipAsync(data),
};

/** 0x82 "SNAPPY" 0x00, then int32 version and int32 compatible version (both 1). */
export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_SIZE = XERIAL_MAGIC.length + 8;
/** Uncompressed bytes per xerial block, as the Java client's SnappyOutputStream. */
const XERIAL_BLOCK_SIZE = 32 * 1024;

async function snappyRawDecompress(data: Buffer): Promise<Buffer> {
  return (await snappy.uncompress(data, { asBuffer: true })) as Buffer;
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
  async decompress(data) {
    if (!isXerialFramed(data)) return snappyRawDecompress(data);
    return Buffer.concat(await Promise.all(xerialBlocks(data).map(snappyRawDecompress)));
  },
};

export const lz4Codec: CompressionCodec = {
  compress: (data) => lz4.compressFrame(data),
  decompress: (data) => lz4.decompressFrame(data),
};

/** Kafka's default compression.zstd.level. */
const ZSTD_LEVEL = 3;

export const zstdCodec: CompressionCodec = {
  compress: (data) => zstd.compress(data, ZSTD_LEVEL),
  decompress: (data) => zstd.decompress(data),
};

registerCompressionCodec(Compression.GZIP, gzipCodec);
registerCompressionCodec(Compression.SNAPPY, snappyCodec);
registerCompressionCodec(Compression.LZ4, lz4Codec);
registerCompressionCodec(Compression.ZSTD, zstdCodec);
