// SaslAuthenticate (key 36), v0–2 (KIP-152): carries one SASL message each way after SaslHandshake v1. A failed
// exchange gets SASL_AUTHENTICATION_FAILED with a message, then the connection closes after
// connection.failed.authentication.delay.ms. v1+ responses carry session_lifetime_ms (KIP-368) when
// connections.max.reauth.ms > 0. Mechanisms: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (security/).
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';

export default defineHandler<SaslAuthenticateRequest, SaslAuthenticateResponse>({
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  async handle(req, ctx) {
    if (!ctx.authenticator) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SASL is not enabled on this listener', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 };
    }
    return ctx.authenticator.authenticate(req.authBytes, ctx.apiVersion);
  },
});
