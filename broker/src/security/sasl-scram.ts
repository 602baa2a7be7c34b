// SASL/SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), server side: client-first → server-first
// (combined nonce, the credential's salt and iteration count) → client-final (proof) → server-final
// (signature). The proof is checked in constant time against the stored key. An unknown user is answered with
// a made-up salt (stable per user name) and fails only at the proof, so the exchange does not reveal which
// users exist (RFC 5802 §9). Kafka's delegation-token extension (tokenauth) is refused: tokens do not exist here.
import { createHmac, randomBytes } from 'node:crypto';
import type { MetadataImage } from '../cluster/metadata-image';
import { lookupCredential } from './scram-credentials';
import {
  authMessage,
  formatServerFirst,
  hash,
  hmac,
  MIN_ITERATIONS,
  newNonce,
  parseClientFinal,
  parseClientFirst,
  sameBytes,
  ScramError,
  xor,
  type ClientFirst,
  type ScramCredential,
  type ScramMechanism,
} from './scram';
import { invalidCredentials, SaslAuthenticationError, type SaslServer, type SaslStep } from './sasl-server';

/** Per-process secret that makes decoy salts stable for a user name but unpredictable. */
const DECOY_SECRET = randomBytes(32);

/** Longest client message accepted (names and nonces are short; the frame limit bounds it anyway). */
const MAX_MESSAGE_BYTES = 8192;

export class ScramServer implements SaslServer {
  private state: 'first' | 'final' | 'done' = 'first';
  private clientFirst: ClientFirst | null = null;
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | null = null;
  private known = false;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly image: MetadataImage,
    /** The server's part of the nonce (fixed in tests against the RFC vectors). */
    private readonly serverNonce: () => string = newNonce,
  ) {}

  async evaluate(response: Buffer): Promise<SaslStep> {
    if (response.length > MAX_MESSAGE_BYTES) throw new SaslAuthenticationError(`SCRAM message longer than ${MAX_MESSAGE_BYTES} bytes`);
    try {
      if (this.state === 'first') return this.first(response.toString('utf8'));
      if (this.state === 'final') return this.final(response.toString('utf8'));
    } catch (err) {
      this.state = 'done';
      if (err instanceof ScramError) throw new SaslAuthenticationError(`Invalid SCRAM message: ${err.message}`);
      throw err;
    }
    throw new SaslAuthenticationError('SCRAM exchange already completed');
  }

  private first(msg: string): SaslStep {
    const cf = parseClientFirst(msg);
    if (cf.authzid !== null && cf.authzid !== cf.username) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    if (cf.extensions.get('tokenauth') === 'true') throw new SaslAuthenticationError('Authentication failed: delegation tokens are not supported');
    const stored = lookupCredential(this.image, cf.username, this.mechanism);
    this.known = stored !== undefined;
    this.credential = stored ?? this.decoy(cf.username);
    this.clientFirst = cf;
    this.nonce = cf.nonce + this.serverNonce();
    this.serverFirst = formatServerFirst(this.nonce, this.credential.salt, this.credential.iterations);
    this.state = 'final';
    return { challenge: Buffer.from(this.serverFirst) };
  }

  private final(msg: string): SaslStep {
    this.state = 'done';
    const cf = this.clientFirst!;
    const cred = this.credential!;
    const fin = parseClientFinal(msg);
    // Kafka accepts a final nonce that ends with the combined nonce (librdkafka up to 2.x sends the client nonce
    // twice); the server's fresh part must be there either way, and the AuthMessage uses what was sent.
    if (!fin.nonce.endsWith(this.nonce)) throw new SaslAuthenticationError('Invalid client nonce in the final client message.');
    if (fin.channelBinding !== Buffer.from(cf.gs2Header).toString('base64')) throw new SaslAuthenticationError('Invalid channel binding in the final client message.');
    const m = this.mechanism;
    const auth = authMessage(cf.bare, this.serverFirst, fin.withoutProof);
    const signature = hmac(m, cred.storedKey, auth);
    // A proof of the wrong length still goes through the comparison (on a zero key) so timing stays the same.
    const clientKey = fin.proof.length === signature.length ? xor(fin.proof, signature) : Buffer.alloc(signature.length);
    const valid = sameBytes(hash(m, clientKey), cred.storedKey);
    if (!valid || !this.known || fin.proof.length !== signature.length) throw invalidCredentials(m);
    const serverSignature = hmac(m, cred.serverKey, auth);
    return { challenge: Buffer.from(`v=${serverSignature.toString('base64')}`), user: cf.username };
  }

  private decoy(user: string): ScramCredential {
    const seed = createHmac('sha256', DECOY_SECRET).update(user).digest();
    const size = this.mechanism === 'SCRAM-SHA-256' ? 32 : 64;
    return { salt: seed, iterations: MIN_ITERATIONS, storedKey: randomBytes(size), serverKey: randomBytes(size) };
  }
}
