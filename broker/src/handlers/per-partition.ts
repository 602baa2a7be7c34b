// The loop most partition-level APIs share: for every partition of every requested topic, in order, compute a
// result; a service error (anything carrying a Kafka error code) becomes that partition's error result.
import type { ErrorCode } from '../protocol/errors';
import type { Logger } from '../logger';
import { errorCodeOf } from './error-code';

export async function perPartition<T, P, R>(
  topics: readonly T[],
  partitionsOf: (topic: T) => readonly P[],
  fn: (topic: T, partition: P) => R | Promise<R>,
  failed: (partition: P, errorCode: ErrorCode) => R,
  logger: Logger,
): Promise<Array<{ topic: T; results: R[] }>> {
  const out: Array<{ topic: T; results: R[] }> = [];
  for (const topic of topics) {
    const results: R[] = [];
    for (const p of partitionsOf(topic)) {
      try {
        results.push(await fn(topic, p));
      } catch (err) {
        results.push(failed(p, errorCodeOf(err, logger)));
      }
    }
    out.push({ topic, results });
  }
  return out;
}
