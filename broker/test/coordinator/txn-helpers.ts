// Fixtures for the transaction coordinator unit tests: an in-memory __transaction_state (records go through the
// real codec, partitioned as the real store) whose loads can be held, and a recording marker writer that fails a
// given number of times.
import type { TransactionPersistence } from '../../src/coordinator/transaction-store';
import { decodeTransactionRecord, encodeTransactionRecord, type TransactionLogValue } from '../../src/coordinator/transaction-log-records';
import { coordinatorPartition } from '../../src/coordinator/internal-topic-log';
import type { TxnMarker } from '../../src/log/control-batch';
import { LoadGate } from './helpers';

export class FakeTxnStore implements TransactionPersistence {
  readonly log: Array<{ key: Buffer; value: Buffer | null }> = [];
  readonly numPartitions = 50;
  private readonly gate = new LoadGate();

  partitionFor(id: string): number {
    return coordinatorPartition(id, this.numPartitions);
  }

  coordinatorEpoch(): number {
    return 7;
  }

  async write(id: string, value: TransactionLogValue | null): Promise<void> {
    await Promise.resolve();
    this.log.push(encodeTransactionRecord(id, value));
  }

  /** Holds every load() until the returned function is called. */
  holdLoads(): () => void {
    return this.gate.hold();
  }

  async *load(partition: number) {
    await this.gate.pass();
    for (const r of this.log) {
      const rec = decodeTransactionRecord(r.key, r.value)!;
      if (this.partitionFor(rec.transactionalId) === partition) yield rec;
    }
  }

  /** The states written for an id, oldest first (null for a tombstone). */
  states(id: string): Array<string | null> {
    return this.log.map((r) => decodeTransactionRecord(r.key, r.value)!).filter((r) => r.transactionalId === id).map((r) => r.value?.state ?? null);
  }
}

export class FakeMarkers {
  readonly written: Array<{ topic: string; partition: number; marker: TxnMarker }> = [];
  failures = 0;

  async write(topic: string, partition: number, marker: TxnMarker): Promise<void> {
    await Promise.resolve();
    if (this.failures > 0) {
      this.failures--;
      throw new Error('partition offline');
    }
    this.written.push({ topic, partition, marker });
  }
}
