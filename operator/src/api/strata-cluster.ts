// StrataCluster: a Strata broker cluster (ARCHITECTURE §9).
import { CRDKind } from './kind';
import { Infer, arr, bool, enumOf, int, int64, map, obj, quantity, required, scalar, str } from './schema';
import { SecretKeyRef, conditions, observedGeneration } from './common';

export const Listener = obj({
  name: required(str({ description: 'Listener name (a DNS label); unique in the cluster.', pattern: '^[a-z]([-a-z0-9]*[a-z0-9])?$', maxLength: 25 })),
  port: required(int({ description: 'Container and Service port.', minimum: 1024, maximum: 65535 })),
  tls: bool({ description: 'Encrypt the listener with TLS.', default: false }),
  tlsSecret: str({ description: 'kubernetes.io/tls Secret with the certificate and key; required when tls is true.', maxLength: 253 }),
  sasl: arr(enumOf(['SCRAM-SHA-512', 'PLAIN'] as const), {
    description: 'SASL mechanisms accepted on this listener; empty means no authentication.',
    'x-kubernetes-list-type': 'set',
    maxItems: 2,
  }),
}, {
  description: 'A client listener.',
  validations: [{ rule: '!self.tls || has(self.tlsSecret)', message: 'a tls listener needs tlsSecret', fieldPath: '.tlsSecret', reason: 'FieldValueRequired' }],
});
export type Listener = Infer<typeof Listener>;

/** The listeners of a cluster whose spec names none (the CRD's default; builders fall back to the same). */
export const DEFAULT_LISTENERS: Listener[] = [{ name: 'plain', port: 9092, tls: false }];

export const ResourceRequirements = obj({
  requests: map(quantity(), { description: 'Minimum resources (cpu, memory).' }),
  limits: map(quantity(), { description: 'Maximum resources (cpu, memory).' }),
}, { description: 'Compute resources of each broker container.' });
export type ResourceRequirements = Infer<typeof ResourceRequirements>;

export const StrataClusterSpec = obj({
  brokers: int({
    description: 'Number of brokers (StatefulSet replicas). They form one cluster sharing the object store: node ids are the pod ordinals, each broker advertises its own pod DNS name, and with more than one broker default.replication.factor is min(3, brokers) and min.insync.replicas min(2, brokers) unless spec.config sets them. Lowering it is refused while the removed brokers (the highest ordinals) still hold partition replicas.',
    minimum: 1, maximum: 64, default: 1,
  }),
  image: str({ description: 'Broker container image; defaults to the operator\'s matching release.', maxLength: 512 }),
  resources: ResourceRequirements,
  storage: required(obj({
    size: required(str({ description: 'Size of each broker\'s volume for hot segments, e.g. 10Gi.', pattern: '^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$' })),
    class: str({ description: 'StorageClass of the volumes; the cluster default when unset. Immutable.', maxLength: 253, validations: [{ rule: 'self == oldSelf', message: 'storage.class is immutable' }] }),
  }, {
    description: 'Local volume for hot log segments (older segments live in the object store).',
    validations: [{ rule: 'has(self.class) == has(oldSelf.class)', message: 'storage.class may not be added or removed' }],
  })),
  listeners: arr(Listener, {
    description: 'Client listeners. Default: one plain listener "plain" on 9092.',
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
    minItems: 1,
    maxItems: 8,
    default: DEFAULT_LISTENERS,
    validations: [{ rule: 'self.all(l, self.exists_one(m, m.port == l.port))', message: 'listener ports must be unique' }],
  }),
  objectStore: required(obj({
    bucket: required(str({ description: 'Bucket holding tiered segments.', minLength: 3, maxLength: 63 })),
    endpoint: str({ description: 'S3-compatible endpoint URL; AWS when unset.', maxLength: 2048 }),
    region: str({ description: 'Region of the bucket.', default: 'us-east-1', maxLength: 64 }),
    pathStyle: bool({ description: 'Use path-style addressing (MinIO and most non-AWS stores).', default: false }),
    prefix: str({ description: 'Key prefix for this cluster\'s objects; the namespace/name when unset.', maxLength: 512 }),
    credentialsSecret: obj({
      name: required(str({ description: 'Secret in the cluster\'s namespace.', minLength: 1, maxLength: 253 })),
      accessKeyIdKey: str({ description: 'Key holding the access key id.', default: 'AWS_ACCESS_KEY_ID' }),
      secretAccessKeyKey: str({ description: 'Key holding the secret access key.', default: 'AWS_SECRET_ACCESS_KEY' }),
    }, { description: 'Secret with the object-store credentials; the pod\'s ambient credentials when unset.' }),
  }, { description: 'Object store for tiered segments.' })),
  config: map(scalar(), {
    description: 'Broker configuration applied to every broker, by Kafka name (log.segment.bytes) or Strata key (logSegmentBytes); values are strings, numbers or booleans. A change rolls the brokers one at a time.',
    maxProperties: 256,
  }),
  retention: obj({
    ms: int64({ description: 'Default retention.ms of new topics; -1 keeps forever.', minimum: -1 }),
    bytes: int64({ description: 'Default retention.bytes per partition; -1 is unlimited.', minimum: -1 }),
    localMs: int64({ description: 'Default local.retention.ms (hot tier) of new topics; -2 follows retention.ms.', minimum: -2 }),
    localBytes: int64({ description: 'Default local.retention.bytes (hot tier); -2 follows retention.bytes.', minimum: -2 }),
  }, { description: 'Retention defaults for topics that do not set their own.' }),
  authorization: obj({
    type: required(enumOf(['simple'] as const, { description: 'simple: Kafka ACLs (StrataUser authorization.acls) are enforced on every listener; principals without a matching ACL are denied.' })),
    superUsers: arr(str({ minLength: 1, maxLength: 256 }), {
      description: 'Principals allowed everything, as user names ("admin") or principals ("User:admin", "User:CN=client"). The operator\'s own user is always one.',
      maxItems: 64,
      'x-kubernetes-list-type': 'set',
    }),
  }, { description: 'Authorization of client requests; unset means every authenticated (or anonymous) client may do everything.' }),
  metrics: obj({
    serviceMonitor: bool({ description: 'Create a Prometheus Operator ServiceMonitor (when that CRD exists).', default: false }),
  }, { description: 'Metrics exposure.', default: {} }),
}, { description: 'Desired state of a Strata cluster.' });
export type StrataClusterSpec = Infer<typeof StrataClusterSpec>;

export const StrataClusterStatus = obj({
  conditions: conditions('Ready, Reconciling, Degraded and UnderReplicated conditions.'),
  observedGeneration: observedGeneration(),
  listeners: arr(obj({
    name: required(str({ description: 'Listener name.' })),
    bootstrap: required(str({ description: 'host:port of the bootstrap Service for this listener.' })),
  }), { description: 'Bootstrap address per listener.', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
  readyBrokers: int({ description: 'Brokers whose pods are ready.', minimum: 0 }),
  configHash: str({ description: 'Hash of the broker configuration the brokers run (drives rolling restarts).' }),
  underReplicatedPartitions: int({ description: 'Partitions whose in-sync replicas are fewer than their replicas, as the cluster last reported; rolls wait for 0.', minimum: 0 }),
  controllerId: int({ description: 'Node id of the broker holding the controller lease, as the cluster last reported.', minimum: -1 }),
}, { description: 'Observed state of a Strata cluster.' });
export type StrataClusterStatus = Infer<typeof StrataClusterStatus>;

export const StrataClusterKind: CRDKind = {
  kind: 'StrataCluster',
  plural: 'strataclusters',
  singular: 'stratacluster',
  shortNames: ['sc'],
  description: 'A Strata cluster: brokers, their storage, listeners and object store.',
  spec: StrataClusterSpec,
  status: StrataClusterStatus,
  printerColumns: [
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Brokers', type: 'integer', jsonPath: '.spec.brokers' },
    { name: 'Ready-Brokers', type: 'integer', jsonPath: '.status.readyBrokers' },
    { name: 'Under-Replicated', type: 'integer', jsonPath: '.status.underReplicatedPartitions', priority: 1 },
    { name: 'Controller', type: 'integer', jsonPath: '.status.controllerId', priority: 1 },
    { name: 'Bootstrap', type: 'string', jsonPath: '.status.listeners[0].bootstrap', priority: 1 },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
  ],
};
