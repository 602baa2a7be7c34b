import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setCondition } from '../../src/conditions';
import { startHttpServer } from '../../src/http-server';
import { LeaderElector, type Lease } from '../../src/leader-election';
import { OperatorMetrics } from '../../src/operator-metrics';
import { ExponentialRateLimiter, WorkQueue } from '../../src/queue';
import { collectionPath, objectPath } from '../../src/kube-client';
import { FakeKube } from './fake-kube';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('operator runtime: work queue', () => {
  it('never runs a key twice at once and re-runs a key added while it ran', async () => {
    const runs: string[] = [];
    let active = 0;
    let maxActive = 0;
    const q = new WorkQueue(async (key) => {
      active++;
      maxActive = Math.max(maxActive, active);
      runs.push(key);
      await sleep(20);
      active--;
    }, { workers: 4 });
    q.add('ns/a');
    q.add('ns/a');
    await sleep(5);
    q.add('ns/a'); // while running: once more afterwards
    q.add('ns/a');
    await sleep(5);
    await q.idle();
    await sleep(30);
    await q.idle();
    assert.deepEqual(runs, ['ns/a', 'ns/a']);
    assert.equal(maxActive, 1);
  });

  it('retries a failing key with exponential delays and forgets on success', async () => {
    const times: number[] = [];
    const errors: number[] = [];
    const q = new WorkQueue(async () => {
      times.push(Date.now());
      if (times.length < 4) throw new Error('boom');
    }, { baseDelayMs: 10, maxDelayMs: 1000, onError: (_k, _e, retry) => errors.push(retry) });
    q.add('ns/x');
    while (times.length < 4) await sleep(5);
    assert.deepEqual(errors, [10, 20, 40]);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    assert.ok(gaps[2]! >= gaps[0]!, `gaps grow: ${gaps}`);
    await q.shutdown();
  });

  it('honours requeueAfterMs and caps the limiter', async () => {
    const l = new ExponentialRateLimiter({ baseDelayMs: 100, maxDelayMs: 250 });
    assert.deepEqual([l.when('k'), l.when('k'), l.when('k'), l.when('k')], [100, 200, 250, 250]);
    l.forget('k');
    assert.equal(l.numRequeues('k'), 0);
    let n = 0;
    const q = new WorkQueue(async () => (++n < 3 ? { requeueAfterMs: 5 } : undefined));
    q.add('a/b');
    while (n < 3) await sleep(5);
    assert.equal(n, 3);
    assert.equal(q.depth, 0);
    await q.shutdown();
  });
});

describe('operator runtime: leader election', () => {
  const ref = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: 'ops', name: 'strata-operator' };

  it('acquires a free lease, keeps others out until it expires, renews, and releases on stop', async () => {
    const kube = new FakeKube();
    let now = new Date('2024-01-01T00:00:00Z');
    const clock = () => now;
    const a = new LeaderElector(kube, { name: ref.name, namespace: ref.namespace, identity: 'a', leaseDurationSeconds: 10, now: clock });
    const b = new LeaderElector(kube, { name: ref.name, namespace: ref.namespace, identity: 'b', leaseDurationSeconds: 10, now: clock });
    assert.equal(await a.tryAcquireOrRenew(), true);
    assert.equal(await b.tryAcquireOrRenew(), false);
    now = new Date(now.getTime() + 5000);
    assert.equal(await a.tryAcquireOrRenew(), true, 'renew');
    assert.equal(kube.peek<Lease>(ref)!.spec!.renewTime, '2024-01-01T00:00:05.000000Z');
    now = new Date(now.getTime() + 11_000);
    assert.equal(await b.tryAcquireOrRenew(), true, 'b takes over an expired lease');
    const lease = kube.peek<Lease>(ref)!;
    assert.equal(lease.spec!.holderIdentity, 'b');
    assert.equal(lease.spec!.leaseTransitions, 1);
    assert.equal(await a.tryAcquireOrRenew(), false);
  });

  it('loses a race on resourceVersion instead of overwriting', async () => {
    const kube = new FakeKube();
    const a = new LeaderElector(kube, { name: ref.name, namespace: ref.namespace, identity: 'a' });
    await a.tryAcquireOrRenew();
    // Someone else writes between our read and our write.
    const realGet = kube.get.bind(kube);
    kube.get = async (r) => {
      const got = await realGet(r);
      const cur = kube.peek<Lease>(ref)!;
      await kube.replace({ ...cur, spec: { ...cur.spec, holderIdentity: 'intruder', renewTime: new Date().toISOString() } });
      return got as never;
    };
    assert.equal(await a.tryAcquireOrRenew(), false);
    assert.equal(kube.peek<Lease>(ref)!.spec!.holderIdentity, 'intruder');
  });

  it('runs the callbacks and clears the holder on stop', async () => {
    const kube = new FakeKube();
    let started = 0;
    const a = new LeaderElector(kube, { name: ref.name, namespace: ref.namespace, identity: 'a', renewPeriodMs: 20, onStartedLeading: () => started++ });
    a.start();
    while (!a.isLeader) await sleep(5);
    await sleep(50);
    assert.equal(started, 1);
    await a.stop();
    assert.equal(kube.peek<Lease>(ref)!.spec!.holderIdentity, null);
    const b = new LeaderElector(kube, { name: ref.name, namespace: ref.namespace, identity: 'b' });
    assert.equal(await b.tryAcquireOrRenew(), true, 'a released lease is free at once');
  });
});

describe('operator runtime: http server, metrics, conditions, paths', () => {
  const get = (port: number, path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });

  it('serves /healthz and /metrics with reconcile counters, errors, durations and queue depth', async () => {
    const m = new OperatorMetrics();
    let healthy = true;
    const server = await startHttpServer(0, m, () => healthy, '127.0.0.1');
    try {
      const port = (server.address() as AddressInfo).port;
      await m.observe('StrataTopic', async () => undefined);
      await assert.rejects(m.observe('StrataTopic', async () => { throw new Error('x'); }));
      m.queueDepth.set({ kind: 'StrataTopic' }, 3);
      assert.equal((await get(port, '/healthz')).status, 200);
      const text = (await get(port, '/metrics')).body;
      assert.match(text, /strata_operator_reconcile_total\{kind="StrataTopic",result="success"\} 1/);
      assert.match(text, /strata_operator_reconcile_errors_total\{kind="StrataTopic"\} 1/);
      assert.match(text, /strata_operator_reconcile_duration_seconds_count\{kind="StrataTopic"\} 2/);
      assert.match(text, /strata_operator_queue_depth\{kind="StrataTopic"\} 3/);
      healthy = false;
      assert.equal((await get(port, '/healthz')).status, 503);
    } finally {
      server.close();
    }
  });

  it('keeps lastTransitionTime unless the status changes', () => {
    const t0 = new Date('2024-01-01T00:00:00Z');
    const t1 = new Date('2024-01-02T00:00:00Z');
    let cs = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'A', message: 'a' }, 1, t0);
    cs = setCondition(cs, { type: 'Ready', status: 'False', reason: 'B', message: 'b' }, 2, t1);
    assert.equal(cs[0]!.lastTransitionTime, '2024-01-01T00:00:00Z');
    assert.equal(cs[0]!.reason, 'B');
    assert.equal(cs[0]!.observedGeneration, 2);
    cs = setCondition(cs, { type: 'Ready', status: 'True', reason: 'C', message: 'c' }, 2, t1);
    assert.equal(cs[0]!.lastTransitionTime, '2024-01-02T00:00:00Z');
  });

  it('maps kinds to API paths', () => {
    assert.equal(collectionPath('v1', 'ConfigMap', 'ns'), '/api/v1/namespaces/ns/configmaps');
    assert.equal(collectionPath('strata.dev/v1alpha1', 'StrataTopic'), '/apis/strata.dev/v1alpha1/stratatopics');
    assert.equal(objectPath({ apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'a', name: 'b' }), '/apis/apps/v1/namespaces/a/statefulsets/b');
  });
});
