// StrataUser: a SASL/SCRAM user with ACLs and quotas on the StrataCluster named by its label
// (reconciled by reconcilers/user.ts).
import { CRDKind } from './kind';
import { Infer, arr, enumOf, int64, num, obj, required, str } from './schema';
import { SecretKeyRef, conditions, observedGeneration } from './common';

export const ACL_OPERATIONS = [
  'All', 'Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe',
  'ClusterAction', 'DescribeConfigs', 'AlterConfigs', 'IdempotentWrite',
] as const;

export const AclRule = obj({
  resource: required(obj({
    type: required(enumOf(['topic', 'group', 'cluster', 'transactionalId'] as const, { description: 'Resource type.' })),
    name: str({ description: 'Resource name or prefix ("*" for all); not used for cluster.', maxLength: 249 }),
    patternType: enumOf(['literal', 'prefixed'] as const, { description: 'How name matches.', default: 'literal' }),
  }, {
    description: 'What the rule applies to.',
    validations: [{ rule: "self.type == 'cluster' || has(self.name)", message: 'resource.name is required unless type is cluster' }],
  })),
  operations: required(arr(enumOf(ACL_OPERATIONS), { description: 'Operations allowed or denied.', minItems: 1, maxItems: 11, 'x-kubernetes-list-type': 'set' })),
  host: str({ description: 'Client host the rule applies to.', default: '*' }),
  type: enumOf(['allow', 'deny'] as const, { description: 'Allow or deny.', default: 'allow' }),
}, { description: 'One ACL rule for this user.' });
export type AclRule = Infer<typeof AclRule>;

export const StrataUserSpec = obj({
  authentication: required(obj({
    type: required(enumOf(['scram-sha-512', 'secret'] as const, {
      description: 'scram-sha-512: the operator generates a password and stores it in a Secret named after the user. secret: the password is read from secretRef.',
    })),
    secretRef: SecretKeyRef('the password', 'password'),
  }, {
    description: 'How the user authenticates (SASL/SCRAM-SHA-512).',
    validations: [{ rule: "(self.type == 'secret') == has(self.secretRef)", message: 'secretRef is required when type is secret, and only then' }],
  })),
  authorization: obj({
    acls: arr(AclRule, { description: 'ACL rules; an empty list grants nothing.', maxItems: 256 }),
  }, { description: 'What the user may do.' }),
  quotas: obj({
    producerByteRate: int64({ description: 'Produce bytes per second per broker.', minimum: 0 }),
    consumerByteRate: int64({ description: 'Fetch bytes per second per broker.', minimum: 0 }),
    requestPercentage: num({ description: 'Share of broker request-handler time, in percent.', minimum: 0 }),
  }, { description: 'Client quotas for this user.' }),
}, { description: 'Desired state of a user.' });
export type StrataUserSpec = Infer<typeof StrataUserSpec>;

export const StrataUserStatus = obj({
  conditions: conditions('Ready, Reconciling and Degraded conditions.'),
  observedGeneration: observedGeneration(),
  username: str({ description: 'SASL username on the cluster.' }),
  secret: str({ description: 'Secret holding the user\'s credentials.' }),
  credentialVersion: str({ description: 'uid/resourceVersion of the Secret whose password the cluster holds; when the Secret changes, the credential is set again.' }),
}, { description: 'Observed state of a user.' });
export type StrataUserStatus = Infer<typeof StrataUserStatus>;

export const StrataUserKind: CRDKind = {
  kind: 'StrataUser',
  plural: 'stratausers',
  singular: 'stratauser',
  shortNames: ['su'],
  description: 'A SASL/SCRAM user with ACLs and quotas on a StrataCluster; the cluster is named by the strata.dev/cluster label.',
  spec: StrataUserSpec,
  status: StrataUserStatus,
  requireSpec: true,
  printerColumns: [
    { name: 'Cluster', type: 'string', jsonPath: '.metadata.labels.strata\\.dev/cluster' },
    { name: 'Authentication', type: 'string', jsonPath: '.spec.authentication.type' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', priority: 1 },
  ],
};
