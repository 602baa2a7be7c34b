// Process entry: config → Broker.start(); SIGTERM/SIGINT → graceful stop. Unhandled rejections and uncaught
// exceptions are logged and counted once the broker runs (process-errors.ts).
import { loadConfig, ConfigError, helpText, wantsHelp } from './config';
import { Broker } from './broker';
import { createLogger } from './logger';
import { installProcessErrorHandlers } from './process-errors';

let running: Broker | null = null;

async function main(): Promise<void> {
  const logger = createLogger('main');
  installProcessErrorHandlers(process, logger, () => running?.services.metrics ?? null);
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
