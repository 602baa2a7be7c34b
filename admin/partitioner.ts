// Where a keyed record goes, computed exactly as Apache Kafka's Java producer does (its BuiltInPartitioner:
// murmur2 of the serialized key, made positive, modulo the partition count), so that records produced by
// stratactl or the console land beside the ones other Java-compatible clients wrote with the same key.
// Keyless records carry no placement promise; callers pick one partition per batch (sticky, as Kafka does).

/** Kafka's murmur2 (seed 0x9747b28c) of `data`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const r = 24;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The tail, falling through from 3 bytes to 1 as the Java switch does.
  const rest = length & 3;
  if (rest === 3) h ^= data[whole + 2]! << 16;
  if (rest >= 2) h ^= data[whole + 1]! << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole]!, m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which differs for negative values). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka's default partitioner picks for a non-null key. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  if (!Number.isSafeInteger(numPartitions) || numPartitions < 1) throw new RangeError(`bad partition count ${numPartitions}`);
  return toPositive(murmur2(key)) % numPartitions;
}
