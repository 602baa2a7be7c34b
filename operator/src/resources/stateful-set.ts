// The brokers' StatefulSet.
import type { V1EnvVar, V1ResourceRequirements, V1StatefulSet } from '@kubernetes/client-node';
import * as N from '../naming';
import { brokerCount, terminationGraceSeconds } from './cluster-mode';
import { brokerLabels, brokerSelector, objectMeta } from './common';
import { buildBrokerConfigMap, configHash } from './config-map';
import { listenerContainerPorts, operatorCredentialEnv, tlsVolume } from './listeners';
import type { StrataClusterLike, StrataClusterSpec } from './types';

export interface StatefulSetOptions {
  /** RollingUpdate partition: pods with an ordinal ≥ this get the new template. The cluster reconciler
   *  steps it down one broker at a time; undefined leaves it to the StatefulSet controller (0). */
  partition?: number;
  /** The config hash to stamp on the pod template; defaults to the hash of buildBrokerConfigMap(cluster). */
  configHash?: string;
  /** Image when spec.image is unset (the operator passes its matching release); default DEFAULT_BROKER_IMAGE. */
  defaultImage?: string;
}

/** The CRD's resources (quantities may be numbers) as Kubernetes quantities (strings). */
export function containerResources(r: StrataClusterSpec['resources']): V1ResourceRequirements | undefined {
  if (!r) return undefined;
  const q = (m: Record<string, string | number> | undefined) =>
    m === undefined ? undefined : Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
  const out: V1ResourceRequirements = {};
  const requests = q(r.requests);
  const limits = q(r.limits);
  if (requests) out.requests = requests;
  if (limits) out.limits = limits;
  return out;
}

/** Startup probe: how often, and how long a broker may take to start (log recovery) before it is restarted. */
export const STARTUP_PROBE_PERIOD_SECONDS = 1;
export const STARTUP_BUDGET_SECONDS = 300;

/** What happens to the brokers' PersistentVolumeClaims (operator/README.md, "Storage"). */
export const PVC_RETENTION = { whenDeleted: 'Retain', whenScaled: 'Retain' } as const;

/** Env of the broker container: per-pod keys from the downward API, credentials from the Secret. */
export function brokerEnv(cluster: StrataClusterLike): V1EnvVar[] {
  const headless = N.headlessServiceName(cluster.metadata.name);
  const env: V1EnvVar[] = [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    // nodeId = the pod's ordinal, which the StatefulSet controller puts in a label.
    { name: 'STRATA_NODE_ID', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${N.LABEL_POD_INDEX}']` } } },
    // $(VAR) is expanded by the kubelet from the variables defined above it.
    { name: 'STRATA_ADVERTISED_HOST', value: `$(POD_NAME).${headless}.$(POD_NAMESPACE).svc` },
    { name: 'STRATA_CONFIG', value: N.CONFIG_FILE_PATH },
    // The data dir is a folder inside the volume (a volume's root may hold lost+found). Set as env: an image's
    // own STRATA_DATA_DIR (broker/Dockerfile sets one for plain `docker run`) would win over the config file.
    { name: 'STRATA_DATA_DIR', value: N.DATA_DIR },
  ];
  env.push(...operatorCredentialEnv(cluster));
  const creds = cluster.spec.objectStore.credentialsSecret;
  if (creds) {
    env.push(
      { name: 'STRATA_S3_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: creds.name, key: creds.accessKeyIdKey ?? N.DEFAULT_ACCESS_KEY_ID_KEY } } },
      { name: 'STRATA_S3_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: creds.name, key: creds.secretAccessKeyKey ?? N.DEFAULT_SECRET_ACCESS_KEY_KEY } } },
    );
  }
  return env;
}

export function buildStatefulSet(cluster: StrataClusterLike, options: StatefulSetOptions = {}): V1StatefulSet {
  const name = cluster.metadata.name;
  const { spec } = cluster;
  const hash = options.configHash ?? configHash(buildBrokerConfigMap(cluster));
  const resources = containerResources(spec.resources);
  const tls = tlsVolume(cluster);
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta(cluster, N.brokerStatefulSetName(name), { [N.LABEL_COMPONENT]: N.COMPONENT_BROKER }),
    spec: {
      replicas: brokerCount(cluster),
      serviceName: N.headlessServiceName(name),
      podManagementPolicy: 'Parallel',
      // Broker volumes outlive the StatefulSet and scale-downs: deleting a StrataCluster (or lowering brokers)
      // never deletes data; remove the claims with `kubectl delete pvc -l strata.dev/cluster=<name>`.
      persistentVolumeClaimRetentionPolicy: PVC_RETENTION,
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: options.partition === undefined ? {} : { partition: options.partition },
      },
      selector: { matchLabels: brokerSelector(cluster) },
      template: {
        metadata: { labels: brokerLabels(cluster), annotations: { [N.ANNOTATION_CONFIG_HASH]: hash } },
        spec: {
          // Otherwise a Service named e.g. "strata" injects STRATA_PORT=tcp://…, which the broker rejects.
          enableServiceLinks: false,
          // SIGTERM starts the broker's controlled shutdown (leaderships handed to other replicas first), bounded by
          // shutdownTimeoutMs; the grace period covers it so the kubelet never SIGKILLs a broker mid-handover.
          terminationGracePeriodSeconds: terminationGraceSeconds(cluster),
          securityContext: {
            runAsNonRoot: true,
            runAsUser: N.BROKER_UID,
            runAsGroup: N.BROKER_UID,
            fsGroup: N.BROKER_UID,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: brokerSelector(cluster) } } },
              ],
            },
          },
          containers: [
            {
              name: N.BROKER_CONTAINER_NAME,
              image: spec.image ?? options.defaultImage ?? N.DEFAULT_BROKER_IMAGE,
              env: brokerEnv(cluster),
              ports: [...listenerContainerPorts(cluster), { name: N.METRICS_PORT_NAME, containerPort: N.METRICS_PORT, protocol: 'TCP' }],
              ...(resources ? { resources } : {}),
              // A broker in a pod answers /healthz ~6 s after its container starts (e2e/k8s): probing every second
              // (same 5-minute budget for replaying a large log) makes it Ready about 4 s sooner than every 5 s.
              startupProbe: { httpGet: { path: N.HEALTHZ_PATH, port: N.METRICS_PORT_NAME }, periodSeconds: STARTUP_PROBE_PERIOD_SECONDS, failureThreshold: STARTUP_BUDGET_SECONDS / STARTUP_PROBE_PERIOD_SECONDS },
              livenessProbe: { httpGet: { path: N.HEALTHZ_PATH, port: N.METRICS_PORT_NAME }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
              readinessProbe: { httpGet: { path: N.READYZ_PATH, port: N.METRICS_PORT_NAME }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: [
                { name: N.CONFIG_VOLUME_NAME, mountPath: N.CONFIG_MOUNT_PATH, readOnly: true },
                { name: N.DATA_VOLUME_NAME, mountPath: N.DATA_MOUNT_PATH },
                { name: N.TMP_VOLUME_NAME, mountPath: '/tmp' },
                ...(tls ? [tls.mount] : []),
              ],
            },
          ],
          volumes: [
            { name: N.CONFIG_VOLUME_NAME, configMap: { name: N.brokerConfigMapName(name) } },
            { name: N.TMP_VOLUME_NAME, emptyDir: {} },
            ...(tls ? [tls.volume] : []),
          ],
        },
      },
      volumeClaimTemplates: [
        {
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: { name: N.DATA_VOLUME_NAME, labels: brokerLabels(cluster) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(spec.storage.class ? { storageClassName: spec.storage.class } : {}),
            resources: { requests: { storage: spec.storage.size } },
          },
        },
      ],
    },
  };
}
