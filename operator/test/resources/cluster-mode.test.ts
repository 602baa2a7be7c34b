import { strict as assert } from 'node:assert';
import { parse } from 'yaml';
import * as N from '../../src/naming';
import {
  type StrataClusterLike, buildBrokerConfigMap, buildClusterResources, buildStatefulSet, clusterSpecProblems, configHash,
  interBrokerListener, invalidConfigValues, terminationGraceSeconds,
} from '../../src/resources';

function cluster(over: Partial<StrataClusterLike['spec']> = {}, name = 'demo'): StrataClusterLike {
  return {
    metadata: { name, namespace: 'kafka', uid: 'uid-1' },
    spec: { brokers: 3, storage: { size: '1Gi' }, objectStore: { bucket: 'shared-bucket' }, ...over },
  };
}
const brokerYaml = (c: StrataClusterLike) => parse(buildBrokerConfigMap(c).data![N.CONFIG_FILE_NAME]!) as Record<string, unknown>;
const reasons = (c: StrataClusterLike) => clusterSpecProblems(c).map((p) => p.reason);

describe('operator: cluster mode builders', () => {
  it('gives every broker its pod ordinal as node id and its own DNS name under the headless Service', () => {
    const sts = buildStatefulSet(cluster());
    assert.equal(sts.spec!.replicas, 3);
    assert.equal(sts.spec!.serviceName, N.headlessServiceName('demo'));
    const env = Object.fromEntries(sts.spec!.template.spec!.containers[0]!.env!.map((e) => [e.name, e]));
    // The StatefulSet controller labels pod demo-broker-<n> with apps.kubernetes.io/pod-index=<n>.
    assert.equal(env.STRATA_NODE_ID!.valueFrom!.fieldRef!.fieldPath, `metadata.labels['${N.LABEL_POD_INDEX}']`);
    assert.equal(env.STRATA_ADVERTISED_HOST!.value, '$(POD_NAME).demo-brokers.$(POD_NAMESPACE).svc');
    // What $(POD_NAME) expands to for each ordinal: the per-broker names the brokers advertise.
    assert.deepEqual([0, 1, 2].map((i) => N.brokerHost('demo', 'kafka', i)),
      ['demo-broker-0.demo-brokers.kafka.svc', 'demo-broker-1.demo-brokers.kafka.svc', 'demo-broker-2.demo-brokers.kafka.svc']);
    const headless = buildClusterResources(cluster()).headlessService;
    assert.equal(headless.spec!.clusterIP, 'None');
    assert.equal(headless.spec!.publishNotReadyAddresses, true, 'brokers resolve each other before they are ready');
  });

  it('shares one cluster id and one object store (the spec\'s bucket and prefix) across the brokers', () => {
    const cfg = brokerYaml(cluster());
    assert.equal(cfg.clusterId, 'demo');
    assert.equal(cfg.objectStoreType, 's3');
    assert.equal(cfg.s3Bucket, 'shared-bucket');
    assert.equal(cfg.s3Prefix, 'kafka/demo');
    assert.ok(!('nodeId' in cfg) && !('advertisedHost' in cfg), 'per-broker keys come from the pod, not the shared file');
  });

  it('sets default.replication.factor = min(3, brokers) and min.insync.replicas = min(2, brokers), none for one broker', () => {
    const keys = (n: number) => {
      const cfg = brokerYaml(cluster({ brokers: n }));
      return [cfg.defaultReplicationFactor, cfg.minInsyncReplicas];
    };
    assert.deepEqual(keys(1), [undefined, undefined], 'one broker keeps the broker defaults (and its config hash)');
    assert.deepEqual(keys(2), [2, 2]);
    assert.deepEqual(keys(3), [3, 2]);
    assert.deepEqual(keys(7), [3, 2]);
    // A one-broker cluster's config is what it was before cluster mode: no roll on operator upgrade.
    assert.ok(!('interBrokerListenerName' in brokerYaml(cluster({ brokers: 1 }))));
  });

  it('lets spec.config override the defaults, by Kafka name or key', () => {
    const cfg = brokerYaml(cluster({ brokers: 5, config: { 'default.replication.factor': 4, minInsyncReplicas: 3 } }));
    assert.equal(cfg.defaultReplicationFactor, 4);
    assert.equal(cfg.minInsyncReplicas, 3);
    assert.deepEqual(clusterSpecProblems(cluster({ brokers: 5, config: { 'default.replication.factor': 4, minInsyncReplicas: 3 } })), []);
  });

  it('changing the broker count changes the config (the remaining brokers roll to the new defaults)', () => {
    const h = (n: number) => configHash(buildBrokerConfigMap(cluster({ brokers: n })));
    assert.notEqual(h(2), h(3));
    assert.equal(h(3), h(4), 'min(3, n) and min(2, n) are the same for 3 and 4 brokers');
  });

  it('replicates over the first listener without SASL, naming it only when it is not the first', () => {
    const saslFirst = cluster({ listeners: [
      { name: 'secure', port: 9093, tls: true, tlsSecret: 't', sasl: ['SCRAM-SHA-512'] },
      { name: 'internal', port: 9091, tls: false },
    ] });
    assert.equal(interBrokerListener(saslFirst)!.name, 'internal');
    assert.equal(brokerYaml(saslFirst).interBrokerListenerName, 'INTERNAL');
    const plainFirst = cluster({ listeners: [{ name: 'plain', port: 9092, tls: false }, { name: 'secure', port: 9093, tls: true, tlsSecret: 't', sasl: ['PLAIN'] }] });
    assert.ok(!('interBrokerListenerName' in brokerYaml(plainFirst)), 'the first listener is the broker\'s default');
  });

  it('refuses specs that cannot form a cluster, with reasons that say what to change', () => {
    assert.deepEqual(clusterSpecProblems(cluster()), []);
    assert.deepEqual(reasons(cluster({ config: { objectStoreType: 'local' } })), ['ObjectStoreNotShared']);
    assert.deepEqual(reasons(cluster({ config: { objectStoreDir: '/var/lib/strata/store' } })), ['ObjectStoreNotShared']);
    assert.match(clusterSpecProblems(cluster({ config: { objectStoreType: 'local' } }))[0]!.message, /each pod's own volume.*spec\.objectStore/);
    assert.deepEqual(reasons(cluster({ brokers: 1, config: { objectStoreType: 'local' } })), [], 'one broker: an ignored key, not a blocker');
    const allSasl = [{ name: 'secure', port: 9093, tls: true, tlsSecret: 't', sasl: ['SCRAM-SHA-512' as const] }];
    assert.deepEqual(reasons(cluster({ listeners: allSasl })), ['NoInterBrokerListener']);
    assert.deepEqual(reasons(cluster({ brokers: 1, listeners: allSasl })), []);
    assert.deepEqual(reasons(cluster({ brokers: 2, config: { 'default.replication.factor': 3 } })), ['ReplicationFactorTooHigh']);
    assert.deepEqual(reasons(cluster({ brokers: 1, config: { 'default.replication.factor': 3 } })), ['ReplicationFactorTooHigh']);
    assert.deepEqual(reasons(cluster({ brokers: 3, config: { 'min.insync.replicas': 3, 'default.replication.factor': 2 } })), ['MinInsyncReplicasTooHigh']);
    assert.deepEqual(reasons(cluster({ brokers: 1, config: { 'min.insync.replicas': 2 } })), ['MinInsyncReplicasTooHigh']);
  });

  it('reports spec.config values the broker would reject (it would crash-loop), ignoring operator-managed keys', () => {
    assert.deepEqual(invalidConfigValues(cluster({ config: { 'log.segment.bytes': 'big', numPartitions: 0, nodeId: 'x', logLevel: 'warn' } })), [
      'invalid value "big" for spec.config log.segment.bytes: expected an integer from 14 to 2147483647',
      'invalid value 0 for spec.config numPartitions: expected an integer from 1 to 2147483647',
    ]);
    assert.deepEqual(invalidConfigValues(cluster({ config: { 'log.segment.bytes': '1048576', deleteTopicEnable: 'false' } })), []);
  });

  it('gives the broker\'s controlled shutdown its whole shutdownTimeoutMs before the kubelet kills it', () => {
    assert.equal(terminationGraceSeconds(cluster()), 60, 'the default 30 s shutdown fits the 60 s grace');
    const long = cluster({ config: { shutdownTimeoutMs: 120000 } });
    assert.equal(terminationGraceSeconds(long), 130);
    assert.equal(buildStatefulSet(long).spec!.template.spec!.terminationGracePeriodSeconds, 130);
    assert.ok(buildStatefulSet(cluster()).spec!.template.spec!.terminationGracePeriodSeconds! * 1000 >= 30000);
  });
});
