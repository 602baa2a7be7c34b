// A StrataCluster's listeners and authorization as broker configuration, pod ports, TLS volume and the
// operator's bootstrap credential. Pure functions. Each listener binds every interface on its port and
// advertises the pod's DNS name (STRATA_ADVERTISED_HOST); its security protocol follows tls and sasl.
// The broker has one certificate and one SASL mechanism list for all listeners, so listeners that ask for
// different ones are reported (listenerProblems) and the first TLS Secret / the union of mechanisms is used.
import type { V1ContainerPort, V1EnvVar, V1ServicePort, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { DEFAULT_LISTENERS, type Listener } from '../api/strata-cluster';
import * as N from '../naming';
import type { BrokerConfigValue, StrataClusterLike } from './types';

export const TLS_VOLUME_NAME = 'tls';
export const TLS_MOUNT_PATH = '/etc/strata/tls';
/** Env var holding the operator's password in the broker pod (from its Secret); expanded into the next one. */
const OPERATOR_PASSWORD_ENV = 'STRATA_OPERATOR_PASSWORD';

/** The listeners of a cluster, with the CRD's default when none are given. */
export function listenersOf(cluster: Pick<StrataClusterLike, 'spec'>): Listener[] {
  const ls = cluster.spec.listeners ?? [];
  return ls.length > 0 ? ls : DEFAULT_LISTENERS;
}

/** Whether any listener authenticates clients with SASL (else a SCRAM user could never log in). */
export const hasSaslListener = (c: Pick<StrataClusterLike, 'spec'>): boolean => listenersOf(c).some((l) => (l.sasl?.length ?? 0) > 0);

/** Whether the brokers enforce ACLs (else ACLs would grant and deny nothing). */
export const hasAuthorization = (c: Pick<StrataClusterLike, 'spec'>): boolean => c.spec.authorization?.type === 'simple';

/** Kafka listener name of a listener: "sasl-tls" → SASL_TLS. */
export const kafkaListenerName = (l: Listener): string => l.name.toUpperCase().replace(/-/g, '_');

export function securityProtocol(l: Listener): 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL' {
  const sasl = (l.sasl?.length ?? 0) > 0;
  if (l.tls) return sasl ? 'SASL_SSL' : 'SSL';
  return sasl ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
}

/** Container/Service port name: the first listener keeps "kafka" (as before listeners existed). */
export const listenerPortName = (index: number): string => (index === 0 ? N.KAFKA_PORT_NAME : `${N.KAFKA_PORT_NAME}-${index}`);

const saslListeners = (c: StrataClusterLike) => listenersOf(c).filter((l) => (l.sasl?.length ?? 0) > 0);
const tlsListeners = (c: StrataClusterLike) => listenersOf(c).filter((l) => l.tls && l.tlsSecret);

/** The principals allowed everything: the spec's (bare names become User:name) and the operator's. */
export function superUsers(c: StrataClusterLike): string[] {
  const named = (c.spec.authorization?.superUsers ?? []).map((u) => (u.includes(':') ? u : `User:${u}`));
  return [...new Set([`User:${N.OPERATOR_USERNAME}`, ...named])];
}

/** One plain listener on the broker's own port: the broker's default, so no listener keys are written (and a
 *  cluster made before listeners existed keeps its config hash: no rolling restart on operator upgrade). */
function isDefaultListenerSet(ls: Listener[]): boolean {
  return ls.length === 1 && ls[0]!.port === N.KAFKA_PORT && securityProtocol(ls[0]!) === 'PLAINTEXT';
}

/** Broker config keys for listeners, TLS, SASL and authorization. */
export function securityConfig(c: StrataClusterLike): Record<string, BrokerConfigValue> {
  const ls = listenersOf(c);
  const out: Record<string, BrokerConfigValue> = {};
  if (!isDefaultListenerSet(ls)) {
    out.listeners = ls.map((l) => `${kafkaListenerName(l)}://0.0.0.0:${l.port}`).join(',');
    out.listenerSecurityProtocolMap = ls.map((l) => `${kafkaListenerName(l)}:${securityProtocol(l)}`).join(',');
  }
  if (tlsListeners(c).length > 0) {
    out.sslCertificateLocation = `${TLS_MOUNT_PATH}/tls.crt`;
    out.sslKeyLocation = `${TLS_MOUNT_PATH}/tls.key`;
  }
  const mechanisms = [...new Set(saslListeners(c).flatMap((l) => l.sasl ?? []))];
  if (mechanisms.length > 0) out.saslEnabledMechanisms = mechanisms.join(',');
  if (hasAuthorization(c)) {
    out.authorizer = 'simple';
    out.superUsers = superUsers(c).join(';');
  }
  return out;
}

/** Spec combinations the broker cannot honour as written (for a Degraded condition). */
export function listenerProblems(c: StrataClusterLike): string[] {
  const problems: string[] = [];
  const secrets = [...new Set(tlsListeners(c).map((l) => l.tlsSecret!))];
  if (secrets.length > 1) problems.push(`TLS listeners name different Secrets (${secrets.join(', ')}); brokers serve one certificate, from ${secrets[0]}`);
  const sets = [...new Set(saslListeners(c).map((l) => [...(l.sasl ?? [])].sort().join(',')))];
  if (sets.length > 1) problems.push(`SASL listeners ask for different mechanisms (${sets.join(' / ')}); brokers accept ${[...new Set(sets.join(',').split(','))].join(', ')} on every SASL listener`);
  if (hasAuthorization(c) && saslListeners(c).length === 0) {
    problems.push('authorization is simple but no listener has SASL, so every client (the operator too) is User:ANONYMOUS and denied unless an ACL allows it; add sasl to a listener');
  }
  return problems;
}

export function listenerContainerPorts(c: StrataClusterLike): V1ContainerPort[] {
  return listenersOf(c).map((l, i) => ({ name: listenerPortName(i), containerPort: l.port, protocol: 'TCP' }));
}

export function listenerServicePorts(c: StrataClusterLike): V1ServicePort[] {
  return listenersOf(c).map((l, i) => ({ name: listenerPortName(i), port: l.port, targetPort: listenerPortName(i), protocol: 'TCP' }));
}

/** The TLS Secret as a volume (the kubelet refreshes it when cert-manager rotates it; the broker re-reads it). */
export function tlsVolume(c: StrataClusterLike): { volume: V1Volume; mount: V1VolumeMount } | undefined {
  const secret = tlsListeners(c)[0]?.tlsSecret;
  if (!secret) return undefined;
  return { volume: { name: TLS_VOLUME_NAME, secret: { secretName: secret } }, mount: { name: TLS_VOLUME_NAME, mountPath: TLS_MOUNT_PATH, readOnly: true } };
}

/** With SASL on, the broker creates the operator's SCRAM credential at start from its Secret (never in the ConfigMap). */
export function operatorCredentialEnv(c: StrataClusterLike): V1EnvVar[] {
  if (saslListeners(c).length === 0) return [];
  return [
    { name: OPERATOR_PASSWORD_ENV, valueFrom: { secretKeyRef: { name: N.operatorCredentialsSecretName(c.metadata.name), key: N.SECRET_KEY_PASSWORD } } },
    { name: 'STRATA_SASL_BOOTSTRAP_USERS', value: `${N.OPERATOR_USERNAME}:$(${OPERATOR_PASSWORD_ENV})` },
  ];
}
