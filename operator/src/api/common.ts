// Building blocks shared by the strata.dev kinds.
import { Infer, arr, enumOf, int64, obj, required, str } from './schema';

export const GROUP = 'strata.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Label on a StrataTopic / StrataUser naming the StrataCluster (same namespace) it belongs to. */
export const CLUSTER_LABEL = 'strata.dev/cluster';

/** metav1.Condition, as every condition list in Kubernetes is shaped. */
export const Condition = obj({
  type: required(str({ description: 'Condition type: Ready, Reconciling, Degraded (or UnderReplicated on a StrataCluster).', maxLength: 316 })),
  status: required(enumOf(['True', 'False', 'Unknown'] as const, { description: 'Status of the condition.' })),
  observedGeneration: int64({ description: 'The .metadata.generation the condition was set from.', minimum: 0 }),
  lastTransitionTime: required(str({ format: 'date-time', description: 'When the condition last changed status.' })),
  reason: required(str({ description: 'A CamelCase reason a program can act on.', maxLength: 1024 })),
  message: str({ description: 'A message a person can act on.', maxLength: 32768 }),
}, { description: 'One status condition.' });
export type Condition = Infer<typeof Condition>;

export const CONDITION_TYPES = ['Ready', 'Reconciling', 'Degraded', 'UnderReplicated'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export function conditions(description: string) {
  return arr(Condition, {
    description,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    maxItems: 16,
  });
}

export const observedGeneration = () =>
  int64({ description: 'The .metadata.generation the operator last reconciled.', minimum: 0 });

/** A reference to a key of a Secret in the resource's namespace. */
export const SecretKeyRef = (what: string, defaultKey: string) =>
  obj({
    name: required(str({ description: `Name of the Secret holding ${what}.`, minLength: 1, maxLength: 253 })),
    key: str({ description: `Key in the Secret holding ${what}.`, default: defaultKey, minLength: 1 }),
  }, { description: `The Secret key holding ${what}.` });
