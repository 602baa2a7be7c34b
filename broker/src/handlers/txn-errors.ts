// PRODUCER_FENCED (90) exists since Kafka 2.7; clients that send older versions of the transactional APIs only
// know INVALID_PRODUCER_EPOCH for the same condition, so Kafka answers them with that (KafkaApis does the same).
import { ErrorCode } from '../protocol/errors';

export function fencedForVersion(code: ErrorCode, apiVersion: number, firstVersionWithProducerFenced: number): ErrorCode {
  return code === ErrorCode.PRODUCER_FENCED && apiVersion < firstVersionWithProducerFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}
