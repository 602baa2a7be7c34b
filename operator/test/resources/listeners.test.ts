// spec.listeners / spec.authorization → broker config keys, ports, the TLS volume and the operator's credential env.
import { strict as assert } from 'node:assert';
import { parse } from 'yaml';
import * as N from '../../src/naming';
import { buildBootstrapService, buildBrokerConfigMap, buildHeadlessService, buildStatefulSet, listenerProblems, type StrataClusterLike } from '../../src/resources';

function cluster(over: Partial<StrataClusterLike['spec']> = {}): StrataClusterLike {
  return {
    apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', metadata: { name: 'demo', namespace: 'kafka', uid: 'u' },
    spec: { brokers: 1, storage: { size: '1Gi' }, objectStore: { bucket: 'b' }, ...over },
  };
}

const secure = cluster({
  listeners: [
    { name: 'plain', port: 9092, tls: false },
    { name: 'sasl-tls', port: 9093, tls: true, tlsSecret: 'demo-tls', sasl: ['SCRAM-SHA-512', 'PLAIN'] },
  ],
  authorization: { type: 'simple', superUsers: ['admin', 'User:CN=ops'] },
});

describe('operator resources: listeners and authorization', () => {
  it('writes no listener keys for the default plain listener (existing clusters keep their config hash)', () => {
    const cfg = parse(buildBrokerConfigMap(cluster()).data![N.CONFIG_FILE_NAME]) as Record<string, unknown>;
    for (const k of ['listeners', 'listenerSecurityProtocolMap', 'saslEnabledMechanisms', 'authorizer', 'sslCertificateLocation']) assert.ok(!(k in cfg), k);
    assert.equal(cfg.port, 9092);
  });

  it('maps listeners to Kafka listener names, protocols, certificate paths, mechanisms and super users', () => {
    const cfg = parse(buildBrokerConfigMap(secure).data![N.CONFIG_FILE_NAME]) as Record<string, unknown>;
    assert.equal(cfg.listeners, 'PLAIN://0.0.0.0:9092,SASL_TLS://0.0.0.0:9093');
    assert.equal(cfg.listenerSecurityProtocolMap, 'PLAIN:PLAINTEXT,SASL_TLS:SASL_SSL');
    assert.equal(cfg.sslCertificateLocation, '/etc/strata/tls/tls.crt');
    assert.equal(cfg.sslKeyLocation, '/etc/strata/tls/tls.key');
    assert.equal(cfg.saslEnabledMechanisms, 'SCRAM-SHA-512,PLAIN');
    assert.equal(cfg.authorizer, 'simple');
    assert.equal(cfg.superUsers, 'User:strata-operator;User:admin;User:CN=ops');
    assert.ok(!('saslBootstrapUsers' in cfg), 'the operator password never goes into the ConfigMap');
  });

  it('opens every listener port on the pod and both Services, mounts the TLS Secret and passes the operator credential', () => {
    const sts = buildStatefulSet(secure);
    const c = sts.spec!.template.spec!.containers[0]!;
    assert.deepEqual(c.ports!.map((p) => [p.name, p.containerPort]), [['kafka', 9092], ['kafka-1', 9093], ['metrics', 9644]]);
    assert.deepEqual(c.volumeMounts!.find((m) => m.name === 'tls'), { name: 'tls', mountPath: '/etc/strata/tls', readOnly: true });
    assert.deepEqual(sts.spec!.template.spec!.volumes!.find((v) => v.name === 'tls'), { name: 'tls', secret: { secretName: 'demo-tls' } });
    const env = new Map(c.env!.map((e) => [e.name, e]));
    assert.deepEqual(env.get('STRATA_OPERATOR_PASSWORD')!.valueFrom, { secretKeyRef: { name: 'demo-operator-credentials', key: 'password' } });
    assert.equal(env.get('STRATA_SASL_BOOTSTRAP_USERS')!.value, 'strata-operator:$(STRATA_OPERATOR_PASSWORD)');
    const names = [...env.keys()];
    assert.ok(names.indexOf('STRATA_OPERATOR_PASSWORD') < names.indexOf('STRATA_SASL_BOOTSTRAP_USERS'), '$(VAR) needs the variable defined first');
    assert.deepEqual(buildBootstrapService(secure).spec!.ports!.map((p) => p.port), [9092, 9093]);
    assert.deepEqual(buildHeadlessService(secure).spec!.ports!.map((p) => p.port), [9092, 9093, 9644]);
    const plain = buildStatefulSet(cluster()).spec!.template.spec!.containers[0]!;
    assert.ok(!plain.env!.some((e) => e.name === 'STRATA_SASL_BOOTSTRAP_USERS'));
    assert.ok(!plain.volumeMounts!.some((m) => m.name === 'tls'));
  });

  it('reports what the brokers cannot honour as written', () => {
    assert.deepEqual(listenerProblems(secure), []);
    const mixed = cluster({
      listeners: [
        { name: 'a', port: 9093, tls: true, tlsSecret: 's1', sasl: ['PLAIN'] },
        { name: 'b', port: 9094, tls: true, tlsSecret: 's2', sasl: ['SCRAM-SHA-512'] },
      ],
    });
    const p = listenerProblems(mixed);
    assert.equal(p.length, 2);
    assert.match(p[0]!, /different Secrets \(s1, s2\)/);
    assert.match(p[1]!, /accept PLAIN, SCRAM-SHA-512 on every SASL listener/);
    assert.match(listenerProblems(cluster({ authorization: { type: 'simple' } }))[0]!, /no listener has SASL/);
  });
});
