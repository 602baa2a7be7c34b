// The identity and sequence numbers of an idempotent producer, as Kafka's clients keep them with
// enable.idempotence: one InitProducerId (no transactional id) gives a producer id and epoch, and every batch
// then carries them with the next sequence number of its partition. A batch whose answer was lost can be sent
// again unchanged: the broker recognises the sequence and answers with where the first copy landed instead of
// writing it twice. One instance lives as long as the producer (stratactl keeps one per command run).
import { sleep, systemClock } from '../broker/src/clock';
import { ApiKey } from '../broker/src/protocol/apis';
import { ErrorCode, errorName } from '../broker/src/protocol/errors';
import type { InitProducerIdResponse } from '../broker/src/protocol/schema/types';
import type { ClusterClient } from './cluster-client';
import { AdminError, check } from './errors';

export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
}

/** Sequence numbers wrap to 0 after the largest int32, as in Kafka's record batches. */
const SEQUENCE_MODULUS = 2 ** 31;
/** InitProducerId answers worth asking again: the producer id block or the broker is not ready yet. */
const INIT_RETRIABLE = new Set<number>([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.BROKER_NOT_AVAILABLE,
]);
const INIT_RETRIES = 120;
const INIT_RETRY_BACKOFF_MS = 250;
/** Our schemas' InitProducerId goes to v5; every version asks the same without a transactional id. */
const INIT_PRODUCER_ID_VERSION = 5;

export class IdempotentProducer {
  private current: Promise<ProducerIdentity> | undefined;
  /** The next sequence number per "topic/partition". */
  private readonly sequences = new Map<string, number>();

  /** The producer id and epoch, asked for once (InitProducerId on any broker, retried while it is not ready). */
  identity(cc: ClusterClient): Promise<ProducerIdentity> {
    if (!this.current) {
      const asking = initProducerId(cc);
      this.current = asking;
      asking.catch(() => {
        if (this.current === asking) this.current = undefined;
      });
    }
    return this.current;
  }

  /** Reserves `count` sequence numbers for a new batch of the partition and returns the first. */
  claim(topic: string, partition: number, count: number): number {
    const key = `${topic}/${partition}`;
    const base = this.sequences.get(key) ?? 0;
    this.sequences.set(key, (base + count) % SEQUENCE_MODULUS);
    return base;
  }

  /**
   * Forgets the identity and every sequence (after UNKNOWN_PRODUCER_ID: the broker no longer knows this
   * producer). Only safe when no batch sent under the old identity may still have been written unseen.
   */
  reset(): void {
    this.current = undefined;
    this.sequences.clear();
  }
}

async function initProducerId(cc: ClusterClient): Promise<ProducerIdentity> {
  for (let attempt = 0; ; attempt++) {
    let res: InitProducerIdResponse | undefined;
    try {
      const c = await cc.any();
      res = await c.request<InitProducerIdResponse>(ApiKey.InitProducerId, c.pickVersion(ApiKey.InitProducerId, INIT_PRODUCER_ID_VERSION), {
        transactionalId: null,
        transactionTimeoutMs: 60_000, // ignored without a transactional id
        producerId: -1,
        producerEpoch: -1,
      });
    } catch (err) {
      const e = AdminError.from(err);
      if (e.kind !== 'unavailable' || attempt >= INIT_RETRIES) throw e;
    }
    if (res && !INIT_RETRIABLE.has(res.errorCode)) {
      if (res.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) {
        throw new AdminError(
          `getting a producer id for idempotent produce: ${errorName(res.errorCode)}: needs WRITE on a topic (Kafka 2.8+) or IDEMPOTENT_WRITE on the cluster; --acks 1 or --no-idempotence produces without it`,
          'auth',
          res.errorCode,
        );
      }
      check('getting a producer id for idempotent produce', res.errorCode);
      return { producerId: res.producerId, producerEpoch: res.producerEpoch };
    }
    if (res && attempt >= INIT_RETRIES) check('getting a producer id for idempotent produce', res.errorCode);
    await sleep(systemClock, INIT_RETRY_BACKOFF_MS);
  }
}
