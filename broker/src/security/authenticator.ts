// One connection's authentication, as Kafka's SaslServerAuthenticator runs it:
//
//   SASL listener:  handshake ──SaslHandshake──▶ authenticate ──SaslAuthenticate…──▶ complete
//                   (ApiVersions allowed)        (only SaslAuthenticate)              (every API)
//   PLAINTEXT/SSL:  complete from the start (principal ANONYMOUS, or the TLS client certificate's subject)
//
// Before completion any other API closes the connection, and frames are limited to
// sasl.server.max.receive.size (checked on the size prefix, before the frame is read or allocated). A failed
// authentication is answered with SASL_AUTHENTICATION_FAILED; later frames are ignored and the connection is
// closed after connection.failed.authentication.delay.ms. With connections.max.reauth.ms > 0 (KIP-368) the
// session lasts that long: SaslAuthenticate v1+ tells the client, a new SaslHandshake + SaslAuthenticate on the
// open connection re-authenticates (same mechanism, same principal), and once it has expired any other
// request closes the connection. A SaslHandshake v0 client sends raw SASL tokens (no Kafka header) afterwards.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { Clock, TimerHandle } from '../clock';
import type { MetadataImage } from '../cluster/metadata-image';
import { ANONYMOUS, type KafkaPrincipal } from './principal';
import type { SecurityProtocol } from './listeners';
import { PlainServer } from './sasl-plain';
import { ScramServer } from './sasl-scram';
import { SaslAuthenticationError, type SaslServer } from './sasl-server';

export type AuthResult = 'success' | 'failure';

/** What every authenticator of one listener shares. */
export interface AuthenticatorConfig {
  listenerName: string;
  securityProtocol: SecurityProtocol;
  /** sasl.enabled.mechanisms, in the order offered. */
  mechanisms: readonly string[];
  image: MetadataImage;
  /** sasl.server.max.receive.size: frame limit before authentication completes. */
  maxReceiveBytes: number;
  /** connections.max.reauth.ms; 0 = sessions never expire. */
  reauthMs: number;
  /** connection.failed.authentication.delay.ms */
  failureDelayMs: number;
  clock: Clock;
  /** Counts an authentication attempt's outcome (strata_authentication_total). */
  onResult?: (listener: string, mechanism: string, result: AuthResult) => void;
}

/** What the connection does with a request, by API key, before decoding it. */
export type Admission = { ok: true } | { ok: false; close: string | null };

const OK: Admission = { ok: true };

type State = 'handshake' | 'authenticate' | 'raw' | 'complete' | 'failed';

export class Authenticator {
  private state: State;
  private server: SaslServer | null = null;
  private current: KafkaPrincipal;
  /** Mechanism of the completed authentication (re-authentication must use it again). */
  private mechanism: string | null = null;
  private reauthenticating = false;
  private expiresAt = Infinity;
  private closeTimer: TimerHandle | null = null;
  /** SASL_PLAINTEXT or SASL_SSL: authentication happens on the connection (else it is complete from the start). */
  private readonly sasl: boolean;

  /**
   * `principal` is the TLS client certificate's principal on SSL listeners (ANONYMOUS without one).
   * `close` closes the connection with a logged reason.
   */
  constructor(
    private readonly cfg: AuthenticatorConfig,
    private readonly close: (reason: string) => void,
    principal: KafkaPrincipal = ANONYMOUS,
  ) {
    this.sasl = cfg.securityProtocol === 'SASL_PLAINTEXT' || cfg.securityProtocol === 'SASL_SSL';
    this.state = this.sasl ? 'handshake' : 'complete';
    this.current = this.sasl ? ANONYMOUS : principal;
  }

  get principal(): KafkaPrincipal {
    return this.current;
  }
  get listenerName(): string {
    return this.cfg.listenerName;
  }
  get securityProtocol(): SecurityProtocol {
    return this.cfg.securityProtocol;
  }

  /** The frame limit now: the SASL receive limit until authenticated, else null (the broker's usual limit). */
  get frameLimit(): number | null {
    return this.state === 'complete' && !this.reauthenticating ? null : this.cfg.maxReceiveBytes;
  }

  /** True after a SaslHandshake v0: the next frame is a raw SASL token, not a Kafka request. */
  get expectsRawToken(): boolean {
    return this.state === 'raw';
  }

  /** Whether a request with this API key may be processed now. */
  admit(apiKey: number): Admission {
    switch (this.state) {
      case 'failed':
        return { ok: false, close: null }; // closing after the failure delay; nothing more is processed
      case 'handshake':
        if (apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake) return OK;
        return { ok: false, close: `unexpected Kafka request of type ${apiKey} during SASL handshake` };
      case 'authenticate':
        if (apiKey === ApiKey.SaslAuthenticate) return OK;
        return { ok: false, close: `unexpected Kafka request of type ${apiKey} during SASL authentication` };
      case 'raw':
        return { ok: false, close: 'expected a raw SASL token after SaslHandshake v0' };
      case 'complete':
        if (this.sasl && this.cfg.clock.now() >= this.expiresAt && apiKey !== ApiKey.SaslHandshake) {
          return { ok: false, close: 'SASL session expired (connections.max.reauth.ms); the client did not re-authenticate' };
        }
        return OK;
    }
  }

  /** SaslHandshake: chooses the mechanism. Returns the error code (NONE when accepted) and the enabled mechanisms. */
  handshake(mechanism: string, version: number): { errorCode: ErrorCode; mechanisms: string[] } {
    const mechanisms = [...this.cfg.mechanisms];
    if (!this.sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    if (this.state === 'complete') {
      // A handshake on an authenticated connection starts re-authentication (KIP-368), if sessions expire.
      if (this.cfg.reauthMs <= 0 || version < 1) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
      if (mechanism !== this.mechanism) {
        this.fail(this.mechanism ?? mechanism, `SASL mechanism must not change during re-authentication (${this.mechanism} → ${mechanism})`);
        return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
      }
      this.reauthenticating = true;
    } else if (this.state !== 'handshake') {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    const server = this.mechanisms(mechanism);
    if (!server) {
      this.fail('UNSUPPORTED', `unsupported SASL mechanism ${JSON.stringify(mechanism.slice(0, 64))}`);
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    this.server = server;
    this.state = version === 0 ? 'raw' : 'authenticate';
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  private mechanisms(name: string): SaslServer | null {
    if (!this.cfg.mechanisms.includes(name)) return null;
    if (name === 'PLAIN') return new PlainServer(this.cfg.image);
    if (name === 'SCRAM-SHA-256' || name === 'SCRAM-SHA-512') return new ScramServer(name, this.cfg.image);
    return null;
  }

  /** SaslAuthenticate: one step of the exchange. */
  async authenticate(
    token: Buffer,
    version: number,
  ): Promise<{ errorCode: ErrorCode; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs: number }> {
    const res = (errorCode: ErrorCode, errorMessage: string | null, authBytes: Buffer = Buffer.alloc(0), sessionLifetimeMs = 0) => ({
      errorCode,
      errorMessage,
      authBytes,
      sessionLifetimeMs,
    });
    if (this.state !== 'authenticate' || !this.server) {
      return res(ErrorCode.ILLEGAL_SASL_STATE, this.sasl ? 'SaslAuthenticate request received after successful authentication' : 'SASL is not enabled on this listener');
    }
    const step = await this.step(token);
    if (step.error !== null) return res(ErrorCode.SASL_AUTHENTICATION_FAILED, step.error);
    if (step.done) {
      // Session lifetime is only sent to clients that can re-authenticate (v1+); older ones are closed at expiry.
      return res(ErrorCode.NONE, null, step.challenge, version >= 1 && this.cfg.reauthMs > 0 ? this.cfg.reauthMs : 0);
    }
    return res(ErrorCode.NONE, null, step.challenge);
  }

  /** After SaslHandshake v0: one raw token in, the raw reply out; null when authentication failed (close). */
  async rawToken(token: Buffer): Promise<Buffer | null> {
    const step = await this.step(token);
    return step.error === null ? step.challenge : null;
  }

  private async step(token: Buffer): Promise<{ error: string | null; challenge: Buffer; done: boolean }> {
    const server = this.server!;
    let result;
    try {
      result = await server.evaluate(token);
    } catch (err) {
      const message = err instanceof SaslAuthenticationError ? err.message : `Authentication failed: ${(err as Error).message}`;
      this.fail(server.mechanism, message);
      return { error: message, challenge: Buffer.alloc(0), done: false };
    }
    if (result.user === undefined) return { error: null, challenge: result.challenge, done: false };
    const principal: KafkaPrincipal = { type: 'User', name: result.user };
    if (this.reauthenticating && principal.name !== this.current.name) {
      const message = `Cannot change principals during re-authentication from ${this.current.name} to ${principal.name}`;
      this.fail(server.mechanism, message);
      return { error: message, challenge: Buffer.alloc(0), done: false };
    }
    this.current = principal;
    this.mechanism = server.mechanism;
    this.server = null;
    this.state = 'complete';
    this.reauthenticating = false;
    this.expiresAt = this.cfg.reauthMs > 0 ? this.cfg.clock.now() + this.cfg.reauthMs : Infinity;
    this.cfg.onResult?.(this.cfg.listenerName, server.mechanism, 'success');
    return { error: null, challenge: result.challenge, done: true };
  }

  /** Marks the connection failed: it processes nothing more and closes after the failure delay. */
  private fail(mechanism: string, reason: string): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.server = null;
    this.cfg.onResult?.(this.cfg.listenerName, mechanism, 'failure');
    this.closeTimer = this.cfg.clock.setTimeout(() => this.close(`authentication failed: ${reason}`), this.cfg.failureDelayMs);
    this.closeTimer.unref();
  }

  /** The connection closed: drop the pending delayed close. */
  dispose(): void {
    if (this.closeTimer) this.cfg.clock.clearTimeout(this.closeTimer);
    this.closeTimer = null;
  }
}
