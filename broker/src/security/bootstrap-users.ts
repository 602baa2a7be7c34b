// The initial credentials of a new cluster (saslBootstrapUsers = "admin:secret,…"): at start, each user that
// has no SCRAM credential for a mechanism gets one (SCRAM-SHA-256 and SCRAM-SHA-512, 4096 iterations, a random
// salt), so a cluster with only SASL listeners is usable. Existing credentials are never overwritten: once an
// admin changes the password with AlterUserScramCredentials, a restart does not bring the old one back.
import { addSecret } from '../logger';
import type { MetadataRecord } from '../cluster/metadata-records';
import { credentialFromPassword, SCRAM_MECHANISMS } from './scram';
import { scramCredentialRecord } from './scram-credentials';

export function parseBootstrapUsers(text: string): Array<{ user: string; password: string }> {
  return text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map((e) => {
      const colon = e.indexOf(':');
      return { user: e.slice(0, colon), password: e.slice(colon + 1) };
    });
}

/** Credential records for every bootstrap user and mechanism (the controller keeps only the missing ones). */
export async function bootstrapCredentialRecords(text: string): Promise<Array<MetadataRecord & { type: 'scram-credential' }>> {
  const out: Array<MetadataRecord & { type: 'scram-credential' }> = [];
  for (const { user, password } of parseBootstrapUsers(text)) {
    addSecret(password); // never in a log line
    for (const m of SCRAM_MECHANISMS) {
      out.push(scramCredentialRecord(user, m, await credentialFromPassword(m, password)) as MetadataRecord & { type: 'scram-credential' });
    }
  }
  return out;
}
