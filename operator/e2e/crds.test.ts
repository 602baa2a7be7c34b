// The strata.dev CRDs in a real kube-apiserver: they install and become Established, and the API
// server itself (OpenAPI schema + CEL rules) rejects invalid resources with the schema's messages.
import * as assert from 'assert';
import * as path from 'path';
import { stringify } from 'yaml';
import { requireBinaries, ROOT, startControllerManager, useApiServer, waitFor } from './harness';

const CRDS = ['strataclusters.strata.dev', 'stratatopics.strata.dev', 'stratausers.strata.dev'];

function topic(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return stringify({
    apiVersion: 'strata.dev/v1alpha1', kind: 'StrataTopic',
    metadata: { name, namespace: 'default', labels: { 'strata.dev/cluster': 'demo' } },
    spec, ...extra,
  });
}

function cluster(name: string, spec: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', metadata: { name, namespace: 'default' },
    spec: { objectStore: { bucket: 'strata-test' }, ...spec },
  });
}

describe('CRDs in a real kube-apiserver (kubectl apply -f crds/)', function () {
  this.timeout(60_000);
  const k = useApiServer();

  const apply = (yaml: string, ...flags: string[]) => k.api.kubectl(['apply', ...flags, '-f', '-'], { input: yaml, allowFail: true });
  const expectRejected = async (yaml: string, patterns: RegExp[], ...flags: string[]) => {
    const r = await apply(yaml, ...flags);
    assert.notStrictEqual(r.code, 0, `expected rejection, got: ${r.stdout}`);
    for (const p of patterns) assert.match(r.stderr, p);
    return r.stderr;
  };

  it('kubectl apply -f crds/ succeeds and the three CRDs become Established', async () => {
    const r = await k.api.kubectl(['apply', '-f', path.join(ROOT, 'crds')]);
    for (const c of CRDS) assert.match(r.stdout, new RegExp(c.replace(/\./g, '\\.')));
    await k.api.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...CRDS.map((c) => `crd/${c}`)], { timeoutMs: 70_000 });
    for (const c of CRDS) {
      const crd = await k.api.getJson(['crd', c]);
      const cond = (t: string) => crd.status.conditions.find((x: any) => x.type === t)?.status;
      assert.strictEqual(cond('Established'), 'True', c);
      assert.strictEqual(cond('NamesAccepted'), 'True', c);
      // A non-structural schema would be reported here and fail apply of validations.
      assert.ok(!crd.status.conditions.some((x: any) => x.type === 'NonStructuralSchema'), `${c} is not structural`);
    }
  });

  it('is discoverable: short names, the strata category, the status subresource', async () => {
    const r = await k.api.kubectl(['api-resources', '--api-group=strata.dev', '-o', 'wide']);
    assert.match(r.stdout, /strataclusters\s+sc\s+strata\.dev\/v1alpha1\s+true\s+StrataCluster/);
    assert.match(r.stdout, /stratatopics\s+st\s+strata\.dev\/v1alpha1\s+true\s+StrataTopic/);
    assert.match(r.stdout, /stratausers\s+su\s+strata\.dev\/v1alpha1\s+true\s+StrataUser/);
    assert.match(r.stdout, /strata/);
    const none = await k.api.kubectl(['get', 'strata', '-A']);
    assert.match(none.stdout + none.stderr, /No resources found/);
  });

  it('accepts a valid StrataTopic and applies the schema defaults; printer columns show', async () => {
    await apply(topic('orders', { partitions: 3 })).then((r) => assert.strictEqual(r.code, 0, r.stderr));
    const t = await k.api.getJson(['stratatopic', 'orders'], 'default');
    assert.strictEqual(t.spec.partitions, 3);
    assert.strictEqual(t.spec.replicas, 3, 'default replicas');
    const r = await k.api.kubectl(['get', 'st', 'orders', '-n', 'default']);
    assert.match(r.stdout, /NAME\s+CLUSTER\s+PARTITIONS\s+REPLICAS\s+READY\s+AGE/);
    assert.match(r.stdout, /orders\s+demo\s+3\s+3\s+/);
  });

  it('accepts a valid StrataCluster and applies defaults (brokers, listeners)', async () => {
    const r = await apply(cluster('demo', { storage: { size: '10Gi' } }));
    assert.strictEqual(r.code, 0, r.stderr);
    const c = await k.api.getJson(['stratacluster', 'demo'], 'default');
    assert.strictEqual(c.spec.brokers, 1);
    assert.deepStrictEqual(c.spec.listeners, [{ name: 'plain', port: 9092, tls: false }]);
  });

  it('rejects negative partitions with the schema minimum', async () => {
    await expectRejected(topic('negative', { partitions: -1 }), [/spec\.partitions/, /should be greater than or equal to 1/]);
    assert.strictEqual(await k.api.getJson(['stratatopic', 'negative'], 'default'), undefined);
  });

  it('rejects a partition decrease with the CEL transition rule message; an increase is accepted', async () => {
    await apply(topic('shrink', { partitions: 6 })).then((r) => assert.strictEqual(r.code, 0, r.stderr));
    await expectRejected(topic('shrink', { partitions: 2 }), [/spec\.partitions/, /partitions may not decrease/]);
    await expectRejected(topic('shrink', { partitions: 2 }), [/partitions may not decrease/], '--server-side');
    assert.strictEqual((await k.api.getJson(['stratatopic', 'shrink'], 'default')).spec.partitions, 6);
    await apply(topic('shrink', { partitions: 8 })).then((r) => assert.strictEqual(r.code, 0, r.stderr));
    assert.strictEqual((await k.api.getJson(['stratatopic', 'shrink'], 'default')).spec.partitions, 8);
  });

  it('rejects unknown fields under strict field validation (client-side and server-side apply)', async () => {
    const bad = topic('unknown', { partitions: 1, partitionz: 4 });
    await expectRejected(bad, [/unknown field "spec\.partitionz"/], '--validate=strict');
    // Server-side apply reports it from the typed patch: ".spec.partitionz: field not declared in schema".
    await expectRejected(bad, [/\.spec\.partitionz: field not declared in schema/], '--server-side', '--validate=strict');
    await expectRejected(topic('unknown2', { partitions: 1 }, { bogus: true }), [/unknown field "bogus"/], '--validate=strict');
    // Without strict validation the API server prunes the field (structural schema) instead.
    const r = await apply(bad, '--validate=false');
    assert.strictEqual(r.code, 0, r.stderr);
    const t = await k.api.getJson(['stratatopic', 'unknown'], 'default');
    assert.strictEqual(t.spec.partitionz, undefined);
    assert.strictEqual(t.spec.partitions, 1);
  });

  it('rejects values outside enums, patterns and maximums', async () => {
    await expectRejected(topic('bad-name', { partitions: 1, topicName: 'no spaces' }), [/spec\.topicName/, /should match/]);
    await expectRejected(topic('too-many', { partitions: 10001 }), [/spec\.partitions/, /less than or equal to 10000/]);
    await expectRejected(cluster('bad-brokers', { brokers: 0, storage: { size: '1Gi' } }), [/spec\.brokers/, /greater than or equal to 1/]);
    await expectRejected(cluster('no-store', { storage: { size: '1Gi' }, objectStore: undefined }), [/spec\.objectStore: Required value/]);
  });

  it('rejects topicName changes (immutable) with the CEL message', async () => {
    await apply(topic('named', { partitions: 1, topicName: 'a.b' })).then((r) => assert.strictEqual(r.code, 0, r.stderr));
    await expectRejected(topic('named', { partitions: 1, topicName: 'a.c' }), [/topicName is immutable/]);
  });

  it('StrataCluster CEL rules: tls needs tlsSecret, unique listener ports, immutable storage class', async () => {
    await expectRejected(cluster('tls', { storage: { size: '1Gi' }, listeners: [{ name: 'secure', port: 9093, tls: true }] }),
      [/a tls listener needs tlsSecret/]);
    await expectRejected(cluster('dup', { storage: { size: '1Gi' }, listeners: [{ name: 'a', port: 9092 }, { name: 'b', port: 9092 }] }),
      [/listener ports must be unique/]);
    await apply(cluster('classy', { storage: { size: '1Gi', class: 'fast' } })).then((r) => assert.strictEqual(r.code, 0, r.stderr));
    await expectRejected(cluster('classy', { storage: { size: '1Gi', class: 'slow' } }), [/storage\.class is immutable/]);
  });

  it('kube-controller-manager garbage-collects objects owned by a deleted StrataCluster', async function () {
    requireBinaries(['kube-controller-manager']);
    const kcm = startControllerManager(k.api);
    try {
      await apply(cluster('owner', { storage: { size: '1Gi' } })).then((r) => assert.strictEqual(r.code, 0, r.stderr));
      const uid = (await k.api.getJson(['stratacluster', 'owner'], 'default')).metadata.uid;
      const owned = stringify({
        apiVersion: 'v1', kind: 'ConfigMap',
        metadata: {
          name: 'owned-by-owner', namespace: 'default',
          ownerReferences: [{ apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', name: 'owner', uid, controller: true, blockOwnerDeletion: true }],
        },
        data: { a: 'b' },
      });
      await apply(owned).then((r) => assert.strictEqual(r.code, 0, r.stderr));
      await k.api.kubectl(['delete', 'stratacluster', 'owner', '-n', 'default', '--wait=false']);
      await waitFor('owned ConfigMap garbage-collected', async () => (await k.api.getJson(['configmap', 'owned-by-owner'], 'default')) === undefined, 45_000)
        .catch((e) => { throw new Error(`${e.message}\n--- kube-controller-manager\n${kcm.tail(30)}`); });
    } finally {
      await kcm.stop();
    }
  });

  it('the status subresource ignores status in spec updates', async () => {
    await apply(topic('status-test', { partitions: 2 }, { status: { partitions: 99 } })).then((r) => assert.strictEqual(r.code, 0, r.stderr));
    const t = await k.api.getJson(['stratatopic', 'status-test'], 'default');
    assert.strictEqual(t.status, undefined);
  });
});
