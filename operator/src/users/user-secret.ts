// The Secrets of SASL users: a StrataUser's generated credential (keys as Strimzi's KafkaUser Secrets have
// them, so existing client manifests work) and the operator's own credential per cluster. Pure builders.
import { randomInt } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { StrataUser } from '../api';
import * as N from '../naming';
import { clusterLabels, objectMeta } from '../resources/common';
import type { StrataClusterLike } from '../resources/types';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random password from a CSPRNG (uniform over the alphabet: randomInt has no modulo bias). */
export function generatePassword(length = N.GENERATED_PASSWORD_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** The JAAS line a Java client puts in sasl.jaas.config (quotes and backslashes escaped). */
export function jaasConfig(username: string, password: string): string {
  const q = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `org.apache.kafka.common.security.scram.ScramLoginModule required username="${q(username)}" password="${q(password)}";`;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** The password stored in a Secret under `key`, or undefined. */
export function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const v = secret?.data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

/** A StrataUser's Secret, owned by it (deleted with it) and labelled so its changes requeue the user. */
export function buildUserSecret(user: StrataUser, password: string): V1Secret {
  const name = user.metadata.name!;
  const cluster = user.metadata.labels?.[N.LABEL_CLUSTER] ?? '';
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: N.userSecretName(name),
      namespace: user.metadata.namespace,
      labels: { [N.LABEL_MANAGED_BY]: N.MANAGED_BY, [N.LABEL_CLUSTER]: cluster, [N.LABEL_USER]: name },
      ownerReferences: [{ apiVersion: N.CLUSTER_API_VERSION, kind: 'StrataUser', name, uid: user.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    type: 'Opaque',
    data: {
      [N.SECRET_KEY_USERNAME]: b64(name),
      [N.SECRET_KEY_PASSWORD]: b64(password),
      [N.SECRET_KEY_JAAS]: b64(jaasConfig(name, password)),
    },
  };
}

/** The operator's credential for one cluster (owned by the cluster; the brokers read it at start). */
export function buildOperatorCredentialsSecret(cluster: StrataClusterLike, password: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...objectMeta(cluster, N.operatorCredentialsSecretName(cluster.metadata.name)), labels: clusterLabels(cluster) },
    type: 'Opaque',
    data: { [N.SECRET_KEY_USERNAME]: b64(N.OPERATOR_USERNAME), [N.SECRET_KEY_PASSWORD]: b64(password) },
  };
}
