// The ACL authorizer decides as Kafka's StandardAuthorizer: literal, wildcard and prefixed patterns, principal
// User:* and host *, DENY winning over ALLOW, implied operations (for ALLOW only), super users and
// allow.everyone.if.no.acl.found. And the filters of DescribeAcls/DeleteAcls select as Kafka's do.
import { strict as assert } from 'node:assert';
import { MetadataImage } from '../../src/cluster/metadata-image';
import {
  AclOperation as Op,
  AclPermissionType as Perm,
  PatternType,
  ResourceType as RT,
  bindingError,
  filterError,
  filterMatches,
  type AclBinding,
  type AclFilter,
} from '../../src/security/acl';
import { AclAuthorizer, authorizedOperations, hostOf, type Session } from '../../src/security/authorizer';

const alice: Session = { principal: { type: 'User', name: 'alice' }, host: '10.0.0.1' };
const bob: Session = { principal: { type: 'User', name: 'bob' }, host: '10.0.0.2' };

function acl(over: Partial<AclBinding>): AclBinding {
  return {
    resourceType: RT.TOPIC,
    resourceName: 'orders',
    patternType: PatternType.LITERAL,
    principal: 'User:alice',
    host: '*',
    operation: Op.READ,
    permissionType: Perm.ALLOW,
    ...over,
  };
}

function authorizerWith(bindings: AclBinding[], opts: { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean } = {}) {
  const image = new MetadataImage();
  for (const b of bindings) image.apply({ type: 'acl', acl: b });
  const authorizer = new AclAuthorizer(image, { superUsers: opts.superUsers ?? [], allowEveryoneIfNoAclFound: opts.allowEveryoneIfNoAclFound ?? false });
  return { image, authorizer };
}

describe('ACL authorizer', () => {
  it('a LITERAL ALLOW grants exactly that topic, and nothing to others', () => {
    const { authorizer } = authorizerWith([acl({})]);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'orders'), true);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'orders2'), false);
    assert.equal(authorizer.authorize(alice, Op.WRITE, RT.TOPIC, 'orders'), false);
    assert.equal(authorizer.authorize(bob, Op.READ, RT.TOPIC, 'orders'), false);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.GROUP, 'orders'), false, 'another resource type');
  });

  it('the literal name "*" and the principal User:* match everything', () => {
    const { authorizer } = authorizerWith([acl({ resourceName: '*', principal: 'User:*', operation: Op.WRITE })]);
    assert.equal(authorizer.authorize(alice, Op.WRITE, RT.TOPIC, 'anything'), true);
    assert.equal(authorizer.authorize(bob, Op.WRITE, RT.TOPIC, 'else'), true);
    assert.equal(authorizer.authorize(bob, Op.READ, RT.TOPIC, 'else'), false);
  });

  it('PREFIXED matches names starting with the prefix only', () => {
    const { authorizer } = authorizerWith([acl({ resourceName: 'team-a.', patternType: PatternType.PREFIXED })]);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'team-a.orders'), true);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'team-a.'), true);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'team-b.orders'), false);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'team-a'), false);
  });

  it('the host must be the client address or *', () => {
    const { authorizer } = authorizerWith([acl({ host: '10.0.0.1' })]);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'orders'), true);
    assert.equal(authorizer.authorize({ ...alice, host: '10.0.0.9' }, Op.READ, RT.TOPIC, 'orders'), false);
  });

  it('DENY wins over ALLOW, whatever pattern either comes from', () => {
    const { authorizer } = authorizerWith([
      acl({ resourceName: '*', operation: Op.ALL }),
      acl({ resourceName: 'secret.', patternType: PatternType.PREFIXED, permissionType: Perm.DENY, operation: Op.READ }),
      acl({ resourceName: 'orders', principal: 'User:*', permissionType: Perm.DENY, operation: Op.ALL }),
    ]);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'public'), true);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'secret.plans'), false);
    assert.equal(authorizer.authorize(alice, Op.WRITE, RT.TOPIC, 'secret.plans'), true, 'the DENY is for READ only');
    assert.equal(authorizer.authorize(alice, Op.DESCRIBE, RT.TOPIC, 'secret.plans'), true, 'a DENY of READ does not deny DESCRIBE');
    assert.equal(authorizer.authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'), false, 'DENY ALL denies every operation');
  });

  it('implied operations: READ/WRITE/DELETE/ALTER imply DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS, ALL implies all', () => {
    for (const op of [Op.READ, Op.WRITE, Op.DELETE, Op.ALTER]) {
      const { authorizer } = authorizerWith([acl({ operation: op })]);
      assert.equal(authorizer.authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'), true, `${Op[op]} implies DESCRIBE`);
      assert.equal(authorizer.authorize(alice, Op.DESCRIBE_CONFIGS, RT.TOPIC, 'orders'), false);
    }
    const configs = authorizerWith([acl({ operation: Op.ALTER_CONFIGS })]).authorizer;
    assert.equal(configs.authorize(alice, Op.DESCRIBE_CONFIGS, RT.TOPIC, 'orders'), true);
    assert.equal(configs.authorize(alice, Op.DESCRIBE, RT.TOPIC, 'orders'), false);
    const describe = authorizerWith([acl({ operation: Op.DESCRIBE })]).authorizer;
    assert.equal(describe.authorize(alice, Op.READ, RT.TOPIC, 'orders'), false, 'DESCRIBE implies nothing');
    const all = authorizerWith([acl({ operation: Op.ALL })]).authorizer;
    for (const op of [Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS]) {
      assert.equal(all.authorize(alice, op, RT.TOPIC, 'orders'), true, Op[op]);
    }
  });

  it('super users may do anything; without any ACL on a resource allow.everyone.if.no.acl.found decides', () => {
    const strict = authorizerWith([acl({})], { superUsers: ['User:admin'] }).authorizer;
    const admin: Session = { principal: { type: 'User', name: 'admin' }, host: '1.2.3.4' };
    assert.equal(strict.authorize(admin, Op.ALTER, RT.CLUSTER, 'kafka-cluster'), true);
    assert.equal(strict.authorize(bob, Op.READ, RT.TOPIC, 'unmentioned'), false);
    const open = authorizerWith([acl({})], { allowEveryoneIfNoAclFound: true }).authorizer;
    assert.equal(open.authorize(bob, Op.READ, RT.TOPIC, 'unmentioned'), true, 'no ACL covers the topic');
    assert.equal(open.authorize(bob, Op.READ, RT.TOPIC, 'orders'), false, 'an ACL covers the topic, for alice only');
  });

  it('sees ACL changes of the image (its index is rebuilt)', () => {
    const { image, authorizer } = authorizerWith([]);
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'orders'), false);
    image.apply({ type: 'acl', acl: acl({}) });
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'orders'), true);
    image.apply({ type: 'remove-acl', acl: acl({}) });
    assert.equal(authorizer.authorize(alice, Op.READ, RT.TOPIC, 'orders'), false);
  });

  it('authorized operations: the bit field of the allowed operations of the resource type', () => {
    const { authorizer } = authorizerWith([acl({ operation: Op.WRITE })]);
    const bits = authorizedOperations(authorizer, alice, RT.TOPIC, 'orders');
    assert.equal(bits, (1 << Op.WRITE) | (1 << Op.DESCRIBE));
  });

  it('authorizeByResourceType: some topic WRITE allowed, unless a DENY of all topics', () => {
    const some = authorizerWith([acl({ operation: Op.WRITE, resourceName: 'logs.', patternType: PatternType.PREFIXED })]).authorizer;
    assert.equal(some.authorizeByResourceType(alice, Op.WRITE, RT.TOPIC), true);
    assert.equal(some.authorizeByResourceType(bob, Op.WRITE, RT.TOPIC), false);
    const denied = authorizerWith([acl({ operation: Op.WRITE }), acl({ operation: Op.WRITE, resourceName: '*', permissionType: Perm.DENY })]).authorizer;
    assert.equal(denied.authorizeByResourceType(alice, Op.WRITE, RT.TOPIC), false);
  });

  it('stays fast with 10,000 ACLs', () => {
    const bindings = Array.from({ length: 10_000 }, (_, i) => acl({ resourceName: `t${i}`, patternType: i % 2 ? PatternType.PREFIXED : PatternType.LITERAL }));
    const { authorizer } = authorizerWith(bindings);
    let allowed = 0;
    for (let i = 0; i < 10_000; i++) if (authorizer.authorize(alice, Op.READ, RT.TOPIC, `t${i}`)) allowed++;
    assert.equal(allowed, 10_000);
  });

  it('hostOf: the IP of an address:port, IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(hostOf('127.0.0.1:5555'), '127.0.0.1');
    assert.equal(hostOf('::ffff:10.1.2.3:9092'), '10.1.2.3');
    assert.equal(hostOf('::1:40000'), '::1');
  });
});

describe('ACL filters and validation', () => {
  const any: AclFilter = { resourceType: RT.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Op.ANY, permissionType: Perm.ANY };
  const literal = acl({ resourceName: 'orders' });
  const wildcard = acl({ resourceName: '*' });
  const prefixed = acl({ resourceName: 'ord', patternType: PatternType.PREFIXED });
  const other = acl({ resourceName: 'payments' });

  it('ANY selects everything; fields narrow', () => {
    for (const b of [literal, wildcard, prefixed, other]) assert.equal(filterMatches(any, b), true);
    assert.equal(filterMatches({ ...any, principal: 'User:bob' }, literal), false);
    assert.equal(filterMatches({ ...any, operation: Op.WRITE }, literal), false);
    assert.equal(filterMatches({ ...any, permissionType: Perm.DENY }, literal), false);
    assert.equal(filterMatches({ ...any, resourceType: RT.GROUP }, literal), false);
  });

  it('MATCH selects every binding that applies to the name; LITERAL/PREFIXED select exactly', () => {
    const match = { ...any, patternType: PatternType.MATCH, resourceName: 'orders' };
    assert.deepEqual([literal, wildcard, prefixed, other].map((b) => filterMatches(match, b)), [true, true, true, false]);
    const exact = { ...any, patternType: PatternType.LITERAL, resourceName: 'orders' };
    assert.deepEqual([literal, wildcard, prefixed, other].map((b) => filterMatches(exact, b)), [true, false, false, false]);
    const pre = { ...any, patternType: PatternType.PREFIXED, resourceName: 'ord' };
    assert.deepEqual([literal, wildcard, prefixed, other].map((b) => filterMatches(pre, b)), [false, false, true, false]);
    const anyName = { ...any, patternType: PatternType.ANY, resourceName: 'orders' };
    assert.deepEqual([literal, wildcard, prefixed, other].map((b) => filterMatches(anyName, b)), [true, false, false, false]);
  });

  it('bindings with unknown or filter-only codes, bad names or principals are refused', () => {
    assert.equal(bindingError(literal), null);
    assert.match(bindingError({ ...literal, resourceType: RT.ANY })!, /resourceType/);
    assert.match(bindingError({ ...literal, resourceType: 99 as RT })!, /resourceType/);
    assert.match(bindingError({ ...literal, patternType: PatternType.MATCH })!, /patternType/);
    assert.match(bindingError({ ...literal, operation: Op.ANY })!, /operation/);
    assert.match(bindingError({ ...literal, operation: 77 as Op })!, /operation/);
    assert.match(bindingError({ ...literal, permissionType: Perm.ANY })!, /permissionType/);
    assert.match(bindingError({ ...literal, resourceName: '' })!, /empty/);
    assert.match(bindingError({ ...literal, resourceType: RT.CLUSTER, resourceName: 'x' })!, /kafka-cluster/);
    assert.match(bindingError({ ...literal, principal: 'alice' })!, /principal/);
    assert.match(bindingError({ ...literal, resourceName: 'x'.repeat(5000) })!, /limited/);
    assert.match(bindingError({ ...literal, resourceType: RT.GROUP, operation: Op.WRITE })!, /not valid/);
  });

  it('filters with unknown codes are refused', () => {
    assert.equal(filterError(any), null);
    assert.ok(filterError({ ...any, resourceType: RT.UNKNOWN }));
    assert.ok(filterError({ ...any, patternType: 42 as PatternType }));
    assert.ok(filterError({ ...any, operation: 100 as Op }));
    assert.ok(filterError({ ...any, permissionType: 9 as Perm }));
    assert.ok(filterError({ ...any, principal: 'User:'.padEnd(40_000, 'x') }));
  });
});
