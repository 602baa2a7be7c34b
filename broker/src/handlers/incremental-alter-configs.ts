// IncrementalAlterConfigs (key 44), v0–1 (KIP-339): SET, DELETE, and APPEND/SUBTRACT on list configs
// (e.g. cleanup.policy), each against the topic's current effective value.
import { ApiKey } from '../protocol/apis';
import { ErrorCode, KafkaError } from '../protocol/errors';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { alterResources } from './config-alteration';
import { topicConfigEntries } from './config-entries';
import { quoteName } from '../cluster/topic-names';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

export default defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const responses = await alterResources(req.resources, req.validateOnly, ctx, (r, topic) => {
      const effective = new Map(topicConfigEntries(topic.configs, ctx.services.config).map((e) => [e.name, e.value]));
      const changes: Record<string, string | null> = {};
      for (const c of r.configs) {
        if (c.configOperation === SET) changes[c.name] = c.value;
        else if (c.configOperation === DELETE) changes[c.name] = null;
        else if (c.configOperation === APPEND || c.configOperation === SUBTRACT) {
          const current = (changes[c.name] ?? effective.get(c.name) ?? '').split(',').filter((v) => v !== '');
          const items = (c.value ?? '').split(',').filter((v) => v !== '');
          const next = c.configOperation === APPEND ? [...current, ...items.filter((i) => !current.includes(i))] : current.filter((v) => !items.includes(v));
          changes[c.name] = next.join(',');
        } else {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown config operation ${c.configOperation} for ${quoteName(c.name)}`);
        }
      }
      return changes;
    });
    return { throttleTimeMs: 0, responses };
  },
});
