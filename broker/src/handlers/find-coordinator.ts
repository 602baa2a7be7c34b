// FindCoordinator (key 10), v0–6. The first one for a group (transactional id) creates __consumer_offsets
// (__transaction_state), as Kafka does (cluster/internal-topics.ts). The coordinator of a group is the leader of its __consumer_offsets partition,
// of a transactional id (key type 1) the leader of its __transaction_state partition (CLUSTER.md "Coordinators"),
// answered with that broker's endpoint for the listener the request came in on; COORDINATOR_NOT_AVAILABLE (which
// clients retry) when the partition has no leader, it is fenced, or it lacks that listener. As Kafka, a
// coordinator still loading is named all the same: its answers say COORDINATOR_LOAD_IN_PROGRESS. v4+ looks up
// several keys at once.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { brokerEndpoint } from '../cluster/metadata-image';
import { OFFSETS_TOPIC } from '../coordinator/group-store';
import { TRANSACTION_STATE_TOPIC } from '../coordinator/transaction-store';
import { boundUtf8, fitsKafkaString } from '../protocol/bounded-string';

const GROUP = 0;
const TRANSACTION = 1;

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(req, ctx) {
    const { image, groups, transactions, internalTopics, logger } = ctx.services;
    if (req.keyType === GROUP || req.keyType === TRANSACTION) {
      // A failed creation leaves the keys without a coordinator (COORDINATOR_NOT_AVAILABLE): clients retry.
      await internalTopics.ensure(req.keyType === GROUP ? OFFSETS_TOPIC : TRANSACTION_STATE_TOPIC).catch((err: unknown) =>
        logger.warn('could not create an internal topic', { error: err instanceof Error ? err.message : String(err) }),
      );
    }
    /** The leader of the key's partition, with its endpoint on this request's listener; null when there is none. */
    const coordinatorOf = (keyType: number, key: string) => {
      const [topic, partition] = keyType === GROUP ? [OFFSETS_TOPIC, groups.partitionFor(key)] : [TRANSACTION_STATE_TOPIC, transactions.partitionFor(key)];
      const leader = image.topicsByName.get(topic)?.partitions[partition]?.leader ?? -1;
      const broker = leader >= 0 ? image.brokers.get(leader) : undefined;
      const endpoint = broker && !broker.fenced ? brokerEndpoint(broker, ctx.listenerName) : null;
      return endpoint && { nodeId: leader, host: endpoint.host, port: endpoint.port };
    };
    // DESCRIBE on the group or transactional id, as in Kafka.
    const authorizationDenied = (keyType: number, key: string) =>
      keyType === GROUP
        ? !ctx.authorize(AclOperation.DESCRIBE, ResourceType.GROUP, key) && ErrorCode.GROUP_AUTHORIZATION_FAILED
        : !ctx.authorize(AclOperation.DESCRIBE, ResourceType.TRANSACTIONAL_ID, key) && ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    const find = (requested: string) => {
      const key = boundUtf8(requested);
      if (!fitsKafkaString(requested)) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The coordinator key is longer than a Kafka string.' };
      }
      if (req.keyType !== GROUP && req.keyType !== TRANSACTION) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator type ${req.keyType}` };
      }
      const denied = authorizationDenied(req.keyType, requested);
      if (denied) return { key, nodeId: -1, host: '', port: -1, errorCode: denied, errorMessage: null };
      const coordinator = coordinatorOf(req.keyType, requested);
      if (!coordinator) return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
      return { key, ...coordinator, errorCode: 0, errorMessage: null };
    };
    if (ctx.apiVersion >= 4) {
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: req.coordinatorKeys.map(find) };
    }
    const c = find(req.key);
    return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port, coordinators: [] };
  },
});
