// The contract of one SASL mechanism's server side (sasl-plain.ts, sasl-scram.ts): it is fed each client
// message in turn and answers with a challenge, until it completes with the authenticated user name.
// Any failure is a SaslAuthenticationError whose message is sent to the client (so it must reveal nothing
// the client should not learn, e.g. whether the user exists).

export class SaslAuthenticationError extends Error {}

export interface SaslStep {
  /** Bytes to send back (empty when the mechanism has nothing to say). */
  challenge: Buffer;
  /** Set once the exchange succeeded: the authenticated user name. */
  user?: string;
}

export interface SaslServer {
  readonly mechanism: string;
  evaluate(response: Buffer): Promise<SaslStep>;
}

/** The generic message of a failed login (Kafka's wording for invalid credentials). */
export function invalidCredentials(mechanism: string): SaslAuthenticationError {
  return new SaslAuthenticationError(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
}
