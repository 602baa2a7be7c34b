// Request/response headers and size-prefixed frames.
import { API_SPECS, ApiKey, ApiSpec } from './apis';
import { ProtocolError, Reader, Writer, decode, encode, isFlexible } from './codec';
import { RequestHeaderSpec, ResponseHeaderSpec } from './schema/messages';
import type { RequestHeader, ResponseHeader } from './schema/types';

/** Header v2 for flexible request versions, else v1; ControlledShutdown v0 alone uses v0 (no client id). */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  const api = API_SPECS.get(apiKey);
  return api !== undefined && isFlexible(api.request, apiVersion) ? 2 : 1;
}

/** Header v1 for flexible response versions, else v0; ApiVersions always v0 so any client can parse it. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  const api = API_SPECS.get(apiKey);
  return api !== undefined && isFlexible(api.response, apiVersion) ? 1 : 0;
}

export interface RequestHeaderInfo {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  headerVersion: number;
  /** Where the request body starts in the frame. */
  bodyOffset: number;
}

/**
 * Parses the header of a request frame (without its 4-byte size). Unknown api keys are parsed with the v1
 * layout, and unknown versions of known apis by their flexibility, so the server can still answer them.
 */
export function decodeRequestHeader(frame: Buffer): RequestHeaderInfo {
  if (frame.length < 8) throw new ProtocolError(`request of ${frame.length} bytes is too short for a header`);
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  const r = new Reader(frame);
  const h = decode<RequestHeader>(RequestHeaderSpec, headerVersion, r);
  return { apiKey, apiVersion, correlationId: h.correlationId, clientId: h.clientId, headerVersion, bodyOffset: r.offset };
}

function apiOf(apiKey: number): ApiSpec {
  const api = API_SPECS.get(apiKey);
  if (!api) throw new ProtocolError(`unknown api key ${apiKey}`);
  return api;
}

/** Decodes the body of a request whose header decodeRequestHeader returned. */
export function decodeRequestBody<T>(header: RequestHeaderInfo, frame: Buffer): T {
  return decode<T>(apiOf(header.apiKey).request, header.apiVersion, new Reader(frame, header.bodyOffset));
}

/** Patches the size placeholder the writer started with; the first chunk always holds it. */
function sizePrefixed(w: Writer): Buffer[] {
  const chunks = w.chunks();
  chunks[0].writeInt32BE(w.length - 4, 0);
  return chunks;
}

/** A complete response frame (size, header, body) as chunks; records buffers in the body are not copied. */
export function encodeResponseFrame(apiKey: number, apiVersion: number, correlationId: number, body: object): Buffer[] {
  const api = apiOf(apiKey);
  const w = new Writer();
  w.writeInt32(0);
  encode(ResponseHeaderSpec, responseHeaderVersion(apiKey, apiVersion), { correlationId }, w);
  encode(api.response, apiVersion, body, w);
  return sizePrefixed(w);
}

export function encodeRequestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: object,
): Buffer[] {
  const api = apiOf(apiKey);
  const w = new Writer();
  w.writeInt32(0);
  const header = { requestApiKey: apiKey, requestApiVersion: apiVersion, correlationId, clientId };
  encode(RequestHeaderSpec, requestHeaderVersion(apiKey, apiVersion), header, w);
  encode(api.request, apiVersion, body, w);
  return sizePrefixed(w);
}

/** Decodes a response frame (without its 4-byte size). */
export function decodeResponse<T>(apiKey: number, apiVersion: number, frame: Buffer): { correlationId: number; body: T } {
  const api = apiOf(apiKey);
  const r = new Reader(frame);
  const header = decode<ResponseHeader>(ResponseHeaderSpec, responseHeaderVersion(apiKey, apiVersion), r);
  return { correlationId: header.correlationId, body: decode<T>(api.response, apiVersion, r) };
}
