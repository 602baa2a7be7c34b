// strata.dev/v1alpha1 API: schemas (runtime) and types (compile time) of the operator's kinds.
import { Condition } from './common';
import { StrataClusterSpec, StrataClusterStatus } from './strata-cluster';
import { StrataTopicSpec, StrataTopicStatus } from './strata-topic';
import { StrataUserSpec, StrataUserStatus } from './strata-user';

export * from './common';
export * from './schema';
export * from './kind';
export * from './crds';
export { Listener, ResourceRequirements, StrataClusterSpec, StrataClusterStatus, StrataClusterKind } from './strata-cluster';
export { StrataTopicSpec, StrataTopicStatus, StrataTopicKind } from './strata-topic';
export { AclRule, ACL_OPERATIONS, StrataUserSpec, StrataUserStatus, StrataUserKind } from './strata-user';

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string;
  creationTimestamp?: string;
  ownerReferences?: unknown[];
}

interface Resource<K extends string, Spec, Status> {
  apiVersion: 'strata.dev/v1alpha1';
  kind: K;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

export type StrataCluster = Resource<'StrataCluster', StrataClusterSpec, StrataClusterStatus>;
export type StrataTopic = Resource<'StrataTopic', StrataTopicSpec, StrataTopicStatus>;
export type StrataUser = Resource<'StrataUser', StrataUserSpec, StrataUserStatus>;
export type StrataCondition = Condition;
