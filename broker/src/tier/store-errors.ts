// Classifies object-store failures for metrics and logs (upload/GET errors by cause). Works on whatever
// the store throws: AWS SDK errors (name, $metadata.httpStatusCode), Node socket errors (code), our own.
import { ObjectNotFoundError } from './object-store';

export type StoreErrorCause = 'throttled' | 'server' | 'client' | 'timeout' | 'connection' | 'not_found' | 'conflict' | 'local_io' | 'other';

export const STORE_ERROR_CAUSES: readonly StoreErrorCause[] = ['throttled', 'server', 'client', 'timeout', 'connection', 'not_found', 'conflict', 'local_io', 'other'];

/** Another writer changed the manifest with a newer leader epoch: this broker is no longer the partition's writer. */
export class StaleWriterError extends Error {
  override readonly name = 'StaleWriterError';
}

export function errorCause(err: unknown): StoreErrorCause {
  if (err instanceof ObjectNotFoundError) return 'not_found';
  if (err instanceof StaleWriterError) return 'conflict';
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; statusCode?: number; syscall?: string };
  const name = e?.name ?? '';
  const code = e?.code ?? '';
  const status = e?.$metadata?.httpStatusCode ?? e?.statusCode;
  if (name === 'SlowDown' || code === 'SlowDown' || status === 503 || status === 429 || name === 'ThrottlingException') return 'throttled';
  if (/timeout|timedout/i.test(name) || /TIMEDOUT|TIMEOUT/.test(code) || name === 'AbortError') return 'timeout';
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'UND_ERR_SOCKET'].includes(code)) return 'connection';
  if (typeof status === 'number' && status >= 500) return 'server';
  if (status === 412 || status === 409) return 'conflict';
  if (typeof status === 'number' && status >= 400) return 'client';
  if (e?.syscall !== undefined) return 'local_io';
  return 'other';
}

/** Counters per cause. */
export function emptyCauseCounts(): Record<StoreErrorCause, number> {
  return Object.fromEntries(STORE_ERROR_CAUSES.map((c) => [c, 0])) as Record<StoreErrorCause, number>;
}
