// A Prometheus Operator ServiceMonitor (monitoring.coreos.com/v1); client-node has no model for it.
import type { V1LabelSelector, V1ObjectMeta } from '@kubernetes/client-node';
import * as N from '../naming';
import { objectMeta } from './common';
import { SERVICE_ROLE_BROKERS } from './services';
import type { StrataClusterLike } from './types';

export const SERVICE_MONITOR_API_VERSION = 'monitoring.coreos.com/v1';

export interface ServiceMonitor {
  apiVersion: typeof SERVICE_MONITOR_API_VERSION;
  kind: 'ServiceMonitor';
  metadata: V1ObjectMeta;
  spec: {
    selector: V1LabelSelector;
    endpoints: Array<{ port: string; path: string; interval?: string; scheme?: string }>;
  };
}

/** The ServiceMonitor scraping every broker through the headless Service, or undefined when off. */
export function buildServiceMonitor(cluster: StrataClusterLike): ServiceMonitor | undefined {
  if (!cluster.spec.metrics?.serviceMonitor) return undefined;
  return {
    apiVersion: SERVICE_MONITOR_API_VERSION,
    kind: 'ServiceMonitor',
    metadata: objectMeta(cluster, N.serviceMonitorName(cluster.metadata.name)),
    spec: {
      selector: { matchLabels: { [N.LABEL_INSTANCE]: cluster.metadata.name, [N.LABEL_SERVICE_ROLE]: SERVICE_ROLE_BROKERS } },
      endpoints: [{ port: N.METRICS_PORT_NAME, path: N.METRICS_PATH, interval: '30s', scheme: 'http' }],
    },
  };
}
