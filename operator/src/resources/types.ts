// The StrataCluster shape the builders read: the CRD's inferred spec type (operator/src/api) plus the
// metadata fields they need.
import type { StrataClusterSpec } from '../api/strata-cluster';

export type { StrataClusterSpec };

/** A value of spec.config (the CRD allows strings, numbers and booleans). */
export type BrokerConfigValue = string | number | boolean;

export interface StrataClusterLike {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; uid: string; generation?: number };
  spec: StrataClusterSpec;
}
