import { strict as assert } from 'node:assert';
import { ErrorCode, KafkaError } from '../../broker/src/protocol/errors';
import { parseBootstrap } from '../cluster-client';
import { AdminError, check } from '../errors';

describe('admin: bootstrap addresses', () => {
  it('splits comma-separated lists and several strings, trimming blanks', () => {
    assert.deepEqual(parseBootstrap(['a:1, b:2', 'c:65535']), [
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
      { host: 'c', port: 65535 },
    ]);
  });

  it('accepts bracketed IPv6 addresses', () => {
    assert.deepEqual(parseBootstrap('[::1]:9092'), [{ host: '::1', port: 9092 }]);
  });

  it('refuses missing ports, bad ports and empty lists as usage errors', () => {
    for (const bad of ['host', 'host:0', 'host:70000', 'host:x', ':9092']) {
      assert.throws(() => parseBootstrap(bad), (e: unknown) => e instanceof AdminError && e.kind === 'usage' && e.message.includes(bad), bad);
    }
    assert.throws(() => parseBootstrap(' , '), (e: unknown) => e instanceof AdminError && e.kind === 'usage');
  });
});

describe('admin: error classification', () => {
  it('classifies Kafka error codes by what a script branches on', () => {
    const kindOf = (code: number) => {
      try {
        check('x', code);
        return 'none';
      } catch (e) {
        return (e as AdminError).kind;
      }
    };
    assert.equal(kindOf(ErrorCode.NONE), 'none');
    assert.equal(kindOf(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), 'not-found');
    assert.equal(kindOf(ErrorCode.TOPIC_ALREADY_EXISTS), 'exists');
    assert.equal(kindOf(ErrorCode.TOPIC_AUTHORIZATION_FAILED), 'auth');
    assert.equal(kindOf(ErrorCode.INVALID_CONFIG), 'invalid');
    assert.equal(kindOf(ErrorCode.COORDINATOR_NOT_AVAILABLE), 'unavailable');
    assert.equal(kindOf(ErrorCode.CORRUPT_MESSAGE), 'failed');
  });

  it('names the operation, the error and the broker message', () => {
    assert.throws(() => check('creating topic t', ErrorCode.INVALID_CONFIG, 'bad retention.ms'), /^AdminError: creating topic t: INVALID_CONFIG: bad retention.ms$/);
  });

  it('wraps thrown values: Kafka errors by code, connection failures as unavailable', () => {
    assert.equal(AdminError.from(new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, 'bad password')).kind, 'auth');
    assert.equal(AdminError.from(new Error('cannot connect to h:1: connect ECONNREFUSED')).kind, 'unavailable');
    assert.equal(AdminError.from(new Error('Metadata v12 to h:1 timed out after 5 ms')).kind, 'unavailable');
    assert.equal(AdminError.from('weird').kind, 'failed');
  });
});
