// The batches a follower copies from its leader. They are the leader's log bytes, already checked when the
// leader took them, so only what a copy can break is checked again: framing (magic, lengths) and the CRC, and
// that offsets go forward. Record counts and offset deltas are not: a compacted leader log holds batches with
// fewer records than their offset range, and empty batches kept for their producer state.
import { CURRENT_MAGIC, LOG_OVERHEAD, RECORD_BATCH_HEADER_SIZE, ValidatedBatches, ValidatedBatch, computeBatchCrc, readBatchHeader } from '../protocol/records';
import { ErrorCode } from '../protocol/errors';
import { LogError } from './log-error';

/** Offset of the batch length field; the magic byte follows the partition leader epoch. */
const BATCH_LENGTH = 8;
const MAGIC = 16;

/** Parses the batches of `records` (they must fill it exactly); throws LogError CORRUPT_MESSAGE on damaged bytes. */
export function parseReplicaBatches(records: Buffer): ValidatedBatches {
  const batches: ValidatedBatch[] = [];
  let recordCount = 0;
  let maxTimestamp = -1;
  let nextOffset = -1;
  for (let pos = 0; pos < records.length; ) {
    const remaining = records.length - pos;
    if (remaining < RECORD_BATCH_HEADER_SIZE) throw corrupt(`${remaining} trailing bytes at position ${pos} do not form a batch`);
    const size = records.readInt32BE(pos + BATCH_LENGTH) + LOG_OVERHEAD;
    if (records.readInt8(pos + MAGIC) !== CURRENT_MAGIC) throw corrupt(`invalid magic at position ${pos}`);
    if (size < RECORD_BATCH_HEADER_SIZE || size > remaining) throw corrupt(`batch at position ${pos} declares ${size} bytes, ${remaining} present`);
    const header = readBatchHeader(records, pos);
    if (computeBatchCrc(records, pos, size) !== header.crc) throw corrupt(`CRC mismatch in batch at position ${pos}`);
    if (header.lastOffsetDelta < 0 || header.baseOffset < nextOffset) {
      throw corrupt(`batch at position ${pos} (offset ${header.baseOffset}) does not follow offset ${nextOffset - 1}`);
    }
    nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
    batches.push({ position: pos, size, header });
    recordCount += Math.max(0, header.recordCount);
    if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
    pos += size;
  }
  return { batches, recordCount, bytes: records.length, maxTimestamp };
}

function corrupt(message: string): LogError {
  return new LogError(ErrorCode.CORRUPT_MESSAGE, `replicated records: ${message}`);
}
