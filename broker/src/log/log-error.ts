// Errors the partition log reports to its callers, carrying the Kafka error code a handler puts on the wire.
import { ErrorCode, KafkaError } from '../protocol/errors';

export class LogError extends KafkaError {
  override name = 'LogError';

  constructor(code: ErrorCode, message: string) {
    super(code, message);
  }
}
