// Compressed payloads that inflate (or claim to inflate) far beyond any decompression limit, built cheaply
// from small pieces: none of them is ever decompressed whole by the tests. Shared by the unit and e2e suites.
import * as zlib from 'zlib';
import * as lz4 from 'lz4-napi';
import { RECORD_BATCH_HEADER_SIZE, computeBatchCrc } from '../../src/protocol/records';

const MiB = 1024 * 1024;

/**
 * gzip members of 1 MiB of zeros each (about 1 KiB apiece), concatenated: a valid gzip stream (decoders read
 * every member) inflating to `mebibytes` MiB. Each member's trailer is honest (1 MiB), so only a limit applied
 * while decoding stops it. (A single deflate stream tops out near 1000:1, so no 1 KiB gzip reaches 1 GiB.)
 */
export function gzipBomb(mebibytes: number): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(MiB), { level: 9 });
  return Buffer.concat(Array.from({ length: mebibytes }, () => member));
}

/** One small gzip member whose trailer claims `size` bytes (ISIZE, the length mod 2^32). */
export function gzipClaiming(size: number): Buffer {
  const stream = zlib.gzipSync(Buffer.alloc(1024));
  stream.writeUInt32LE(size >>> 0, stream.length - 4);
  return stream;
}

/** zstd block header: last flag, type (0 raw, 1 RLE, 2 compressed), size (21 bits), little-endian. */
function zstdBlockHeader(last: boolean, type: number, size: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeUIntLE((last ? 1 : 0) | (type << 1) | (size << 3), 0, 3);
  return b;
}

/**
 * A 13-byte single-segment zstd frame declaring a content size of `declared` bytes, holding one RLE block of
 * 128 KiB of zeros. A decoder that trusted the header would size its output for `declared`.
 */
export function zstdClaiming(declared: number): Buffer {
  const header = Buffer.alloc(9);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0xa0; // content size field of 4 bytes, single segment
  header.writeUInt32LE(declared >>> 0, 5);
  return Buffer.concat([header, zstdBlockHeader(true, 1, 128 * 1024), Buffer.from([0])]);
}

/**
 * A valid zstd frame with no declared content size (as streaming writers produce) of `mebibytes` MiB of
 * zeros: RLE blocks of 128 KiB, 4 bytes each (32 KiB per GiB).
 */
export function zstdBomb(mebibytes: number): Buffer {
  const header = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x70]); // no content size; window 16 MiB
  const blocks = mebibytes * 8;
  const parts: Buffer[] = [header];
  for (let i = 0; i < blocks; i++) parts.push(zstdBlockHeader(i === blocks - 1, 1, 128 * 1024), Buffer.from([0]));
  return Buffer.concat(parts);
}

/**
 * One LZ4 frame of `mebibytes` MiB of zeros: the frame of 64 KiB of zeros (no checksums, independent blocks)
 * with its one block repeated, about 4.4 KB per MiB.
 */
export async function lz4Bomb(mebibytes: number): Promise<Buffer> {
  const frame = await lz4.compressFrame(Buffer.alloc(64 * 1024));
  const HEADER = 7; // magic, FLG, BD, header checksum
  if (frame[4] !== 0x60 || frame.length !== HEADER + 4 + frame.readUInt32LE(HEADER) + 4) throw new Error('unexpected lz4 frame layout');
  const block = frame.subarray(HEADER, frame.length - 4);
  return Buffer.concat([frame.subarray(0, HEADER), ...Array.from({ length: mebibytes * 16 }, () => block), Buffer.alloc(4)]);
}

/** A raw snappy block whose length preamble claims `size` bytes, followed by a few literal bytes. */
export function snappyClaiming(size: number): Buffer {
  const varint: number[] = [];
  for (let v = size; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      varint.push(v);
      break;
    }
    varint.push((v % 128) | 0x80);
  }
  return Buffer.concat([Buffer.from(varint), Buffer.from([0x0c, 0x61, 0x62, 0x63, 0x64])]);
}

/**
 * A batch with the header of `template` (the codec in its attributes included) around another records section:
 * length, record count (and lastOffsetDelta, so the header stays consistent) and CRC made to match.
 */
export function withBody(template: Buffer, body: Buffer, recordCount: number): Buffer {
  const out = Buffer.concat([template.subarray(0, RECORD_BATCH_HEADER_SIZE), body]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt32BE(recordCount - 1, 23);
  out.writeInt32BE(recordCount, 57);
  out.writeUInt32BE(computeBatchCrc(out, 0, out.length), 17);
  return out;
}
