import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { JSONSchemaProps, StrataCluster, StrataTopic, buildCRDs, chartCrdFiles, crdFiles } from '../../src/api';
import { repoRoot, staleFiles } from '../../scripts/gen-crds';

const root = repoRoot(__dirname);

/** Nodes that may carry x-kubernetes-preserve-unknown-fields: config-map values (string | number | bool). */
const PRESERVE_ALLOWED = [
  'StrataCluster.spec.config.*',
  'StrataTopic.spec.config.*',
];

interface Visit { path: string; node: JSONSchemaProps }
function walk(node: JSONSchemaProps, p: string, out: Visit[]): void {
  out.push({ path: p, node });
  for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, `${p}.${k}`, out);
  if (node.additionalProperties) walk(node.additionalProperties, `${p}.*`, out);
  if (node.items) walk(node.items, `${p}[]`, out);
}

function nodes(kind: string): Visit[] {
  const crd = buildCRDs().find((c) => c.spec.names.kind === kind)!;
  const out: Visit[] = [];
  walk(crd.spec.versions[0].schema.openAPIV3Schema, '', out);
  return out;
}

function at(kind: string, p: string): JSONSchemaProps {
  const v = nodes(kind).find((n) => n.path === p);
  assert.ok(v, `${kind}${p} missing`);
  return v.node;
}

describe('CRDs generated from operator/src/api', () => {
  it('committed crds/ and chart files equal a fresh generation (run npm run gen:crds)', () => {
    assert.deepStrictEqual(staleFiles(root).map((p) => path.relative(root, p)), []);
  });

  it('chart copies are the same CRDs plus helm.sh/resource-policy: keep', () => {
    const plain = crdFiles();
    for (const [name, text] of chartCrdFiles()) {
      const chart = parse(text);
      assert.strictEqual(chart.metadata.annotations['helm.sh/resource-policy'], 'keep');
      delete chart.metadata.annotations;
      assert.deepStrictEqual(chart, parse(plain.get(name)!));
      assert.strictEqual(fs.readFileSync(path.join(root, 'charts/strata-operator/files/crds', name), 'utf8'), text);
    }
  });

  it('names, group, version, short names, categories, status subresource', () => {
    const crds = buildCRDs();
    assert.deepStrictEqual(crds.map((c) => c.metadata.name), ['strataclusters.strata.dev', 'stratatopics.strata.dev', 'stratausers.strata.dev']);
    assert.deepStrictEqual(crds.map((c) => c.spec.names.shortNames), [['sc'], ['st'], ['su']]);
    for (const c of crds) {
      assert.strictEqual(c.spec.group, 'strata.dev');
      assert.deepStrictEqual(c.spec.names.categories, ['strata']);
      assert.strictEqual(c.spec.versions.length, 1);
      const v = c.spec.versions[0];
      assert.strictEqual(v.name, 'v1alpha1');
      assert.ok(v.served && v.storage);
      assert.deepStrictEqual(v.subresources, { status: {} });
      const cols = v.additionalPrinterColumns.map((col) => col.name);
      assert.ok(cols.includes('Ready') && cols.includes('Age'), `${c.metadata.name}: ${cols}`);
    }
  });

  it('printer columns: brokers on clusters, partitions on topics', () => {
    const cols = (kind: string) => buildCRDs().find((c) => c.spec.names.kind === kind)!.spec.versions[0].additionalPrinterColumns;
    assert.ok(cols('StrataCluster').some((c) => c.name === 'Brokers' && c.jsonPath === '.spec.brokers'));
    assert.ok(cols('StrataTopic').some((c) => c.name === 'Partitions' && c.jsonPath === '.spec.partitions'));
  });

  for (const kind of ['StrataCluster', 'StrataTopic', 'StrataUser']) {
    it(`${kind} schema is structural`, () => {
      for (const { path: p, node } of nodes(kind)) {
        const where = `${kind}${p}`;
        const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
        const intOrString = node['x-kubernetes-int-or-string'] === true;
        if (preserve) assert.ok(PRESERVE_ALLOWED.includes(where), `unexpected x-kubernetes-preserve-unknown-fields at ${where}`);
        if (!preserve && !intOrString) assert.ok(node.type, `no type at ${where}`);
        if (intOrString) assert.strictEqual(node.type, undefined, `int-or-string with a type at ${where}`);
        assert.ok(!(node.properties && node.additionalProperties), `properties and additionalProperties at ${where}`);
        if (node.properties || node.additionalProperties) assert.strictEqual(node.type, 'object', where);
        if (node.items) assert.strictEqual(node.type, 'array', where);
        if (node.type === 'array') assert.ok(node.items, `array without items at ${where}`);
        for (const r of node.required ?? []) assert.ok(node.properties?.[r], `required ${r} not a property at ${where}`);
        if (node['x-kubernetes-list-type'] === 'map') {
          for (const k of node['x-kubernetes-list-map-keys'] ?? []) {
            assert.ok(node.items?.required?.includes(k), `list-map key ${k} not required at ${where}`);
          }
        }
        for (const r of node['x-kubernetes-validations'] ?? []) assert.ok(r.rule && r.message, `rule without message at ${where}`);
        assert.ok(p === '.metadata' || p === '.apiVersion' || p === '.kind' || node.description || p.endsWith('[]') || p.endsWith('.*') || p.startsWith('.status.conditions[].') || p.startsWith('.status.listeners[].'),
          `no description at ${where}`);
      }
    });
  }

  it('CEL: partitions may not decrease (transition rule); storage class immutable; tls needs a secret; secret auth needs secretRef', () => {
    const rules = (kind: string, p: string) => (at(kind, p)['x-kubernetes-validations'] ?? []).map((r) => `${r.rule} => ${r.message}`);
    assert.deepStrictEqual(rules('StrataTopic', '.spec.partitions'), ['self >= oldSelf => partitions may not decrease']);
    assert.deepStrictEqual(rules('StrataCluster', '.spec.storage.class'), ['self == oldSelf => storage.class is immutable']);
    assert.ok(rules('StrataCluster', '.spec.listeners[]')[0].includes('has(self.tlsSecret)'));
    assert.ok(rules('StrataUser', '.spec.authentication')[0].includes('has(self.secretRef)'));
  });

  it('defaults and bounds', () => {
    assert.strictEqual(at('StrataCluster', '.spec.brokers').default, 1);
    assert.strictEqual(at('StrataCluster', '.spec.brokers').minimum, 1);
    assert.strictEqual(at('StrataTopic', '.spec.partitions').minimum, 1);
    assert.deepStrictEqual(at('StrataTopic', '').required, ['spec']);
    assert.deepStrictEqual(at('StrataTopic', '.spec').required, ['partitions']);
    assert.deepStrictEqual(at('StrataUser', '.spec.authentication.type').enum, ['scram-sha-512', 'secret']);
    assert.strictEqual(at('StrataCluster', '.spec.resources.limits.*')['x-kubernetes-int-or-string'], true);
  });

  it('inferred TypeScript types describe the resources', () => {
    // Compile-time checks: these must type-check against the inferred types.
    const cluster: StrataCluster = {
      apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', metadata: { name: 'c', namespace: 'ns' },
      spec: {
        brokers: 3, storage: { size: '10Gi' }, objectStore: { bucket: 'b', credentialsSecret: { name: 's' } },
        listeners: [{ name: 'plain', port: 9092, sasl: ['SCRAM-SHA-512'] }], config: { 'num.io.threads': 8, 'auto.create.topics.enable': false },
      },
      status: { readyBrokers: 0, conditions: [{ type: 'Ready', status: 'False', reason: 'Creating', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
    };
    const topic: StrataTopic = {
      apiVersion: 'strata.dev/v1alpha1', kind: 'StrataTopic', metadata: { name: 't', labels: { 'strata.dev/cluster': 'c' } },
      spec: { partitions: 6, config: { 'cleanup.policy': 'compact' } },
    };
    // @ts-expect-error partitions is required
    const bad: StrataTopic['spec'] = { replicas: 3 };
    assert.ok(cluster.spec.storage.size && topic.spec.partitions && bad);
  });
});
