// KafkaJS client factory for the suites: quiet logs (set STRATA_E2E_KAFKAJS_LOG=debug|info|warn|error to see
// them), short connection timeouts and few retries so failures surface quickly instead of hanging.
import { Kafka, logLevel, type RetryOptions } from 'kafkajs';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const LEVELS: Record<string, logLevel> = {
  debug: logLevel.DEBUG,
  info: logLevel.INFO,
  warn: logLevel.WARN,
  error: logLevel.ERROR,
};

/** `bootstrap` is one host:port, or several separated by commas (a cluster). */
export function createKafka(bootstrap: string, clientId: string, retry: RetryOptions = { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 }): Kafka {
  return new Kafka({
    clientId,
    brokers: bootstrap.split(','),
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry,
    logLevel: LEVELS[process.env.STRATA_E2E_KAFKAJS_LOG ?? ''] ?? logLevel.NOTHING,
  });
}
