import { strict as assert } from 'node:assert';
import { parse } from 'yaml';
import * as N from '../../src/naming';
import {
  buildBootstrapService,
  buildBrokerConfigMap,
  buildClusterResources,
  buildHeadlessService,
  buildPodDisruptionBudget,
  buildServiceMonitor,
  buildStatefulSet,
  configHash,
  ignoredConfigKeys,
  type StrataClusterLike,
} from '../../src/resources';
import { unknownConfigKeys } from '../../src/resources/config-map';

function cluster(over: Partial<StrataClusterLike['spec']> = {}): StrataClusterLike {
  return {
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'StrataCluster',
    metadata: { name: 'demo', namespace: 'kafka', uid: 'uid-1234', generation: 3 },
    spec: {
      brokers: 3,
      image: 'registry.local/strata-broker:1.2.3',
      storage: { size: '10Gi', class: 'fast' },
      objectStore: {
        bucket: 'tiered-bucket',
        endpoint: 'http://minio.kafka.svc:9000',
        region: 'eu-west-1',
        pathStyle: true,
        prefix: 'demo/',
        credentialsSecret: { name: 's3-creds', accessKeyIdKey: 'id', secretAccessKeyKey: 'secret' },
      },
      ...over,
    },
  };
}

const EXPECTED_LABELS = {
  'app.kubernetes.io/name': 'strata',
  'app.kubernetes.io/instance': 'demo',
  'app.kubernetes.io/managed-by': 'strata-operator',
  'strata.dev/cluster': 'demo',
};

describe('operator resources', () => {
  describe('naming', () => {
    it('names every object after the cluster', () => {
      assert.equal(N.brokerConfigMapName('demo'), 'demo-config');
      assert.equal(N.brokerStatefulSetName('demo'), 'demo-broker');
      assert.equal(N.headlessServiceName('demo'), 'demo-brokers');
      assert.equal(N.bootstrapServiceName('demo'), 'demo-bootstrap');
      assert.equal(N.podDisruptionBudgetName('demo'), 'demo-broker');
      assert.equal(N.brokerPodName('demo', 2), 'demo-broker-2');
      assert.equal(N.dataPvcName('demo', 0), 'data-demo-broker-0');
    });
    it('formats the bootstrap address and per-broker hosts', () => {
      assert.equal(N.bootstrapAddress('demo', 'kafka'), 'demo-bootstrap.kafka.svc:9092');
      assert.equal(N.brokerHost('demo', 'kafka', 1), 'demo-broker-1.demo-brokers.kafka.svc');
    });
    it('rejects names that are not DNS-1035 labels or too long', () => {
      assert.equal(N.clusterNameProblem('demo'), undefined);
      assert.match(N.clusterNameProblem('Demo')!, /DNS-1035/);
      assert.match(N.clusterNameProblem('1abc')!, /DNS-1035/);
      assert.equal(N.clusterNameProblem('a'.repeat(N.MAX_CLUSTER_NAME_LENGTH)), undefined);
      assert.match(N.clusterNameProblem('a'.repeat(N.MAX_CLUSTER_NAME_LENGTH + 1))!, /at most 45/);
    });
  });

  describe('common metadata', () => {
    it('puts the labels, namespace and a controller owner reference on every object', () => {
      const r = buildClusterResources(cluster({ metrics: { serviceMonitor: true } }));
      const objects = [r.configMap, r.headlessService, r.bootstrapService, r.statefulSet, r.podDisruptionBudget, r.serviceMonitor!];
      assert.equal(objects.length, 6);
      for (const o of objects) {
        assert.equal(o.metadata!.namespace, 'kafka');
        for (const [k, v] of Object.entries(EXPECTED_LABELS)) assert.equal(o.metadata!.labels![k], v, `${o.kind} label ${k}`);
        assert.deepEqual(o.metadata!.ownerReferences, [
          { apiVersion: 'strata.dev/v1alpha1', kind: 'StrataCluster', name: 'demo', uid: 'uid-1234', controller: true, blockOwnerDeletion: true },
        ]);
      }
      assert.deepEqual(objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata!.name}`), [
        'v1/ConfigMap/demo-config',
        'v1/Service/demo-brokers',
        'v1/Service/demo-bootstrap',
        'apps/v1/StatefulSet/demo-broker',
        'policy/v1/PodDisruptionBudget/demo-broker',
        'monitoring.coreos.com/v1/ServiceMonitor/demo-broker',
      ]);
    });
  });

  describe('ConfigMap', () => {
    it('holds the shared broker keys, camelCase, with the object store as s3', () => {
      const cm = buildBrokerConfigMap(cluster({ retention: { ms: 3600000 }, config: { numPartitions: 6, logLevel: 'debug' } }));
      const cfg = parse(cm.data!['strata.yaml']) as Record<string, unknown>;
      assert.deepEqual(cfg, {
        clusterId: 'demo',
        dataDir: '/var/lib/strata/data',
        defaultReplicationFactor: 3,
        host: '0.0.0.0',
        logLevel: 'debug',
        logRetentionMs: 3600000,
        metricsHost: '0.0.0.0',
        metricsPort: 9644,
        minInsyncReplicas: 2,
        numPartitions: 6,
        objectStoreType: 's3',
        port: 9092,
        s3Bucket: 'tiered-bucket',
        s3Endpoint: 'http://minio.kafka.svc:9000',
        s3PathStyle: true,
        s3Prefix: 'demo/',
        s3Region: 'eu-west-1',
      });
      assert.deepEqual(Object.keys(cfg), Object.keys(cfg).sort(), 'keys sorted');
      assert.ok(!('nodeId' in cfg) && !('advertisedHost' in cfg) && !('s3AccessKeyId' in cfg));
    });
    it('keeps operator-managed keys from spec.config out and reports them', () => {
      const c = cluster({ config: { port: 1234, nodeId: 7, s3SecretAccessKey: 'x', logLevel: 'warn' } });
      const cfg = parse(buildBrokerConfigMap(c).data!['strata.yaml']) as Record<string, unknown>;
      assert.equal(cfg.port, 9092);
      assert.equal(cfg.logLevel, 'warn');
      assert.ok(!('nodeId' in cfg) && !('s3SecretAccessKey' in cfg));
      assert.deepEqual(ignoredConfigKeys(c), ['nodeId', 'port', 's3SecretAccessKey']);
    });
    it('accepts Kafka config names (server.properties style) and reports keys the broker does not know', () => {
      const c = cluster({ config: { 'log.segment.bytes': 1048576, 'num.partitions': 4, port: 1, 'no.such.key': 'x' } });
      const cfg = parse(buildBrokerConfigMap(c).data!['strata.yaml']) as Record<string, unknown>;
      assert.equal(cfg.logSegmentBytes, 1048576);
      assert.equal(cfg.numPartitions, 4);
      assert.ok(!('log.segment.bytes' in cfg) && !('no.such.key' in cfg));
      assert.deepEqual(unknownConfigKeys(c), ['no.such.key']);
      assert.deepEqual(ignoredConfigKeys(c), ['port']);
    });
    it('defaults region, path style, endpoint and prefix', () => {
      const cfg = parse(buildBrokerConfigMap(cluster({ objectStore: { bucket: 'b-1' } })).data!['strata.yaml']) as Record<string, unknown>;
      assert.equal(cfg.s3Region, 'us-east-1');
      assert.equal(cfg.s3PathStyle, false);
      assert.equal(cfg.s3Endpoint, '');
      assert.equal(cfg.s3Prefix, 'kafka/demo');
    });
  });

  describe('config hash', () => {
    it('is stable for equal config and ignores unrelated spec changes', () => {
      const a = buildClusterResources(cluster());
      const b = buildClusterResources(cluster({ brokers: 5, image: 'other:1', storage: { size: '20Gi', class: 'fast' } }));
      const hash = a.statefulSet.spec!.template.metadata!.annotations![N.ANNOTATION_CONFIG_HASH];
      assert.match(hash!, /^[0-9a-f]{64}$/);
      assert.equal(hash, configHash(a.configMap));
      assert.equal(b.statefulSet.spec!.template.metadata!.annotations![N.ANNOTATION_CONFIG_HASH], hash);
      // Key order of spec.config does not matter.
      const x = configHash(buildBrokerConfigMap(cluster({ config: { logLevel: 'warn', numPartitions: 3 } })));
      const y = configHash(buildBrokerConfigMap(cluster({ config: { numPartitions: 3, logLevel: 'warn' } })));
      assert.equal(x, y);
    });
    it('changes when the config changes', () => {
      const base = configHash(buildBrokerConfigMap(cluster()));
      assert.notEqual(configHash(buildBrokerConfigMap(cluster({ config: { logLevel: 'warn' } }))), base);
      assert.notEqual(configHash(buildBrokerConfigMap(cluster({ retention: { bytes: 1000 } }))), base);
      const moved = cluster();
      moved.spec.objectStore.bucket = 'another-bucket';
      const sts = buildStatefulSet(moved);
      assert.notEqual(sts.spec!.template.metadata!.annotations![N.ANNOTATION_CONFIG_HASH], base);
    });
  });

  describe('Services', () => {
    it('headless Service: clusterIP None, not-ready addresses published, kafka and metrics ports', () => {
      const s = buildHeadlessService(cluster());
      assert.equal(s.metadata!.name, 'demo-brokers');
      assert.equal(s.spec!.clusterIP, 'None');
      assert.equal(s.spec!.publishNotReadyAddresses, true);
      assert.deepEqual(s.spec!.ports!.map((p) => [p.name, p.port]), [['kafka', 9092], ['metrics', 9644]]);
      assert.deepEqual(s.spec!.selector, { 'app.kubernetes.io/name': 'strata', 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'broker' });
    });
    it('bootstrap Service on 9092 selecting the brokers', () => {
      const s = buildBootstrapService(cluster());
      assert.equal(s.metadata!.name, 'demo-bootstrap');
      assert.equal(s.spec!.type, 'ClusterIP');
      assert.deepEqual(s.spec!.ports, [{ name: 'kafka', port: 9092, targetPort: 'kafka', protocol: 'TCP' }]);
      assert.deepEqual(s.spec!.selector, buildHeadlessService(cluster()).spec!.selector);
    });
  });

  describe('StatefulSet', () => {
    const sts = buildStatefulSet(cluster({ resources: { requests: { cpu: 1, memory: '2Gi' }, limits: { memory: '4Gi' } } }));
    const pod = sts.spec!.template.spec!;
    const container = pod.containers[0]!;

    it('runs `brokers` replicas of the image under the headless Service, in parallel, rolling updates', () => {
      assert.equal(sts.metadata!.name, 'demo-broker');
      assert.equal(sts.spec!.replicas, 3);
      assert.equal(sts.spec!.serviceName, 'demo-brokers');
      assert.equal(sts.spec!.podManagementPolicy, 'Parallel');
      assert.equal(sts.spec!.updateStrategy!.type, 'RollingUpdate');
      assert.equal(container.image, 'registry.local/strata-broker:1.2.3');
      assert.deepEqual(sts.spec!.selector.matchLabels, sts.spec!.template.metadata!.labels && {
        'app.kubernetes.io/name': 'strata', 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'broker',
      });
      for (const [k, v] of Object.entries(sts.spec!.selector.matchLabels!)) assert.equal(sts.spec!.template.metadata!.labels![k], v);
    });
    it('keeps the brokers\' claims when the cluster is deleted or scaled down, labelled for cleanup', () => {
      assert.deepEqual(sts.spec!.persistentVolumeClaimRetentionPolicy, { whenDeleted: 'Retain', whenScaled: 'Retain' });
      assert.equal(sts.spec!.volumeClaimTemplates![0]!.metadata!.labels!['strata.dev/cluster'], 'demo');
    });
    it('sets the rolling-update partition when asked', () => {
      assert.deepEqual(buildStatefulSet(cluster(), { partition: 2 }).spec!.updateStrategy!.rollingUpdate, { partition: 2 });
    });
    it('defaults brokers and image when the spec leaves them unset', () => {
      const c = cluster();
      delete c.spec.brokers;
      delete c.spec.image;
      const s = buildStatefulSet(c, { defaultImage: 'op-release:9' });
      assert.equal(s.spec!.replicas, N.DEFAULT_BROKERS);
      assert.equal(s.spec!.template.spec!.containers[0]!.image, 'op-release:9');
      assert.equal(buildStatefulSet(c).spec!.template.spec!.containers[0]!.image, N.DEFAULT_BROKER_IMAGE);
    });
    it('disables service links and runs as non-root', () => {
      assert.equal(pod.enableServiceLinks, false);
      assert.equal(pod.securityContext!.runAsNonRoot, true);
      assert.equal(pod.securityContext!.runAsUser, 1000);
      assert.equal(container.securityContext!.allowPrivilegeEscalation, false);
      assert.deepEqual(container.securityContext!.capabilities!.drop, ['ALL']);
    });
    it('probes /healthz (liveness) and /readyz (readiness) on the metrics port 9644', () => {
      assert.deepEqual(container.livenessProbe!.httpGet, { path: '/healthz', port: 'metrics' });
      assert.deepEqual(container.readinessProbe!.httpGet, { path: '/readyz', port: 'metrics' });
      // Startup: probed every second (Ready soon after a restart) within a 5-minute budget for log recovery.
      assert.deepEqual(container.startupProbe!.httpGet, { path: '/healthz', port: 'metrics' });
      assert.equal(container.startupProbe!.periodSeconds, 1);
      assert.equal(container.startupProbe!.periodSeconds! * container.startupProbe!.failureThreshold!, 300);
      assert.ok(container.ports!.some((p) => p.name === 'metrics' && p.containerPort === 9644));
      assert.ok(container.ports!.some((p) => p.name === 'kafka' && p.containerPort === 9092));
    });
    it('derives nodeId and advertisedHost from the pod and reads credentials from the Secret', () => {
      const env = Object.fromEntries(container.env!.map((e) => [e.name, e]));
      assert.equal(env.STRATA_DATA_DIR!.value, '/var/lib/strata/data', 'a folder in the volume, over the image\'s default');
      assert.equal(env.STRATA_NODE_ID!.valueFrom!.fieldRef!.fieldPath, "metadata.labels['apps.kubernetes.io/pod-index']");
      assert.equal(env.STRATA_ADVERTISED_HOST!.value, '$(POD_NAME).demo-brokers.$(POD_NAMESPACE).svc');
      const names = container.env!.map((e) => e.name);
      assert.ok(names.indexOf('POD_NAME') < names.indexOf('STRATA_ADVERTISED_HOST'), 'POD_NAME defined before its use');
      assert.ok(names.indexOf('POD_NAMESPACE') < names.indexOf('STRATA_ADVERTISED_HOST'));
      assert.equal(env.STRATA_CONFIG!.value, '/etc/strata/strata.yaml');
      assert.deepEqual(env.STRATA_S3_ACCESS_KEY_ID!.valueFrom!.secretKeyRef, { name: 's3-creds', key: 'id' });
      assert.deepEqual(env.STRATA_S3_SECRET_ACCESS_KEY!.valueFrom!.secretKeyRef, { name: 's3-creds', key: 'secret' });
      // Only known broker keys (or STRATA_CONFIG) may start with STRATA_.
      const known = new Set(['STRATA_NODE_ID', 'STRATA_ADVERTISED_HOST', 'STRATA_CONFIG', 'STRATA_DATA_DIR', 'STRATA_S3_ACCESS_KEY_ID', 'STRATA_S3_SECRET_ACCESS_KEY']);
      for (const n of names) if (n.startsWith('STRATA_')) assert.ok(known.has(n), n);
    });
    it('uses default Secret keys, and no credential env without a Secret', () => {
      const c = cluster();
      c.spec.objectStore.credentialsSecret = { name: 'creds' };
      const env = buildStatefulSet(c).spec!.template.spec!.containers[0]!.env!;
      assert.deepEqual(env.find((e) => e.name === 'STRATA_S3_ACCESS_KEY_ID')!.valueFrom!.secretKeyRef, { name: 'creds', key: 'AWS_ACCESS_KEY_ID' });
      assert.deepEqual(env.find((e) => e.name === 'STRATA_S3_SECRET_ACCESS_KEY')!.valueFrom!.secretKeyRef, { name: 'creds', key: 'AWS_SECRET_ACCESS_KEY' });
      delete c.spec.objectStore.credentialsSecret;
      const none = buildStatefulSet(c).spec!.template.spec!.containers[0]!.env!;
      assert.ok(!none.some((e) => e.name.startsWith('STRATA_S3_')));
    });
    it('mounts the ConfigMap and a data PVC template of the requested size and class', () => {
      assert.deepEqual(pod.volumes!.find((v) => v.name === 'config')!.configMap, { name: 'demo-config' });
      assert.ok(container.volumeMounts!.some((m) => m.name === 'data' && m.mountPath === '/var/lib/strata'));
      const [pvc] = sts.spec!.volumeClaimTemplates!;
      assert.equal(sts.spec!.volumeClaimTemplates!.length, 1);
      assert.equal(pvc!.metadata!.name, 'data');
      assert.deepEqual(pvc!.spec!.accessModes, ['ReadWriteOnce']);
      assert.equal(pvc!.spec!.storageClassName, 'fast');
      assert.deepEqual(pvc!.spec!.resources!.requests, { storage: '10Gi' });
      const noClass = buildStatefulSet(cluster({ storage: { size: '1Gi' } })).spec!.volumeClaimTemplates![0]!;
      assert.ok(!('storageClassName' in noClass.spec!));
    });
    it('passes resources with quantities as strings', () => {
      assert.deepEqual(container.resources, { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } });
      assert.ok(!('resources' in buildStatefulSet(cluster()).spec!.template.spec!.containers[0]!));
    });
  });

  describe('PodDisruptionBudget', () => {
    it('allows one broker down at a time', () => {
      const pdb = buildPodDisruptionBudget(cluster());
      assert.equal(pdb.metadata!.name, 'demo-broker');
      assert.equal(pdb.spec!.maxUnavailable, 1);
      assert.deepEqual(pdb.spec!.selector!.matchLabels, buildStatefulSet(cluster()).spec!.selector.matchLabels);
    });
  });

  describe('ServiceMonitor', () => {
    it('exists only when spec.metrics.serviceMonitor is on', () => {
      assert.equal(buildServiceMonitor(cluster()), undefined);
      assert.equal(buildServiceMonitor(cluster({ metrics: { serviceMonitor: false } })), undefined);
      assert.ok(!('serviceMonitor' in buildClusterResources(cluster())));
      const sm = buildServiceMonitor(cluster({ metrics: { serviceMonitor: true } }))!;
      assert.equal(sm.kind, 'ServiceMonitor');
      assert.deepEqual(sm.spec.endpoints.map((e) => [e.port, e.path]), [['metrics', '/metrics']]);
    });
    it('selects the headless Service only', () => {
      const sm = buildServiceMonitor(cluster({ metrics: { serviceMonitor: true } }))!;
      const matches = (labels: Record<string, string>) => Object.entries(sm.spec.selector.matchLabels!).every(([k, v]) => labels[k] === v);
      assert.ok(matches(buildHeadlessService(cluster()).metadata!.labels!));
      assert.ok(!matches(buildBootstrapService(cluster()).metadata!.labels!));
    });
  });
});
