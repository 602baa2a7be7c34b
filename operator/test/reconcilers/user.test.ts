import { strict as assert } from 'node:assert';
import type { StrataUser } from '../../src/api';
import { findCondition } from '../../src/conditions';
import { UserReconciler } from '../../src/reconcilers/user';
import { FakeKube } from '../runtime/fake-kube';

describe('operator: user reconciler (stub)', () => {
  it('sets Ready=False NotImplemented without a finalizer, and writes once', async () => {
    const kube = new FakeKube();
    const ref = { apiVersion: 'strata.dev/v1alpha1', kind: 'StrataUser', namespace: 'ns', name: 'alice' };
    kube.seed<StrataUser>({
      apiVersion: 'strata.dev/v1alpha1', kind: 'StrataUser', metadata: { name: 'alice', namespace: 'ns', labels: { 'strata.dev/cluster': 'demo' } },
      spec: { authentication: { type: 'scram-sha-512' } },
    });
    const r = new UserReconciler(kube);
    await r.reconcile('ns', 'alice');
    await r.reconcile('ns', 'alice');
    const u = kube.peek<StrataUser>(ref)!;
    const ready = findCondition(u.status!.conditions, 'Ready')!;
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'NotImplemented');
    assert.match(ready.message!, /security issue/);
    assert.equal(u.status!.observedGeneration, 1);
    assert.equal(u.metadata.finalizers, undefined);
    assert.equal(kube.writes.filter((w) => w.verb === 'patchStatus').length, 1);
  });
});
