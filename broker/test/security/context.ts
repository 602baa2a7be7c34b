// RequestSecurity for unit tests that call handlers directly: a given authorizer (allow-all by default) and a
// quota manager on an empty image, as the connection would build them; and a whole RequestContext around it.
import { ALLOW_ALL, type Authorizer } from '../../src/security/authorizer';
import { QuotaManager } from '../../src/security/quota-manager';
import { requestSecurity, type RequestSecurity } from '../../src/security/request-security';
import { ANONYMOUS, type KafkaPrincipal } from '../../src/security/principal';
import { BrokerMetrics } from '../../src/metrics/registry';
import { systemClock } from '../../src/clock';
import type { RequestContext } from '../../src/handlers/handler';
import type { BrokerServices } from '../../src/services';

export function testSecurity(opts: { authorizer?: Authorizer; principal?: KafkaPrincipal; metrics?: BrokerMetrics } = {}): RequestSecurity {
  const quotas = new QuotaManager({ quotas: new Map(), quotaVersion: 0 }, { windowNum: 11, windowSizeMs: 1000, clock: systemClock });
  const metrics = opts.metrics ?? new BrokerMetrics({ defaultMetrics: false });
  return requestSecurity({ authorizer: opts.authorizer ?? ALLOW_ALL, quotas, metrics }, opts.principal ?? ANONYMOUS, '127.0.0.1:1234', 'test', 'Test');
}

/**
 * A whole RequestContext for calling a handler directly: the given services (usually a partial object cast to
 * BrokerServices) on a PLAINTEXT listener as User:ANONYMOUS unless told otherwise.
 */
export function testRequestContext(
  services: unknown,
  opts: { apiVersion: number; clientId?: string; listenerName?: string; authorizer?: Authorizer; principal?: KafkaPrincipal; metrics?: BrokerMetrics },
): RequestContext {
  return {
    apiVersion: opts.apiVersion,
    correlationId: 1,
    clientId: opts.clientId ?? 'test',
    remoteAddress: '127.0.0.1:1',
    principal: opts.principal ?? ANONYMOUS,
    listenerName: opts.listenerName ?? 'PLAINTEXT',
    securityProtocol: 'PLAINTEXT',
    services: services as BrokerServices,
    closeConnection: () => undefined,
    ...testSecurity({ authorizer: opts.authorizer, principal: opts.principal, metrics: opts.metrics }),
  };
}
