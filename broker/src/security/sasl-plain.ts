// SASL/PLAIN (RFC 4616): one message "[authzid] NUL authcid NUL password". The password is checked against the
// user's stored SCRAM credential (SCRAM-SHA-512, else SCRAM-SHA-256) by deriving its StoredKey, so no
// plaintext password is ever stored. An unknown user costs the same derivation as a known one (against a
// throwaway credential), so timing does not tell which users exist.
import { randomBytes } from 'node:crypto';
import type { MetadataImage } from '../cluster/metadata-image';
import { lookupCredential } from './scram-credentials';
import { MIN_ITERATIONS, verifyPassword, type ScramCredential, type ScramMechanism } from './scram';
import { invalidCredentials, SaslAuthenticationError, type SaslServer, type SaslStep } from './sasl-server';

/** Stands in for a missing credential: no password matches a random StoredKey. */
const DECOY: ScramCredential = { salt: randomBytes(32), iterations: MIN_ITERATIONS, storedKey: randomBytes(64), serverKey: randomBytes(64) };

export class PlainServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  private done = false;

  constructor(private readonly image: MetadataImage) {}

  async evaluate(response: Buffer): Promise<SaslStep> {
    if (this.done) throw new SaslAuthenticationError('SASL/PLAIN exchange already completed');
    this.done = true;
    const tokens = response.toString('utf8').split('\u0000');
    if (tokens.length !== 3) throw new SaslAuthenticationError(`Invalid SASL/PLAIN response: expected 3 tokens, got ${tokens.length}`);
    const [authzid, user, password] = tokens;
    if (user === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    if (authzid !== '' && authzid !== user) {
      throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    }
    const found = (['SCRAM-SHA-512', 'SCRAM-SHA-256'] as ScramMechanism[])
      .map((m) => ({ m, cred: lookupCredential(this.image, user, m) }))
      .find((c) => c.cred !== undefined);
    const ok = await verifyPassword(found?.m ?? 'SCRAM-SHA-512', found?.cred ?? DECOY, password);
    if (!ok || !found) throw invalidCredentials(this.mechanism);
    return { challenge: Buffer.alloc(0), user };
  }
}
