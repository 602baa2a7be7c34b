// SCRAM (RFC 5802, with SHA-256/512 per RFC 7677): the key derivations and the message syntax, shared by the
// broker's SCRAM and PLAIN servers (security/sasl-scram.ts, sasl-plain.ts) and our own client (protocol/client.ts).
// Only what Kafka uses: no channel binding ("n,," / "c=biws"), an optional authzid that must equal the user.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

/** Kafka's ScramMechanism type codes (AlterUserScramCredentials / DescribeUserScramCredentials). */
export const MECHANISM_CODES: Readonly<Record<ScramMechanism, number>> = { 'SCRAM-SHA-256': 1, 'SCRAM-SHA-512': 2 };
export function mechanismOfCode(code: number): ScramMechanism | undefined {
  return SCRAM_MECHANISMS.find((m) => MECHANISM_CODES[m] === code);
}

/** Kafka's bounds on the iteration count of a credential (ScramMechanism.minIterations / maxIterations). */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 16384;

/** What the broker stores per user and mechanism: never the password, only what verifies it. */
export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const digestOf = (m: ScramMechanism) => (m === 'SCRAM-SHA-256' ? 'sha256' : 'sha512');
const keyLength = (m: ScramMechanism) => (m === 'SCRAM-SHA-256' ? 32 : 64);

export function hmac(m: ScramMechanism, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(digestOf(m), key).update(data).digest();
}

export function hash(m: ScramMechanism, data: Buffer): Buffer {
  return createHash(digestOf(m)).update(data).digest();
}

/** Hi(password, salt, i) = PBKDF2 with HMAC; asynchronous (libuv thread pool) so logins never block the loop. */
export function saltedPassword(m: ScramMechanism, password: Buffer | string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, keyLength(m), digestOf(m), (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials carries). */
export function credentialFromSalted(m: ScramMechanism, salted: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(m, salted, 'Client Key');
  return { salt, iterations, storedKey: hash(m, clientKey), serverKey: hmac(m, salted, 'Server Key') };
}

export async function credentialFromPassword(m: ScramMechanism, password: string, iterations = MIN_ITERATIONS, salt: Buffer = randomBytes(32)): Promise<ScramCredential> {
  return credentialFromSalted(m, await saltedPassword(m, password, salt, iterations), salt, iterations);
}

/** Constant-time equality of two byte strings (false at once for different lengths, which are not secret). */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** True when `password` matches the credential: H(HMAC(Hi(password), "Client Key")) == StoredKey. */
export async function verifyPassword(m: ScramMechanism, cred: ScramCredential, password: string): Promise<boolean> {
  const salted = await saltedPassword(m, password, cred.salt, cred.iterations);
  return sameBytes(hash(m, hmac(m, salted, 'Client Key')), cred.storedKey);
}

// ------------------------------------------------------------------------------------------------ messages

export class ScramError extends Error {}

/** saslname: "=" is written "=3D" and "," is "=2C" (RFC 5802 §5.1). */
export function encodeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}
export function decodeSaslName(text: string): string {
  if (/=(?!2C|3D)/.test(text)) throw new ScramError(`invalid saslname encoding`);
  return text.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** "k=v,k=v" attributes (one-letter keys, and Kafka's named extensions such as tokenauth); a repeated or malformed one is an error. */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq);
    if (eq < 1 || !/^[A-Za-z][A-Za-z0-9]{0,31}$/.test(key)) throw new ScramError(`malformed SCRAM attribute`);
    if (out.has(key)) throw new ScramError(`repeated SCRAM attribute ${key}`);
    out.set(key, part.slice(eq + 1));
  }
  return out;
}

const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/; // RFC 5802 "printable": no comma

export interface ClientFirst {
  /** The gs2 header, e.g. "n,," (echoed base64-encoded in the client-final "c="). */
  gs2Header: string;
  authzid: string | null;
  username: string;
  nonce: string;
  /** client-first-message-bare, part of the AuthMessage. */
  bare: string;
  /** Extensions after the nonce (Kafka's tokenauth=true for delegation tokens). */
  extensions: Map<string, string>;
}

export function parseClientFirst(msg: string): ClientFirst {
  // gs2-cbind-flag "," [authzid] "," client-first-message-bare
  const m = /^([nyp][^,]*),(a=[^,]*)?,(.*)$/s.exec(msg);
  if (!m) throw new ScramError('invalid client-first message');
  if (m[1] !== 'n' && m[1] !== 'y') throw new ScramError('channel binding is not supported');
  const bare = m[3];
  const attrs = attributes(bare);
  const username = attrs.get('n');
  const nonce = attrs.get('r');
  if ([...attrs.keys()][0] !== 'n' || [...attrs.keys()][1] !== 'r' || username === undefined || !nonce) {
    throw new ScramError('client-first message must start with n= and r=');
  }
  if (attrs.has('m')) throw new ScramError('mandatory SCRAM extensions are not supported');
  if (!PRINTABLE.test(nonce)) throw new ScramError('invalid client nonce');
  const extensions = new Map([...attrs].filter(([k]) => k !== 'n' && k !== 'r'));
  return {
    gs2Header: `${m[1]},${m[2] ?? ''},`,
    authzid: m[2] ? decodeSaslName(m[2].slice(2)) : null,
    username: decodeSaslName(username),
    nonce,
    bare,
    extensions,
  };
}

export function formatServerFirst(nonce: string, salt: Buffer, iterations: number): string {
  return `r=${nonce},s=${salt.toString('base64')},i=${iterations}`;
}

export interface ServerFirst {
  nonce: string;
  salt: Buffer;
  iterations: number;
}

export function parseServerFirst(msg: string): ServerFirst {
  const attrs = attributes(msg);
  const nonce = attrs.get('r');
  const salt = attrs.get('s');
  const i = Number(attrs.get('i'));
  if (attrs.has('e')) throw new ScramError(`server error: ${attrs.get('e')}`);
  if (!nonce || !salt || !Number.isInteger(i) || i < 1) throw new ScramError('invalid server-first message');
  return { nonce, salt: Buffer.from(salt, 'base64'), iterations: i };
}

export interface ClientFinal {
  channelBinding: string;
  nonce: string;
  proof: Buffer;
  /** client-final-message-without-proof, part of the AuthMessage. */
  withoutProof: string;
}

export function parseClientFinal(msg: string): ClientFinal {
  const at = msg.lastIndexOf(',p=');
  if (at < 0) throw new ScramError('client-final message has no proof');
  const withoutProof = msg.slice(0, at);
  const attrs = attributes(withoutProof);
  const c = attrs.get('c');
  const r = attrs.get('r');
  const keys = [...attrs.keys()];
  if (keys[0] !== 'c' || keys[1] !== 'r' || c === undefined || r === undefined) throw new ScramError('client-final message must start with c= and r=');
  const proof = msg.slice(at + 3);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(proof)) throw new ScramError('invalid client proof encoding');
  return { channelBinding: c, nonce: r, proof: Buffer.from(proof, 'base64'), withoutProof };
}

export function authMessage(clientFirstBare: string, serverFirst: string, clientFinalWithoutProof: string): string {
  return `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
}

/** A fresh nonce of printable characters (base64 without "," is printable). */
export function newNonce(): string {
  return randomBytes(24).toString('base64');
}

// ------------------------------------------------------------------------------------------------ client side

/** The client half of a SCRAM exchange (our admin client and tests): three steps, each a message to send. */
export class ScramClient {
  private readonly clientNonce: string;
  private clientFirstBare = '';
  private serverSignature: Buffer | null = null;

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly username: string,
    private readonly password: string,
    nonce = newNonce(),
  ) {
    this.clientNonce = nonce;
  }

  firstMessage(): Buffer {
    this.clientFirstBare = `n=${encodeSaslName(this.username)},r=${this.clientNonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  async finalMessage(serverFirstBytes: Buffer): Promise<Buffer> {
    const serverFirst = serverFirstBytes.toString('utf8');
    const sf = parseServerFirst(serverFirst);
    if (!sf.nonce.startsWith(this.clientNonce) || sf.nonce.length <= this.clientNonce.length) throw new ScramError('server nonce does not extend ours');
    const m = this.mechanism;
    const salted = await saltedPassword(m, this.password, sf.salt, sf.iterations);
    const clientKey = hmac(m, salted, 'Client Key');
    const withoutProof = `c=${Buffer.from('n,,').toString('base64')},r=${sf.nonce}`;
    const auth = authMessage(this.clientFirstBare, serverFirst, withoutProof);
    this.serverSignature = hmac(m, hmac(m, salted, 'Server Key'), auth);
    const proof = xor(clientKey, hmac(m, hash(m, clientKey), auth));
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  /** Checks the server's signature (the server proves it knows the credential too). */
  verifyServerFinal(serverFinalBytes: Buffer): void {
    const attrs = attributes(serverFinalBytes.toString('utf8'));
    if (attrs.has('e')) throw new ScramError(`server error: ${attrs.get('e')}`);
    const v = attrs.get('v');
    if (!v || !this.serverSignature || !sameBytes(Buffer.from(v, 'base64'), this.serverSignature)) throw new ScramError('invalid server signature');
  }
}
