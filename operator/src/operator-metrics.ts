// The operator's Prometheus metrics (its own registry, so tests can make as many as they like).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles: Counter<'kind' | 'result'>;
  readonly reconcileErrors: Counter<'kind'>;
  readonly reconcileDuration: Histogram<'kind'>;
  readonly queueDepth: Gauge<'kind'>;
  readonly leader: Gauge;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.reconciles = new Counter({
      name: 'strata_operator_reconcile_total',
      help: 'Reconciles run, by kind and result (success, error).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'strata_operator_reconcile_errors_total',
      help: 'Reconciles that failed and were queued for a retry, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'strata_operator_reconcile_duration_seconds',
      help: 'Time a reconcile took, by kind.',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'strata_operator_queue_depth',
      help: 'Keys waiting in the work queue, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.leader = new Gauge({
      name: 'strata_operator_leader',
      help: '1 while this replica holds the leader lease.',
      registers,
    });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'strata_operator_' });
  }

  /** Times fn and counts its result under kind. */
  async observe<T>(kind: string, fn: () => Promise<T>): Promise<T> {
    const end = this.reconcileDuration.startTimer({ kind });
    try {
      const out = await fn();
      this.reconciles.inc({ kind, result: 'success' });
      return out;
    } catch (err) {
      this.reconciles.inc({ kind, result: 'error' });
      this.reconcileErrors.inc({ kind });
      throw err;
    } finally {
      end();
    }
  }
}
