// The transaction coordinator (Kafka's TransactionCoordinator, transaction version 1): InitProducerId with a
// transactional id, AddPartitionsToTxn/AddOffsetsToTxn, EndTxn, the broker-side check of transactional produces
// (KIP-890 part 1), DescribeTransactions/ListTransactions, and the periodic timeout and expiry passes.
// Every state change is written to __transaction_state before it takes effect; operations on one transactional
// id run one at a time. EndTxn writes PrepareCommit/PrepareAbort, then a COMMIT/ABORT marker to every partition
// of the transaction, then CompleteCommit/CompleteAbort; a transaction found in a Prepare state on load (the
// broker stopped between those steps) is completed as decided. Marker writes that fail are retried until they
// succeed (or the coordinator loses its partition: the next one completes it from the log).
// This broker coordinates the transactional ids of the __transaction_state partitions it leads (CLUSTER.md
// "Coordinators"): onElection loads a partition's ids from the local replica (COORDINATOR_LOAD_IN_PROGRESS
// meanwhile) under the partition's leader epoch, which is the coordinator epoch its markers carry (a partition
// refuses markers of an older one: TRANSACTION_COORDINATOR_FENCED); onResignation drops them (NOT_COORDINATOR).
import { ErrorCode } from '../protocol/errors';
import { readBatchHeader, RECORD_BATCH_HEADER_SIZE } from '../protocol/records';
import { fitsKafkaString } from '../protocol/bounded-string';
import { systemClock, type Clock, type TimerHandle } from '../clock';
import type { Logger } from '../logger';
import type { TxnMarker } from '../log/control-batch';
import { isIdle, isPreparing, MAX_PRODUCER_EPOCH, TransactionMetadata, type TxnState } from './transaction-state';
import type { TransactionLogValue } from './transaction-log-records';
import type { TransactionPersistence } from './transaction-store';
import { CoordinatorPartitions } from './coordinator-partitions';
import { writeFailureCode } from './internal-topic-log';
import { expiredTransactionalIds, timedOutTransactions } from './transaction-timeouts';

/** Writes a COMMIT/ABORT marker to a partition (in-process when this broker leads it, else WriteTxnMarkers to its leader). Throws on failure. */
export interface TxnMarkerWriter {
  write(topic: string, partition: number, marker: TxnMarker): Promise<void>;
}

export interface TransactionCoordinatorOptions {
  /** transaction.max.timeout.ms */
  maxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  idExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  abortCheckIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  expirationCheckIntervalMs: number;
  partitionExists: (topic: string, partition: number) => boolean;
  nextProducerId: () => Promise<number>;
  markers: TxnMarkerWriter;
  clock?: Clock;
  /** Test-only fault injection: called right after a PrepareCommit is written (before any marker). */
  afterPrepareCommit?: () => void;
}

export interface TransactionEvents {
  onCommit?: () => void;
  onAbort?: () => void;
  /** A producer was fenced: a newer one took its transactional id, or its transaction timed out. */
  onFenced?: () => void;
}

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

export interface InitProducerIdResult extends ProducerIdAndEpoch {
  errorCode: ErrorCode;
}

export interface TopicPartitions {
  name: string;
  partitions: number[];
}

export interface PartitionErrors {
  name: string;
  results: Array<{ partition: number; errorCode: ErrorCode }>;
}

const NO_PRODUCER: ProducerIdAndEpoch = { producerId: -1, producerEpoch: -1 };
const MARKER_RETRY_MS = 500;
const STATE_NAMES: readonly TxnState[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];

export class TransactionCoordinator {
  /** Transactional ids of the partitions this broker coordinates (loaded ones only). */
  private readonly txns = new Map<string, TransactionMetadata>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly partitions = new CoordinatorPartitions();
  private timersStarted = false;
  private closed = false;
  private readonly clock: Clock;
  private readonly timers = new Set<TimerHandle>();

  constructor(
    private readonly store: TransactionPersistence,
    private readonly opts: TransactionCoordinatorOptions,
    private readonly logger: Logger,
    private readonly events: TransactionEvents = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Whether this broker coordinates some partition and none of them is still loading. */
  get isLoaded(): boolean {
    return this.partitions.size > 0 && !this.partitions.anyLoading;
  }

  partitionFor(transactionalId: string): number {
    return this.store.partitionFor(transactionalId);
  }

  /** NONE when this broker coordinates the id now, else COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR. */
  errorFor(transactionalId: string): ErrorCode {
    return this.partitions.errorFor(this.partitionFor(transactionalId));
  }

  /** Transactions that are open or completing (the open-transactions gauge). */
  openCount(): number {
    let n = 0;
    for (const m of this.txns.values()) if (m.state === 'Ongoing' || isPreparing(m.state)) n++;
    return n;
  }

  // ---- loading --------------------------------------------------------------------------------------------

  /** Takes on every partition of __transaction_state under its current leader epoch (a broker that leads them all; unit tests). */
  async load(): Promise<void> {
    await Promise.all(Array.from({ length: this.store.numPartitions }, (_, p) => this.onElection(p, this.store.coordinatorEpoch(p))));
  }

  /**
   * This broker became the leader of partition `partition` under `epoch`: reads its transactional ids back from
   * the local replica, installs them unless the leadership was lost (or renewed) meanwhile, and completes the
   * transactions left in a Prepare state (their markers now carry `epoch`). Ongoing ones time out as usual.
   */
  async onElection(partition: number, epoch: number): Promise<void> {
    if (this.closed) return;
    if (this.partitions.tokenOf(partition) !== undefined) {
      if (this.partitions.epochOf(partition) === epoch) return;
      this.onResignation(partition);
    }
    const token = this.partitions.begin(partition, epoch);
    const read = new Map<string, TransactionLogValue | null>();
    try {
      for await (const r of this.store.load(partition)) read.set(r.transactionalId, r.value);
    } catch (err) {
      if (this.partitions.isCurrent(partition, token)) this.partitions.drop(partition);
      throw err;
    }
    if (this.closed || !this.partitions.isCurrent(partition, token)) return;
    const unfinished: TransactionMetadata[] = [];
    let installed = 0;
    for (const [id, value] of read) {
      if (!value) continue;
      installed++;
      const m = TransactionMetadata.fromLog(id, value);
      this.txns.set(id, m);
      if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') unfinished.push(m);
    }
    this.partitions.finish(partition, token);
    if (installed > 0) this.logger.info('transactions loaded', { partition, epoch, transactionalIds: installed, completing: unfinished.length });
    for (const m of unfinished) void this.withLock(m.transactionalId, () => this.complete(m));
    if (!this.timersStarted) {
      this.timersStarted = true;
      this.schedule(this.opts.abortCheckIntervalMs, () => this.abortTimedOut());
      this.schedule(this.opts.expirationCheckIntervalMs, () => this.expireIds());
    }
  }

  /**
   * This broker stopped leading partition `partition`: its transactional ids are dropped without writing
   * anything. Operations in flight fail their next write (NOT_COORDINATOR); marker retries stop (the new
   * coordinator completes what is prepared).
   */
  onResignation(partition: number): void {
    if (!this.partitions.drop(partition)) return;
    let dropped = 0;
    for (const id of [...this.txns.keys()]) {
      if (this.partitionFor(id) !== partition) continue;
      this.txns.delete(id);
      dropped++;
    }
    this.logger.info('transactions unloaded: no longer the leader of their partition', { partition, transactionalIds: dropped });
  }

  /** Whether `m` is still this broker's to act on (its partition was not dropped, nor the id removed). */
  private owns(m: TransactionMetadata): boolean {
    return this.txns.get(m.transactionalId) === m;
  }

  // ---- InitProducerId -------------------------------------------------------------------------------------

  /**
   * A producer id and a bumped epoch for a transactional id, fencing the previous producer of that id; its open
   * transaction is aborted first. `expected` (KIP-360, v3+) is the id/epoch the producer had, or null.
   */
  async initProducerId(transactionalId: string, timeoutMs: number, expected: ProducerIdAndEpoch | null): Promise<InitProducerIdResult> {
    const fail = (errorCode: ErrorCode): InitProducerIdResult => ({ errorCode, ...NO_PRODUCER });
    if (transactionalId === '' || !fitsKafkaString(transactionalId)) return fail(ErrorCode.INVALID_REQUEST);
    const notHere = this.errorFor(transactionalId);
    if (notHere !== ErrorCode.NONE) return fail(notHere);
    if (timeoutMs <= 0 || timeoutMs > this.opts.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    return this.withLock(transactionalId, async () => {
      // Dropped while waiting for the lock, or the partition changed hands meanwhile.
      const stillHere = this.errorFor(transactionalId);
      if (stillHere !== ErrorCode.NONE) return fail(stillHere);
      let m = this.txns.get(transactionalId);
      const now = this.clock.now();
      if (!m) {
        const producerId = await this.opts.nextProducerId();
        const fresh = new TransactionMetadata(transactionalId, producerId, -1, timeoutMs, 'Empty', -1, now);
        const value = fresh.next({ producerEpoch: 0, lastUpdateMs: now });
        await this.store.write(transactionalId, value);
        fresh.apply(value);
        this.txns.set(transactionalId, fresh);
        return { errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
      }
      if (expected && expected.producerId >= 0) {
        const current = expected.producerId === m.producerId && expected.producerEpoch === m.producerEpoch;
        const retry = expected.producerId === m.producerId && expected.producerEpoch === m.lastProducerEpoch && isIdle(m.state);
        if (retry) return { errorCode: ErrorCode.NONE, producerId: m.producerId, producerEpoch: m.producerEpoch };
        if (!current) return fail(ErrorCode.PRODUCER_FENCED);
      }
      if (isPreparing(m.state)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      if (m.state === 'Ongoing') {
        // The previous producer of this id is gone or a zombie: abort its transaction under a bumped epoch, so
        // the markers fence it on every partition it wrote to.
        await this.abortFenced(m, 'a new producer initialised the transactional id');
        // Markers not all written yet (retried in the background): the producer retries InitProducerId.
        if (isPreparing(m.state)) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      }
      const next = m.producerEpoch + 1 > MAX_PRODUCER_EPOCH ? { producerId: await this.opts.nextProducerId(), producerEpoch: 0 } : { producerId: m.producerId, producerEpoch: m.producerEpoch + 1 };
      const value = m.next({ ...next, timeoutMs, state: 'Empty', partitions: [], startMs: -1, lastUpdateMs: now });
      await this.store.write(transactionalId, value);
      m.apply(value);
      // A new producer instance took over the id: whoever held the previous epoch is fenced.
      if (!expected || expected.producerId < 0) this.events.onFenced?.();
      return { errorCode: ErrorCode.NONE, ...next };
    }).catch((err: unknown) => fail(writeFailureCode(err)));
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn ---------------------------------------------------------------

  /**
   * Adds partitions to the producer's transaction (opening it). Per partition: NONE, or why not. As Kafka, one
   * refused partition (a topic the caller may not write: `writable`, the handler's authorization; or one that
   * does not exist) refuses the whole request: the others answer OPERATION_NOT_ATTEMPTED and nothing is added.
   */
  async addPartitions(
    transactionalId: string,
    producer: ProducerIdAndEpoch,
    topics: TopicPartitions[],
    writable: (topic: string) => boolean = () => true,
  ): Promise<PartitionErrors[]> {
    const all = (code: (topic: string, partition: number) => ErrorCode): PartitionErrors[] =>
      topics.map((t) => ({ name: t.name, results: t.partitions.map((partition) => ({ partition, errorCode: code(t.name, partition) })) }));
    const refusal = (topic: string, partition: number): ErrorCode =>
      !writable(topic) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : !this.opts.partitionExists(topic, partition) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE;
    if (topics.some((t) => t.partitions.some((p) => refusal(t.name, p) !== ErrorCode.NONE))) {
      return all((topic, partition) => refusal(topic, partition) || ErrorCode.OPERATION_NOT_ATTEMPTED);
    }
    const notHere = this.errorFor(transactionalId);
    if (notHere !== ErrorCode.NONE) return all(() => notHere);
    const code = await this.withLock(transactionalId, () => this.add(transactionalId, producer, topics)).catch((err: unknown) => writeFailureCode(err));
    return all(() => code);
  }

  /** AddPartitionsToTxn v4+ verifyOnly (KIP-890): whether each partition is already in the producer's open transaction. */
  verifyPartitions(transactionalId: string, producer: ProducerIdAndEpoch, topics: TopicPartitions[]): PartitionErrors[] {
    return topics.map((t) => ({ name: t.name, results: t.partitions.map((partition) => ({ partition, errorCode: this.verify(transactionalId, producer, t.name, partition) })) }));
  }

  /**
   * The check of a transactional Produce (KIP-890 part 1): its batch's producer must hold the id's current
   * epoch and the partition must have been added to the open transaction; else INVALID_PRODUCER_EPOCH (fenced)
   * or INVALID_TXN_STATE, and nothing is appended. Non-transactional batches are not checked (as Kafka), and
   * batches too short to carry a header are left to the log to refuse.
   */
  verifyProduce(transactionalId: string, topic: string, partition: number, records: Buffer): ErrorCode {
    if (records.length < RECORD_BATCH_HEADER_SIZE) return ErrorCode.NONE;
    const h = readBatchHeader(records, 0);
    return h.isTransactional ? this.verifyWrite(transactionalId, h, topic, partition) : ErrorCode.NONE;
  }

  /**
   * The check of a transactional write by a partition leader or a group coordinator (Produce, TxnOffsetCommit).
   * It needs the id's state, which only its coordinator has: where another broker coordinates the id the write is
   * not checked here (as Kafka with transaction.partition.verification.enable=false; the markers still fence).
   */
  verifyWrite(transactionalId: string, producer: ProducerIdAndEpoch, topic: string, partition: number): ErrorCode {
    if (this.errorFor(transactionalId) === ErrorCode.NOT_COORDINATOR) return ErrorCode.NONE;
    return this.verify(transactionalId, producer, topic, partition);
  }

  private verify(transactionalId: string, producer: ProducerIdAndEpoch, topic: string, partition: number): ErrorCode {
    const notHere = this.errorFor(transactionalId);
    if (notHere !== ErrorCode.NONE) return notHere;
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producer.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (producer.producerEpoch < m.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (m.state !== 'Ongoing' || producer.producerEpoch !== m.producerEpoch || !m.has(topic, partition)) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  private async add(transactionalId: string, producer: ProducerIdAndEpoch, topics: TopicPartitions[]): Promise<ErrorCode> {
    const notHere = this.errorFor(transactionalId); // dropped while waiting for the lock
    if (notHere !== ErrorCode.NONE) return notHere;
    const m = this.txns.get(transactionalId);
    const invalid = this.checkProducer(m, producer);
    if (invalid !== ErrorCode.NONE) return invalid;
    const txn = m!;
    if (isPreparing(txn.state)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (txn.state !== 'Ongoing' && !isIdle(txn.state)) return ErrorCode.INVALID_TXN_STATE;
    if (txn.state === 'Ongoing' && topics.every((t) => t.partitions.every((p) => txn.has(t.name, p)))) return ErrorCode.NONE;
    const now = this.clock.now();
    const partitions = new Map((txn.state === 'Ongoing' ? txn.partitionList() : []).map((t) => [t.topic, new Set(t.partitions)]));
    for (const t of topics) {
      let set = partitions.get(t.name);
      if (!set) partitions.set(t.name, (set = new Set()));
      for (const p of t.partitions) set.add(p);
    }
    const value = txn.next({
      state: 'Ongoing',
      partitions: [...partitions].map(([topic, ps]) => ({ topic, partitions: [...ps] })),
      startMs: txn.state === 'Ongoing' ? txn.startMs : now,
      lastUpdateMs: now,
    });
    await this.store.write(transactionalId, value);
    txn.apply(value);
    return ErrorCode.NONE;
  }

  /** The producer must own the id (else INVALID_PRODUCER_ID_MAPPING) with its current epoch (else PRODUCER_FENCED). */
  private checkProducer(m: TransactionMetadata | undefined, producer: ProducerIdAndEpoch): ErrorCode {
    if (!m || m.producerId !== producer.producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.producerEpoch !== producer.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  // ---- EndTxn ---------------------------------------------------------------------------------------------

  async endTransaction(transactionalId: string, producer: ProducerIdAndEpoch, commit: boolean): Promise<ErrorCode> {
    const notHere = this.errorFor(transactionalId);
    if (notHere !== ErrorCode.NONE) return notHere;
    return this.withLock(transactionalId, async () => {
      const stillHere = this.errorFor(transactionalId);
      if (stillHere !== ErrorCode.NONE) return stillHere;
      const m = this.txns.get(transactionalId);
      const invalid = this.checkProducer(m, producer);
      if (invalid !== ErrorCode.NONE) return invalid;
      const txn = m!;
      switch (txn.state) {
        case 'Ongoing':
          break;
        case 'CompleteCommit':
          return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE; // a retry of the same EndTxn succeeds
        case 'CompleteAbort':
          return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
        case 'PrepareCommit':
          return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE;
        case 'PrepareAbort':
          return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS;
        default:
          return ErrorCode.INVALID_TXN_STATE;
      }
      await this.prepare(txn, commit ? 'PrepareCommit' : 'PrepareAbort', txn.producerEpoch);
      await this.complete(txn);
      return ErrorCode.NONE;
    }).catch((err: unknown) => writeFailureCode(err));
  }

  /** Writes the decision; from here on the transaction completes whatever happens (see complete()). */
  private async prepare(m: TransactionMetadata, state: 'PrepareCommit' | 'PrepareAbort', epoch: number): Promise<void> {
    const value = m.next({ state, producerEpoch: epoch, lastUpdateMs: this.clock.now() });
    await this.store.write(m.transactionalId, value);
    m.apply(value);
    if (state === 'PrepareCommit') this.opts.afterPrepareCommit?.();
  }

  /** Aborts an open transaction under a bumped epoch (a new producer took the id, or it timed out). */
  private async abortFenced(m: TransactionMetadata, reason: string): Promise<void> {
    this.logger.info('aborting transaction', { transactionalId: m.transactionalId, producerId: m.producerId, reason });
    await this.prepare(m, 'PrepareAbort', Math.min(m.producerEpoch + 1, MAX_PRODUCER_EPOCH));
    await this.complete(m);
  }

  /**
   * Writes the marker of a prepared transaction to each of its partitions (`targets`: all of them, or on a retry
   * those still missing), all at once, since each partition led elsewhere costs a round trip to its leader; then
   * Complete*. Failed marker writes are retried (in the background, after MARKER_RETRY_MS) until they succeed or
   * their partition is gone; the state stays Prepare* until then, so the producer's next request gets
   * CONCURRENT_TRANSACTIONS and retries.
   */
  private async complete(m: TransactionMetadata, targets: Array<[topic: string, partition: number]> = m.partitionList().flatMap((t) => t.partitions.map((p): [string, number] => [t.topic, p]))): Promise<void> {
    if (!this.owns(m)) return; // the partition moved: its new coordinator completes the transaction
    const commit = m.state === 'PrepareCommit';
    const coordinatorEpoch = this.partitions.epochOf(this.partitionFor(m.transactionalId));
    const marker: TxnMarker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch, commit };
    const retry = (missing: Array<[string, number]>, err: unknown) => {
      if (this.closed || !this.owns(m)) return;
      this.logger.warn('could not complete transaction, retrying', { transactionalId: m.transactionalId, commit, missingMarkers: missing.length, err });
      this.schedule(MARKER_RETRY_MS, () => this.withLock(m.transactionalId, () => (isPreparing(m.state) && this.owns(m) ? this.complete(m, missing) : Promise.resolve())), false);
    };
    // A partition deleted since it was added has nothing to mark.
    const live = targets.filter(([topic, p]) => this.opts.partitionExists(topic, p));
    const results = await Promise.allSettled(live.map(([topic, p]) => this.opts.markers.write(topic, p, marker)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ target: live[i], reason: r.reason as unknown }] : []));
    if (failed.length > 0) return retry(failed.map((f) => f.target), failed[0].reason);
    try {
      const value = m.next({ state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: [], lastUpdateMs: this.clock.now() });
      await this.store.write(m.transactionalId, value);
      m.apply(value);
    } catch (err) {
      return retry([], err);
    }
    if (commit) this.events.onCommit?.();
    else this.events.onAbort?.();
  }

  // ---- timeouts and expiry --------------------------------------------------------------------------------

  /** One pass of transaction.timeout.ms: aborts every Ongoing transaction older than its timeout, fencing its producer. */
  async abortTimedOut(): Promise<number> {
    let n = 0;
    for (const m of timedOutTransactions(this.txns.values(), this.clock.now())) {
      await this.withLock(m.transactionalId, async () => {
        if (!this.owns(m) || m.state !== 'Ongoing' || m.startMs + m.timeoutMs > this.clock.now()) return; // changed or moved meanwhile
        this.events.onFenced?.();
        await this.abortFenced(m, `transaction.timeout.ms (${m.timeoutMs} ms) expired`);
        n++;
      });
    }
    return n;
  }

  /** One pass of transactional.id.expiration.ms: tombstones for ids idle that long; returns how many went. */
  async expireIds(): Promise<number> {
    let n = 0;
    for (const m of expiredTransactionalIds(this.txns.values(), this.clock.now(), this.opts.idExpirationMs)) {
      await this.withLock(m.transactionalId, async () => {
        if (!this.owns(m) || !isIdle(m.state) || m.lastUpdateMs + this.opts.idExpirationMs > this.clock.now()) return;
        await this.store.write(m.transactionalId, null);
        this.txns.delete(m.transactionalId);
        n++;
      });
    }
    if (n > 0) this.logger.info('expired transactional ids removed', { count: n });
    return n;
  }

  // ---- admin ----------------------------------------------------------------------------------------------

  describe(transactionalId: string) {
    const base = { transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1, producerId: -1, producerEpoch: -1, topics: [] as Array<{ topic: string; partitions: number[] }> };
    const notHere = this.errorFor(transactionalId);
    if (notHere !== ErrorCode.NONE) return { ...base, errorCode: notHere };
    const m = this.txns.get(transactionalId);
    if (!m) return { ...base, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
    return {
      errorCode: ErrorCode.NONE,
      transactionalId,
      transactionState: m.state as string,
      transactionTimeoutMs: m.timeoutMs,
      transactionStartTimeMs: m.startMs,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      topics: m.partitionList(),
    };
  }

  /** ListTransactions: filters by state names, producer ids, and (v1) running longer than durationMs (-1: any), as Kafka's TransactionStateManager. */
  list(stateFilters: string[], producerIdFilters: number[], durationMs: number) {
    const unknownStateFilters = stateFilters.filter((s) => !STATE_NAMES.includes(s as TxnState));
    const now = this.clock.now();
    const states = new Set(stateFilters);
    const pids = new Set(producerIdFilters);
    const transactionStates = [...this.txns.values()]
      .filter((m) => (states.size === 0 || states.has(m.state)) && (pids.size === 0 || pids.has(m.producerId)))
      .filter((m) => durationMs < 0 || now - m.startMs > durationMs) // as Kafka: ids without a transaction (start -1) pass
      .map((m) => ({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: m.state as string }));
    const loading = this.partitions.anyLoading;
    return { errorCode: loading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, unknownStateFilters, transactionStates: loading ? [] : transactionStates };
  }

  // ---- plumbing -------------------------------------------------------------------------------------------

  /** Runs fn after every earlier operation on the same transactional id has finished. */
  private withLock<T>(transactionalId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(transactionalId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.locks.set(transactionalId, tail);
    void tail.then(() => {
      if (this.locks.get(transactionalId) === tail) this.locks.delete(transactionalId);
    });
    return run;
  }

  /** Runs task after ms (and again every ms when `repeat`), on the injected clock. */
  private schedule(ms: number, task: () => Promise<unknown>, repeat = true): void {
    if (this.closed) return;
    const timer = this.clock.setTimeout(() => {
      this.timers.delete(timer);
      task()
        .catch((err) => this.logger.warn('transaction coordinator task failed', { err }))
        .finally(() => {
          if (repeat) this.schedule(ms, task, true);
        });
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
  }
}

export type { TransactionLogValue };
