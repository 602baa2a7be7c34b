// The client side of SASL over the Kafka protocol (KIP-152 framing: SaslHandshake v1, then SaslAuthenticate
// carrying the mechanism's messages), for the project's own KafkaClient (the operator, tools and tests).
// Mechanisms: PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802/7677), the client's half only.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiKey } from './apis';
import { ErrorCode, KafkaError, errorName } from './errors';
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from './schema/types';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslCredentials {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** What authentication needs from a connection: one request/response exchange. */
export interface SaslTransport {
  request<T>(apiKey: number, version: number, body: object): Promise<T>;
}

const SCRAM_HASH = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' } as const;

/** Handshakes and authenticates; throws a KafkaError (SASL_AUTHENTICATION_FAILED, UNSUPPORTED_SASL_MECHANISM…). */
export async function authenticate(conn: SaslTransport, creds: SaslCredentials): Promise<{ sessionLifetimeMs: number }> {
  const hs = await conn.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: creds.mechanism });
  if (hs.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(hs.errorCode, `SASL mechanism ${creds.mechanism} refused (${errorName(hs.errorCode)}); the listener offers ${hs.mechanisms.join(', ') || 'none'}`);
  }
  const step = async (bytes: Buffer): Promise<SaslAuthenticateResponse> => {
    const res = await conn.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: bytes });
    if (res.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(res.errorCode, `SASL ${creds.mechanism} authentication of ${creds.username} failed: ${res.errorMessage ?? errorName(res.errorCode)}`);
    }
    return res;
  };
  if (creds.mechanism === 'PLAIN') {
    const res = await step(Buffer.from(`\0${creds.username}\0${creds.password}`, 'utf8'));
    return { sessionLifetimeMs: Number(res.sessionLifetimeMs) };
  }
  const scram = new ScramClient(SCRAM_HASH[creds.mechanism], creds.username, creds.password);
  const first = await step(scram.firstMessage());
  const final = await step(scram.finalMessage(first.authBytes));
  scram.verifyServerFinal(final.authBytes);
  return { sessionLifetimeMs: Number(final.sessionLifetimeMs) };
}

/** RFC 5802 username escaping: "=" and "," are written as =3D and =2C. */
export function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** One SCRAM conversation, client side. */
export class ScramClient {
  private readonly clientNonce: string;
  private readonly firstBare: string;
  private serverSignature: Buffer | undefined;

  constructor(
    private readonly hash: 'sha256' | 'sha512',
    username: string,
    private readonly password: string,
    nonce = randomBytes(24).toString('base64'),
  ) {
    this.clientNonce = nonce;
    this.firstBare = `n=${saslName(username)},r=${nonce}`;
  }

  firstMessage(): Buffer {
    return Buffer.from(`n,,${this.firstBare}`, 'utf8');
  }

  /** Answers server-first-message "r=…,s=…,i=…" with client-final-message "c=biws,r=…,p=…". */
  finalMessage(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8');
    const attrs = parseAttributes(text);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!nonce || !nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, 'SCRAM server nonce does not extend the client nonce');
    }
    if (!salt || !Number.isInteger(iterations) || iterations < 1) {
      throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, `malformed SCRAM server-first message: ${text.slice(0, 200)}`);
    }
    const keys = scramKeys(this.hash, this.password, Buffer.from(salt, 'base64'), iterations);
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.firstBare},${text},${withoutProof}`;
    const clientSignature = hmac(this.hash, keys.storedKey, authMessage);
    const proof = Buffer.alloc(keys.clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = keys.clientKey[i]! ^ clientSignature[i]!;
    this.serverSignature = hmac(this.hash, keys.serverKey, authMessage);
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Checks the server's "v=" signature, so a server that does not know the password cannot pose as the broker. */
  verifyServerFinal(serverFinal: Buffer): void {
    const attrs = parseAttributes(serverFinal.toString('utf8'));
    const err = attrs.get('e');
    if (err) throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, `SCRAM server error: ${err}`);
    const v = Buffer.from(attrs.get('v') ?? '', 'base64');
    if (!this.serverSignature || v.length !== this.serverSignature.length || !timingSafeEqual(v, this.serverSignature)) {
      throw new KafkaError(ErrorCode.SASL_AUTHENTICATION_FAILED, 'SCRAM server signature does not match: the server does not hold this credential');
    }
  }
}

/** SaltedPassword and the keys derived from it (RFC 5802 §3). */
export function scramKeys(hash: 'sha256' | 'sha512', password: string, salt: Buffer, iterations: number) {
  const saltedPassword = saltPassword(hash, password, salt, iterations);
  const clientKey = hmac(hash, saltedPassword, 'Client Key');
  return {
    saltedPassword,
    clientKey,
    storedKey: createHash(hash).update(clientKey).digest(),
    serverKey: hmac(hash, saltedPassword, 'Server Key'),
  };
}

/** Hi(password, salt, i): PBKDF2 with HMAC-H, output the hash's length. */
export function saltPassword(hash: 'sha256' | 'sha512', password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password.normalize('NFKC'), 'utf8'), salt, iterations, hash === 'sha256' ? 32 : 64, hash);
}

function hmac(hash: string, key: Buffer, data: string): Buffer {
  return createHmac(hash, key).update(data, 'utf8').digest();
}

function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    if (i === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}
