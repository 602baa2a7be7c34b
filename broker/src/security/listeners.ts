// Listeners as Kafka declares them: `listeners` (NAME://host:port, comma-separated), `advertised.listeners`
// (what Metadata tells clients, per listener) and `listener.security.protocol.map` (NAME:PROTOCOL). Several
// listeners run at once on different ports. Without `listeners`, the broker has one PLAINTEXT listener on
// host:port advertised as advertisedHost:advertisedPort (the settings Strata had before listeners existed).
import { ConfigError, type BrokerConfig } from '../config';
import type { BrokerEndpoint } from '../cluster/metadata-records';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export interface ListenerSpec {
  /** Upper-case listener name, e.g. PLAINTEXT, SASL_SSL, INTERNAL. */
  name: string;
  securityProtocol: SecurityProtocol;
  /** Bind address ('' in the config binds every interface). */
  host: string;
  port: number;
  /** Where clients are told to connect for this listener. */
  advertisedHost: string;
  advertisedPort: number;
}

export const usesTls = (p: SecurityProtocol) => p === 'SSL' || p === 'SASL_SSL';
export const usesSasl = (p: SecurityProtocol) => p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';

const ENTRY = /^([A-Za-z0-9_]+):\/\/(\[[0-9A-Fa-f:.]+\]|[^:\/\s]*):(\d{1,5})$/;

/** "NAME://host:port,…" → entries; syntax errors name the config key. */
function parseEndpoints(text: string, key: string): Array<{ name: string; host: string; port: number }> {
  const out: Array<{ name: string; host: string; port: number }> = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = ENTRY.exec(raw);
    const port = m ? Number(m[3]) : NaN;
    if (!m || port > 65535) throw new ConfigError(`invalid entry ${JSON.stringify(raw)} in ${key}: expected NAME://host:port`);
    const name = m[1].toUpperCase();
    if (out.some((e) => e.name === name)) throw new ConfigError(`listener ${name} appears twice in ${key}`);
    out.push({ name, host: m[2].replace(/^\[|\]$/g, ''), port });
  }
  return out;
}

function parseProtocolMap(text: string): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>();
  for (const raw of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name, protocol, extra] = raw.split(':');
    const p = SECURITY_PROTOCOLS.find((x) => x === protocol?.toUpperCase());
    if (!name || !p || extra !== undefined) {
      throw new ConfigError(`invalid entry ${JSON.stringify(raw)} in listener.security.protocol.map: expected NAME:${SECURITY_PROTOCOLS.join('|')}`);
    }
    map.set(name.toUpperCase(), p);
  }
  return map;
}

const WILDCARD = new Set(['', '0.0.0.0', '::']);

/** The listeners this broker opens, in configuration order (the first one is the broker's primary endpoint). */
export function resolveListeners(cfg: BrokerConfig): ListenerSpec[] {
  const protocols = parseProtocolMap(cfg.listenerSecurityProtocolMap);
  if (cfg.listeners.trim() === '') {
    return [
      {
        name: 'PLAINTEXT',
        securityProtocol: 'PLAINTEXT',
        host: cfg.host,
        port: cfg.port,
        advertisedHost: cfg.advertisedHost,
        advertisedPort: cfg.advertisedPort || cfg.port,
      },
    ];
  }
  const listeners = parseEndpoints(cfg.listeners, 'listeners');
  if (listeners.length === 0) throw new ConfigError('listeners names no listener');
  const advertised = new Map(parseEndpoints(cfg.advertisedListeners, 'advertised.listeners').map((e) => [e.name, e]));
  const ports = new Set<number>();
  const out: ListenerSpec[] = [];
  for (const l of listeners) {
    const securityProtocol = protocols.get(l.name);
    if (!securityProtocol) throw new ConfigError(`listener ${l.name} has no security protocol in listener.security.protocol.map`);
    if (l.port !== 0 && ports.has(l.port)) throw new ConfigError(`listeners ${l.name} and another share port ${l.port}`);
    ports.add(l.port);
    const adv = advertised.get(l.name);
    out.push({
      name: l.name,
      securityProtocol,
      host: l.host === '' ? '0.0.0.0' : l.host,
      port: l.port,
      advertisedHost: adv && !WILDCARD.has(adv.host) ? adv.host : WILDCARD.has(l.host) ? cfg.advertisedHost : l.host,
      advertisedPort: adv?.port || l.port,
    });
  }
  for (const name of advertised.keys()) {
    if (!out.some((l) => l.name === name)) throw new ConfigError(`advertised.listeners names ${name}, which is not in listeners`);
  }
  if (out.some((l) => usesTls(l.securityProtocol)) && (!cfg.sslCertificateLocation || !cfg.sslKeyLocation)) {
    throw new ConfigError('an SSL or SASL_SSL listener needs sslCertificateLocation and sslKeyLocation (PEM files)');
  }
  if (cfg.sslClientAuth !== 'none' && out.some((l) => usesTls(l.securityProtocol)) && !cfg.sslCaLocation) {
    throw new ConfigError(`ssl.client.auth=${cfg.sslClientAuth} needs sslCaLocation (the PEM CA bundle client certificates are checked against)`);
  }
  return out;
}

/** The endpoints registered in the metadata log, once the real ports are known (a configured port 0 binds any). */
export function advertisedEndpoints(listeners: readonly ListenerSpec[], boundPorts: readonly number[]): BrokerEndpoint[] {
  return listeners.map((l, i) => ({
    listener: l.name,
    host: l.advertisedHost,
    port: l.advertisedPort || boundPorts[i],
    securityProtocol: l.securityProtocol,
  }));
}
