// The console's settings: environment variables (what a Deployment sets), each also accepted as a flag named
// after it (STRATA_CONSOLE_PORT ↔ --console-port, STRATA_BROKERS ↔ --brokers). Connection settings (brokers,
// TLS, SASL) use the same STRATA_* names as stratactl and become ClusterClient options through
// admin/connection-settings.ts. Everything is validated at start-up with a message naming the variable.
import type { ConnectionSettings } from './data';

export interface ConsoleSettings {
  connection: ConnectionSettings;
  host: string;
  port: number;
  writeEnabled: boolean;
  /** Broker Prometheus /metrics URLs sampled for the brokers page (empty: no charts). */
  metricsUrls: string[];
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
  { env: 'STRATA_CONSOLE_SAMPLE_INTERVAL_MS', help: 'how often lag and broker metrics are sampled (default 15000)' },
  { env: 'STRATA_CONSOLE_USERNAME', help: 'HTTP basic auth user (with STRATA_CONSOLE_PASSWORD)' },
  { env: 'STRATA_CONSOLE_PASSWORD', help: 'HTTP basic auth password' },
];

const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;

/** --console-port ↔ STRATA_CONSOLE_PORT. */
export function flagOf(env: string): string {
  return `--${env.replace(/^STRATA_/, '').toLowerCase().replace(/_/g, '-')}`;
}

/** Turns `--flag value` / `--flag=value` arguments into the environment names they stand for. */
export function flagsToEnv(argv: string[]): Record<string, string> {
  const byFlag = new Map(SETTINGS.map((s) => [flagOf(s.env), s.env]));
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const env = byFlag.get(flag);
    if (!env) throw new SettingsError(`unknown argument "${arg}" (flags: ${[...byFlag.keys()].join(' ')})`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new SettingsError(`${flag} needs a value`);
    out[env] = value;
  }
  return out;
}

/** Reads and validates the settings; throws SettingsError naming the bad variable. */
export function loadSettings(env: Record<string, string | undefined>, argv: string[] = []): ConsoleSettings {
  const e = { ...env, ...flagsToEnv(argv) };
  const get = (name: string) => {
    const v = e[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const brokers = get('STRATA_BROKERS');
  if (!brokers) throw new SettingsError('STRATA_BROKERS is required (host:port[,host:port…])');
  for (const b of brokers.split(',')) {
    if (!/^\[?[^\s\]]+\]?:\d{1,5}$/.test(b.trim()) || Number(b.trim().split(':').pop()) > 65535) throw new SettingsError(`STRATA_BROKERS: bad broker address "${b}": expected host:port`);
  }
  const mechanism = get('STRATA_SASL_MECHANISM');
  if (mechanism !== undefined && !(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    throw new SettingsError(`STRATA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got "${mechanism}"`);
  }
  const saslUsername = get('STRATA_SASL_USERNAME');
  const saslPassword = e.STRATA_SASL_PASSWORD;
  if ((mechanism || saslUsername) && (!saslUsername || saslPassword === undefined)) throw new SettingsError('SASL needs both STRATA_SASL_USERNAME and STRATA_SASL_PASSWORD');
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
    sampleIntervalMs: int(get, 'STRATA_CONSOLE_SAMPLE_INTERVAL_MS', 15_000, 100, 3_600_000),
    auth: username !== undefined ? { username, password: password! } : null,
  };
}

/** A bound on configured scrape targets (each keeps its own history). */
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
