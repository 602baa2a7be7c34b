// Maps anything a service throws to a Kafka error code. Services throw errors carrying a Kafka `code`
// (KafkaError, LogError); anything else is a bug, logged once here and reported as UNKNOWN_SERVER_ERROR.
import { ErrorCode } from '../protocol/errors';
import type { Logger } from '../logger';
import { boundUtf8, ERROR_MESSAGE_MAX_BYTES } from '../protocol/bounded-string';

export function errorCodeOf(err: unknown, logger: Logger): ErrorCode {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'number') return code as ErrorCode;
  logger.error('unexpected error', { err: (err as Error)?.stack ?? String(err) });
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** The error's message when it is a Kafka error meant for the client, else null; bounded, as it may quote a name. */
export function errorMessageOf(err: unknown): string | null {
  const message = typeof (err as { code?: unknown })?.code === 'number' ? (err as Error).message : undefined;
  return typeof message === 'string' ? clientMessage(message) : null;
}

/** An error message for a response: cut to ERROR_MESSAGE_MAX_BYTES, since it may quote a client-chosen name. */
export function clientMessage(text: string): string {
  return boundUtf8(text, ERROR_MESSAGE_MAX_BYTES);
}
