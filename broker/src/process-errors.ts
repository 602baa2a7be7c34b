// The process's last line of defence. Once the broker serves clients, an unhandled promise rejection or an
// uncaught exception is logged and counted (strata_process_errors_total{kind}) instead of ending the process:
// one faulty code path must not take every client down with it. Before that, start-up fails as it always did.
import type { Logger } from './logger';
import type { BrokerMetrics } from './metrics/registry';

export type ProcessErrorKind = 'unhandledRejection' | 'uncaughtException';

/** The part of `process` used here, so tests can drive it. */
export interface ProcessEvents {
  on(event: ProcessErrorKind, listener: (err: unknown) => void): unknown;
  exit(code: number): void;
}

/** `metrics` returns the running broker's metrics, or null while it is still starting. */
export function installProcessErrorHandlers(proc: ProcessEvents, logger: Logger, metrics: () => BrokerMetrics | null): void {
  const report = (kind: ProcessErrorKind, err: unknown) => {
    logger.error(kind, { err: (err as Error)?.stack ?? String(err) });
    const m = metrics();
    if (m) m.processError(kind);
    else proc.exit(1);
  };
  proc.on('unhandledRejection', (reason) => report('unhandledRejection', reason));
  proc.on('uncaughtException', (err) => report('uncaughtException', err));
}
