// StrataUser → a SASL/SCRAM-SHA-512 user on its cluster, with exactly the spec's ACLs and quotas.
// - authentication.type scram-sha-512: the password lives in a Secret named after the user, owned by it; the
//   operator generates it when the Secret is missing (so deleting the Secret rotates the password).
//   type secret: the password is read from the referenced Secret, which the user owns.
// - The cluster holds the SCRAM credential (salted here; AlterUserScramCredentials); it is set again whenever
//   the Secret changes (status.credentialVersion) or the cluster lost it.
// - ACLs of principal User:<name> become exactly spec.authorization.acls (others' ACLs are untouched);
//   quotas of the user entity become spec.quotas.
// - A finalizer removes credential, ACLs and quotas on deletion (or just goes when the cluster is gone).
import type { V1Secret } from '@kubernetes/client-node';
import { createAcls, deleteAcls, describePrincipalAcls } from '../../../admin/acls';
import { alterUserQuotas, describeUserQuotas } from '../../../admin/quotas';
import { deleteScramCredential, hasScramCredential, upsertScramCredential } from '../../../admin/users';
import type { KafkaClient } from '../../../broker/src/protocol/client';
import type { StrataCluster, StrataUser, StrataUserStatus } from '../api';
import { withCluster } from '../cluster-access';
import { hasAuthorization, hasSaslListener } from '../resources/listeners';
import { notReady, statusReporter } from '../conditions';
import type { KubeApi } from '../kube-client';
import * as N from '../naming';
import type { ReconcileResult } from '../queue';
import type { OperatorSettings } from '../settings';
import { aclDiff, desiredAcls, desiredQuotas, principalOf, quotaOps } from '../users/desired';
import { buildUserSecret, generatePassword, secretValue } from '../users/user-secret';
import { type Logger, type Reconciler, silentLogger } from './reconciler';

export interface UserReconcilerOptions {
  settings: Pick<OperatorSettings, 'bootstrapOverrides' | 'bootstrapOverride'>;
  /** How soon to look again when the cluster or the Secret is missing, or the cluster unreachable. */
  retryMs?: number;
  log?: Logger;
  timeoutMs?: number;
}

const userRef = (namespace: string, name: string) => ({ apiVersion: N.CLUSTER_API_VERSION, kind: 'StrataUser', namespace, name });
const clusterRef = (namespace: string, name: string) => ({ apiVersion: N.CLUSTER_API_VERSION, kind: N.CLUSTER_KIND, namespace, name });
const secretRef = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'Secret', namespace, name });

export class UserReconciler implements Reconciler {
  readonly kind = 'StrataUser';
  private readonly log: Logger;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: UserReconcilerOptions,
  ) {
    this.log = opts.log ?? silentLogger;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult | void> {
    const ref = userRef(namespace, name);
    const user = await this.api.get<StrataUser>(ref);
    if (!user) return;
    const clusterName = user.metadata.labels?.[N.LABEL_CLUSTER];
    const cluster = clusterName ? await this.api.get<StrataCluster>(clusterRef(namespace, clusterName)) : undefined;

    if (user.metadata.deletionTimestamp) {
      if (!user.metadata.finalizers?.includes(N.USER_FINALIZER)) return;
      if (cluster && !cluster.metadata.deletionTimestamp && hasSaslListener(cluster)) {
        await this.withClient(cluster, (c) => this.remove(c, name, hasAuthorization(cluster)));
        this.log.info(`StrataUser ${namespace}/${name}: removed its credential, ACLs and quotas from cluster ${clusterName}`);
      }
      await this.api.removeFinalizer(ref, N.USER_FINALIZER);
      return;
    }

    const report = statusReporter<StrataUserStatus>((status) => this.api.patchStatus(ref, status), user);
    const retry = { requeueAfterMs: this.opts.retryMs ?? 30_000 };

    if (!clusterName) {
      await report(notReady('ClusterLabelMissing', `label ${N.LABEL_CLUSTER} must name the StrataCluster (in namespace ${namespace}) this user belongs to`));
      return;
    }
    if (!cluster) {
      await report(notReady('ClusterNotFound', `StrataCluster ${namespace}/${clusterName} (label ${N.LABEL_CLUSTER}) does not exist; the user is created once it does`));
      return retry;
    }
    if (!hasSaslListener(cluster)) {
      await report(notReady('AuthenticationNotEnabled', `cluster ${clusterName} has no listener with SASL, so this user could never log in; add sasl: [SCRAM-SHA-512] to one of its listeners`));
      return;
    }
    if ((user.spec.authorization?.acls?.length ?? 0) > 0 && !hasAuthorization(cluster)) {
      await report(notReady('AuthorizationNotEnabled', `cluster ${clusterName} does not enforce ACLs (spec.authorization.type is not simple), so this user's ACLs would have no effect; enable authorization on the cluster or remove the ACLs`));
      return;
    }

    const secret = await this.passwordSecret(user);
    if ('problem' in secret) {
      await report(notReady('SecretNotFound', secret.problem));
      return retry;
    }

    await this.api.addFinalizer(ref, N.USER_FINALIZER);
    const version = `${secret.secret.metadata?.uid}/${secret.secret.metadata?.resourceVersion}`;
    try {
      await this.withClient(cluster, async (c) => {
        if (user.status?.credentialVersion !== version || !(await hasScramCredential(c, name))) {
          await upsertScramCredential(c, name, secret.password);
          this.log.info(`StrataUser ${namespace}/${name}: set its SCRAM-SHA-512 credential on cluster ${clusterName}`);
        }
        // Without an authorizer the cluster keeps no ACLs (DescribeAcls answers SECURITY_DISABLED).
        const acls = hasAuthorization(cluster)
          ? aclDiff(await describePrincipalAcls(c, principalOf(name)), desiredAcls(name, user.spec))
          : { create: [], delete: [] };
        await deleteAcls(c, acls.delete);
        await createAcls(c, acls.create);
        const ops = quotaOps(await describeUserQuotas(c, name), desiredQuotas(user.spec));
        await alterUserQuotas(c, name, ops);
        if (acls.create.length + acls.delete.length + ops.length > 0) {
          this.log.info(`StrataUser ${namespace}/${name}: ${acls.create.length} ACL(s) added, ${acls.delete.length} removed, ${ops.length} quota change(s)`);
        }
      });
    } catch (err) {
      await report([
        { type: 'Ready', status: 'False', reason: 'ClusterUnreachable', message: `cannot reconcile the user on cluster ${clusterName} (retrying): ${(err as Error).message}` },
        { type: 'Reconciling', status: 'True', reason: 'Retrying', message: (err as Error).message },
      ]);
      throw err;
    }
    await report([
      { type: 'Ready', status: 'True', reason: 'UserReady', message: `user ${name} can log in with SCRAM-SHA-512 (password in Secret ${secret.secret.metadata?.name}) and has the spec's ACLs and quotas` },
      { type: 'Reconciling', status: 'False', reason: 'Reconciled', message: 'the user matches its spec' },
    ], { username: name, secret: secret.secret.metadata?.name, credentialVersion: version });
  }

  /** The Secret holding the password: the user's generated one (created when missing) or the referenced one. */
  private async passwordSecret(user: StrataUser): Promise<{ secret: V1Secret; password: string } | { problem: string }> {
    const ns = user.metadata.namespace!;
    const auth = user.spec.authentication;
    if (auth.type === 'secret') {
      const key = auth.secretRef!.key ?? N.SECRET_KEY_PASSWORD;
      const secret = await this.api.get<V1Secret>(secretRef(ns, auth.secretRef!.name));
      const password = secretValue(secret, key);
      if (!secret || !password) return { problem: `Secret ${ns}/${auth.secretRef!.name} with key ${key} (spec.authentication.secretRef) does not exist` };
      return { secret, password };
    }
    const existing = await this.api.get<V1Secret>(secretRef(ns, N.userSecretName(user.metadata.name!)));
    const owned = existing?.metadata?.ownerReferences?.some((o) => o.uid === user.metadata.uid);
    if (existing && !owned) {
      return { problem: `Secret ${ns}/${N.userSecretName(user.metadata.name!)} exists but does not belong to this StrataUser; delete or rename it so the operator can create the user's Secret` };
    }
    const password = secretValue(existing, N.SECRET_KEY_PASSWORD) ?? generatePassword();
    const secret = await this.api.apply(buildUserSecret(user, password) as never);
    return { secret: secret as V1Secret, password };
  }

  private async remove(c: KafkaClient, name: string, withAcls: boolean): Promise<void> {
    if (withAcls) await deleteAcls(c, await describePrincipalAcls(c, principalOf(name)));
    const quotas = await describeUserQuotas(c, name);
    await alterUserQuotas(c, name, [...quotas.keys()].map((key) => ({ key, value: 0, remove: true })));
    await deleteScramCredential(c, name);
  }

  private withClient<T>(cluster: StrataCluster, fn: (c: KafkaClient) => Promise<T>): Promise<T> {
    return withCluster(this.api, this.opts.settings, cluster, fn, this.opts.timeoutMs);
  }
}
