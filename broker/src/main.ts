// Process entry: config → Broker.start(); SIGTERM/SIGINT → graceful stop. Once the broker serves, an unhandled
// rejection or uncaught exception is logged and counted (strata_process_errors_total) instead of ending the
// process: one faulty code path must not take down every client. Before that, start-up fails as before.
import { loadConfig, ConfigError, helpText, wantsHelp } from './config';
import { Broker } from './broker';
import { createLogger, type Logger } from './logger';

let running: Broker | null = null;

function survive(logger: Logger): void {
  const report = (kind: 'unhandledRejection' | 'uncaughtException', err: unknown) => {
    logger.error(kind, { err: (err as Error)?.stack ?? String(err) });
    if (!running) process.exit(1);
    running.services.metrics.processError(kind);
  };
  process.on('unhandledRejection', (reason) => report('unhandledRejection', reason));
  process.on('uncaughtException', (err) => report('uncaughtException', err));
}

async function main(): Promise<void> {
  const logger = createLogger('main');
  survive(logger);
  if (wantsHelp(process.argv.slice(2))) {
    process.stdout.write(helpText());
    return;
  }
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`strata: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const broker = await Broker.start(config);
  running = broker;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    const force = setTimeout(() => {
      logger.error('graceful stop timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    await broker.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`strata: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
