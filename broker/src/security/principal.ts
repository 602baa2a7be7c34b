// Who a request comes from. A connection starts as User:ANONYMOUS (Kafka's principal for PLAINTEXT and for SSL
// without a client certificate); authentication (SASL, or a TLS client certificate) replaces it. Authorizers,
// quotas and logs read it from the request context.
export interface KafkaPrincipal {
  type: string;
  name: string;
}

export const ANONYMOUS: KafkaPrincipal = Object.freeze({ type: 'User', name: 'ANONYMOUS' });

/** Kafka's text form, "User:alice", as used in ACLs and super.users. */
export function principalToString(p: KafkaPrincipal): string {
  return `${p.type}:${p.name}`;
}
