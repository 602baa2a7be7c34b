// CreatePartitions (key 37), v0–3. Partitions only grow; explicit assignments are checked against brokers.
// A request adding more than 10,000 partitions in all fails as a whole (POLICY_VIOLATION), as CreateTopics does,
// before anything is allocated. Internal topics keep the partition count the broker gave them.
// Needs ALTER on the topic (else TOPIC_AUTHORIZATION_FAILED).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../protocol/schema/types';
import type { MetadataImage } from '../cluster/metadata-image';
import { tooManyPartitionsPerRequest } from '../cluster/partition-limits';
import { echoName, internalTopicAdminError, isInternalTopic } from '../cluster/topic-names';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';
import { errorCodeOf, errorMessageOf } from './error-code';

type Result = CreatePartitionsResponse['results'][number];

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const { controller, image, logger } = ctx.services;
    const tooMany = tooManyPartitionsPerRequest(addedPartitions(req, image));
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: Result[] = [];
    for (const t of req.topics) {
      const result = (errorCode: ErrorCode, errorMessage: string | null): Result => ({ name: echoName(t.name), errorCode, errorMessage });
      if (tooMany) {
        results.push(result(ErrorCode.POLICY_VIOLATION, tooMany));
      } else if (counts.get(t.name)! > 1) {
        results.push(result(ErrorCode.INVALID_REQUEST, 'Duplicate topic in request.'));
      } else {
        try {
          ctx.require(AclOperation.ALTER, ResourceType.TOPIC, t.name);
          if (isInternalTopic(t.name)) throw internalTopicAdminError(t.name, 'add partitions to');
          await controller.createPartitions(t.name, t.count, t.assignments ? t.assignments.map((a) => a.brokerIds) : null, req.validateOnly);
          results.push(result(ErrorCode.NONE, null));
        } catch (err) {
          results.push(result(errorCodeOf(err, logger), errorMessageOf(err)));
        }
      }
    }
    return { throttleTimeMs: 0, results };
  },
});

/** Partitions the whole request would add to existing topics. */
function addedPartitions(req: CreatePartitionsRequest, image: MetadataImage): number {
  let total = 0;
  for (const t of req.topics) {
    const current = image.topicsByName.get(t.name)?.partitions.length;
    if (current !== undefined && t.count > current) total += t.count - current;
  }
  return total;
}
