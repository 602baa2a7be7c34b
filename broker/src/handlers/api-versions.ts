// ApiVersions (key 18), v0–4. Lists exactly the handlers registered in handlers/index.ts with their version
// ranges. A request for a version we do not know is answered by the connection with a v0 error response
// (KIP-511), so the client can retry with one we do.
import { ApiKey } from '../protocol/apis';
import type { ApiVersionsRequest, ApiVersionsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';

export default defineHandler<ApiVersionsRequest, ApiVersionsResponse>({
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(_req, ctx) {
    return {
      errorCode: 0,
      apiKeys: [...ctx.services.handlers.values()]
        .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
        .sort((a, b) => a.apiKey - b.apiKey),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1,
      finalizedFeatures: [],
      zkMigrationReady: false,
    };
  },
});
