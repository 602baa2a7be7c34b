// __transaction_state records in Kafka's layout (TransactionLogKey v0, TransactionLogValue v0, non-flexible), so
// Kafka's tools can read the topic: the bytes are checked field by field, and decoding gives the value back.
import { strict as assert } from 'assert';
import { decodeTransactionRecord, encodeTransactionRecord, type TransactionLogValue } from '../../src/coordinator/transaction-log-records';

describe('__transaction_state records', () => {
  const value: TransactionLogValue = {
    producerId: 4242,
    producerEpoch: 3,
    timeoutMs: 60_000,
    state: 'PrepareCommit',
    partitions: [{ topic: 'ab', partitions: [0, 2] }],
    lastUpdateMs: 1_700_000_000_123,
    startMs: 1_700_000_000_000,
  };

  it("encodes key and value as Kafka's TransactionLogKey v0 / TransactionLogValue v0", () => {
    const { key, value: bytes } = encodeTransactionRecord('tx', value);
    assert.deepEqual(key, Buffer.from([0, 0, 0, 2, 0x74, 0x78]));
    const expected = Buffer.concat([
      Buffer.from([0, 0]), // value version 0
      Buffer.from([0, 0, 0, 0, 0, 0, 0x10, 0x92]), // producer id 4242
      Buffer.from([0, 3]), // epoch
      Buffer.from([0, 0, 0xea, 0x60]), // timeout 60000
      Buffer.from([2]), // status PrepareCommit
      Buffer.from([0, 0, 0, 1, 0, 2, 0x61, 0x62, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2]), // [ab: [0, 2]]
      Buffer.alloc(8),
      Buffer.alloc(8),
    ]);
    expected.writeBigInt64BE(1_700_000_000_123n, expected.length - 16);
    expected.writeBigInt64BE(1_700_000_000_000n, expected.length - 8);
    assert.deepEqual(bytes, expected);
  });

  it('decodes what it encodes; a null value is a tombstone; unknown versions are skipped', () => {
    const { key, value: bytes } = encodeTransactionRecord('tx', value);
    assert.deepEqual(decodeTransactionRecord(key, bytes), { transactionalId: 'tx', value });
    assert.deepEqual(decodeTransactionRecord(key, null), { transactionalId: 'tx', value: null });
    assert.equal(decodeTransactionRecord(Buffer.from([0, 9, 0, 0]), null), null);
    const future = Buffer.from(bytes!);
    future.writeInt16BE(7, 0);
    assert.equal(decodeTransactionRecord(key, future), null);
    const badStatus = Buffer.from(bytes!);
    badStatus[16] = 99;
    assert.throws(() => decodeTransactionRecord(key, badStatus), /unknown transaction status 99/);
  });
});
