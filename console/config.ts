// The console's settings: environment variables only (what a Deployment sets; `--help` lists them). Connection
// settings (brokers, TLS, SASL) use the same STRATA_* names as stratactl's flags and are checked by the same
// code (admin/connection-settings.ts, parseBootstrap). Everything is validated at start-up with a message naming
// the variable.
import { parseBootstrap } from '../admin/cluster-client';
import { type ConnectionSettings, saslOptions } from '../admin/connection-settings';
import { AdminError } from '../admin/errors';

export interface ConsoleSettings {
  connection: ConnectionSettings;
  host: string;
  port: number;
  writeEnabled: boolean;
  /** Broker Prometheus /metrics URLs sampled for the brokers page. */
  metricsUrls: string[];
  /** Port of every broker's /metrics, discovered from Metadata each round (null: no discovery). With no URLs
   *  either, there are no charts. */
  metricsPort: number | null;
  sampleIntervalMs: number;
  /** HTTP basic auth, when both are set. */
  auth: { username: string; password: string } | null;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/** Every variable the console reads, with its help text (also the flag list). */
export const SETTINGS: ReadonlyArray<{ env: string; help: string }> = [
  { env: 'STRATA_BROKERS', help: 'bootstrap brokers host:port[,host:port…] (required)' },
  { env: 'STRATA_TIMEOUT_MS', help: 'Kafka connect and request timeout in ms (default 30000)' },
  { env: 'STRATA_TLS', help: 'true: connect with TLS (implied by the other STRATA_TLS_* files)' },
  { env: 'STRATA_TLS_CA', help: 'PEM file of the CA that signed the brokers’ certificates' },
  { env: 'STRATA_TLS_CERT', help: 'client certificate (PEM) for mutual TLS' },
  { env: 'STRATA_TLS_KEY', help: 'client private key (PEM) for mutual TLS' },
  { env: 'STRATA_TLS_SERVER_NAME', help: 'name to verify in the brokers’ certificates' },
  { env: 'STRATA_SASL_MECHANISM', help: 'PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default SCRAM-SHA-512 with a user)' },
  { env: 'STRATA_SASL_USERNAME', help: 'the console’s own Kafka user' },
  { env: 'STRATA_SASL_PASSWORD', help: 'its password' },
  { env: 'STRATA_CONSOLE_HOST', help: 'address to listen on (default 0.0.0.0)' },
  { env: 'STRATA_CONSOLE_PORT', help: 'HTTP port (default 8080)' },
  { env: 'STRATA_CONSOLE_WRITE_ENABLED', help: 'true: allow creating topics and resetting group offsets (default false)' },
  { env: 'STRATA_CONSOLE_METRICS_URLS', help: 'comma-separated broker Prometheus /metrics URLs for the broker charts' },
  { env: 'STRATA_CONSOLE_METRICS_PORT', help: 'scrape http://<broker host>:<port>/metrics of every broker in Metadata (Strata’s default 9644)' },
  { env: 'STRATA_CONSOLE_SAMPLE_INTERVAL_MS', help: 'how often lag and broker metrics are sampled (default 15000)' },
  { env: 'STRATA_CONSOLE_USERNAME', help: 'HTTP basic auth user (with STRATA_CONSOLE_PASSWORD)' },
  { env: 'STRATA_CONSOLE_PASSWORD', help: 'HTTP basic auth password' },
];

const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** Reads and validates the settings; throws SettingsError naming the bad variable. */
export function loadSettings(e: Record<string, string | undefined>): ConsoleSettings {
  const get = (name: string) => {
    const v = e[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const brokers = get('STRATA_BROKERS');
  if (!brokers) throw new SettingsError('STRATA_BROKERS is required (host:port[,host:port…])');
  named('STRATA_BROKERS', () => parseBootstrap(brokers));
  const mechanism = get('STRATA_SASL_MECHANISM');
  if (mechanism !== undefined && !(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    throw new SettingsError(`STRATA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got "${mechanism}"`);
  }
  const saslUsername = get('STRATA_SASL_USERNAME');
  const saslPassword = e.STRATA_SASL_PASSWORD;
  named('STRATA_SASL_USERNAME / STRATA_SASL_PASSWORD', () => saslOptions({ brokers, timeout: 0, saslMechanism: mechanism as ConnectionSettings['saslMechanism'], saslUsername, saslPassword }));
  const username = get('STRATA_CONSOLE_USERNAME');
  const password = e.STRATA_CONSOLE_PASSWORD;
  if ((username === undefined) !== (password === undefined || password === '')) {
    throw new SettingsError('HTTP basic auth needs both STRATA_CONSOLE_USERNAME and STRATA_CONSOLE_PASSWORD (or neither)');
  }
  const metricsUrls = (get('STRATA_CONSOLE_METRICS_URLS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const u of metricsUrls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new SettingsError(`STRATA_CONSOLE_METRICS_URLS: "${u}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SettingsError(`STRATA_CONSOLE_METRICS_URLS: "${u}" must be http:// or https://`);
  }
  if (metricsUrls.length > MAX_METRICS_URLS) throw new SettingsError(`STRATA_CONSOLE_METRICS_URLS: at most ${MAX_METRICS_URLS} URLs, got ${metricsUrls.length}`);
  return {
    connection: {
      brokers,
      timeout: int(get, 'STRATA_TIMEOUT_MS', 30_000, 1, 600_000),
      tls: bool(get, 'STRATA_TLS', false),
      tlsCa: get('STRATA_TLS_CA'),
      tlsCert: get('STRATA_TLS_CERT'),
      tlsKey: get('STRATA_TLS_KEY'),
      tlsServerName: get('STRATA_TLS_SERVER_NAME'),
      saslMechanism: mechanism as ConnectionSettings['saslMechanism'],
      saslUsername,
      saslPassword,
    },
    host: get('STRATA_CONSOLE_HOST') ?? '0.0.0.0',
    port: int(get, 'STRATA_CONSOLE_PORT', 8080, 0, 65535),
    writeEnabled: bool(get, 'STRATA_CONSOLE_WRITE_ENABLED', false),
    metricsUrls,
    metricsPort: get('STRATA_CONSOLE_METRICS_PORT') === undefined ? null : int(get, 'STRATA_CONSOLE_METRICS_PORT', 0, 1, 65535),
    sampleIntervalMs: int(get, 'STRATA_CONSOLE_SAMPLE_INTERVAL_MS', 15_000, 100, 3_600_000),
    auth: username !== undefined ? { username, password: password! } : null,
  };
}

/** Runs a shared check, restating its usage error as a settings error naming the variables. */
function named(variables: string, checkIt: () => unknown): void {
  try {
    checkIt();
  } catch (err) {
    if (err instanceof AdminError) throw new SettingsError(`${variables}: ${err.message}`);
    throw err;
  }
}

/** A bound on scrape targets, configured and discovered together (each keeps its own history). */
export const MAX_METRICS_URLS = 64;

function int(get: (n: string) => string | undefined, name: string, dflt: number, min: number, max: number): number {
  const v = get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) throw new SettingsError(`${name} must be an integer from ${min} to ${max}, got "${v}"`);
  return n;
}

function bool(get: (n: string) => string | undefined, name: string, dflt: boolean): boolean {
  const v = get(name)?.toLowerCase();
  if (v === undefined) return dflt;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new SettingsError(`${name} must be true or false, got "${v}"`);
}
