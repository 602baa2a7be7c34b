// The contract of one Kafka API handler. Each file in handlers/ defines one API with the version range it
// implements; ApiVersions is built from these declarations, so what we advertise is exactly what we serve.
import type { ApiKey } from '../protocol/apis';
import type { KafkaPrincipal } from '../security/principal';
import type { SecurityProtocol } from '../security/listeners';
import type { Authenticator } from '../security/authenticator';
import type { BrokerServices } from '../services';
import type { RequestSecurity } from '../security/request-security';

/** Handlers check authorization and quotas through the context's RequestSecurity methods (ctx.authorize, …). */
export interface RequestContext extends RequestSecurity {
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Remote address of the connection, for logs and (later) ACL host checks. */
  remoteAddress: string;
  /** The authenticated principal of the connection (User:ANONYMOUS until authentication replaces it). */
  principal: KafkaPrincipal;
  /** Name of the listener the request came in on (e.g. PLAINTEXT, SASL_SSL): Metadata advertises its endpoints. */
  listenerName: string;
  securityProtocol: SecurityProtocol;
  /** The connection's authentication state (SaslHandshake / SaslAuthenticate drive it); absent in unit contexts. */
  authenticator?: Authenticator;
  services: BrokerServices;
  /** Closes this connection after the current request (logged with the reason). */
  closeConnection(reason: string): void;
  /** Aborted when the connection closes, so a request waiting for something (a long poll) can stop early. */
  signal?: AbortSignal;
}

export interface ApiHandler<Req = any, Res = any> {
  apiKey: ApiKey;
  minVersion: number;
  maxVersion: number;
  /** Returns the response body, or null when the request expects none (Produce with acks=0). */
  handle(req: Req, ctx: RequestContext): Promise<Res | null> | Res | null;
}

export function defineHandler<Req, Res>(handler: ApiHandler<Req, Res>): ApiHandler<Req, Res> {
  return handler;
}
