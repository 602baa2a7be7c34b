// Maps anything a service throws to a Kafka error code. Services throw errors carrying a Kafka `code`
// (KafkaError, LogError); anything else is a bug, logged once here and reported as UNKNOWN_SERVER_ERROR.
import { ErrorCode } from '../protocol/errors';
import type { Logger } from '../logger';

export function errorCodeOf(err: unknown, logger: Logger): ErrorCode {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'number') return code as ErrorCode;
  logger.error('unexpected error', { err: (err as Error)?.stack ?? String(err) });
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** The error's message when it is a Kafka error meant for the client, else null. */
export function errorMessageOf(err: unknown): string | null {
  return typeof (err as { code?: unknown })?.code === 'number' ? ((err as Error).message ?? null) : null;
}
