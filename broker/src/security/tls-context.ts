// The TLS material of SSL and SASL_SSL listeners: certificate chain, private key and (for client certificates)
// CA bundle, read from PEM files. The files are checked every sslReloadCheckIntervalMs; when their content
// changes (cert-manager rotating a Secret), the new material is handed to the listeners (setSecureContext), so new
// connections get the new certificate without a restart while open ones keep theirs. A half-written rotation
// (a key that does not match the certificate, an unparsable file) keeps the previous context and is logged;
// the next check tries again.
import { createHash, X509Certificate } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import type { Logger } from '../logger';

export interface TlsFiles {
  certificate: string;
  key: string;
  /** CA bundle for client certificates; '' for none. */
  ca: string;
}

export type ClientAuth = 'none' | 'requested' | 'required';

/** The PEM contents: what tls.Server takes (at creation and in setSecureContext). */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | null;
}

export class TlsContextProvider {
  private fingerprint: string;
  private material: TlsMaterial;
  private timer: NodeJS.Timeout | null = null;
  private readonly subscribers = new Set<(m: TlsMaterial) => void>();
  private checking = false;

  /** Reads the files once, synchronously (start-up): a missing or invalid file fails the start. */
  constructor(
    private readonly files: TlsFiles,
    private readonly logger: Logger,
  ) {
    const m: TlsMaterial = {
      cert: readFileSync(files.certificate),
      key: readFileSync(files.key),
      ca: files.ca ? readFileSync(files.ca) : null,
    };
    buildContext(m); // throws now if the key does not match the certificate
    this.material = m;
    this.fingerprint = fingerprintOf(m);
    this.logger.info('TLS certificate loaded', describeCertificate(m.cert));
  }

  get current(): TlsMaterial {
    return this.material;
  }

  /** When the served certificate (the first of the chain) expires, as a Unix timestamp in seconds (metrics, alerts). */
  get certificateExpirySeconds(): number {
    return certificateExpirySeconds(this.material.cert);
  }

  /** Calls `fn` with the new material after each reload (listeners pass it to setSecureContext). */
  subscribe(fn: (m: TlsMaterial) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  startWatching(intervalMs: number): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Re-reads the files; rebuilds and publishes the context if their content changed. True if it did. */
  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      const m: TlsMaterial = {
        cert: await fs.readFile(this.files.certificate),
        key: await fs.readFile(this.files.key),
        ca: this.files.ca ? await fs.readFile(this.files.ca) : null,
      };
      const fp = fingerprintOf(m);
      if (fp === this.fingerprint) return false;
      buildContext(m); // validates: a key that does not match the certificate keeps the previous material
      this.material = m;
      this.fingerprint = fp;
      this.logger.info('TLS certificate reloaded', describeCertificate(m.cert));
      for (const fn of this.subscribers) fn(m);
      return true;
    } catch (err) {
      this.logger.warn('TLS files changed but cannot be used yet; keeping the previous certificate', { error: (err as Error).message });
      return false;
    } finally {
      this.checking = false;
    }
  }
}

export function secureContextOptions(m: TlsMaterial): tls.SecureContextOptions {
  return { cert: m.cert, key: m.key, ca: m.ca ?? undefined, minVersion: 'TLSv1.2' };
}

function buildContext(m: TlsMaterial): tls.SecureContext {
  return tls.createSecureContext(secureContextOptions(m));
}

function fingerprintOf(m: TlsMaterial): string {
  const h = createHash('sha256');
  for (const part of [m.cert, m.key, m.ca ?? Buffer.alloc(0)]) h.update(createHash('sha256').update(part).digest());
  return h.digest('hex');
}

function certificateExpirySeconds(pem: Buffer): number {
  return Date.parse(new X509Certificate(pem).validTo) / 1000;
}

function describeCertificate(pem: Buffer): Record<string, unknown> {
  try {
    const c = new X509Certificate(pem);
    return { subject: c.subject.replace(/\n/g, ', '), notAfter: c.validTo, serial: c.serialNumber };
  } catch {
    return {};
  }
}

/** Server options of a TLS listener for the given client-certificate policy. */
export function tlsServerOptions(provider: TlsContextProvider, clientAuth: ClientAuth): tls.TlsOptions {
  return {
    ...secureContextOptions(provider.current),
    requestCert: clientAuth !== 'none',
    // 'requested': a client without a certificate is let in (anonymous); one whose certificate does not verify
    // is refused after the handshake (see peerPrincipalName), as Java's SSLEngine with wantClientAuth does.
    rejectUnauthorized: clientAuth === 'required',
    handshakeTimeout: 10_000,
    minVersion: 'TLSv1.2',
  };
}

/**
 * The principal name of a TLS client certificate: the subject DN in RFC 2253 form (most specific first,
 * "CN=app,OU=team,O=Org"), as Kafka's default principal builder gives it. Null when the client sent none.
 * Throws when a certificate was sent but does not verify against the CA bundle.
 */
export function peerPrincipalName(socket: tls.TLSSocket): string | null {
  const x509 = socket.getPeerX509Certificate();
  if (!x509) return null;
  if (!socket.authorized) throw new Error(`client certificate not trusted: ${String(socket.authorizationError)}`);
  return rfc2253(x509.subject);
}

/**
 * Node prints a subject one attribute a line, least specific first, with RFC 2253 escaping of values already
 * applied (OpenSSL's ASN1_STRFLGS_ESC_2253); RFC 2253 order reverses them and joins with commas.
 */
export function rfc2253(subject: string): string {
  return subject
    .split('\n')
    .filter((l) => l !== '')
    .reverse()
    .join(',');
}
