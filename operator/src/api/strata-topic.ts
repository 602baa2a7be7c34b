// StrataTopic: a topic on the StrataCluster named by its `strata.dev/cluster` label.
import { CRDKind } from './kind';
import { Infer, int, map, obj, required, scalar, str } from './schema';
import { conditions, observedGeneration } from './common';

export const StrataTopicSpec = obj({
  topicName: str({
    description: 'Topic name on the cluster; metadata.name when unset. Immutable.',
    pattern: '^[a-zA-Z0-9._-]+$', minLength: 1, maxLength: 249,
    validations: [{ rule: 'self == oldSelf', message: 'topicName is immutable' }],
  }),
  partitions: required(int({
    description: 'Number of partitions. May grow, never shrink.',
    minimum: 1, maximum: 10000,
    validations: [{ rule: 'self >= oldSelf', message: 'partitions may not decrease' }],
  })),
  replicas: int({
    description: 'Replication factor. Must not exceed the cluster\'s brokers (checked by the operator, reported in the Ready condition).',
    minimum: 1, maximum: 64, default: 3,
  }),
  config: map(scalar(), {
    description: 'Topic configuration (retention.ms, cleanup.policy, local.retention.ms, ...); values are strings, numbers or booleans. Keys not listed fall back to the cluster defaults.',
    maxProperties: 128,
  }),
}, {
  description: 'Desired state of a topic.',
  validations: [{ rule: 'has(self.topicName) == has(oldSelf.topicName)', message: 'topicName may not be added or removed' }],
});
export type StrataTopicSpec = Infer<typeof StrataTopicSpec>;

export const StrataTopicStatus = obj({
  conditions: conditions('Ready, Reconciling and Degraded conditions.'),
  observedGeneration: observedGeneration(),
  topicId: str({ description: 'Kafka topic id (base64 UUID) on the cluster.' }),
  topicName: str({ description: 'Name of the topic on the cluster.' }),
  partitions: int({ description: 'Partitions the topic has on the cluster.', minimum: 0 }),
}, { description: 'Observed state of a topic.' });
export type StrataTopicStatus = Infer<typeof StrataTopicStatus>;

export const StrataTopicKind: CRDKind = {
  kind: 'StrataTopic',
  plural: 'stratatopics',
  singular: 'stratatopic',
  shortNames: ['st'],
  description: 'A topic on a StrataCluster; the cluster is named by the strata.dev/cluster label.',
  spec: StrataTopicSpec,
  status: StrataTopicStatus,
  requireSpec: true,
  printerColumns: [
    { name: 'Cluster', type: 'string', jsonPath: '.metadata.labels.strata\\.dev/cluster' },
    { name: 'Partitions', type: 'integer', jsonPath: '.spec.partitions' },
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
  ],
};
