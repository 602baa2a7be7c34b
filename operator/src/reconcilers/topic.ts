// StrataTopic → a topic on its cluster, through the Kafka admin protocol (the project's own client). The
// resource is the source of truth: partitions grow to the spec, configs are set to the spec and configs set
// outside it are deleted (back to the default). A decrease or an impossible replica count is reported in
// Ready=False and never applied. The finalizer deletes the topic, or just goes when the cluster is gone.
import type { ClusterClient } from '../../../admin/cluster-client';
import { alterConfigs, changeToMatch, describeConfigs, topicOverrides } from '../../../admin/configs';
import { AdminError } from '../../../admin/errors';
import { addPartitions, createTopic, deleteTopic } from '../../../admin/topics';
import { ErrorCode } from '../../../broker/src/protocol/errors';
import type { StrataCluster, StrataTopic, StrataTopicStatus } from '../api';
import { notReady, statusReporter } from '../conditions';
import type { KubeApi } from '../kube-client';
import * as N from '../naming';
import type { ReconcileResult } from '../queue';
import { withClusterAdmin } from '../cluster-access';
import type { OperatorSettings } from '../settings';
import { type Logger, type Reconciler, silentLogger } from './reconciler';

export interface TopicReconcilerOptions {
  settings: Pick<OperatorSettings, 'bootstrapOverrides' | 'bootstrapOverride'>;
  /** How soon to look again when the cluster is missing or unreachable. */
  retryMs?: number;
  log?: Logger;
  timeoutMs?: number;
}

const topicRef = (namespace: string, name: string) => ({ apiVersion: N.CLUSTER_API_VERSION, kind: 'StrataTopic', namespace, name });
const clusterRef = (namespace: string, name: string) => ({ apiVersion: N.CLUSTER_API_VERSION, kind: N.CLUSTER_KIND, namespace, name });

/** A problem the user must fix in the spec: reported, not retried. */
class SpecProblem extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

export const configString = (v: string | number | boolean): string => String(v);

export class TopicReconciler implements Reconciler {
  readonly kind = 'StrataTopic';
  private readonly log: Logger;

  constructor(
    private readonly api: KubeApi,
    private readonly opts: TopicReconcilerOptions,
  ) {
    this.log = opts.log ?? silentLogger;
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult | void> {
    const ref = topicRef(namespace, name);
    const topic = await this.api.get<StrataTopic>(ref);
    if (!topic) return;
    const topicName = topic.spec.topicName ?? name;
    const clusterName = topic.metadata.labels?.[N.LABEL_CLUSTER];
    const cluster = clusterName ? await this.api.get<StrataCluster>(clusterRef(namespace, clusterName)) : undefined;

    if (topic.metadata.deletionTimestamp) {
      if (!topic.metadata.finalizers?.includes(N.TOPIC_FINALIZER)) return;
      if (cluster && !cluster.metadata.deletionTimestamp) {
        await this.withClient(cluster, (cc) => this.deleteTopic(cc, topicName));
        this.log.info(`StrataTopic ${namespace}/${name}: deleted topic ${topicName}`);
      } else {
        this.log.info(`StrataTopic ${namespace}/${name}: cluster ${clusterName ?? '(none)'} is gone; releasing the finalizer without deleting the topic`);
      }
      await this.api.removeFinalizer(ref, N.TOPIC_FINALIZER);
      return;
    }

    const report = statusReporter<StrataTopicStatus>((status) => this.api.patchStatus(ref, status), topic);

    if (!clusterName) {
      await report(notReady('ClusterLabelMissing', `label ${N.LABEL_CLUSTER} must name the StrataCluster (in namespace ${namespace}) this topic belongs to`));
      return;
    }
    if (!cluster) {
      await report(notReady('ClusterNotFound', `StrataCluster ${namespace}/${clusterName} (label ${N.LABEL_CLUSTER}) does not exist; the topic is created once it does`));
      return { requeueAfterMs: this.opts.retryMs ?? 30_000 };
    }
    const brokers = cluster.spec.brokers ?? N.DEFAULT_BROKERS;
    const replicas = topic.spec.replicas ?? 3;
    if (replicas > brokers) {
      await report(notReady('ReplicasExceedBrokers', `spec.replicas is ${replicas} but cluster ${clusterName} has ${brokers} broker(s); lower spec.replicas to at most ${brokers} or add brokers`));
      return;
    }

    await this.api.addFinalizer(ref, N.TOPIC_FINALIZER);
    try {
      const outcome = await this.withClient(cluster, (cc) => this.sync(cc, topicName, topic, replicas));
      if (outcome.problem) {
        await report(notReady(outcome.problem.reason, outcome.problem.message), { topicId: outcome.topicId, topicName, partitions: outcome.partitions });
        return;
      }
      await report([
        { type: 'Ready', status: 'True', reason: 'TopicReady', message: `topic ${topicName} has ${outcome.partitions} partition(s) and the configs of the spec` },
        { type: 'Reconciling', status: 'False', reason: 'Reconciled', message: 'the topic matches its spec' },
      ], { topicId: outcome.topicId, topicName, partitions: outcome.partitions });
    } catch (err) {
      if (err instanceof SpecProblem) {
        await report(notReady(err.reason, err.message), { topicName });
        return;
      }
      await report([
        { type: 'Ready', status: 'False', reason: 'ClusterUnreachable', message: `cannot reconcile the topic on cluster ${clusterName} (retrying): ${(err as Error).message}` },
        { type: 'Reconciling', status: 'True', reason: 'Retrying', message: (err as Error).message },
      ], { topicName });
      throw err;
    }
  }

  private withClient<T>(cluster: StrataCluster, fn: (cc: ClusterClient) => Promise<T>): Promise<T> {
    return withClusterAdmin(this.api, this.opts.settings, cluster, fn, this.opts.timeoutMs);
  }

  /** The topic's id and partition count, or undefined when it does not exist. */
  private async describe(cc: ClusterClient, topicName: string): Promise<{ topicId: string; partitions: number } | undefined> {
    try {
      const t = await cc.topic(topicName);
      return { topicId: t.topicId, partitions: t.partitions.length };
    } catch (err) {
      if (err instanceof AdminError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  private async sync(
    cc: ClusterClient,
    topicName: string,
    topic: StrataTopic,
    replicas: number,
  ): Promise<{ topicId?: string; partitions: number; problem?: SpecProblem }> {
    const want = topic.spec.partitions;
    const configs = new Map(Object.entries(topic.spec.config ?? {}).map(([k, v]) => [k, configString(v)] as const));
    let current = await this.describe(cc, topicName);
    if (!current) {
      try {
        await createTopic(cc, { name: topicName, partitions: want, replicationFactor: replicas, configs: Object.fromEntries(configs) });
      } catch (err) {
        // Values the cluster refuses are the spec's to fix; created by someone else meanwhile: reconcile it.
        if (!(err instanceof AdminError)) throw err;
        if (err.kind === 'invalid') throw new SpecProblem(err.code === ErrorCode.INVALID_CONFIG ? 'InvalidConfig' : 'InvalidSpec', `${err.message}; fix the spec`);
        if (err.kind !== 'exists') throw err;
      }
      this.log.info(`created topic ${topicName} (${want} partitions)`);
      current = await this.describe(cc, topicName);
      if (!current) throw new Error(`topic ${topicName} was created but is not in the metadata yet`);
    }
    let problem: SpecProblem | undefined;
    if (current.partitions > want) {
      problem = new SpecProblem(
        'PartitionDecreaseRefused',
        `topic ${topicName} has ${current.partitions} partitions but spec.partitions is ${want}; partitions cannot be removed, so set spec.partitions to ${current.partitions} or more`,
      );
    } else if (current.partitions < want) {
      await addPartitions(cc, topicName, want);
      this.log.info(`grew topic ${topicName} from ${current.partitions} to ${want} partitions`);
      current = { ...current, partitions: want };
    }
    await this.syncConfigs(cc, topicName, configs);
    return { topicId: current.topicId, partitions: current.partitions, ...(problem ? { problem } : {}) };
  }

  /** Sets the spec's configs and deletes topic-level configs the spec does not have. */
  private async syncConfigs(cc: ClusterClient, topicName: string, want: Map<string, string>): Promise<void> {
    const resource = { type: 'topic', name: topicName } as const;
    const change = changeToMatch(topicOverrides(await describeConfigs(cc, resource)), want);
    if (Object.keys(change.set).length === 0 && change.delete.length === 0) return;
    try {
      await alterConfigs(cc, resource, change);
    } catch (err) {
      if (err instanceof AdminError && err.kind === 'invalid') throw new SpecProblem('InvalidConfig', `${err.message}; fix spec.config`);
      throw err;
    }
    this.log.info(`topic ${topicName}: ${[...Object.keys(change.set).map((k) => `set ${k}`), ...change.delete.map((k) => `reverted ${k}`)].join(', ')}`);
  }

  /** Deletes the topic; one already gone is fine. */
  private async deleteTopic(cc: ClusterClient, topicName: string): Promise<void> {
    try {
      await deleteTopic(cc, topicName);
    } catch (err) {
      if (!(err instanceof AdminError) || err.kind !== 'not-found') throw err;
    }
  }
}
