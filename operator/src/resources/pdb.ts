import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import * as N from '../naming';
import { brokerSelector, objectMeta } from './common';
import type { StrataClusterLike } from './types';

/** At most one broker voluntarily down at a time (drains, node upgrades). */
export function buildPodDisruptionBudget(cluster: StrataClusterLike): V1PodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(cluster, N.podDisruptionBudgetName(cluster.metadata.name), { [N.LABEL_COMPONENT]: N.COMPONENT_BROKER }),
    spec: { maxUnavailable: 1, selector: { matchLabels: brokerSelector(cluster) } },
  };
}
