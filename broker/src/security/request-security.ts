// What a handler asks about its request's principal: may it do this (one call per check, counted in
// strata_authorization_denied_total when denied), which operations may it do on a resource (the
// authorized-operations fields), and how long must it wait for its quota. Built per request by the connection
// from the broker's authorizer and quota manager.
import type { BrokerServices } from '../services';
import { ResourceType, type AclOperation } from './acl';
import { authorizedOperations, hostOf, type Session } from './authorizer';
import type { QuotaKey } from './client-quotas';
import type { KafkaPrincipal } from './principal';

export interface RequestSecurity {
  /** May the request's principal do `op` on the resource? `countDenial`: false when a denial only filters a list. */
  authorize(op: AclOperation, type: ResourceType, name: string, countDenial?: boolean): boolean;
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
): RequestSecurity {
  const { authorizer, quotas, metrics } = services;
  const session: Session = { principal, host: hostOf(remoteAddress) };
  return {
    authorize(op, type, name, countDenial = true) {
      const ok = authorizer.authorize(session, op, type, name);
      if (!ok && countDenial) metrics.authorizationDeniedFor(api, ResourceType[type] ?? String(type));
      return ok;
    },
    authorizedOperations: (type, name) => authorizedOperations(authorizer, session, type, name),
    authorizeByResourceType: (op, type) => authorizer.authorizeByResourceType(session, op, type),
    recordQuota: (key, amount) => quotas.record(key, session, clientId, amount),
    unrecordQuota: (key, amount) => quotas.unrecord(key, session, clientId, amount),
  };
}
