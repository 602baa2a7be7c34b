// The ACL names people type and read: operations, pattern types and principals parsed forgivingly but strictly,
// bindings printed with names, in a stable order.
import { strict as assert } from 'node:assert';
import {
  AclOperation,
  AclPermissionType,
  type AclBinding,
  parseOperation,
  parsePatternType,
  parsePrincipal,
  PatternType,
  ResourceType,
  sortAcls,
  toAclEntry,
} from '../acls';
import { AdminError } from '../errors';

const usage = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof AdminError && e.kind === 'usage' && message.test(e.message));

describe('admin acls: names', () => {
  it('reads operations in any case, with or without dashes and underscores', () => {
    assert.equal(parseOperation('Read'), AclOperation.READ);
    assert.equal(parseOperation('describe-configs'), AclOperation.DESCRIBE_CONFIGS);
    assert.equal(parseOperation('IDEMPOTENT_WRITE'), AclOperation.IDEMPOTENT_WRITE);
    assert.equal(parseOperation('IdempotentWrite'), AclOperation.IDEMPOTENT_WRITE);
    assert.equal(parseOperation('all'), AclOperation.ALL);
  });

  it('allows ANY only in filters and never UNKNOWN or a made-up name', () => {
    assert.equal(parseOperation('any', true), AclOperation.ANY);
    usage(() => parseOperation('any'), /unknown operation "any": expected one of ALL, READ/);
    usage(() => parseOperation('unknown', true), /unknown operation/);
    usage(() => parseOperation('Fly'), /unknown operation "Fly"/);
  });

  it('allows literal and prefixed patterns for bindings, any and match too for filters', () => {
    assert.equal(parsePatternType('prefixed'), PatternType.PREFIXED);
    assert.equal(parsePatternType('LITERAL'), PatternType.LITERAL);
    assert.equal(parsePatternType('match', true), PatternType.MATCH);
    assert.equal(parsePatternType('any', true), PatternType.ANY);
    usage(() => parsePatternType('match'), /unknown pattern type "match": expected one of LITERAL, PREFIXED$/);
  });

  it('needs principals as Type:name', () => {
    assert.equal(parsePrincipal('User:alice'), 'User:alice');
    for (const bad of ['alice', ':alice', 'User:']) usage(() => parsePrincipal(bad), /must be Type:name/);
  });

  it('prints bindings with names, sorted by resource, principal, operation', () => {
    const b = (resourceType: ResourceType, resourceName: string, principal: string, operation: AclOperation): AclBinding => ({
      resourceType, resourceName, patternType: PatternType.LITERAL, principal, host: '*', operation, permissionType: AclPermissionType.ALLOW,
    });
    const sorted = sortAcls([
      b(ResourceType.GROUP, 'g', 'User:a', AclOperation.READ),
      b(ResourceType.TOPIC, 't', 'User:b', AclOperation.READ),
      b(ResourceType.TOPIC, 't', 'User:a', AclOperation.IDEMPOTENT_WRITE),
      b(ResourceType.TOPIC, 't', 'User:a', AclOperation.READ),
    ]);
    assert.deepEqual(sorted.map((x) => [ResourceType[x.resourceType], x.principal, AclOperation[x.operation]]), [
      ['TOPIC', 'User:a', 'READ'],
      ['TOPIC', 'User:a', 'IDEMPOTENT_WRITE'],
      ['TOPIC', 'User:b', 'READ'],
      ['GROUP', 'User:a', 'READ'],
    ]);
    assert.deepEqual(toAclEntry(sorted[0]!), { resourceType: 'TOPIC', resourceName: 't', patternType: 'LITERAL', principal: 'User:a', host: '*', operation: 'READ', permissionType: 'ALLOW' });
  });
});
