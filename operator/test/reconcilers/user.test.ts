// The user reconciler's checks that need only Kubernetes (the fake): what it reports before it touches a cluster.
import { strict as assert } from 'node:assert';
import type { StrataCluster, StrataUser } from '../../src/api';
import { findCondition } from '../../src/conditions';
import * as N from '../../src/naming';
import { UserReconciler } from '../../src/reconcilers/user';
import { FakeKube } from '../runtime/fake-kube';

const NS = 'ns';
const ref = { apiVersion: N.CLUSTER_API_VERSION, kind: 'StrataUser', namespace: NS, name: 'alice' };

function setup(cluster: Partial<StrataCluster['spec']> | undefined, user: Partial<StrataUser['spec']> = {}) {
  const kube = new FakeKube();
  if (cluster) {
    kube.seed<StrataCluster>({
      apiVersion: N.CLUSTER_API_VERSION, kind: N.CLUSTER_KIND, metadata: { name: 'demo', namespace: NS },
      spec: { brokers: 1, storage: { size: '1Gi' }, objectStore: { bucket: 'b' }, ...cluster },
    });
  }
  kube.seed<StrataUser>({
    apiVersion: N.CLUSTER_API_VERSION, kind: 'StrataUser', metadata: { name: 'alice', namespace: NS, labels: { [N.LABEL_CLUSTER]: 'demo' } },
    spec: { authentication: { type: 'scram-sha-512' }, ...user },
  });
  // Nothing listens here: a test that reaches the cluster fails loudly instead of passing by accident.
  return { kube, r: new UserReconciler(kube, { settings: { bootstrapOverrides: {}, bootstrapOverride: '127.0.0.1:1' }, retryMs: 5, timeoutMs: 2000 }) };
}

const ready = (kube: FakeKube) => findCondition(kube.peek<StrataUser>(ref)!.status!.conditions, 'Ready')!;
const saslListener = [{ name: 'sasl', port: 9093, tls: false, sasl: ['SCRAM-SHA-512' as const] }];

describe('operator: user reconciler (Kubernetes side)', () => {
  it('waits for a missing cluster', async () => {
    const { kube, r } = setup(undefined);
    assert.deepEqual(await r.reconcile(NS, 'alice'), { requeueAfterMs: 5 });
    assert.equal(ready(kube).reason, 'ClusterNotFound');
    assert.equal(kube.peek<StrataUser>(ref)!.metadata.finalizers, undefined);
  });

  it('refuses a cluster without SASL listeners, and ACLs on a cluster without authorization', async () => {
    const plain = setup({});
    await plain.r.reconcile(NS, 'alice');
    assert.equal(ready(plain.kube).reason, 'AuthenticationNotEnabled');
    assert.match(ready(plain.kube).message!, /sasl: \[SCRAM-SHA-512\]/);
    const noAuthz = setup({ listeners: saslListener }, { authorization: { acls: [{ resource: { type: 'topic', name: 't' }, operations: ['Read'] }] } });
    await noAuthz.r.reconcile(NS, 'alice');
    assert.equal(ready(noAuthz.kube).reason, 'AuthorizationNotEnabled');
    assert.equal(noAuthz.kube.writes.filter((w) => w.verb === 'apply').length, 0);
  });

  it('reports a missing referenced Secret', async () => {
    const { kube, r } = setup({ listeners: saslListener }, { authentication: { type: 'secret', secretRef: { name: 'pw', key: 'password' } } });
    assert.deepEqual(await r.reconcile(NS, 'alice'), { requeueAfterMs: 5 });
    assert.equal(ready(kube).reason, 'SecretNotFound');
    assert.match(ready(kube).message!, /ns\/pw with key password/);
  });

  it('will not take over a Secret of the same name that another owner has', async () => {
    const { kube, r } = setup({ listeners: saslListener });
    kube.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'alice', namespace: NS }, data: { password: Buffer.from('x').toString('base64') } });
    await r.reconcile(NS, 'alice');
    assert.equal(ready(kube).reason, 'SecretNotFound');
    assert.match(ready(kube).message!, /does not belong to this StrataUser/);
  });

  it('creates the Secret, keeps its password, and reports an unreachable cluster', async () => {
    const { kube, r } = setup({ listeners: saslListener });
    kube.seed({ apiVersion: 'v1', kind: 'Secret', metadata: { name: N.operatorCredentialsSecretName('demo'), namespace: NS }, data: { password: Buffer.from('op').toString('base64') } });
    await assert.rejects(r.reconcile(NS, 'alice'), /cannot connect|ECONNREFUSED/);
    assert.equal(ready(kube).reason, 'ClusterUnreachable');
    const secretRef = { apiVersion: 'v1', kind: 'Secret', namespace: NS, name: 'alice' };
    const first = kube.peek<{ data: Record<string, string> }>(secretRef)!.data.password;
    await assert.rejects(r.reconcile(NS, 'alice'));
    assert.equal(kube.peek<{ data: Record<string, string> }>(secretRef)!.data.password, first);
    assert.ok(kube.peek<StrataUser>(ref)!.metadata.finalizers?.includes(N.USER_FINALIZER));
  });
});
