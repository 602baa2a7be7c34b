// SCRAM users over the Kafka protocol (DescribeUserScramCredentials, AlterUserScramCredentials), for stratactl,
// the console and the operator's StrataUser reconciler. Passwords are salted and hashed here: only the salted
// password goes on the wire, as Kafka's admin client does. Any broker answers (Kafka forwards to its controller).
import { randomBytes } from 'node:crypto';
import { ApiKey } from '../broker/src/protocol/apis';
import type { KafkaClient } from '../broker/src/protocol/client';
import { ErrorCode } from '../broker/src/protocol/errors';
import type { AlterUserScramCredentialsResponse, DescribeUserScramCredentialsResponse } from '../broker/src/protocol/schema/types';
import { MECHANISM_CODES, mechanismOfCode, SCRAM_MECHANISMS, saltedPassword, type ScramMechanism } from '../broker/src/security/scram';
import { AdminError, check } from './errors';

export { SCRAM_MECHANISMS, type ScramMechanism };

/** The iteration count credentials are created with (Kafka's admin tools default to 4096; more costs logins little). */
export const SCRAM_ITERATIONS = 8192;

export interface ScramUser {
  user: string;
  credentials: Array<{ mechanism: ScramMechanism | string; iterations: number }>;
}

/**
 * The SCRAM credentials of the named users, or of every user when `users` is omitted. A named user without any
 * credential is left out (Kafka answers RESOURCE_NOT_FOUND for it).
 */
export async function describeScramUsers(c: KafkaClient, users?: string[]): Promise<ScramUser[]> {
  const res = await c.request<DescribeUserScramCredentialsResponse>(ApiKey.DescribeUserScramCredentials, 0, {
    users: users === undefined ? null : users.map((name) => ({ name })),
  });
  check('describing SCRAM users', res.errorCode, res.errorMessage);
  const found: ScramUser[] = [];
  for (const r of res.results) {
    if (r.errorCode === ErrorCode.RESOURCE_NOT_FOUND) continue;
    check(`describing the SCRAM credentials of ${r.user}`, r.errorCode, r.errorMessage);
    found.push({
      user: r.user,
      credentials: r.credentialInfos
        .map((i) => ({ mechanism: mechanismOfCode(i.mechanism) ?? `unknown(${i.mechanism})`, iterations: i.iterations }))
        .sort((a, b) => a.mechanism.localeCompare(b.mechanism)),
    });
  }
  return found.sort((a, b) => a.user.localeCompare(b.user));
}

/** Whether the user has a credential for the mechanism on the cluster. */
export async function hasScramCredential(c: KafkaClient, user: string, mechanism: ScramMechanism = 'SCRAM-SHA-512'): Promise<boolean> {
  const [u] = await describeScramUsers(c, [user]);
  return u?.credentials.some((i) => i.mechanism === mechanism) ?? false;
}

/** Sets (creates or replaces) the user's credential for the mechanism from a password. */
export async function upsertScramCredential(
  c: KafkaClient,
  user: string,
  password: string,
  mechanism: ScramMechanism = 'SCRAM-SHA-512',
  iterations = SCRAM_ITERATIONS,
): Promise<void> {
  if (user === '') throw new AdminError('the user name must not be empty', 'usage');
  const salt = randomBytes(32);
  const res = await c.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, {
    deletions: [],
    upsertions: [{ name: user, mechanism: MECHANISM_CODES[mechanism], iterations, salt, saltedPassword: await saltedPassword(mechanism, password, salt, iterations) }],
  });
  for (const r of res.results) check(`setting the ${mechanism} credential of ${r.user}`, r.errorCode, r.errorMessage);
}

/** Removes the user's credential for the mechanism; a user without one is fine. */
export async function deleteScramCredential(c: KafkaClient, user: string, mechanism: ScramMechanism = 'SCRAM-SHA-512'): Promise<void> {
  const res = await c.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, {
    deletions: [{ name: user, mechanism: MECHANISM_CODES[mechanism] }],
    upsertions: [],
  });
  for (const r of res.results) if (r.errorCode !== ErrorCode.RESOURCE_NOT_FOUND) check(`deleting the ${mechanism} credential of ${r.user}`, r.errorCode, r.errorMessage);
}

/** Removes every SCRAM credential of the user; AdminError not-found when it has none. Returns the mechanisms removed. */
export async function deleteScramUser(c: KafkaClient, user: string): Promise<ScramMechanism[]> {
  const [u] = await describeScramUsers(c, [user]);
  const mechanisms = (u?.credentials ?? []).map((i) => i.mechanism).filter((m): m is ScramMechanism => SCRAM_MECHANISMS.includes(m as ScramMechanism));
  if (mechanisms.length === 0) throw new AdminError(`user ${user} has no SCRAM credential`, 'not-found');
  const res = await c.request<AlterUserScramCredentialsResponse>(ApiKey.AlterUserScramCredentials, 0, {
    deletions: mechanisms.map((m) => ({ name: user, mechanism: MECHANISM_CODES[m] })),
    upsertions: [],
  });
  for (const r of res.results) check(`deleting the SCRAM credentials of ${r.user}`, r.errorCode, r.errorMessage);
  return mechanisms;
}
