// StrataUser: not implemented until the security issue lands; the status says so (no finalizer, so
// deleting a StrataUser never waits on the operator).
import type { StrataUser, StrataUserStatus } from '../api';
import { setConditions } from '../conditions';
import type { KubeApi } from '../kube-client';
import * as N from '../naming';
import type { Reconciler } from './reconciler';

export const USER_NOT_IMPLEMENTED_MESSAGE =
  'SCRAM users arrive with the security issue: this StrataUser is accepted but not yet created on the cluster';

export class UserReconciler implements Reconciler {
  readonly kind = 'StrataUser';

  constructor(private readonly api: KubeApi) {}

  async reconcile(namespace: string, name: string): Promise<void> {
    const ref = { apiVersion: N.CLUSTER_API_VERSION, kind: this.kind, namespace, name };
    const user = await this.api.get<StrataUser>(ref);
    if (!user || user.metadata.deletionTimestamp) return;
    const generation = user.metadata.generation;
    const status: StrataUserStatus = {
      ...user.status,
      conditions: setConditions(user.status?.conditions, [
        { type: 'Ready', status: 'False', reason: 'NotImplemented', message: USER_NOT_IMPLEMENTED_MESSAGE },
      ], generation),
      observedGeneration: generation,
    };
    if (JSON.stringify(status) !== JSON.stringify(user.status)) await this.api.patchStatus(ref, status);
  }
}
