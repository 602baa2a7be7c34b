// SaslHandshake (key 17), v0–1: picks the SASL mechanism for the SaslAuthenticate exchange that follows (v1),
// or for raw SASL tokens without Kafka headers (v0, pre-KIP-152 clients). Answers the enabled mechanisms;
// an unknown one gets UNSUPPORTED_SASL_MECHANISM and the connection closes. On an authenticated connection it
// starts re-authentication (KIP-368) when connections.max.reauth.ms > 0, else ILLEGAL_SASL_STATE, as does any
// handshake on a PLAINTEXT or SSL listener. The state machine is security/authenticator.ts.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';

export default defineHandler<SaslHandshakeRequest, SaslHandshakeResponse>({
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(req, ctx) {
    if (!ctx.authenticator) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    return ctx.authenticator.handshake(req.mechanism, ctx.apiVersion);
  },
});
