// FindCoordinator (key 10), v0–6. Single-broker mode: this broker coordinates every group (it hosts every
// partition of __consumer_offsets) and every transactional id (key type 1, __transaction_state) once that
// coordinator has loaded its state; until then COORDINATOR_NOT_AVAILABLE, which clients retry. v4+ looks up
// several keys at once.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { brokerEndpoint } from '../cluster/metadata-image';
import { boundUtf8, fitsKafkaString } from '../protocol/bounded-string';

const GROUP = 0;
const TRANSACTION = 1;

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  handle(req, ctx) {
    const { image, nodeId, groups, transactions } = ctx.services;
    // The endpoint of the listener this request came in on (this broker always has it).
    const self = brokerEndpoint(image.brokers.get(nodeId)!, ctx.listenerName) ?? image.brokers.get(nodeId)!;
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
      if (!(req.keyType === GROUP ? groups.isLoaded : transactions.isLoaded)) {
        return { key, nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is loading.' };
      }
      return { key, nodeId, host: self.host, port: self.port, errorCode: 0, errorMessage: null };
    };
    if (ctx.apiVersion >= 4) {
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: req.coordinatorKeys.map(find) };
    }
    const c = find(req.key);
    return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port, coordinators: [] };
  },
});
