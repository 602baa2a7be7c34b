// AlterConfigs (key 33), v0–2, the legacy form: the given set REPLACES all of a topic's config overrides.
import { ApiKey } from '../protocol/apis';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { alterResources } from './config-alteration';

export default defineHandler<AlterConfigsRequest, AlterConfigsResponse>({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    const responses = await alterResources(req.resources, req.validateOnly, ctx, (r, topic) => {
      const changes: Record<string, string | null> = {};
      for (const name of Object.keys(topic.configs)) changes[name] = null;
      for (const c of r.configs) changes[c.name] = c.value;
      return changes;
    });
    return { throttleTimeMs: 0, responses };
  },
});
