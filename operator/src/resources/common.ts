// Labels, selectors and metadata shared by every object a StrataCluster owns.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import * as N from '../naming';
import type { StrataClusterLike } from './types';

/** The labels every owned object carries. */
export function clusterLabels(cluster: StrataClusterLike): Record<string, string> {
  const name = cluster.metadata.name;
  return {
    [N.LABEL_NAME]: N.APP_NAME,
    [N.LABEL_INSTANCE]: name,
    [N.LABEL_MANAGED_BY]: N.MANAGED_BY,
    [N.LABEL_CLUSTER]: name,
  };
}

/** Selects this cluster's broker pods. Immutable in a StatefulSet, so never add to it. */
export function brokerSelector(cluster: StrataClusterLike): Record<string, string> {
  return {
    [N.LABEL_NAME]: N.APP_NAME,
    [N.LABEL_INSTANCE]: cluster.metadata.name,
    [N.LABEL_COMPONENT]: N.COMPONENT_BROKER,
  };
}

export function brokerLabels(cluster: StrataClusterLike): Record<string, string> {
  return { ...clusterLabels(cluster), [N.LABEL_COMPONENT]: N.COMPONENT_BROKER };
}

export function ownerReference(cluster: StrataClusterLike): V1OwnerReference {
  return {
    apiVersion: N.CLUSTER_API_VERSION,
    kind: N.CLUSTER_KIND,
    name: cluster.metadata.name,
    uid: cluster.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function objectMeta(cluster: StrataClusterLike, name: string, extraLabels: Record<string, string> = {}): V1ObjectMeta {
  return {
    name,
    namespace: cluster.metadata.namespace,
    labels: { ...clusterLabels(cluster), ...extraLabels },
    ownerReferences: [ownerReference(cluster)],
  };
}
