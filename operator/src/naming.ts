// Every Kubernetes object name, label and well-known constant the operator uses, in one module
// (Strimzi-style), so builders, reconcilers, tests and docs agree on them.

export const API_GROUP = 'strata.dev';
export const API_VERSION = 'v1alpha1';
export const CLUSTER_API_VERSION = `${API_GROUP}/${API_VERSION}`;
export const CLUSTER_KIND = 'StrataCluster';
export const FIELD_MANAGER = 'strata-operator';

// Ports and paths of the broker (broker/src/config.ts defaults: port 9092, metricsPort 9644).
export const KAFKA_PORT = 9092;
export const KAFKA_PORT_NAME = 'kafka';
export const METRICS_PORT = 9644;
export const METRICS_PORT_NAME = 'metrics';
export const HEALTHZ_PATH = '/healthz';
export const READYZ_PATH = '/readyz';
export const METRICS_PATH = '/metrics';

// Inside the broker pod.
export const BROKER_CONTAINER_NAME = 'broker';
export const CONFIG_VOLUME_NAME = 'config';
export const CONFIG_MOUNT_PATH = '/etc/strata';
export const CONFIG_FILE_NAME = 'strata.yaml';
export const CONFIG_FILE_PATH = `${CONFIG_MOUNT_PATH}/${CONFIG_FILE_NAME}`;
export const DATA_VOLUME_NAME = 'data';
export const DATA_MOUNT_PATH = '/var/lib/strata';
export const DATA_DIR = `${DATA_MOUNT_PATH}/data`;
export const TMP_VOLUME_NAME = 'tmp';
export const BROKER_UID = 1000;

// Defaults the CRD also declares (the API server fills them in; builders repeat them for objects built in tests).
/** One broker unless the spec asks for more (then they form one replicated cluster, resources/cluster-mode.ts). */
export const DEFAULT_BROKERS = 1;
/** Broker image when spec.image is unset and the operator passes none (the chart sets the release's). */
export const DEFAULT_BROKER_IMAGE = 'strata-broker:latest';
export const DEFAULT_ACCESS_KEY_ID_KEY = 'AWS_ACCESS_KEY_ID';
export const DEFAULT_SECRET_ACCESS_KEY_KEY = 'AWS_SECRET_ACCESS_KEY';
/** Object-store key prefix when spec.objectStore.prefix is unset: `<namespace>/<name>`. */
export const defaultObjectStorePrefix = (cluster: string, namespace: string): string => `${namespace}/${cluster}`;

// Labels and annotations.
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_CLUSTER = 'strata.dev/cluster';
export const LABEL_SERVICE_ROLE = 'strata.dev/service-role';
export const APP_NAME = 'strata';
export const MANAGED_BY = 'strata-operator';
export const COMPONENT_BROKER = 'broker';
/** Set by the StatefulSet controller on each pod (Kubernetes ≥ 1.28): the pod's ordinal. */
export const LABEL_POD_INDEX = 'apps.kubernetes.io/pod-index';
export const ANNOTATION_CONFIG_HASH = 'strata.dev/config-hash';
export const TOPIC_FINALIZER = 'strata.dev/topic';
export const USER_FINALIZER = 'strata.dev/user';
/** On Secrets the user reconciler owns: the StrataUser they belong to (so a change or deletion requeues it). */
export const LABEL_USER = 'strata.dev/user';

// Users and credentials.
/** SASL user the operator itself logs in as (a super user of every cluster with authorization). */
export const OPERATOR_USERNAME = 'strata-operator';
/** Keys of a user's Secret, as Strimzi's KafkaUser Secrets have them (clients mount either). */
export const SECRET_KEY_PASSWORD = 'password';
export const SECRET_KEY_JAAS = 'sasl.jaas.config';
export const SECRET_KEY_USERNAME = 'username';
/** The mechanism StrataUser credentials are created for (the CRD's authentication types are SCRAM-SHA-512). */
export const USER_SCRAM_MECHANISM = 'SCRAM-SHA-512';
/** Generated passwords: 32 characters of [A-Za-z0-9] (≈ 190 bits). */
export const GENERATED_PASSWORD_LENGTH = 32;

/** Longest cluster name whose pods' names (`<cluster>-broker-<n>`) still fit the 63-character label limit
 *  the StatefulSet controller needs (controller-revision-hash label = `<statefulset>-<10 chars>`). */
export const MAX_CLUSTER_NAME_LENGTH = 45;

// Object names, derived from the StrataCluster's name.
export const brokerConfigMapName = (cluster: string): string => `${cluster}-config`;
export const brokerStatefulSetName = (cluster: string): string => `${cluster}-broker`;
export const headlessServiceName = (cluster: string): string => `${cluster}-brokers`;
export const bootstrapServiceName = (cluster: string): string => `${cluster}-bootstrap`;
export const podDisruptionBudgetName = (cluster: string): string => `${cluster}-broker`;
export const serviceMonitorName = (cluster: string): string => `${cluster}-broker`;
export const brokerPodName = (cluster: string, ordinal: number): string => `${brokerStatefulSetName(cluster)}-${ordinal}`;
/** A StrataUser's generated Secret has the user's name (Strimzi's convention). */
export const userSecretName = (user: string): string => user;
/** The operator's own credential for a cluster with SASL listeners. */
export const operatorCredentialsSecretName = (cluster: string): string => `${cluster}-operator-credentials`;
export const dataPvcName = (cluster: string, ordinal: number): string => `${DATA_VOLUME_NAME}-${brokerPodName(cluster, ordinal)}`;

/** `<cluster>-bootstrap.<ns>.svc:<port>`: the address clients (and the operator) start from, per listener port. */
export const bootstrapAddress = (cluster: string, namespace: string, port: number = KAFKA_PORT): string =>
  `${bootstrapServiceName(cluster)}.${namespace}.svc:${port}`;

/** Per-broker DNS name through the headless Service: `<cluster>-broker-<n>.<cluster>-brokers.<ns>.svc`. */
export const brokerHost = (cluster: string, namespace: string, ordinal: number): string =>
  `${brokerPodName(cluster, ordinal)}.${headlessServiceName(cluster)}.${namespace}.svc`;

/** Why a StrataCluster name cannot be used, or undefined when it can (DNS-1035 label, length limit). */
export function clusterNameProblem(name: string): string | undefined {
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    return `cluster name "${name}" must start with a lowercase letter and contain only lowercase letters, digits and "-" (a DNS-1035 label)`;
  }
  if (name.length > MAX_CLUSTER_NAME_LENGTH) {
    return `cluster name "${name}" is ${name.length} characters long; at most ${MAX_CLUSTER_NAME_LENGTH} fit the names of its broker pods`;
  }
  return undefined;
}
