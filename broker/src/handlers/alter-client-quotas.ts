// AlterClientQuotas (key 49), v0–1 (KIP-546). Needs ALTER_CONFIGS on the cluster (else
// CLUSTER_AUTHORIZATION_FAILED per entry). Entities: user, client-id, or both, each named or the default (null
// name); keys producer_byte_rate, consumer_byte_rate (whole bytes/s) and request_percentage, set or removed.
// A bad entity or key is INVALID_REQUEST for that entry alone, as in Kafka; ip entities are not supported.
// Valid entries are written to the metadata log together; validate_only checks without writing.
import { ApiKey } from '../protocol/apis';
import { ErrorCode } from '../protocol/errors';
import type { AlterClientQuotasRequest, AlterClientQuotasResponse } from '../protocol/schema/types';
import { boundUtf8 } from '../protocol/bounded-string';
import { AclOperation, CLUSTER_NAME, ResourceType } from '../security/acl';
import { checkQuotaValue, entityFromWire, QuotaInputError } from '../security/client-quotas';
import type { QuotaAlteration } from '../cluster/controller';
import { defineHandler } from './handler';
import { clientMessage } from './error-code';

type Entry = AlterClientQuotasRequest['entries'][number];

export default defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>({
  apiKey: ApiKey.AlterClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  async handle(req, ctx) {
    const echo = (e: Entry) => e.entity.map((p) => ({ entityType: boundUtf8(p.entityType, 255), entityName: p.entityName === null ? null : boundUtf8(p.entityName, 1024) }));
    if (!ctx.authorize(AclOperation.ALTER_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME)) {
      const denied = { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'ALTER_CONFIGS on the cluster is required.' };
      return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ ...denied, entity: echo(e) })) };
    }
    const valid: QuotaAlteration[] = [];
    const errors = req.entries.map((e): string | null => {
      try {
        valid.push(alteration(e));
        return null;
      } catch (err) {
        if (err instanceof QuotaInputError) return err.message;
        throw err;
      }
    });
    const outcomes = await ctx.services.controller.alterClientQuotas(valid, req.validateOnly);
    let next = 0;
    return {
      throttleTimeMs: 0,
      entries: req.entries.map((e, i) => {
        const invalid = errors[i];
        if (invalid !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: clientMessage(invalid), entity: echo(e) };
        const err = outcomes[next++];
        return err ? { errorCode: err.code, errorMessage: clientMessage(err.message), entity: echo(e) } : { errorCode: 0, errorMessage: null, entity: echo(e) };
      }),
    };
  },
});

function alteration(e: Entry): QuotaAlteration {
  const entity = entityFromWire(e.entity);
  const changes: Record<string, number | null> = {};
  for (const op of e.ops) {
    checkQuotaValue(op.key, op.value, op.remove);
    if (Object.hasOwn(changes, op.key)) throw new QuotaInputError(`Duplicate quota key ${op.key}`);
    changes[op.key] = op.remove ? null : op.value;
  }
  return { entity, changes };
}
