// RequestSecurity for unit tests that call handlers directly: a given authorizer (allow-all by default) and a
// quota manager on an empty image, as the connection would build them.
import { ALLOW_ALL, type Authorizer } from '../../src/security/authorizer';
import { QuotaManager } from '../../src/security/quota-manager';
import { requestSecurity, type RequestSecurity } from '../../src/security/request-security';
import { ANONYMOUS, type KafkaPrincipal } from '../../src/security/principal';
import { BrokerMetrics } from '../../src/metrics/registry';
import { systemClock } from '../../src/clock';

export function testSecurity(opts: { authorizer?: Authorizer; principal?: KafkaPrincipal; metrics?: BrokerMetrics } = {}): RequestSecurity {
  const quotas = new QuotaManager({ quotas: new Map(), quotaVersion: 0 }, { windowNum: 11, windowSizeMs: 1000, clock: systemClock });
  const metrics = opts.metrics ?? new BrokerMetrics({ defaultMetrics: false });
  return requestSecurity({ authorizer: opts.authorizer ?? ALLOW_ALL, quotas, metrics }, opts.principal ?? ANONYMOUS, '127.0.0.1:1234', 'test', 'Test');
}
