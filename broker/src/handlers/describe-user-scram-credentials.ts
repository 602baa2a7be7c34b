// DescribeUserScramCredentials (key 50), v0 (KIP-554): the mechanisms and iteration counts of users' SCRAM
// credentials, never the keys. A null user list describes every user with a credential; a named user without
// one gets RESOURCE_NOT_FOUND, a name asked for twice DUPLICATE_RESOURCE (Kafka's per-user errors). Needs
// DESCRIBE on the cluster (else CLUSTER_AUTHORIZATION_FAILED), as in Kafka.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse } from '../protocol/schema/types';
import { MECHANISM_CODES, type ScramMechanism } from '../security/scram';
import { defineHandler } from './handler';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { boundUtf8 } from '../protocol/bounded-string';

type Result = DescribeUserScramCredentialsResponse['results'][number];

export default defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>({
  apiKey: ApiKey.DescribeUserScramCredentials,
  minVersion: 0,
  maxVersion: 0,
  handle(req, ctx) {
    if (!ctx.authorize(AclOperation.DESCRIBE, ResourceType.CLUSTER, CLUSTER_NAME)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'DESCRIBE on the cluster is required.', results: [] };
    }
    const creds = ctx.services.image.scramCredentials;
    const describe = (user: string): Result => {
      const byMechanism = creds.get(user);
      if (!byMechanism) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist', credentialInfos: [] };
      const credentialInfos = [...byMechanism].map(([m, c]) => ({ mechanism: MECHANISM_CODES[m as ScramMechanism] ?? 0, iterations: c.iterations }));
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos };
    };
    let results: Result[];
    if (req.users === null || req.users.length === 0) {
      results = [...creds.keys()].sort().map(describe);
    } else {
      const counts = new Map<string, number>();
      for (const u of req.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
      results = [...counts].map(([user, n]) =>
        n > 1
          ? { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] }
          : describe(user),
      );
    }
    // User names are echoed bounded (a name of invalid UTF-8 grows when decoded).
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results: results.map((r) => ({ ...r, user: boundUtf8(r.user) })) };
  },
});
