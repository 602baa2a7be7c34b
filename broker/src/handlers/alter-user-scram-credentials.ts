// AlterUserScramCredentials (key 51), v0 (KIP-554): upserts credentials from a client-side salted password
// (the broker keeps only salt, iterations, StoredKey and ServerKey) and deletes them; one result per user.
// Kafka's rules (iterations 4096–16384, known mechanism, one change per user and mechanism, deleting only
// what exists) are in security/scram-credentials.ts; the change is one metadata log entry. Needs ALTER on the
// cluster (else CLUSTER_AUTHORIZATION_FAILED for every user, nothing changed), as in Kafka.
import { ApiKey } from '../protocol/apis';
import type { AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse } from '../protocol/schema/types';
import { defineHandler } from './handler';
import { ErrorCode } from '../protocol/errors';
import { boundUtf8 } from '../protocol/bounded-string';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';

export default defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>({
  apiKey: ApiKey.AlterUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  async handle(req, ctx) {
    if (!ctx.authorize(AclOperation.ALTER, ResourceType.CLUSTER, CLUSTER_NAME)) {
      const users = [...new Set([...req.deletions, ...req.upsertions].map((c) => c.name))];
      return { throttleTimeMs: 0, results: users.map((user) => ({ user: boundUtf8(user), errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
    }
    const results = await ctx.services.controller.alterScramCredentials(req.deletions, req.upsertions);
    // A user name is echoed bounded (a name of invalid UTF-8 grows when decoded; it never matches a user anyway).
    return { throttleTimeMs: 0, results: results.map((r) => ({ ...r, user: boundUtf8(r.user) })) };
  },
});
