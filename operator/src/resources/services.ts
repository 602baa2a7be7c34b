// The headless Service (stable per-broker DNS, metrics scraping) and the bootstrap Service (clients' first contact).
import type { V1Service } from '@kubernetes/client-node';
import * as N from '../naming';
import { brokerSelector, objectMeta } from './common';
import { listenerServicePorts } from './listeners';
import type { StrataClusterLike } from './types';

export const SERVICE_ROLE_BROKERS = 'brokers';
export const SERVICE_ROLE_BOOTSTRAP = 'bootstrap';

export function buildHeadlessService(cluster: StrataClusterLike): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(cluster, N.headlessServiceName(cluster.metadata.name), { [N.LABEL_SERVICE_ROLE]: SERVICE_ROLE_BROKERS }),
    spec: {
      clusterIP: 'None',
      // Brokers must resolve each other before they are ready (they become ready by talking to each other).
      publishNotReadyAddresses: true,
      selector: brokerSelector(cluster),
      ports: [...listenerServicePorts(cluster), { name: N.METRICS_PORT_NAME, port: N.METRICS_PORT, targetPort: N.METRICS_PORT_NAME, protocol: 'TCP' }],
    },
  };
}

export function buildBootstrapService(cluster: StrataClusterLike): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(cluster, N.bootstrapServiceName(cluster.metadata.name), { [N.LABEL_SERVICE_ROLE]: SERVICE_ROLE_BOOTSTRAP }),
    spec: {
      type: 'ClusterIP',
      selector: brokerSelector(cluster),
      ports: listenerServicePorts(cluster),
    },
  };
}
