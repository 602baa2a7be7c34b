// The API table: every request/response pair in the generated schemas, by api key.
import { ALL_MESSAGE_SPECS } from './schema/messages';
import type { MessageSpec } from './schema/spec';

export { ApiKey } from './schema/api-keys';

export interface ApiSpec {
  /** 'Produce', 'Fetch', … (the request name without "Request"). */
  readonly name: string;
  readonly request: MessageSpec;
  readonly response: MessageSpec;
}

function buildApiSpecs(specs: readonly MessageSpec[]): Map<number, ApiSpec> {
  const responses = new Map<number, MessageSpec>();
  for (const s of specs) if (s.type === 'response' && s.apiKey !== undefined) responses.set(s.apiKey, s);
  const apis = new Map<number, ApiSpec>();
  for (const request of specs) {
    if (request.type !== 'request' || request.apiKey === undefined) continue;
    const response = responses.get(request.apiKey);
    if (!response) throw new Error(`${request.name} has no response schema`);
    apis.set(request.apiKey, { name: request.name.replace(/Request$/, ''), request, response });
  }
  return apis;
}

export const API_SPECS: ReadonlyMap<number, ApiSpec> = buildApiSpecs(ALL_MESSAGE_SPECS);

/** The api's name, or `Unknown(<key>)` for keys the schemas do not define (for logs and metrics). */
export function apiName(apiKey: number): string {
  return API_SPECS.get(apiKey)?.name ?? `Unknown(${apiKey})`;
}
