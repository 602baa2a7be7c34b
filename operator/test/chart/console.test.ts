// The chart's optional web console (console.*): what `helm template` renders with it off and on, how the
// values become the console's environment (names as console/config.ts reads them), the bootstrap address
// from the operator's naming module, the security settings, the Ingress, and the values it refuses.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { bootstrapAddress, METRICS_PORT, SECRET_KEY_PASSWORD, SECRET_KEY_USERNAME } from '../../src/naming';
import { OPERATOR_MANAGED_KEYS } from '../../src/resources/config-map';
import { DEFAULT_LISTENERS } from '../../src/api/strata-cluster';
import { validate } from './json-schema';
import { CHART, helm, renderChart } from './monitoring';

const NS = 'strata-system';
const NAME = 'strata-strata-operator-console';
const ON = ['--set', 'console.enabled=true', '--set', 'console.cluster.name=demo'];

const find = (objs: any[], kind: string, name = NAME) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const container = (objs: any[]) => find(objs, 'Deployment').spec.template.spec.containers[0];
/** The container's env as name → value (plain) or "secret:<name>/<key>". */
function envOf(objs: any[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of container(objs).env) {
    out[e.name] = e.value ?? `secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`;
  }
  return out;
}
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('Helm chart: web console (console.*)', () => {
  const values = parse(fs.readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
  const schema = JSON.parse(fs.readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'));

  it('defaults: off, read-only, no login, ClusterIP on 8080, no Ingress, the default listener port', () => {
    const c = values.console;
    assert.strictEqual(c.enabled, false);
    assert.strictEqual(c.writeEnabled, false);
    assert.strictEqual(c.auth.existingSecret, '');
    assert.deepStrictEqual([c.service.type, c.service.port], ['ClusterIP', 8080]);
    assert.strictEqual(c.ingress.enabled, false);
    assert.strictEqual(c.cluster.listenerPort, DEFAULT_LISTENERS[0]!.port);
    // The StrataUser Secret keys the SASL defaults point at.
    assert.deepStrictEqual([c.kafka.sasl.secret.usernameKey, c.kafka.sasl.secret.passwordKey], [SECRET_KEY_USERNAME, SECRET_KEY_PASSWORD]);
  });

  it('console.enabled=false (default) renders no console object', async () => {
    const objs = await renderChart('--set', 'console.cluster.name=demo', '--set', 'console.ingress.enabled=true');
    assert.deepStrictEqual(objs.filter((o) => o.metadata.name.includes('console')).map((o) => o.kind), []);
  });

  it('on: Deployment of the operator image running the console, env, probes, security, no token; Service; ServiceAccount without RBAC', async () => {
    const objs = await renderChart(...ON);
    const dep = find(objs, 'Deployment');
    const pod = dep.spec.template.spec;
    const c = container(objs);
    assert.strictEqual(dep.metadata.namespace, NS);
    assert.strictEqual(dep.spec.replicas, 1);
    assert.strictEqual(c.image, 'ghcr.io/strata/strata-operator:0.1.0');
    assert.strictEqual(c.imagePullPolicy, 'IfNotPresent');
    assert.deepStrictEqual(c.command, ['node', 'dist/console/main.js']);
    assert.deepStrictEqual(envOf(objs), {
      STRATA_CONSOLE_PORT: '8080',
      STRATA_BROKERS: bootstrapAddress('demo', NS, 9092),
      STRATA_CONSOLE_WRITE_ENABLED: 'false',
      STRATA_CONSOLE_METRICS_PORT: String(METRICS_PORT),
    });
    assert.deepStrictEqual(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    assert.deepStrictEqual([c.livenessProbe.httpGet, c.readinessProbe.httpGet], [{ path: '/healthz', port: 'http' }, { path: '/readyz', port: 'http' }]);
    assert.deepStrictEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    assert.strictEqual(pod.securityContext.runAsNonRoot, true);
    assert.strictEqual(pod.securityContext.runAsUser, 1000);
    assert.strictEqual(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
    assert.deepStrictEqual(c.resources, values.console.resources);
    // Its own ServiceAccount, no token, bound to nothing.
    assert.strictEqual(pod.serviceAccountName, NAME);
    assert.strictEqual(pod.automountServiceAccountToken, false);
    assert.strictEqual(find(objs, 'ServiceAccount').automountServiceAccountToken, false);
    const bindings = objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
    assert.ok(bindings.length > 0, 'the operator has bindings');
    for (const b of bindings) assert.ok(!b.subjects.some((s: any) => s.name === NAME), `${b.kind}/${b.metadata.name} binds the console`);
    const svc = find(objs, 'Service');
    assert.strictEqual(svc.spec.type, 'ClusterIP');
    assert.deepStrictEqual(svc.spec.ports, [{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
    assert.strictEqual(find(objs, 'Ingress'), undefined, 'no Ingress unless console.ingress.enabled');
  });

  it('console and operator selectors never pick each other\'s pods', async () => {
    const objs = await renderChart(...ON);
    const operator = find(objs, 'Deployment', 'strata-strata-operator');
    const consoleDep = find(objs, 'Deployment');
    const opPod = operator.spec.template.metadata.labels;
    const consolePod = consoleDep.spec.template.metadata.labels;
    assert.ok(matches(consoleDep.spec.selector.matchLabels, consolePod) && !matches(consoleDep.spec.selector.matchLabels, opPod));
    assert.ok(matches(operator.spec.selector.matchLabels, opPod) && !matches(operator.spec.selector.matchLabels, consolePod));
    const consoleSvc = find(objs, 'Service').spec.selector;
    const metricsSvc = find(objs, 'Service', 'strata-strata-operator-metrics').spec.selector;
    assert.ok(matches(consoleSvc, consolePod) && !matches(consoleSvc, opPod));
    assert.ok(!matches(metricsSvc, consolePod));
  });

  it('brokers, listener port, TLS CA, SASL Secret, write switch, metrics URLs, basic auth, image and Service become the pod spec', async () => {
    const port = await renderChart(...ON, '--set', 'console.cluster.listenerPort=9093');
    assert.strictEqual(envOf(port).STRATA_BROKERS, bootstrapAddress('demo', NS, 9093));
    const objs = await renderChart(...ON,
      '--set', 'console.brokers=kafka-0.example:9092\\,kafka-1.example:9092',
      '--set', 'console.kafka.tls.caSecret.name=demo-tls',
      '--set', 'console.kafka.sasl.mechanism=SCRAM-SHA-512', '--set', 'console.kafka.sasl.secret.name=console-user',
      '--set', 'console.writeEnabled=true',
      '--set', 'console.metricsUrls={http://demo-broker-0.demo-brokers.strata-system.svc:9644/metrics,http://demo-broker-1.demo-brokers.strata-system.svc:9644/metrics}',
      '--set', 'console.auth.existingSecret=console-login',
      '--set', 'console.image.repository=registry.example/strata-operator', '--set', 'console.image.tag=dev', '--set', 'console.image.pullPolicy=Always',
      '--set', 'console.replicas=2', '--set', 'console.service.type=NodePort', '--set', 'console.service.port=80');
    assert.deepStrictEqual(envOf(objs), {
      STRATA_CONSOLE_PORT: '8080',
      STRATA_BROKERS: 'kafka-0.example:9092,kafka-1.example:9092',   // explicit brokers win over console.cluster
      STRATA_TLS: 'true',
      STRATA_TLS_CA: '/etc/strata-console/kafka-ca/ca.crt',
      STRATA_SASL_MECHANISM: 'SCRAM-SHA-512',
      STRATA_SASL_USERNAME: 'secret:console-user/username',
      STRATA_SASL_PASSWORD: 'secret:console-user/password',
      STRATA_CONSOLE_WRITE_ENABLED: 'true',
      STRATA_CONSOLE_METRICS_URLS: 'http://demo-broker-0.demo-brokers.strata-system.svc:9644/metrics,http://demo-broker-1.demo-brokers.strata-system.svc:9644/metrics',
      STRATA_CONSOLE_USERNAME: 'secret:console-login/username',
      STRATA_CONSOLE_PASSWORD: 'secret:console-login/password',
    });
    const pod = find(objs, 'Deployment').spec.template.spec;
    assert.deepStrictEqual(pod.volumes.find((v: any) => v.name === 'kafka-ca'), { name: 'kafka-ca', secret: { secretName: 'demo-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    assert.deepStrictEqual(pod.containers[0].volumeMounts.find((m: any) => m.name === 'kafka-ca'), { name: 'kafka-ca', mountPath: '/etc/strata-console/kafka-ca', readOnly: true });
    assert.strictEqual(pod.containers[0].image, 'registry.example/strata-operator:dev');
    assert.strictEqual(pod.containers[0].imagePullPolicy, 'Always');
    assert.strictEqual(find(objs, 'Deployment').spec.replicas, 2);
    assert.deepStrictEqual([find(objs, 'Service').spec.type, find(objs, 'Service').spec.ports[0].port], ['NodePort', 80]);
    // TLS without a CA Secret (a public CA): TLS on, no CA file, no volume.
    const tls = await renderChart(...ON, '--set', 'console.kafka.tls.enabled=true');
    assert.strictEqual(envOf(tls).STRATA_TLS, 'true');
    assert.strictEqual(envOf(tls).STRATA_TLS_CA, undefined);
    assert.ok(!find(tls, 'Deployment').spec.template.spec.volumes.some((v: any) => v.name === 'kafka-ca'));
  });

  it('console.metricsPort: unset, the operator\'s broker metrics port for a StrataCluster without metricsUrls; set, that port; 0, off', async () => {
    assert.strictEqual(values.console.metricsPort, null, 'unset by default');
    // The default is true for every cluster the operator makes: each broker's /metrics is on METRICS_PORT and
    // spec.config cannot move it (the advertised host is the pod's DNS name, reachable from the console's pod).
    assert.ok(OPERATOR_MANAGED_KEYS.includes('metricsPort'));
    const port = async (...set: string[]) => envOf(await renderChart(...set)).STRATA_CONSOLE_METRICS_PORT;
    assert.strictEqual(await port(...ON), String(METRICS_PORT));
    assert.strictEqual(await port(...ON, '--set', 'console.metricsPort=9100'), '9100');
    assert.strictEqual(await port(...ON, '--set', 'console.metricsPort=0'), undefined, '0 turns discovery off');
    assert.strictEqual(await port(...ON, '--set', 'console.metricsPort=null'), String(METRICS_PORT));
    // No default where it might not be true or is not wanted: explicit brokers (any cluster), explicit URLs.
    assert.strictEqual(await port(...ON, '--set', 'console.brokers=kafka-0.example:9092'), undefined);
    assert.strictEqual(await port('--set', 'console.enabled=true', '--set', 'console.brokers=kafka-0.example:9092'), undefined);
    const urls = envOf(await renderChart(...ON, '--set', 'console.metricsUrls={http://extra:9100/metrics}'));
    assert.deepStrictEqual([urls.STRATA_CONSOLE_METRICS_URLS, urls.STRATA_CONSOLE_METRICS_PORT], ['http://extra:9100/metrics', undefined]);
    // Both, when asked for: explicit URLs and discovery combined.
    const both = envOf(await renderChart(...ON, '--set', 'console.metricsUrls={http://extra:9100/metrics}', '--set', `console.metricsPort=${METRICS_PORT}`));
    assert.deepStrictEqual([both.STRATA_CONSOLE_METRICS_URLS, both.STRATA_CONSOLE_METRICS_PORT], ['http://extra:9100/metrics', String(METRICS_PORT)]);
  });

  it('Ingress: class, annotations, hosts, path and TLS; no hosts → one rule for every host', async () => {
    const objs = await renderChart(...ON, '--set', 'console.ingress.enabled=true', '--set', 'console.ingress.className=nginx',
      '--set', 'console.ingress.annotations.nginx\\.ingress\\.kubernetes\\.io/auth-type=basic',
      '--set', 'console.ingress.hosts={console.example.com,strata.example.com}', '--set', 'console.ingress.path=/strata',
      '--set', 'console.ingress.tls[0].secretName=console-tls', '--set', 'console.ingress.tls[0].hosts={console.example.com}');
    const ing = find(objs, 'Ingress');
    assert.strictEqual(ing.apiVersion, 'networking.k8s.io/v1');
    assert.strictEqual(ing.spec.ingressClassName, 'nginx');
    assert.strictEqual(ing.metadata.annotations['nginx.ingress.kubernetes.io/auth-type'], 'basic');
    assert.deepStrictEqual(ing.spec.tls, [{ secretName: 'console-tls', hosts: ['console.example.com'] }]);
    const backend = { service: { name: NAME, port: { name: 'http' } } };
    const rule = (host?: string) => ({ ...(host ? { host } : {}), http: { paths: [{ path: '/strata', pathType: 'Prefix', backend }] } });
    assert.deepStrictEqual(ing.spec.rules, [rule('console.example.com'), rule('strata.example.com')]);
    const any = find(await renderChart(...ON, '--set', 'console.ingress.enabled=true', '--set', 'console.ingress.path=/strata'), 'Ingress');
    assert.deepStrictEqual(any.spec.rules, [rule()]);
    assert.strictEqual(any.spec.ingressClassName, undefined);
    assert.strictEqual(any.spec.tls, undefined);
  });

  it('helm refuses console settings that cannot work', async () => {
    const refused = async (why: RegExp, ...set: string[]) => {
      const r = await helm(['template', 'strata', CHART, '-n', NS, ...set.flatMap((s) => ['--set', s])], true);
      assert.notStrictEqual(r.code, 0, set.join(' '));
      assert.match(r.stderr, why, set.join(' '));
    };
    await refused(/console\.enabled=true needs console\.cluster\.name .* or console\.brokers/, 'console.enabled=true');
    await refused(/console\.kafka\.sasl\.mechanism needs console\.kafka\.sasl\.secret\.name/, 'console.enabled=true', 'console.cluster.name=demo', 'console.kafka.sasl.mechanism=PLAIN');
    await refused(/console\.kafka\.sasl\.secret\.name needs console\.kafka\.sasl\.mechanism/, 'console.enabled=true', 'console.cluster.name=demo', 'console.kafka.sasl.secret.name=u');
    await refused(/console\/kafka\/sasl\/mechanism/, 'console.kafka.sasl.mechanism=GSSAPI');
    await refused(/console\/replicas/, 'console.replicas=0');
    await refused(/console\/brokers/, 'console.brokers=no-port');
    await refused(/console\/cluster\/name/, 'console.cluster.name=Demo_1');
    await refused(/console\/metricsUrls/, 'console.metricsUrls={ftp://x/metrics}');
    await refused(/console\/metricsPort/, 'console.metricsPort=70000');
    await refused(/console\/metricsPort/, 'console.metricsPort=http');
    await refused(/console\/ingress\/pathType/, 'console.ingress.pathType=Regex');
    await refused(/console\/service\/type/, 'console.service.type=ExternalName');
    await refused(/console/, 'console.port=9000');
  });

  it('values.schema.json (checked here too) accepts the documented shapes and refuses the wrong ones', () => {
    const check = (patch: (c: any) => void) => {
      const v = structuredClone(values);
      patch(v.console);
      return validate(schema, v);
    };
    assert.deepStrictEqual(check((c) => {
      c.enabled = true; c.brokers = 'a:9092,[::1]:9093'; c.kafka.sasl = { mechanism: 'PLAIN', secret: { name: 'u', usernameKey: 'user', passwordKey: 'pass' } };
      c.ingress = { ...c.ingress, enabled: true, hosts: ['*.example.com'], tls: [{ secretName: 't', hosts: ['*.example.com'] }] };
    }), []);
    assert.deepStrictEqual(check((c) => { c.metricsPort = 9644; }), []);
    assert.notDeepStrictEqual(check((c) => { c.metricsPort = -1; }), []);
    assert.notDeepStrictEqual(check((c) => { c.metricsPort = '9644'; }), []);
    assert.notDeepStrictEqual(check((c) => { c.writeEnabled = 'yes'; }), []);
    assert.notDeepStrictEqual(check((c) => { c.kafka.tls.caSecret.key = ''; }), []);
    assert.notDeepStrictEqual(check((c) => { c.auth.existingSecret = 'Not A Name'; }), []);
    assert.notDeepStrictEqual(check((c) => { c.ingress.tls = [{ hosts: ['x'] }]; }), []);
    assert.notDeepStrictEqual(check((c) => { c.cluster.name = 'a'.repeat(46); }), []);
  });

  it('operator/Dockerfile builds and ships the console, stratactl and the admin library', () => {
    const text = fs.readFileSync(path.join(CHART, '..', '..', 'operator', 'Dockerfile'), 'utf8');
    const lines = text.split('\n').filter((l) => !l.startsWith('#'));
    const runtime = lines.slice(lines.indexOf('FROM ${BASE_IMAGE} AS runtime'));
    const build = lines.slice(0, lines.indexOf('FROM ${BUILD_IMAGE} AS deps'));
    for (const dir of ['admin', 'console', 'stratactl']) {
      assert.ok(build.includes(`COPY ${dir} ./${dir}`), `build stage copies ${dir}`);
      assert.ok(runtime.includes(`COPY --from=build /src/dist/${dir} ./dist/${dir}`), `runtime has dist/${dir}`);
    }
    assert.ok(build.includes('RUN npx tsc -p . && npx tsc -p console/web'), 'the console\'s browser script is compiled');
    assert.ok(runtime.includes('COPY console/static ./console/static'), 'the console\'s browser assets');
    assert.ok(runtime.includes('COPY stratactl/bin ./stratactl/bin') && runtime.includes('COPY scripts/node.sh ./scripts/node.sh'), 'stratactl wrapper');
    const ignore = fs.readFileSync(path.join(CHART, '..', '..', 'operator', 'Dockerfile.dockerignore'), 'utf8').split('\n');
    for (const t of ['admin/test', 'console/test', 'stratactl/test']) assert.ok(ignore.includes(t), `${t} left out of the build`);
  });
});
