// StrataUser spec → Kafka ACL bindings and quotas, and the diffs the reconciler applies.
import { strict as assert } from 'node:assert';
import type { StrataUserSpec } from '../../src/api/strata-user';
import { AclOperation, AclPermissionType, PatternType, ResourceType } from '../../../broker/src/security/acl';
import { aclDiff, desiredAcls, desiredQuotas, quotaOps } from '../../src/users/desired';
import { buildUserSecret, generatePassword, jaasConfig, secretValue } from '../../src/users/user-secret';

const spec = (acls: NonNullable<StrataUserSpec['authorization']>['acls'], quotas?: StrataUserSpec['quotas']): StrataUserSpec => ({
  authentication: { type: 'scram-sha-512' },
  authorization: { acls },
  ...(quotas ? { quotas } : {}),
});

describe('operator: StrataUser desired state', () => {
  it('turns rules into one binding per operation with Kafka codes', () => {
    const acls = desiredAcls('alice', spec([
      { resource: { type: 'topic', name: 'orders', patternType: 'prefixed' }, operations: ['Read', 'DescribeConfigs'], host: '*', type: 'allow' },
      { resource: { type: 'cluster' }, operations: ['IdempotentWrite'], type: 'deny', host: '10.0.0.1' },
      { resource: { type: 'transactionalId', name: 'tx' }, operations: ['Write'] },
    ]));
    assert.equal(acls.length, 4);
    const byOp = new Map(acls.map((a) => [a.operation, a]));
    assert.deepEqual(byOp.get(AclOperation.READ), {
      resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.PREFIXED, principal: 'User:alice', host: '*', operation: AclOperation.READ, permissionType: AclPermissionType.ALLOW,
    });
    assert.ok(byOp.has(AclOperation.DESCRIBE_CONFIGS));
    const cluster = byOp.get(AclOperation.IDEMPOTENT_WRITE)!;
    assert.equal(cluster.resourceName, 'kafka-cluster');
    assert.equal(cluster.patternType, PatternType.LITERAL);
    assert.equal(cluster.permissionType, AclPermissionType.DENY);
    assert.equal(cluster.host, '10.0.0.1');
    const tx = byOp.get(AclOperation.WRITE)!;
    assert.equal(tx.resourceType, ResourceType.TRANSACTIONAL_ID);
    assert.equal(tx.host, '*');
  });

  it('drops duplicate rules and diffs against what the cluster has', () => {
    const rule = { resource: { type: 'group' as const, name: 'g' }, operations: ['Read' as const] };
    const want = desiredAcls('bob', spec([rule, rule]));
    assert.equal(want.length, 1);
    const stale = { ...want[0]!, operation: AclOperation.DELETE };
    const d = aclDiff([stale], want);
    assert.deepEqual(d.create, want);
    assert.deepEqual(d.delete, [stale]);
    assert.deepEqual(aclDiff(want, want), { create: [], delete: [] });
  });

  it('sets changed quotas and removes those the spec dropped', () => {
    const want = desiredQuotas(spec([], { producerByteRate: 1024, requestPercentage: 50 }));
    assert.deepEqual([...want], [['producer_byte_rate', 1024], ['request_percentage', 50]]);
    const ops = quotaOps(new Map([['producer_byte_rate', 1024], ['consumer_byte_rate', 10]]), want);
    assert.deepEqual(ops, [{ key: 'request_percentage', value: 50, remove: false }, { key: 'consumer_byte_rate', value: 0, remove: true }]);
  });

  it('builds a Strimzi-shaped Secret owned by the user', () => {
    const pw = generatePassword();
    assert.match(pw, /^[A-Za-z0-9]{32}$/);
    assert.notEqual(pw, generatePassword());
    const s = buildUserSecret({ apiVersion: 'strata.dev/v1alpha1', kind: 'StrataUser', metadata: { name: 'alice', namespace: 'ns', uid: 'u1', labels: { 'strata.dev/cluster': 'demo' } }, spec: spec([]) }, pw);
    assert.equal(s.metadata!.name, 'alice');
    assert.equal(s.metadata!.ownerReferences![0]!.uid, 'u1');
    assert.equal(s.metadata!.labels!['strata.dev/user'], 'alice');
    assert.equal(secretValue(s, 'password'), pw);
    assert.equal(secretValue(s, 'sasl.jaas.config'), jaasConfig('alice', pw));
    assert.equal(jaasConfig('a"b', 'p\\q'), 'org.apache.kafka.common.security.scram.ScramLoginModule required username="a\\"b" password="p\\\\q";');
  });
});
