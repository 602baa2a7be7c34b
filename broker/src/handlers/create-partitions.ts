// CreatePartitions (key 37), v0–3. Partitions only grow; explicit assignments are checked against brokers.
import { ApiKey } from '../protocol/apis';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { errorCodeOf, errorMessageOf } from './error-code';

export default defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(req, ctx) {
    const { controller, logger } = ctx.services;
    const results = [];
    for (const t of req.topics) {
      try {
        await controller.createPartitions(t.name, t.count, t.assignments ? t.assignments.map((a) => a.brokerIds) : null, req.validateOnly);
        results.push({ name: t.name, errorCode: 0, errorMessage: null });
      } catch (err) {
        results.push({ name: t.name, errorCode: errorCodeOf(err, logger), errorMessage: errorMessageOf(err) });
      }
    }
    return { throttleTimeMs: 0, results };
  },
});
