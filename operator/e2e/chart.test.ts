// charts/strata-operator with a real helm and a real kube-apiserver: lint, template, install (the
// operator's Deployment, ServiceAccount, RBAC and the CRDs; a second release with the web console and its
// Ingress), upgrade with a changed CRD (the CRD in the API server changes; the known "Helm never upgrades
// crds/" limitation does not apply), uninstall (CRDs kept by helm.sh/resource-policy: keep).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { ROOT, useApiServer, useTempDir } from './harness';

const CHART = path.join(ROOT, 'charts', 'strata-operator');
const NS = 'strata-system';
const RELEASE = 'strata';
const FULLNAME = 'strata-strata-operator';
const CRDS = ['strataclusters.strata.dev', 'stratatopics.strata.dev', 'stratausers.strata.dev'];

function docs(yamlText: string): any[] {
  return parseAllDocuments(yamlText).map((d) => d.toJS()).filter((d) => d && typeof d === 'object');
}
const kinds = (objs: any[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();

describe('Helm chart charts/strata-operator against a real kube-apiserver', function () {
  this.timeout(120_000);
  const k = useApiServer({ binaries: ['etcd', 'kube-apiserver', 'kubectl', 'helm'] });
  const tmp = useTempDir('strata-chart-');

  const helm = (args: string[], allowFail = false) => k.api.helm(args, { allowFail });
  const canI = async (verb: string, resource: string, ns?: string) => {
    const r = await k.api.kubectl(['auth', 'can-i', verb, resource, `--as=system:serviceaccount:${NS}:${FULLNAME}`,
      ...(ns ? ['-n', ns] : ['--all-namespaces'])], { allowFail: true });
    return r.stdout.trim();
  };

  it('helm lint passes (also --strict)', async () => {
    const r = await helm(['lint', CHART]);
    assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    await helm(['lint', '--strict', CHART]);
    await helm(['lint', '--strict', CHART, '--set', 'watchNamespaces={team-a,team-b}', '--set', 'metrics.serviceMonitor.enabled=true']);
    await helm(['lint', '--strict', CHART, '--set', 'console.enabled=true', '--set', 'console.cluster.name=demo', '--set', 'console.ingress.enabled=true']);
  });

  it('helm template renders the operator objects and the CRDs', async () => {
    const r = await helm(['template', RELEASE, CHART, '-n', NS]);
    const objs = docs(r.stdout);
    const names = kinds(objs);
    for (const want of [`Deployment/${FULLNAME}`, `ServiceAccount/${FULLNAME}`, `ClusterRole/${FULLNAME}`,
      `ClusterRoleBinding/${FULLNAME}`, `Role/${FULLNAME}-leader-election`, `RoleBinding/${FULLNAME}-leader-election`,
      `Service/${FULLNAME}-metrics`, ...CRDS.map((c) => `CustomResourceDefinition/${c}`)]) {
      assert.ok(names.includes(want), `${want} in ${names.join(', ')}`);
    }
    for (const crd of objs.filter((o) => o.kind === 'CustomResourceDefinition')) {
      assert.strictEqual(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep', crd.metadata.name);
    }
    // Every rendered object is accepted by the API server (server-side dry run, strict field validation).
    await k.api.kubectl(['create', 'namespace', NS]);
    const dry = await k.api.kubectl(['apply', '--dry-run=server', '--validate=strict', '-n', NS, '-f', '-'], { input: r.stdout });
    assert.match(dry.stdout, new RegExp(`deployment\\.apps/${FULLNAME} created \\(server dry run\\)`));
    const noCrds = docs((await helm(['template', RELEASE, CHART, '-n', NS, '--set', 'crds.install=false'])).stdout);
    assert.ok(!noCrds.some((o) => o.kind === 'CustomResourceDefinition'), 'crds.install=false renders no CRDs');
    const ns = docs((await helm(['template', RELEASE, CHART, '-n', NS, '--set', 'watchNamespaces={team-a,team-b}'])).stdout);
    assert.ok(!ns.some((o) => o.kind === 'ClusterRole'), 'watchNamespaces: no ClusterRole');
    assert.deepStrictEqual(ns.filter((o) => o.kind === 'Role' && o.metadata.name === FULLNAME).map((o) => o.metadata.namespace).sort(), ['team-a', 'team-b']);
  });

  it('helm template refuses invalid values (values.schema.json, template checks)', async () => {
    const a = await helm(['template', RELEASE, CHART, '--set', 'replicas=0'], true);
    assert.notStrictEqual(a.code, 0);
    assert.match(a.stderr, /replicas/);
    const b = await helm(['template', RELEASE, CHART, '--set', 'logLevel=loud'], true);
    assert.notStrictEqual(b.code, 0);
    assert.match(b.stderr, /logLevel/);
    const c = await helm(['template', RELEASE, CHART, '--set', 'replicas=2', '--set', 'leaderElection.enabled=false'], true);
    assert.notStrictEqual(c.code, 0);
    assert.match(c.stderr, /replicas > 1 requires leaderElection\.enabled=true/);
  });

  it('helm install creates the Deployment, ServiceAccount, RBAC and Established CRDs', async () => {
    await helm(['install', RELEASE, CHART, '-n', NS, '--create-namespace', '--timeout', '90s']);
    const dep = await k.api.getJson(['deployment', FULLNAME], NS);
    assert.ok(dep, 'Deployment exists');
    assert.strictEqual(dep.spec.template.spec.serviceAccountName, FULLNAME);
    assert.strictEqual(dep.spec.template.spec.containers[0].image, 'ghcr.io/strata/strata-operator:0.1.0');
    // The broker image of clusters without spec.image: the release matching the operator (never "latest").
    assert.strictEqual(dep.spec.template.spec.containers[0].env.find((e: any) => e.name === 'STRATA_BROKER_IMAGE')?.value,
      'ghcr.io/strata/strata-broker:0.1.0');
    assert.strictEqual(dep.metadata.labels['app.kubernetes.io/managed-by'], 'Helm');
    assert.ok(await k.api.getJson(['serviceaccount', FULLNAME], NS), 'ServiceAccount exists');
    assert.ok(await k.api.getJson(['clusterrole', FULLNAME]), 'ClusterRole exists');
    const crb = await k.api.getJson(['clusterrolebinding', FULLNAME]);
    assert.deepStrictEqual(crb.subjects, [{ kind: 'ServiceAccount', name: FULLNAME, namespace: NS }]);
    assert.ok(await k.api.getJson(['role', `${FULLNAME}-leader-election`], NS), 'leader-election Role exists');
    assert.ok(await k.api.getJson(['service', `${FULLNAME}-metrics`], NS), 'metrics Service exists');
    await k.api.kubectl(['wait', '--for=condition=Established', '--timeout=60s', ...CRDS.map((c) => `crd/${c}`)], { timeoutMs: 70_000 });
    for (const c of CRDS) {
      const crd = await k.api.getJson(['crd', c]);
      assert.strictEqual(crd.metadata.annotations['meta.helm.sh/release-name'], RELEASE, c);
    }
    const st = await helm(['status', RELEASE, '-n', NS]);
    assert.match(st.stdout, /STATUS: deployed/);
  });

  it('the installed RBAC grants what the operator uses and no more (kubectl auth can-i --as the ServiceAccount)', async () => {
    for (const [verb, res] of [['watch', 'strataclusters.strata.dev'], ['patch', 'stratatopics.strata.dev/status'],
      ['update', 'stratatopics.strata.dev/finalizers'], ['create', 'statefulsets.apps'], ['patch', 'configmaps'],
      ['delete', 'services'], ['create', 'poddisruptionbudgets.policy'], ['delete', 'pods'], ['create', 'events']]) {
      assert.strictEqual(await canI(verb, res), 'yes', `${verb} ${res}`);
    }
    for (const [verb, res] of [['delete', 'secrets'], ['create', 'deployments.apps'], ['create', 'customresourcedefinitions.apiextensions.k8s.io'],
      ['create', 'strataclusters.strata.dev'], ['get', 'nodes'], ['create', 'clusterroles.rbac.authorization.k8s.io']]) {
      assert.strictEqual(await canI(verb, res), 'no', `${verb} ${res}`);
    }
    assert.strictEqual(await canI('update', 'leases.coordination.k8s.io', NS), 'yes');
    assert.strictEqual(await canI('update', 'leases.coordination.k8s.io', 'default'), 'no');
  });

  it('a second release with the web console and its Ingress: the API server accepts them; the console identity can do nothing', async () => {
    const ns = 'strata-console';
    const release = 'console';
    const name = `${release}-strata-operator-console`;
    const r = await helm(['install', release, CHART, '-n', ns, '--create-namespace', '--timeout', '90s', '--set', 'crds.install=false',
      '--set', 'console.enabled=true', '--set', 'console.cluster.name=demo',
      '--set', 'console.kafka.sasl.mechanism=SCRAM-SHA-512', '--set', 'console.kafka.sasl.secret.name=console-user',
      '--set', 'console.ingress.enabled=true', '--set', 'console.ingress.className=nginx', '--set', 'console.ingress.hosts={console.example.com}',
      '--set', 'console.ingress.tls[0].secretName=console-tls', '--set', 'console.ingress.tls[0].hosts={console.example.com}']);
    // NOTES.txt says where the console is and that it is read-only without a login.
    assert.match(r.stdout, /Web console \(read-only\) of demo-bootstrap\.strata-console\.svc:9092/);
    assert.match(r.stdout, /https:\/\/console\.example\.com\//);
    assert.match(r.stdout, new RegExp(`port-forward svc/${name} 8080:8080`));
    const dep = await k.api.getJson(['deployment', name], ns);
    const pod = dep.spec.template.spec;
    assert.strictEqual(pod.automountServiceAccountToken, false);
    assert.strictEqual(pod.serviceAccountName, name);
    const c = pod.containers[0];
    assert.deepStrictEqual(c.command, ['node', 'dist/console/main.js']);
    assert.strictEqual(c.image, 'ghcr.io/strata/strata-operator:0.1.0');
    assert.strictEqual(c.readinessProbe.httpGet.path, '/readyz');
    assert.strictEqual(c.env.find((e: any) => e.name === 'STRATA_BROKERS').value, 'demo-bootstrap.strata-console.svc:9092');
    assert.deepStrictEqual(c.env.find((e: any) => e.name === 'STRATA_SASL_PASSWORD').valueFrom.secretKeyRef, { name: 'console-user', key: 'password' });
    const svc = await k.api.getJson(['service', name], ns);
    assert.deepStrictEqual([svc.spec.type, svc.spec.ports[0].port, svc.spec.ports[0].targetPort], ['ClusterIP', 8080, 'http']);
    const ing = await k.api.getJson(['ingress', name], ns);
    assert.strictEqual(ing.spec.ingressClassName, 'nginx');
    assert.deepStrictEqual(ing.spec.rules.map((x: any) => [x.host, x.http.paths[0].backend.service.name]), [['console.example.com', name]]);
    assert.strictEqual((await k.api.getJson(['serviceaccount', name], ns)).automountServiceAccountToken, false);
    // No RBAC: the console's ServiceAccount may not read anything.
    for (const [verb, res] of [['get', 'secrets'], ['list', 'pods'], ['get', 'strataclusters.strata.dev'], ['get', 'configmaps']]) {
      const can = await k.api.kubectl(['auth', 'can-i', verb, res, `--as=system:serviceaccount:${ns}:${name}`, '-n', ns], { allowFail: true });
      assert.strictEqual(can.stdout.trim(), 'no', `${verb} ${res}`);
    }
    await helm(['uninstall', release, '-n', ns, '--timeout', '90s']);
    assert.strictEqual(await k.api.getJson(['deployment', name], ns), undefined);
    assert.strictEqual(await k.api.getJson(['ingress', name], ns), undefined);
  });

  it('helm upgrade with a changed CRD updates the CRD in the API server; custom resources survive', async () => {
    await k.api.kubectl(['apply', '-f', '-'], {
      input: stringify({ apiVersion: 'strata.dev/v1alpha1', kind: 'StrataTopic', metadata: { name: 'survivor', namespace: 'default' }, spec: { partitions: 2 } }),
    });
    const chart = path.join(tmp.dir, 'strata-operator');
    fs.cpSync(CHART, chart, { recursive: true });
    const f = path.join(chart, 'files', 'crds', 'strata.dev_stratatopics.yaml');
    const before = fs.readFileSync(f, 'utf8');
    const marker = 'Number of partitions. May grow, never shrink.';
    assert.ok(before.includes(marker), 'fixture text present in the CRD');
    fs.writeFileSync(f, before.replace(marker, `${marker} (upgraded)`));
    const descr = async () => (await k.api.getJson(['crd', 'stratatopics.strata.dev']))
      .spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.partitions.description as string;
    assert.strictEqual(await descr(), marker);
    await helm(['upgrade', RELEASE, chart, '-n', NS, '--timeout', '90s']);
    assert.strictEqual(await descr(), `${marker} (upgraded)`);
    const h = await helm(['history', RELEASE, '-n', NS]);
    assert.match(h.stdout, /\n2\s.*deployed/);
    assert.strictEqual((await k.api.getJson(['stratatopic', 'survivor'], 'default')).spec.partitions, 2);
  });

  it('helm uninstall removes the operator but keeps the CRDs and custom resources', async () => {
    await helm(['uninstall', RELEASE, '-n', NS, '--timeout', '90s']);
    assert.strictEqual(await k.api.getJson(['deployment', FULLNAME], NS), undefined);
    assert.strictEqual(await k.api.getJson(['clusterrole', FULLNAME]), undefined);
    for (const c of CRDS) assert.ok(await k.api.getJson(['crd', c]), `${c} kept`);
    assert.ok(await k.api.getJson(['stratatopic', 'survivor'], 'default'), 'custom resource kept');
  });
});
