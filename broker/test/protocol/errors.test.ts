import * as assert from 'assert';
import { ErrorCode, KafkaError, errorMessage, errorName, isRetriable } from '../../src/protocol/errors';

describe('error codes', () => {
  it('have Kafka numbers and names', () => {
    assert.strictEqual(ErrorCode.UNKNOWN_SERVER_ERROR, -1);
    assert.strictEqual(ErrorCode.NONE, 0);
    assert.strictEqual(ErrorCode.OFFSET_OUT_OF_RANGE, 1);
    assert.strictEqual(ErrorCode.NOT_LEADER_OR_FOLLOWER, 6);
    assert.strictEqual(ErrorCode.UNSUPPORTED_VERSION, 35);
    assert.strictEqual(ErrorCode.UNKNOWN_TOPIC_ID, 100);
    assert.strictEqual(ErrorCode.TRANSACTION_ABORTABLE, 120);
    assert.strictEqual(errorName(3), 'UNKNOWN_TOPIC_OR_PARTITION');
    assert.strictEqual(errorName(9999), 'UNKNOWN_ERROR_CODE(9999)');
  });

  it('cover every code from -1 up without gaps', () => {
    const codes = Object.values(ErrorCode).filter((v): v is number => typeof v === 'number');
    const max = Math.max(...codes);
    for (let c = -1; c <= max; c++) assert.ok(codes.includes(c), `code ${c} is missing`);
    for (const c of codes) assert.ok(c === 0 || errorMessage(c).length > 0, `code ${c} has no message`);
  });

  it('know which errors are retriable', () => {
    assert.strictEqual(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER), true);
    assert.strictEqual(isRetriable(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS), true);
    assert.strictEqual(isRetriable(ErrorCode.REQUEST_TIMED_OUT), true);
    assert.strictEqual(isRetriable(ErrorCode.OFFSET_OUT_OF_RANGE), false);
    assert.strictEqual(isRetriable(ErrorCode.TOPIC_AUTHORIZATION_FAILED), false);
    assert.strictEqual(isRetriable(ErrorCode.NONE), false);
  });

  it('KafkaError carries the code and a default message', () => {
    const err = new KafkaError(ErrorCode.NOT_COORDINATOR);
    assert.ok(err instanceof Error);
    assert.strictEqual(err.code, 16);
    assert.strictEqual(err.retriable, true);
    assert.strictEqual(err.message, 'NOT_COORDINATOR: This is not the correct coordinator.');
    assert.strictEqual(new KafkaError(ErrorCode.INVALID_CONFIG, 'bad retention.ms').message, 'bad retention.ms');
  });
});
