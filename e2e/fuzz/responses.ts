// What a well-behaved broker may do with a request frame, and whether a response frame is well formed. The
// request is read with the same codec the broker uses, so we know which api, version and correlation id the
// broker saw; its response must carry that correlation id and decode completely with that version's schema.
import { API_SPECS, ApiKey } from '../../broker/src/protocol/apis';
import { Reader, decode } from '../../broker/src/protocol/codec';
import { decodeRequestHeader, responseHeaderVersion, type RequestHeaderInfo } from '../../broker/src/protocol/headers';
import { ResponseHeaderSpec } from '../../broker/src/protocol/schema/messages';
import type { ProduceRequest, ResponseHeader } from '../../broker/src/protocol/schema/types';

export interface Expectation {
  /** The header as the broker parses it; undefined when it does not parse (the broker must close). */
  header?: RequestHeaderInfo;
  /** Produce with acks=0: a broker sends nothing back (it may close the connection on error). */
  noResponse: boolean;
}

/** `frame` includes its int32 size prefix. */
export function expectationOf(frame: Buffer): Expectation {
  const payload = frame.subarray(4);
  let header: RequestHeaderInfo;
  try {
    header = decodeRequestHeader(payload);
  } catch {
    return { noResponse: false };
  }
  let noResponse = false;
  if (header.apiKey === ApiKey.Produce) {
    try {
      const req = decode<ProduceRequest>(API_SPECS.get(ApiKey.Produce)!.request, header.apiVersion, new Reader(payload, header.bodyOffset));
      noResponse = req.acks === 0;
    } catch {
      // malformed: the broker closes
    }
  }
  return { header, noResponse };
}

/** The response body, decoded completely (no bytes left over), or why it does not decode. */
export function decodeResponseBody(apiKey: number, version: number, frame: Buffer): { body: Record<string, unknown> } | { problem: string } {
  try {
    const r = new Reader(frame);
    decode<ResponseHeader>(ResponseHeaderSpec, responseHeaderVersion(apiKey, version), r);
    const body = decode<Record<string, unknown>>(API_SPECS.get(apiKey)!.response, version, r);
    if (r.remaining() !== 0) return { problem: `${r.remaining()} bytes left after the ${API_SPECS.get(apiKey)!.name} v${version} response body` };
    return { body };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

function decodesCompletely(apiKey: number, version: number, frame: Buffer): string | null {
  const d = decodeResponseBody(apiKey, version, frame);
  return 'problem' in d ? d.problem : null;
}

/** Every errorCode anywhere in a decoded response body (top level, per topic, per partition …). */
export function errorCodes(body: unknown): number[] {
  if (Array.isArray(body)) return body.flatMap(errorCodes);
  if (body === null || typeof body !== 'object' || body instanceof Uint8Array) return [];
  return Object.entries(body).flatMap(([k, v]) => (k === 'errorCode' && typeof v === 'number' ? [v] : errorCodes(v)));
}

/** Null if `response` (without its size prefix) is a well-formed answer to `frame`, else what is wrong. */
export function responseProblem(frame: Buffer, response: Buffer): string | null {
  const { header } = expectationOf(frame);
  if (!header) return 'the broker answered a request whose header does not parse';
  if (response.length < 4) return `response of ${response.length} bytes has no correlation id`;
  const correlationId = response.readInt32BE(0);
  if (correlationId !== header.correlationId) return `response correlation id ${correlationId}, request had ${header.correlationId}`;
  const api = API_SPECS.get(header.apiKey);
  if (!api) return `the broker answered unknown api key ${header.apiKey}`;
  const inRange = header.apiVersion >= api.request.validVersions.min && header.apiVersion <= api.request.validVersions.max;
  if (header.apiKey === ApiKey.ApiVersions) {
    // An unsupported ApiVersions version is answered with a v0 body (KIP-511).
    if (inRange && decodesCompletely(header.apiKey, header.apiVersion, response) === null) return null;
    const v0 = decodesCompletely(header.apiKey, 0, response);
    return v0 === null ? null : `ApiVersions response decodes neither as v${header.apiVersion} nor as v0: ${v0}`;
  }
  if (!inRange) return `the broker answered ${api.name} v${header.apiVersion}, which has no schema`;
  return decodesCompletely(header.apiKey, header.apiVersion, response);
}
