// StrataTopic → a topic on its cluster, through the Kafka admin protocol (the project's own client). The
// resource is the source of truth: partitions grow to the spec, configs are set to the spec and configs set
// outside it are deleted (back to the default). A decrease or an impossible replica count is reported in
// Ready=False and never applied. The finalizer deletes the topic, or just goes when the cluster is gone.
import { ApiKey } from '../../../broker/src/protocol/apis';
import { KafkaClient } from '../../../broker/src/protocol/client';
import { ErrorCode, errorName } from '../../../broker/src/protocol/errors';
import type {
  CreatePartitionsResponse,
  CreateTopicsResponse,
  DeleteTopicsResponse,
  DescribeConfigsResponse,
  IncrementalAlterConfigsResponse,
  MetadataResponse,
} from '../../../broker/src/protocol/schema/types';
import type { StrataCluster, StrataTopic, StrataTopicStatus } from '../api';
import { notReady, statusReporter } from '../conditions';
import type { KubeApi } from '../kube-client';
import * as N from '../naming';
import type { ReconcileResult } from '../queue';
import { withCluster } from '../cluster-access';
import type { OperatorSettings } from '../settings';
import { type Logger, type Reconciler, silentLogger } from './reconciler';

const TOPIC_RESOURCE = 2;
const CONFIG_SOURCE_TOPIC = 1;
const OP_SET = 0;
const OP_DELETE = 1;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

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
        await this.withClient(cluster, (c) => this.deleteTopic(c, topicName));
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
      const outcome = await this.withClient(cluster, (c) => this.sync(c, topicName, topic, replicas));
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

  private withClient<T>(cluster: StrataCluster, fn: (c: KafkaClient) => Promise<T>): Promise<T> {
    return withCluster(this.api, this.opts.settings, cluster, fn, this.opts.timeoutMs);
  }

  private async describe(c: KafkaClient, topicName: string) {
    const md = await c.request<MetadataResponse>(ApiKey.Metadata, c.pickVersion(ApiKey.Metadata, 12), {
      topics: [{ topicId: ZERO_UUID, name: topicName }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    const t = md.topics.find((x) => x.name === topicName);
    if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return undefined;
    if (t.errorCode !== ErrorCode.NONE) throw new Error(`Metadata for ${topicName}: ${errorName(t.errorCode)}`);
    return { topicId: t.topicId, partitions: t.partitions.length };
  }

  private async sync(
    c: KafkaClient,
    topicName: string,
    topic: StrataTopic,
    replicas: number,
  ): Promise<{ topicId?: string; partitions: number; problem?: SpecProblem }> {
    const want = topic.spec.partitions;
    const configs = Object.entries(topic.spec.config ?? {}).map(([k, v]) => [k, configString(v)] as const);
    let current = await this.describe(c, topicName);
    if (!current) {
      const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, c.pickVersion(ApiKey.CreateTopics, 7), {
        topics: [{ name: topicName, numPartitions: want, replicationFactor: replicas, assignments: [], configs: configs.map(([name, value]) => ({ name, value })) }],
        timeoutMs: 30_000,
        validateOnly: false,
      });
      const r = res.topics[0]!;
      if (r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        const msg = `creating topic ${topicName} failed: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`;
        if (r.errorCode === ErrorCode.INVALID_CONFIG || r.errorCode === ErrorCode.INVALID_REPLICATION_FACTOR || r.errorCode === ErrorCode.INVALID_PARTITIONS) {
          throw new SpecProblem(r.errorCode === ErrorCode.INVALID_CONFIG ? 'InvalidConfig' : 'InvalidSpec', `${msg}; fix the spec`);
        }
        throw new Error(msg);
      }
      this.log.info(`created topic ${topicName} (${want} partitions)`);
      current = await this.describe(c, topicName);
      if (!current) throw new Error(`topic ${topicName} was created but is not in the metadata yet`);
    }
    let problem: SpecProblem | undefined;
    if (current.partitions > want) {
      problem = new SpecProblem(
        'PartitionDecreaseRefused',
        `topic ${topicName} has ${current.partitions} partitions but spec.partitions is ${want}; partitions cannot be removed, so set spec.partitions to ${current.partitions} or more`,
      );
    } else if (current.partitions < want) {
      const res = await c.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, c.pickVersion(ApiKey.CreatePartitions, 3), {
        topics: [{ name: topicName, count: want, assignments: null }],
        timeoutMs: 30_000,
        validateOnly: false,
      });
      const r = res.results[0]!;
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`growing ${topicName} to ${want} partitions failed: ${errorName(r.errorCode)} ${r.errorMessage ?? ''}`);
      this.log.info(`grew topic ${topicName} from ${current.partitions} to ${want} partitions`);
      current = { ...current, partitions: want };
    }
    await this.syncConfigs(c, topicName, new Map(configs));
    return { topicId: current.topicId, partitions: current.partitions, ...(problem ? { problem } : {}) };
  }

  /** Sets the spec's configs and deletes topic-level configs the spec does not have. */
  private async syncConfigs(c: KafkaClient, topicName: string, want: Map<string, string>): Promise<void> {
    const described = await c.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, c.pickVersion(ApiKey.DescribeConfigs, 4), {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topicName, configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const res = described.results[0]!;
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`DescribeConfigs ${topicName}: ${errorName(res.errorCode)} ${res.errorMessage ?? ''}`);
    const ops: Array<{ name: string; configOperation: number; value: string | null }> = [];
    const set = new Map(res.configs.filter((e) => e.configSource === CONFIG_SOURCE_TOPIC).map((e) => [e.name, e.value]));
    for (const [k, v] of want) if (set.get(k) !== v) ops.push({ name: k, configOperation: OP_SET, value: v });
    for (const k of set.keys()) if (!want.has(k)) ops.push({ name: k, configOperation: OP_DELETE, value: null });
    if (ops.length === 0) return;
    const altered = await c.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, c.pickVersion(ApiKey.IncrementalAlterConfigs, 1), {
      resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topicName, configs: ops }],
      validateOnly: false,
    });
    const r = altered.responses[0]!;
    if (r.errorCode !== ErrorCode.NONE) {
      const msg = `altering configs of ${topicName} failed: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`;
      if (r.errorCode === ErrorCode.INVALID_CONFIG || r.errorCode === ErrorCode.INVALID_REQUEST) throw new SpecProblem('InvalidConfig', `${msg}; fix spec.config`);
      throw new Error(msg);
    }
    this.log.info(`topic ${topicName}: ${ops.map((o) => `${o.configOperation === OP_SET ? 'set' : 'reverted'} ${o.name}`).join(', ')}`);
  }

  private async deleteTopic(c: KafkaClient, topicName: string): Promise<void> {
    const v = c.pickVersion(ApiKey.DeleteTopics, 6);
    const res = await c.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, v, {
      topics: v >= 6 ? [{ name: topicName, topicId: ZERO_UUID }] : [],
      topicNames: v >= 6 ? [] : [topicName],
      timeoutMs: 30_000,
    });
    const r = res.responses[0];
    if (r && r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      throw new Error(`deleting topic ${topicName} failed: ${errorName(r.errorCode)} ${r.errorMessage ?? ''}`);
    }
  }
}
