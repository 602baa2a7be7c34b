// SCRAM credentials in the metadata log: the records that carry them, the lookup the SASL servers use, and
// Kafka's rules for AlterUserScramCredentials (one result per user; a user whose changes include any invalid
// one gets that error and none of its changes apply). Only salts, iteration counts and the derived StoredKey /
// ServerKey are ever stored: a client sends the salted password, the controller keeps only what derives from it.
import { ErrorCode } from '../protocol/errors';
import type { MetadataImage } from '../cluster/metadata-image';
import type { MetadataRecord } from '../cluster/metadata-records';
import {
  credentialFromSalted,
  MAX_ITERATIONS,
  mechanismOfCode,
  MIN_ITERATIONS,
  type ScramCredential,
  type ScramMechanism,
} from './scram';

export function scramCredentialRecord(name: string, mechanism: string, cred: ScramCredential): MetadataRecord {
  return {
    type: 'scram-credential',
    name,
    mechanism,
    salt: cred.salt.toString('base64'),
    iterations: cred.iterations,
    storedKey: cred.storedKey.toString('base64'),
    serverKey: cred.serverKey.toString('base64'),
  };
}

export function lookupCredential(image: MetadataImage, user: string, mechanism: ScramMechanism): ScramCredential | undefined {
  return image.scramCredentials.get(user)?.get(mechanism);
}

export interface ScramDeletion {
  name: string;
  mechanism: number;
}
export interface ScramUpsertion extends ScramDeletion {
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

export interface UserResult {
  user: string;
  errorCode: ErrorCode;
  errorMessage: string | null;
}

/** Longest user name accepted (Kafka has none; this keeps one request from storing megabytes per name). */
const MAX_USER_NAME_BYTES = 1024;
/** Longest salt or salted password accepted (SHA-512 gives 64 bytes; salts are a few dozen). */
const MAX_KEY_BYTES = 1024;

/**
 * Validates an AlterUserScramCredentials request against the image: the records to write and one result per
 * user, in the order users first appear (deletions first, as Kafka lists them).
 */
export function planScramAlterations(
  image: MetadataImage,
  deletions: readonly ScramDeletion[],
  upsertions: readonly ScramUpsertion[],
): { records: MetadataRecord[]; results: UserResult[] } {
  const errors = new Map<string, [ErrorCode, string]>();
  const users: string[] = [];
  const seen = new Set<string>();
  const fail = (user: string, code: ErrorCode, message: string) => {
    if (!errors.has(user)) errors.set(user, [code, message]);
  };
  const check = (op: ScramDeletion, isUpsert: boolean): ScramMechanism | undefined => {
    if (!users.includes(op.name)) users.push(op.name);
    if (op.name === '') return void fail(op.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
    if (Buffer.byteLength(op.name) > MAX_USER_NAME_BYTES) return void fail(op.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Username is longer than ${MAX_USER_NAME_BYTES} bytes`);
    const mechanism = mechanismOfCode(op.mechanism);
    if (!mechanism) return void fail(op.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
    const key = `${op.name}\u0000${mechanism}`;
    if (seen.has(key)) return void fail(op.name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
    seen.add(key);
    if (!isUpsert && !image.scramCredentials.get(op.name)?.has(mechanism)) {
      return void fail(op.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
    }
    return mechanism;
  };
  const pending: Array<{ user: string; record: () => MetadataRecord }> = [];
  for (const d of deletions) {
    const mechanism = check(d, false);
    if (mechanism) pending.push({ user: d.name, record: () => ({ type: 'remove-scram-credential', name: d.name, mechanism }) });
  }
  for (const u of upsertions) {
    const mechanism = check(u, true);
    if (!mechanism) continue;
    if (u.iterations < MIN_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too few iterations: ${u.iterations} (at least ${MIN_ITERATIONS})`);
    else if (u.iterations > MAX_ITERATIONS) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Too many iterations: ${u.iterations} (at most ${MAX_ITERATIONS})`);
    else if (u.salt.length === 0 || u.saltedPassword.length === 0) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt and salted password must not be empty');
    else if (u.salt.length > MAX_KEY_BYTES || u.saltedPassword.length > MAX_KEY_BYTES) fail(u.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Salt or salted password longer than ${MAX_KEY_BYTES} bytes`);
    else {
      pending.push({
        user: u.name,
        record: () => scramCredentialRecord(u.name, mechanism, credentialFromSalted(mechanism, u.saltedPassword, Buffer.from(u.salt), u.iterations)),
      });
    }
  }
  const records = pending.filter((p) => !errors.has(p.user)).map((p) => p.record());
  const results = users.map((user) => {
    const e = errors.get(user);
    return { user, errorCode: e ? e[0] : ErrorCode.NONE, errorMessage: e ? e[1] : null };
  });
  return { records, results };
}
