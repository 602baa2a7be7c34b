// Metadata (key 3), v0–12. Brokers, cluster id, controller id, and topics with ids, partitions, leaders and
// leader epochs. Topics asked for by name that do not exist are created when auto.create.topics.enable is on
// and the client allows it (v4+ flag; always allowed before v4), and returned ready in the same response.
// v10+ may ask by topic id. A null topic list (v1+) or an empty one in v0 means all topics. An illegal name
// (empty, too long, invalid characters or UTF-8) gets INVALID_TOPIC_EXCEPTION, as in Kafka, and is echoed bounded.
// Every unfenced broker is listed; each partition with its leader, epoch, replicas, ISR, and as offline replicas
// those on fenced brokers. No leader (-1: no ISR member alive) answers LEADER_NOT_AVAILABLE. A partition this
// broker leads whose log is offline here is shown as Kafka shows a partition whose leader sits in a failed log
// directory: no leader (-1), LEADER_NOT_AVAILABLE, and this broker in offline_replicas.
// Authorization as Kafka: "all topics" lists only those the principal may DESCRIBE; a named topic it may not
// describe answers TOPIC_AUTHORIZATION_FAILED (existing or not); auto-creation needs CREATE on the cluster or on
// the topic (else TOPIC_AUTHORIZATION_FAILED). Topic (v8+) and cluster (v8–10) authorized operations when asked.
// Brokers are listed with the endpoint of the listener the request came in on (those without it are left out).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { MetadataRequest, MetadataResponse } from '../protocol/schema/types';
import { echoName, isInternalTopic, isValidTopicName } from '../cluster/topic-names';
import { listenerBrokers, type TopicImage } from '../cluster/metadata-image';
import { ZERO_UUID } from '../protocol/codec';
import { defineHandler } from './handler';
import { errorCodeOf } from './error-code';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { clusterAuthorizedOperations, NO_OPERATIONS } from './authorized-operations';

type TopicResponse = MetadataResponse['topics'][number];

const NO_LEADER = -1;

export default defineHandler<MetadataRequest, MetadataResponse>({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  async handle(req, ctx) {
    const { image, topics: creator, logger, replicas } = ctx.services;
    const describable = (name: string, countDenial = true) => ctx.authorize(AclOperation.DESCRIBE, ResourceType.TOPIC, name, countDenial);
    const operations = (t: TopicImage) => (req.includeTopicAuthorizedOperations ? ctx.authorizedOperations(ResourceType.TOPIC, t.name) : NO_OPERATIONS);
    const fenced = (id: number) => image.brokers.get(id)?.fenced ?? true;
    const describeTopic = (t: TopicImage) => describe(t, (p) => replicas.isOffline(t.topicId, p), fenced, ctx.services.nodeId, operations(t));
    const creatable = (name: string) =>
      ctx.authorize(AclOperation.CREATE, ResourceType.CLUSTER, CLUSTER_NAME, false) || ctx.authorize(AclOperation.CREATE, ResourceType.TOPIC, name);
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    const topics: TopicResponse[] = [];
    if (all) {
      for (const t of image.topicsByName.values()) if (describable(t.name, false)) topics.push(describeTopic(t));
    } else {
      const allowCreate = creator.enabled && (ctx.apiVersion < 4 || req.allowAutoTopicCreation);
      for (const wanted of req.topics!) {
        if (wanted.name === null || (wanted.name === '' && wanted.topicId !== ZERO_UUID)) {
          const t = image.topicsById.get(wanted.topicId);
          // Responses before v12 cannot carry a null name.
          const nullName = ctx.apiVersion >= 12 ? null : '';
          if (!t) topics.push(missingTopic(nullName, wanted.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
          else if (!describable(t.name)) topics.push(missingTopic(nullName, wanted.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
          else topics.push(describeTopic(t));
          continue;
        }
        const existing = image.topicsByName.get(wanted.name);
        if (isValidTopicName(wanted.name) && !describable(wanted.name)) {
          topics.push(missingTopic(wanted.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        } else if (existing) {
          topics.push(describeTopic(existing));
        } else if (!isValidTopicName(wanted.name)) {
          topics.push(missingTopic(echoName(wanted.name), ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION));
        } else if (!allowCreate) {
          topics.push(missingTopic(wanted.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        } else if (!creatable(wanted.name)) {
          topics.push(missingTopic(wanted.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        } else {
          try {
            topics.push(describeTopic(await creator.autoCreate(wanted.name)));
          } catch (err) {
            topics.push(missingTopic(wanted.name, ZERO_UUID, errorCodeOf(err, logger)));
          }
        }
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: listenerBrokers(image, ctx.listenerName).map(({ b, e }) => ({ nodeId: b.nodeId, host: e.host, port: e.port, rack: b.rack })),
      clusterId: image.clusterId,
      controllerId: image.advertisedControllerId(ctx.services.nodeId),
      topics,
      clusterAuthorizedOperations: clusterAuthorizedOperations(ctx, req.includeClusterAuthorizedOperations),
    };
  },
});

function describe(
  t: TopicImage,
  isOffline: (partition: number) => boolean,
  fenced: (nodeId: number) => boolean,
  nodeId: number,
  topicAuthorizedOperations: number,
): TopicResponse {
  return {
    errorCode: 0,
    name: t.name,
    topicId: t.topicId,
    isInternal: isInternalTopic(t.name),
    partitions: t.partitions.map((p) => {
      const logOffline = p.leader === nodeId && isOffline(p.partition);
      const leaderId = logOffline ? NO_LEADER : p.leader;
      const offlineReplicas = p.replicas.filter((r) => fenced(r) || (logOffline && r === nodeId));
      return {
        errorCode: leaderId === NO_LEADER ? ErrorCode.LEADER_NOT_AVAILABLE : 0,
        partitionIndex: p.partition,
        leaderId,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: p.replicas,
        isrNodes: p.isr,
        offlineReplicas,
      };
    }),
    topicAuthorizedOperations,
  };
}

function missingTopic(name: string | null, topicId: string, errorCode: ErrorCode): TopicResponse {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: NO_OPERATIONS };
}
