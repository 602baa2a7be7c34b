// Errors the partition log reports to its callers, carrying the Kafka error code a handler puts on the wire.
import { ErrorCode, KafkaError } from '../protocol/errors';

export class LogError extends KafkaError {
  override name = 'LogError';

  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}

/**
 * A write refused for lack of space (ENOSPC, or EDQUOT over a quota). Unlike other I/O errors it does not take
 * the log offline: the append is refused and the log takes appends again once space is freed.
 */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
