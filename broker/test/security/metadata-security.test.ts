// ACLs and client quotas live in the metadata log: the controller writes them (checked, bounded by maxAcls and
// maxClientQuotaEntities), a reload replays them, and a snapshot carries them. Runs over a real metadata log in a
// temp-dir object store.
import { strict as assert } from 'node:assert';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Controller } from '../../src/cluster/controller';
import { MetadataImage } from '../../src/cluster/metadata-image';
import { imageToRecords, MetadataLog } from '../../src/cluster/metadata-log';
import { ErrorCode } from '../../src/protocol/errors';
import { LocalObjectStore } from '../../src/tier/local-object-store';
import { AclOperation, AclPermissionType, PatternType, ResourceType, type AclBinding, type AclFilter } from '../../src/security/acl';

const binding = (name: string, over: Partial<AclBinding> = {}): AclBinding => ({
  resourceType: ResourceType.TOPIC,
  resourceName: name,
  patternType: PatternType.LITERAL,
  principal: 'User:alice',
  host: '*',
  operation: AclOperation.READ,
  permissionType: AclPermissionType.ALLOW,
  ...over,
});
const anyFilter: AclFilter = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: AclOperation.ANY, permissionType: AclPermissionType.ANY };

describe('ACLs and quotas in the metadata log', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'strata-security-'));
  });
  afterEach(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  async function open(opts: { maxAcls?: number; maxQuotaEntities?: number; snapshotEvery?: number } = {}) {
    const log = new MetadataLog(new LocalObjectStore(dir), 'test/', opts.snapshotEvery);
    const image = await log.load();
    const controller = new Controller(image, log, 1, { maxAcls: opts.maxAcls, maxQuotaEntities: opts.maxQuotaEntities });
    await controller.bootstrap('cluster', 'localhost', 9092);
    return { image, controller };
  }

  it('creates, deduplicates, deletes and replays ACLs and quotas', async () => {
    const first = await open();
    const outcomes = await first.controller.createAcls([binding('a'), binding('a'), binding('b'), binding('', {})]);
    assert.deepEqual(outcomes.map((o) => o?.code ?? 0), [0, 0, 0, ErrorCode.INVALID_REQUEST]);
    assert.equal(first.image.acls.size, 2);
    const deleted = await first.controller.deleteAcls([{ ...anyFilter, resourceName: 'b' }, { ...anyFilter, operation: 0 as AclOperation }]);
    assert.deepEqual((deleted[0] as AclBinding[]).map((b) => b.resourceName), ['b']);
    assert.equal((deleted[1] as { code: number }).code, ErrorCode.INVALID_REQUEST);
    await first.controller.alterClientQuotas([{ entity: { user: 'alice' }, changes: { producer_byte_rate: 1000, consumer_byte_rate: 2000 } }], false);
    await first.controller.alterClientQuotas([{ entity: { user: 'alice' }, changes: { consumer_byte_rate: null } }], false);
    await first.controller.alterClientQuotas([{ entity: { clientId: null }, changes: { request_percentage: 5 } }], true);
    const again = await open();
    assert.deepEqual([...again.image.acls.values()], [binding('a')]);
    assert.deepEqual([...again.image.quotas.values()], [{ entity: { user: 'alice' }, values: { producer_byte_rate: 1000 } }], 'validate_only wrote nothing');
  });

  it('DeleteAcls lists each deleted binding once, however many filters match it', async () => {
    const { image, controller } = await open();
    await controller.createAcls(['a', 'b', 'c'].map((n) => binding(n)));
    const results = await controller.deleteAcls(Array.from({ length: 1000 }, () => anyFilter));
    assert.equal(results.reduce((n, r) => n + (r as AclBinding[]).length, 0), 3);
    assert.equal((results[0] as AclBinding[]).length, 3);
    assert.equal(image.acls.size, 0);
  });

  it('a snapshot carries ACLs and quotas', async () => {
    const { image, controller } = await open();
    await controller.createAcls([binding('x', { patternType: PatternType.PREFIXED }), binding('y', { permissionType: AclPermissionType.DENY })]);
    await controller.alterClientQuotas([{ entity: { user: null, clientId: 'app' }, changes: { producer_byte_rate: 10 } }], false);
    const copy = new MetadataImage();
    for (const r of imageToRecords(image)) copy.apply(r);
    assert.deepEqual([...copy.acls.entries()], [...image.acls.entries()]);
    assert.deepEqual([...copy.quotas.entries()], [...image.quotas.entries()]);
  });

  it('refuses ACLs beyond maxAcls and quota entities beyond maxClientQuotaEntities with POLICY_VIOLATION', async () => {
    const { image, controller } = await open({ maxAcls: 3, maxQuotaEntities: 1 });
    const outcomes = await controller.createAcls(['a', 'b', 'c', 'd', 'e'].map((n) => binding(n)));
    assert.deepEqual(outcomes.map((o) => o?.code ?? 0), [0, 0, 0, ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION]);
    assert.equal(image.acls.size, 3);
    const q = await controller.alterClientQuotas(
      [
        { entity: { user: 'a' }, changes: { producer_byte_rate: 1 } },
        { entity: { user: 'b' }, changes: { producer_byte_rate: 1 } },
        { entity: { user: 'a' }, changes: { consumer_byte_rate: 1 } },
      ],
      false,
    );
    assert.deepEqual(q.map((o) => o?.code ?? 0), [0, ErrorCode.POLICY_VIOLATION, 0]);
    assert.equal(image.quotas.size, 1);
  });
});
