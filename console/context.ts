// What every page and route of the console gets: settings, the one cluster connection, the samplers and the
// CSRF token (one of each per process).
import type { ConsoleSettings } from './config';
import type { ClusterClient } from './data';
import type { LagSampler } from './samplers/lag-sampler';
import type { MetricsSampler } from './samplers/metrics-sampler';
import type { Csrf } from './security';

export interface ConsoleContext {
  settings: ConsoleSettings;
  cluster: ClusterClient;
  lag: LagSampler;
  metrics: MetricsSampler;
  csrf: Csrf;
}
