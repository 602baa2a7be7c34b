// StrataCluster → its ConfigMap, Services, StatefulSet, PodDisruptionBudget (and ServiceMonitor), applied
// with server-side apply. Its brokers form one cluster (resources/cluster-mode.ts). A config change rolls the
// brokers one at a time from the highest ordinal down by stepping the StatefulSet's RollingUpdate partition
// (roll-plan.ts): each step waits for the previous broker to be ready and, with several brokers, for zero
// under-replicated partitions (asked over the operator's admin connection); the broker stops with SIGTERM
// (controlled shutdown) within its termination grace period. Specs that cannot run, and scale-downs that would
// remove brokers still holding partition replicas, are refused with a condition and change nothing.
import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { StrataCluster, StrataClusterStatus } from '../api';
import { withCluster } from '../cluster-access';
import { type ClusterHealth, fetchClusterHealth } from '../cluster-health';
import { type ConditionInput, setConditions } from '../conditions';
import { type KubeApi, type KubeObject, describeRef, refOf } from '../kube-client';
import * as N from '../naming';
import type { ReconcileResult } from '../queue';
import {
  SERVICE_MONITOR_API_VERSION, type SpecProblem, brokerCount, buildClusterResources, clusterSpecProblems, hasSaslListener,
  ignoredConfigKeys, invalidConfigValues, listenerProblems, listenersOf, unknownConfigKeys,
} from '../resources';
import type { OperatorSettings } from '../settings';
import { buildOperatorCredentialsSecret, generatePassword } from '../users/user-secret';
import { REASON_SCALE_DOWN_BLOCKED, healthStatus, scaleDownBlocker, underReplicatedCondition } from './cluster-checks';
import { type Logger, type Reconciler, silentLogger } from './reconciler';
import { planRoll, stepBlocker } from './roll-plan';

/** A status probe must not hold the work queue long when the cluster does not answer (it is asked again soon). */
const HEALTH_TIMEOUT_MS = 5_000;

export interface ClusterReconcilerOptions {
  defaultImage?: string;
  /** How soon to look again while brokers roll or start (StatefulSet events usually come first). */
  pollMs?: number;
  log?: Logger;
  /** How to reach clusters' brokers (bootstrap overrides) for the health check. */
  settings?: Pick<OperatorSettings, 'bootstrapOverrides' | 'bootstrapOverride'>;
  /** Connect and request timeout of the health check (default HEALTH_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Asks a cluster for its health; default: Metadata over the operator's admin connection (tests inject one). */
  clusterHealth?: (cluster: StrataCluster) => Promise<ClusterHealth>;
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
    // Specs that cannot run: nothing is applied (the running brokers, if any, keep their config).
    const blockers: SpecProblem[] = [...clusterSpecProblems(cluster)];
    const invalidValues = invalidConfigValues(cluster as never);
    if (invalidValues.length > 0) blockers.unshift({ reason: 'InvalidConfigValue', message: `the brokers would refuse to start: ${invalidValues.join('; ')}` });

    const replicas = brokerCount(cluster);
    const stsRef = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name: N.brokerStatefulSetName(name) };
    const current = await this.api.get<V1StatefulSet>(stsRef);
    const sts = current?.status;
    const stsSettled = !!current && (sts?.observedGeneration ?? 0) >= (current.metadata?.generation ?? 0);
    const readyBrokers = sts?.readyReplicas ?? 0;
    const updated = sts?.updatedReplicas ?? 0;
    const currentReplicas = current?.spec?.replicas ?? replicas;
    // The running cluster's view (under-replicated partitions, controller, where replicas are): asked once a broker is ready.
    const health = current && readyBrokers > 0 ? await this.health(cluster) : undefined;

    if (blockers.length === 0 && current && replicas < currentReplicas) {
      const scaleDown = scaleDownBlocker(replicas, currentReplicas, health);
      if (scaleDown) blockers.push(scaleDown);
    }
    const baseStatus = {
      observedGeneration: generation,
      listeners: listenersOf(cluster).map((l) => ({ name: l.name, bootstrap: N.bootstrapAddress(name, namespace, l.port) })),
      readyBrokers,
      ...healthStatus(health),
    };
    const brokersReadyCond = (): ConditionInput =>
      readyBrokers >= currentReplicas
        ? { type: 'Ready', status: 'True', reason: 'AllBrokersReady', message: `${readyBrokers}/${currentReplicas} brokers ready` }
        : { type: 'Ready', status: 'False', reason: 'BrokersNotReady', message: `${readyBrokers}/${currentReplicas} brokers ready` };

    if (blockers.length > 0) {
      const first = blockers[0]!;
      const message = blockers.map((b) => b.message).join('; ');
      await this.writeStatus(cluster, {
        ...baseStatus,
        conditions: setConditions(status.conditions, [
          current ? brokersReadyCond() : { type: 'Ready', status: 'False', reason: first.reason, message: `nothing is created until the spec is fixed: ${message}` },
          { type: 'Reconciling', status: 'False', reason: first.reason, message: `the spec is not rolled out: ${message}` },
          { type: 'Degraded', status: 'True', reason: first.reason, message },
          underReplicatedCondition(health),
        ], generation),
      });
      this.log.warn(`${describeRef(refOf({ ...cluster }))}: not rolled out (${first.reason}): ${message}`);
      // A blocked scale-down clears when partitions move off the brokers: look again.
      if (first.reason === REASON_SCALE_DOWN_BLOCKED) return { requeueAfterMs: this.opts.pollMs ?? 10_000 };
      return;
    }

    const desired = buildClusterResources(cluster as never, { defaultImage: this.opts.defaultImage });
    const newHash = desired.statefulSet.spec!.template.metadata!.annotations![N.ANNOTATION_CONFIG_HASH]!;
    const runningHash = current?.spec?.template.metadata?.annotations?.[N.ANNOTATION_CONFIG_HASH];
    const staying = Math.min(replicas, currentReplicas);
    const plan = planRoll({
      replicas: staying,
      templateChanged: !!current && runningHash !== undefined && runningHash !== newHash,
      currentPartition: current?.spec?.updateStrategy?.rollingUpdate?.partition ?? 0,
      settled: stsSettled,
      updated,
      ready: readyBrokers,
    });
    let partition = 0;
    let waitingFor: string | undefined;
    if (plan.rolling) {
      partition = plan.hold;
      if (plan.step !== undefined) {
        waitingFor = stepBlocker({
          replicas: staying,
          underReplicated: health instanceof Error ? health : health?.underReplicated ?? new Error('no broker is ready'),
          brokerReady: await this.podReady(namespace, N.brokerPodName(name, plan.step)),
        });
        if (!waitingFor) {
          partition = plan.step;
          this.log.info(`${describeRef(refOf({ ...cluster }))}: rolling broker ${plan.step}`);
        }
      }
    }
    const rolling = plan.rolling;

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
      const wait = waitingFor ? `; waiting: ${waitingFor}` : '';
      conds.push({ type: 'Reconciling', status: 'True', reason: 'RollingUpdate', message: `rolling brokers one at a time for a config change: brokers ≥ ${partition} updated or updating, ${readyBrokers}/${replicas} ready${wait}` });
      conds.push({ type: 'Ready', status: 'False', reason: 'RollingUpdate', message: `brokers are restarting one at a time with new configuration (${readyBrokers}/${replicas} ready)${wait}` });
    } else if (!allReady) {
      conds.push({ type: 'Reconciling', status: 'True', reason: 'WaitingForBrokers', message: `${readyBrokers}/${replicas} brokers ready` });
      conds.push({ type: 'Ready', status: 'False', reason: 'BrokersNotReady', message: `${readyBrokers}/${replicas} brokers ready; see the pods of StatefulSet ${N.brokerStatefulSetName(name)} if this persists` });
    } else {
      conds.push({ type: 'Reconciling', status: 'False', reason: 'Reconciled', message: 'the cluster matches its spec' });
      conds.push({ type: 'Ready', status: 'True', reason: 'AllBrokersReady', message: `${readyBrokers}/${replicas} brokers ready${serviceMonitorNote}` });
    }
    conds.push(...(problems.length ? problems.slice(0, 1) : [{ type: 'Degraded', status: 'False' as const, reason: 'AsExpected', message: 'no problems found' }]));
    if (problems.length > 1) conds[conds.length - 1] = { ...problems[0]!, message: problems.map((p) => p.message).join(' ') };
    conds.push(underReplicatedCondition(health));

    const next: StrataClusterStatus = {
      ...baseStatus,
      conditions: setConditions(status.conditions, conds, generation),
      configHash: rollDone && allReady ? newHash : status.configHash ?? (current ? runningHash : undefined),
    };
    await this.writeStatus(cluster, next);
    const inSync = !(health instanceof Error) && (health?.underReplicated ?? 0) === 0;
    if (rolling || !allReady || !inSync) return { requeueAfterMs: this.opts.pollMs ?? 10_000 };
  }

  /** The cluster's health through the admin connection, or the Error that prevented asking. */
  private async health(cluster: StrataCluster): Promise<ClusterHealth | Error> {
    try {
      return await (this.opts.clusterHealth ?? this.defaultHealth)(cluster);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  private readonly defaultHealth = (cluster: StrataCluster): Promise<ClusterHealth> =>
    withCluster(this.api, this.opts.settings ?? { bootstrapOverrides: {} }, cluster, fetchClusterHealth, this.opts.timeoutMs ?? HEALTH_TIMEOUT_MS);

  private async podReady(namespace: string, pod: string): Promise<boolean> {
    const p = await this.api.get<V1Pod>({ apiVersion: 'v1', kind: 'Pod', namespace, name: pod });
    return (p?.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
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
