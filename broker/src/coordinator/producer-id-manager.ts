// Hands out producer ids for InitProducerId. Ids are reserved from the controller in blocks recorded in the
// metadata log, so they are unique across restarts (and, later, across brokers) without a write per producer.
import type { Controller } from '../cluster/controller';

const BLOCK_SIZE = 1000;

export class ProducerIdManager {
  private next = 0;
  private end = 0;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly controller: Controller,
    private readonly nodeId: number,
  ) {}

  async nextId(): Promise<number> {
    while (this.next >= this.end) {
      this.pending ??= this.controller.allocateProducerIds(this.nodeId, BLOCK_SIZE).then(
        ({ firstId, size }) => {
          this.next = firstId;
          this.end = firstId + size;
          this.pending = null;
        },
        (err) => {
          this.pending = null;
          throw err;
        },
      );
      await this.pending;
    }
    return this.next++;
  }
}
