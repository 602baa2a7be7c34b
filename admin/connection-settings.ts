// How a tool reaches a cluster: the bootstrap brokers, TLS files and SASL credentials that stratactl takes as
// flags and the console as environment variables (the same STRATA_* names), turned into ClusterClient options.
import * as fs from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { SaslCredentials } from '../broker/src/protocol/client';
import type { ClusterClientOptions } from './cluster-client';
import { AdminError } from './errors';

export interface ConnectionSettings {
  /** host:port[,host:port…] */
  brokers: string;
  /** Connect and request timeout in ms. */
  timeout: number;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServerName?: string;
  saslMechanism?: SaslCredentials['mechanism'];
  saslUsername?: string;
  saslPassword?: string;
}

export function clusterClientOptions(s: ConnectionSettings, clientId: string): ClusterClientOptions {
  return { bootstrap: [s.brokers], clientId, timeoutMs: s.timeout, tls: tlsOptions(s), sasl: saslOptions(s) };
}

export function tlsOptions(o: ConnectionSettings): ConnectionOptions | undefined {
  if (!o.tls && !o.tlsCa && !o.tlsCert && !o.tlsKey) return undefined;
  const read = (f: string | undefined, what: string) => {
    if (!f) return undefined;
    try {
      return fs.readFileSync(f);
    } catch (err) {
      throw new AdminError(`cannot read ${what} ${f}: ${(err as Error).message}`, 'usage');
    }
  };
  return { ca: read(o.tlsCa, 'CA file'), cert: read(o.tlsCert, 'certificate'), key: read(o.tlsKey, 'key'), servername: o.tlsServerName };
}

export function saslOptions(o: ConnectionSettings): SaslCredentials | undefined {
  if (!o.saslMechanism && !o.saslUsername) return undefined;
  if (!o.saslUsername || o.saslPassword === undefined) throw new AdminError('SASL needs --sasl-username and a password (STRATA_SASL_PASSWORD or --sasl-password)', 'usage');
  return { mechanism: o.saslMechanism ?? 'SCRAM-SHA-512', username: o.saslUsername, password: o.saslPassword };
}
