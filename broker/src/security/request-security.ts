// What a handler asks about its request's principal: may it do this (one call per check, counted in
// strata_authorization_denied_total when denied), which operations may it do on a resource (the
// authorized-operations fields), and how long must it wait for its quota. Built per request by the connection
// from the broker's authorizer and quota manager.
import type { BrokerServices } from '../services';
import { ErrorCode, KafkaError } from '../protocol/errors';
import { AclOperation, ResourceType } from './acl';
import { authorizedOperations, hostOf, type Session } from './authorizer';
import { REQUEST_PERCENTAGE, type QuotaKey } from './client-quotas';
import { ApiKey } from '../protocol/apis';
import type { KafkaPrincipal } from './principal';

export interface RequestSecurity {
  /** May the request's principal do `op` on the resource? `countDenial`: false when a denial only filters a list. */
  authorize(op: AclOperation, type: ResourceType, name: string, countDenial?: boolean): boolean;
  /** As authorize, but throws the resource type's *_AUTHORIZATION_FAILED error when denied. */
  require(op: AclOperation, type: ResourceType, name: string): void;
  /** Kafka's authorized-operations bit field of the resource for this principal. */
  authorizedOperations(type: ResourceType, name: string): number;
  /** May the principal do `op` on at least one resource of the type (Kafka's authorizeByResourceType)? */
  authorizeByResourceType(op: AclOperation, type: ResourceType): boolean;
  /** Records usage against the principal's and client id's quota; returns the throttle time in ms (0: none). */
  recordQuota(key: QuotaKey, amount: number): number;
  /** Takes back a recording whose data was not sent after all (a throttled Fetch answers empty). */
  unrecordQuota(key: QuotaKey, amount: number): void;
}

export function requestSecurity(
  services: Pick<BrokerServices, 'authorizer' | 'quotas' | 'metrics'>,
  principal: KafkaPrincipal,
  remoteAddress: string,
  clientId: string | null,
  api: string,
  /** Told each throttle decision, so the connection mutes the channel after the response (or none, acks=0). */
  onThrottle: (ms: number) => void = () => undefined,
): RequestSecurity {
  const { authorizer, quotas, metrics } = services;
  const session: Session = { principal, host: hostOf(remoteAddress) };
  // Decisions of this request, so a check repeated per partition costs one lookup and counts one denial.
  const decided = new Map<string, boolean>();
  const authorize = (op: AclOperation, type: ResourceType, name: string, countDenial = true): boolean => {
    if (!authorizer.enabled) return true;
    const key = `${op}:${type}:${name}`;
    let ok = decided.get(key);
    if (ok === undefined) {
      ok = authorizer.authorize(session, op, type, name);
      decided.set(key, ok);
      if (!ok && countDenial) metrics.authorizationDeniedFor(api, ResourceType[type] ?? String(type));
    }
    return ok;
  };
  return {
    authorize,
    require(op, type, name) {
      if (!authorize(op, type, name)) throw new KafkaError(authorizationError(type), `${AclOperation[op]} on ${ResourceType[type]} ${name.slice(0, 255)} is not authorized.`);
    },
    authorizedOperations: (type, name) => authorizedOperations(authorizer, session, type, name),
    authorizeByResourceType: (op, type) => authorizer.authorizeByResourceType(session, op, type),
    recordQuota(key, amount) {
      const ms = quotas.record(key, session, clientId, amount);
      if (ms > 0) onThrottle(ms);
      return ms;
    },
    unrecordQuota: (key, amount) => quotas.unrecord(key, session, clientId, amount),
  };
}

/** The error Kafka answers when an operation on a resource of this type is denied. */
export function authorizationError(type: ResourceType): ErrorCode {
  switch (type) {
    case ResourceType.TOPIC:
      return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
    case ResourceType.GROUP:
      return ErrorCode.GROUP_AUTHORIZATION_FAILED;
    case ResourceType.TRANSACTIONAL_ID:
      return ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    case ResourceType.DELEGATION_TOKEN:
      return ErrorCode.DELEGATION_TOKEN_AUTHORIZATION_FAILED;
    default:
      return ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
  }
}

/** APIs a request quota never throttles (Kafka exempts them too: a client must be able to connect and authenticate). */
const REQUEST_QUOTA_EXEMPT: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

/**
 * Charges a request's busy time to the request_percentage quota (percent of one request thread, as Kafka: 1,000 ms
 * of handler time per second is 100 %). When it throttles, the response's throttle_time_ms becomes the larger of
 * its own and this one, and the connection is muted (through recordQuota's onThrottle).
 */
export function chargeRequestTime(security: RequestSecurity, apiKey: number, busyMs: number, response: unknown): void {
  if (REQUEST_QUOTA_EXEMPT.has(apiKey)) return;
  const ms = security.recordQuota(REQUEST_PERCENTAGE, busyMs / 10);
  const body = response as { throttleTimeMs?: unknown } | null;
  if (ms > 0 && body && typeof body.throttleTimeMs === 'number') body.throttleTimeMs = Math.max(body.throttleTimeMs, ms);
}
