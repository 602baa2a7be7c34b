import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { chartCrdFiles } from '../../src/api';
import { repoRoot } from '../../scripts/gen-crds';
import { validate } from './json-schema';
import { BROKER_NODE_FLAGS } from '../../../broker/src/runtime-flags';

const root = repoRoot(__dirname);
const chart = path.join(root, 'charts', 'strata-operator');
const read = (p: string) => fs.readFileSync(path.join(chart, p), 'utf8');

describe('Helm chart charts/strata-operator', () => {
  const values = parse(read('values.yaml'));
  const schema = JSON.parse(read('values.schema.json'));

  it('Chart.yaml: apiVersion v2, appVersion 0.1.0', () => {
    const c = parse(read('Chart.yaml'));
    assert.strictEqual(c.apiVersion, 'v2');
    assert.strictEqual(c.name, 'strata-operator');
    assert.strictEqual(c.appVersion, '0.1.0');
  });

  it('values.yaml validates against values.schema.json', () => {
    assert.deepStrictEqual(validate(schema, values), []);
  });

  it('values.schema.json rejects bad values', () => {
    const bad = (patch: (v: any) => void) => {
      const v = structuredClone(values);
      patch(v);
      return validate(schema, v);
    };
    assert.notDeepStrictEqual(bad((v) => { v.replicas = 0; }), []);
    assert.notDeepStrictEqual(bad((v) => { v.logLevel = 'loud'; }), []);
    assert.notDeepStrictEqual(bad((v) => { v.image.pullPolicy = 'Sometimes'; }), []);
    assert.notDeepStrictEqual(bad((v) => { v.watchNamespaces = ['Bad_NS']; }), []);
    assert.notDeepStrictEqual(bad((v) => { v.metrics.serviceMonitor.enabled = 'yes'; }), []);
    assert.notDeepStrictEqual(bad((v) => { v.unknownKey = 1; }), []);
    assert.deepStrictEqual(bad((v) => { v.watchNamespaces = ['team-a', 'team-b']; v.replicas = 2; }), []);
  });

  it('every values.yaml key is in the schema and vice versa (top level)', () => {
    assert.deepStrictEqual(Object.keys(values).sort(), Object.keys(schema.properties).sort());
  });

  it('files/crds equal the generated CRDs; no crds/ directory (see README)', () => {
    const dir = path.join(chart, 'files', 'crds');
    const want = chartCrdFiles();
    assert.deepStrictEqual(fs.readdirSync(dir).sort(), [...want.keys()].sort());
    for (const [name, text] of want) assert.strictEqual(fs.readFileSync(path.join(dir, name), 'utf8'), text, name);
    assert.ok(!fs.existsSync(path.join(chart, 'crds')));
    const t = read('templates/crds.yaml');
    assert.match(t, /\.Values\.crds\.install/);
    assert.match(t, /Files\.Glob "files\/crds\/\*\.yaml"/);
  });

  it('templates exist and use the values they should', () => {
    for (const f of ['deployment.yaml', 'serviceaccount.yaml', 'rbac.yaml', 'service.yaml', 'servicemonitor.yaml', 'crds.yaml', 'NOTES.txt', '_helpers.tpl']) {
      assert.ok(fs.existsSync(path.join(chart, 'templates', f)), f);
    }
    const d = read('templates/deployment.yaml');
    for (const s of ['runAsNonRoot: true', 'path: /healthz', '.Values.logLevel', '.Values.watchNamespaces', '.Values.leaderElection.enabled', '.Values.metrics.port', 'readOnlyRootFilesystem: true', 'allowPrivilegeEscalation: false']) {
      assert.ok(d.includes(s), `deployment lacks ${s}`);
    }
    assert.match(read('templates/servicemonitor.yaml'), /if \.Values\.metrics\.serviceMonitor\.enabled/);
    const rbac = read('templates/rbac.yaml');
    assert.match(rbac, /kind: ClusterRole\b/);
    assert.match(rbac, /range \$ns := \.Values\.watchNamespaces/);
  });

  it('RBAC rules cover what the operator uses and nothing broader', () => {
    const helpers = read('templates/_helpers.tpl');
    const block = (name: string) => {
      const m = new RegExp(`define "${name}" -}}\\n([\\s\\S]*?)\\n{{- end }}\\n`).exec(helpers);
      assert.ok(m, name);
      return m[1];
    };
    const rules = block('strata-operator.rules').replace(/{{-? (if|end)[^}]*}}\n?/g, '');
    const parsed: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }> = parse(rules);
    const can = (group: string, resource: string, verb: string) =>
      parsed.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    for (const r of ['strataclusters', 'stratatopics', 'stratausers']) {
      assert.ok(can('strata.dev', r, 'watch') && can('strata.dev', `${r}/status`, 'patch') && can('strata.dev', `${r}/finalizers`, 'update'), r);
    }
    assert.ok(can('apps', 'statefulsets', 'patch') && can('policy', 'poddisruptionbudgets', 'create'));
    assert.ok(can('', 'secrets', 'create') && !can('', 'secrets', 'delete'));
    assert.ok(can('monitoring.coreos.com', 'servicemonitors', 'create'));
    for (const r of parsed) {
      assert.ok(!r.verbs.includes('*') && !r.resources.includes('*') && !r.apiGroups.includes('*'), 'no wildcards');
    }
    assert.ok(block('strata-operator.leaseRules').includes('coordination.k8s.io'));
  });
});

describe('Dockerfiles', () => {
  for (const [name, entry] of [
    ['broker', JSON.stringify(['node', ...BROKER_NODE_FLAGS, 'dist/broker/src/main.js']).replaceAll(',', ', ')],
    ['operator', '["node", "dist/operator/src/main.js"]'],
  ] as const) {
    it(`${name}/Dockerfile: build stages on BUILD_IMAGE, runtime on BASE_IMAGE (default node:24-bookworm-slim), prod deps, non-root, entry point`, () => {
      const text = fs.readFileSync(path.join(root, name, 'Dockerfile'), 'utf8');
      const lines = text.split('\n').filter((l) => !l.startsWith('#'));
      const froms = lines.filter((l) => l.startsWith('FROM '));
      assert.deepStrictEqual(lines.filter((l) => l.startsWith('ARG BASE_IMAGE')), ['ARG BASE_IMAGE=node:24-bookworm-slim']);
      assert.ok(lines.findIndex((l) => l.startsWith('ARG BASE_IMAGE')) < lines.indexOf(froms[0]), 'ARG before the first FROM');
      assert.deepStrictEqual(lines.filter((l) => l.startsWith('ARG BUILD_IMAGE')), ['ARG BUILD_IMAGE=${BASE_IMAGE}']);
      assert.deepStrictEqual(froms, ['FROM ${BUILD_IMAGE} AS build', 'FROM ${BUILD_IMAGE} AS deps', 'FROM ${BASE_IMAGE} AS runtime']);
      const deps = lines.slice(lines.indexOf(froms[1]), lines.indexOf(froms[2]));
      assert.ok(deps.some((l) => l.startsWith('RUN npm ci --omit=dev')), 'production dependencies only');
      const runtime = lines.slice(lines.indexOf(froms[2]));
      // No RUN in the runtime stage: the base needs only node and a uid 1000 user (e2e/k8s/images.sh builds one).
      assert.deepStrictEqual(runtime.filter((l) => l.startsWith('RUN ')), []);
      assert.ok(runtime.includes('COPY --from=deps /app/node_modules ./node_modules'));
      const user = runtime.filter((l) => l.startsWith('USER '));
      assert.deepStrictEqual(user, ['USER 1000:1000']);
      assert.strictEqual(runtime.filter((l) => l.startsWith('CMD ')).pop(), `CMD ${entry}`);
      assert.ok(runtime.indexOf(user[0]) < runtime.findIndex((l) => l.startsWith('CMD ')));
    });
  }
});
