// Pure builders: StrataCluster -> the Kubernetes objects that run it. No I/O here.
import type { V1ConfigMap, V1PodDisruptionBudget, V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { buildBrokerConfigMap, configHash } from './config-map';
import { buildPodDisruptionBudget } from './pdb';
import { buildServiceMonitor, type ServiceMonitor } from './service-monitor';
import { buildBootstrapService, buildHeadlessService } from './services';
import { buildStatefulSet, type StatefulSetOptions } from './stateful-set';
import type { StrataClusterLike } from './types';

export * from './cluster-mode';
export * from './common';
export * from './config-map';
export * from './listeners';
export * from './pdb';
export * from './service-monitor';
export * from './services';
export * from './stateful-set';
export * from './types';

export interface ClusterResources {
  configMap: V1ConfigMap;
  headlessService: V1Service;
  bootstrapService: V1Service;
  statefulSet: V1StatefulSet;
  podDisruptionBudget: V1PodDisruptionBudget;
  /** Present only when spec.metrics.serviceMonitor is on. */
  serviceMonitor?: ServiceMonitor;
}

/** Every desired object of a cluster, the StatefulSet's pod template stamped with the ConfigMap's hash. */
export function buildClusterResources(cluster: StrataClusterLike, options: Omit<StatefulSetOptions, 'configHash'> = {}): ClusterResources {
  const configMap = buildBrokerConfigMap(cluster);
  const serviceMonitor = buildServiceMonitor(cluster);
  return {
    configMap,
    headlessService: buildHeadlessService(cluster),
    bootstrapService: buildBootstrapService(cluster),
    statefulSet: buildStatefulSet(cluster, { ...options, configHash: configHash(configMap) }),
    podDisruptionBudget: buildPodDisruptionBudget(cluster),
    ...(serviceMonitor ? { serviceMonitor } : {}),
  };
}
