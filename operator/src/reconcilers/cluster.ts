// StrataCluster → its ConfigMap, Services, StatefulSet, PodDisruptionBudget (and ServiceMonitor), applied
// with server-side apply. A config change rolls the brokers one at a time from the highest ordinal down by
// stepping the StatefulSet's RollingUpdate partition, each step waiting for the updated broker to be ready.
import type { V1StatefulSet } from '@kubernetes/client-node';
import type { StrataCluster, StrataClusterStatus } from '../api';
import { type ConditionInput, setConditions } from '../conditions';
import { type KubeApi, type KubeObject, describeRef, refOf } from '../kube-client';
import * as N from '../naming';
import type { ReconcileResult } from '../queue';
import { SERVICE_MONITOR_API_VERSION, buildClusterResources, hasSaslListener, ignoredConfigKeys, listenerProblems, listenersOf, unknownConfigKeys } from '../resources';
import { buildOperatorCredentialsSecret, generatePassword } from '../users/user-secret';
import { type Logger, type Reconciler, silentLogger } from './reconciler';

export interface ClusterReconcilerOptions {
  defaultImage?: string;
  /** How soon to look again while brokers roll or start (StatefulSet events usually come first). */
  pollMs?: number;
  log?: Logger;
}

const ref = (namespace: string, name: string) => ({ apiVersion: N.CLUSTER_API_VERSION, kind: N.CLUSTER_KIND, namespace, name });

export class ClusterReconciler implements Reconciler {
  readonly kind = N.CLUSTER_KIND;
  private serviceMonitorKnown: Promise<boolean> | undefined;
  private readonly log: Logger;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: ClusterReconcilerOptions = {},
  ) {
    this.log = opts.log ?? silentLogger;
  }

  /** Whether the ServiceMonitor CRD is served: asked once per operator run. */
  private hasServiceMonitor(): Promise<boolean> {
    this.serviceMonitorKnown ??= this.api.hasKind(SERVICE_MONITOR_API_VERSION, 'ServiceMonitor').catch((err) => {
      this.serviceMonitorKnown = undefined;
      throw err;
    });
    return this.serviceMonitorKnown;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult | void> {
    const cluster = await this.api.get<StrataCluster>(ref(namespace, name));
    if (!cluster || cluster.metadata.deletionTimestamp) return; // owned objects go with it (owner references)
    const generation = cluster.metadata.generation;
    const status = cluster.status ?? {};

    const nameProblem = N.clusterNameProblem(name);
    if (nameProblem) {
      await this.writeStatus(cluster, {
        conditions: setConditions(status.conditions, [
          { type: 'Ready', status: 'False', reason: 'InvalidSpec', message: `${nameProblem}; recreate the StrataCluster under a valid name` },
          { type: 'Reconciling', status: 'False', reason: 'InvalidSpec', message: 'nothing is created for an invalid name' },
          { type: 'Degraded', status: 'True', reason: 'InvalidName', message: nameProblem },
        ], generation),
        observedGeneration: generation,
      });
      return;
    }

    const problems: ConditionInput[] = [];
    const unknown = unknownConfigKeys(cluster as never);
    const ignored = ignoredConfigKeys(cluster as never);
    if (unknown.length > 0 || ignored.length > 0) {
      const parts: string[] = [];
      if (unknown.length) parts.push(`spec.config has keys the broker does not know, left out of the broker config: ${unknown.join(', ')}`);
      if (ignored.length) parts.push(`spec.config keys managed by the operator are ignored: ${ignored.join(', ')}`);
      problems.push({ type: 'Degraded', status: 'True', reason: 'InvalidConfig', message: `${parts.join('; ')}. Fix or remove them in spec.config.` });
    }
    const listenerIssues = listenerProblems(cluster as never);
    if (listenerIssues.length > 0) {
      problems.push({ type: 'Degraded', status: 'True', reason: 'ListenerConfig', message: `${listenerIssues.join('; ')}.` });
    }

    const replicas = cluster.spec.brokers ?? N.DEFAULT_BROKERS;
    const stsRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: N.brokerStatefulSetName(name) };
    const current = await this.api.get<V1StatefulSet>(stsRef);
    const desired = buildClusterResources(cluster as never, { defaultImage: this.opts.defaultImage });
    const newHash = desired.statefulSet.spec!.template.metadata!.annotations![N.ANNOTATION_CONFIG_HASH]!;
    const runningHash = current?.spec?.template.metadata?.annotations?.[N.ANNOTATION_CONFIG_HASH];
    const currentPartition = current?.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    const sts = current?.status;
    const stsSettled = !!current && (sts?.observedGeneration ?? 0) >= (current.metadata?.generation ?? 0);
    const readyBrokers = sts?.readyReplicas ?? 0;
    const updated = sts?.updatedReplicas ?? 0;

    // The partition: pods with an ordinal ≥ partition run the new template.
    let partition = 0;
    let rolling = false;
    if (current && runningHash !== undefined && runningHash !== newHash) {
      partition = Math.max(0, Math.min(replicas, current.spec?.replicas ?? replicas) - 1);
      rolling = true;
      this.log.info(`${describeRef(refOf({ ...cluster }))}: broker config changed, rolling from broker ${partition}`);
    } else if (current && currentPartition > 0) {
      rolling = true;
      partition = currentPartition;
      const stepDone = stsSettled && updated >= replicas - currentPartition && readyBrokers >= replicas;
      if (stepDone) partition = currentPartition - 1;
    }

    let serviceMonitorNote = '';
    const objects: KubeObject[] = [
      desired.configMap as KubeObject,
      desired.headlessService as KubeObject,
      desired.bootstrapService as KubeObject,
      { ...desired.statefulSet, spec: { ...desired.statefulSet.spec!, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition } } } } as KubeObject,
      desired.podDisruptionBudget as KubeObject,
    ];
    if (desired.serviceMonitor) {
      if (await this.hasServiceMonitor()) objects.push(desired.serviceMonitor as KubeObject);
      else serviceMonitorNote = ' (no ServiceMonitor: the monitoring.coreos.com ServiceMonitor CRD is not installed)';
    }
    try {
      if (hasSaslListener(cluster)) await this.ensureOperatorCredentials(cluster);
      for (const o of objects) await this.api.apply(o);
    } catch (err) {
      await this.writeStatus(cluster, {
        conditions: setConditions(status.conditions, [
          { type: 'Degraded', status: 'True', reason: 'ApplyFailed', message: `applying the cluster's objects failed (retrying): ${(err as Error).message}` },
        ], generation),
      });
      throw err;
    }

    const rollDone = !rolling && (!current || (stsSettled && updated >= replicas));
    const allReady = readyBrokers >= replicas && !!current;
    const conds: ConditionInput[] = [];
    if (rolling) {
      conds.push({ type: 'Reconciling', status: 'True', reason: 'RollingUpdate', message: `rolling brokers one at a time for a config change: brokers ≥ ${partition} updated or updating, ${readyBrokers}/${replicas} ready` });
      conds.push({ type: 'Ready', status: 'False', reason: 'RollingUpdate', message: `brokers are restarting one at a time with new configuration (${readyBrokers}/${replicas} ready)` });
    } else if (!allReady) {
      conds.push({ type: 'Reconciling', status: 'True', reason: 'WaitingForBrokers', message: `${readyBrokers}/${replicas} brokers ready` });
      conds.push({ type: 'Ready', status: 'False', reason: 'BrokersNotReady', message: `${readyBrokers}/${replicas} brokers ready; see the pods of StatefulSet ${N.brokerStatefulSetName(name)} if this persists` });
    } else {
      conds.push({ type: 'Reconciling', status: 'False', reason: 'Reconciled', message: 'the cluster matches its spec' });
      conds.push({ type: 'Ready', status: 'True', reason: 'AllBrokersReady', message: `${readyBrokers}/${replicas} brokers ready${serviceMonitorNote}` });
    }
    conds.push(...(problems.length ? problems.slice(0, 1) : [{ type: 'Degraded', status: 'False' as const, reason: 'AsExpected', message: 'no problems found' }]));
    if (problems.length > 1) conds[conds.length - 1] = { ...problems[0]!, message: problems.map((p) => p.message).join(' ') };

    const next: StrataClusterStatus = {
      conditions: setConditions(status.conditions, conds, generation),
      observedGeneration: generation,
      listeners: listenersOf(cluster).map((l) => ({ name: l.name, bootstrap: N.bootstrapAddress(name, namespace, l.port) })),
      readyBrokers,
      configHash: rollDone && allReady ? newHash : status.configHash ?? (current ? runningHash : undefined),
    };
    await this.writeStatus(cluster, next);
    if (rolling || !allReady) return { requeueAfterMs: this.opts.pollMs ?? 10_000 };
  }

  /** The operator's SASL password for this cluster: created once, never rewritten (brokers hold its credential). */
  private async ensureOperatorCredentials(cluster: StrataCluster): Promise<void> {
    const secretName = N.operatorCredentialsSecretName(cluster.metadata.name!);
    const existing = await this.api.get({ apiVersion: 'v1', kind: 'Secret', namespace: cluster.metadata.namespace!, name: secretName });
    if (existing) return;
    await this.api.create(buildOperatorCredentialsSecret(cluster as never, generatePassword()) as KubeObject);
    this.log.info(`${describeRef(refOf({ ...cluster }))}: created Secret ${secretName} with the operator's SASL credential`);
  }

  private async writeStatus(cluster: StrataCluster, status: StrataClusterStatus): Promise<void> {
    const clean = JSON.parse(JSON.stringify(status)) as StrataClusterStatus;
    if (JSON.stringify({ ...cluster.status, ...clean }) === JSON.stringify(cluster.status ?? {})) return;
    await this.api.patchStatus(ref(cluster.metadata.namespace!, cluster.metadata.name!), clean);
  }
}
