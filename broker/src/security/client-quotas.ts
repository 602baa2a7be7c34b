// Client quota entities as Kafka defines them (KIP-55, KIP-546): a user, a client id, or a user and a client id,
// each either named or the default (null). Quotas are keyed by Kafka's names (producer_byte_rate, …) and stored
// in the metadata log. This module validates AlterClientQuotas input, matches DescribeClientQuotas filters and
// resolves which configured entity governs a (user, client id) pair, in Kafka's order of precedence.
import { MAX_ACL_STRING_LENGTH } from './acl';

export const USER = 'user';
export const CLIENT_ID = 'client-id';

/** undefined: the entity has no such part; null: the default entity for that part; a string: that name. */
export interface QuotaEntity {
  user?: string | null;
  clientId?: string | null;
}

export const PRODUCER_BYTE_RATE = 'producer_byte_rate';
export const CONSUMER_BYTE_RATE = 'consumer_byte_rate';
export const REQUEST_PERCENTAGE = 'request_percentage';
export type QuotaKey = typeof PRODUCER_BYTE_RATE | typeof CONSUMER_BYTE_RATE | typeof REQUEST_PERCENTAGE;

/** The quota keys Strata enforces; byte rates are whole bytes per second, as Kafka's LONG configs. */
const KEYS: Record<QuotaKey, { integer: boolean }> = {
  [PRODUCER_BYTE_RATE]: { integer: true },
  [CONSUMER_BYTE_RATE]: { integer: true },
  [REQUEST_PERCENTAGE]: { integer: false },
};

export class QuotaInputError extends Error {}

export function entityKey(e: QuotaEntity): string {
  return JSON.stringify([e.user === undefined ? 0 : e.user === null ? 1 : `u${e.user}`, e.clientId === undefined ? 0 : e.clientId === null ? 1 : `c${e.clientId}`]);
}

/** The wire form: one component per part, user first (as Kafka lists them). */
export function entityToWire(e: QuotaEntity): Array<{ entityType: string; entityName: string | null }> {
  const out: Array<{ entityType: string; entityName: string | null }> = [];
  if (e.user !== undefined) out.push({ entityType: USER, entityName: e.user });
  if (e.clientId !== undefined) out.push({ entityType: CLIENT_ID, entityName: e.clientId });
  return out;
}

/** An AlterClientQuotas entity, or QuotaInputError with Kafka's reason (answered as INVALID_REQUEST). */
export function entityFromWire(parts: ReadonlyArray<{ entityType: string; entityName: string | null }>): QuotaEntity {
  if (parts.length === 0) throw new QuotaInputError('Invalid empty client quota entity');
  const e: QuotaEntity = {};
  for (const p of parts) {
    if (p.entityName !== null && p.entityName.length > MAX_ACL_STRING_LENGTH) {
      throw new QuotaInputError(`Entity names are limited to ${MAX_ACL_STRING_LENGTH} characters`);
    }
    if (p.entityType === USER) {
      if (e.user !== undefined) throw new QuotaInputError('Duplicate user in client quota entity');
      e.user = p.entityName;
    } else if (p.entityType === CLIENT_ID) {
      if (e.clientId !== undefined) throw new QuotaInputError('Duplicate client-id in client quota entity');
      e.clientId = p.entityName;
    } else if (p.entityType === 'ip') {
      throw new QuotaInputError('IP quotas (connection_creation_rate) are not supported by Strata');
    } else {
      throw new QuotaInputError(`Unhandled client quota entity type: ${p.entityType.slice(0, 64)}`);
    }
  }
  return e;
}

/** Checks one quota operation's key and value (Kafka: known key, a positive number, whole for byte rates). */
export function checkQuotaValue(key: string, value: number, remove: boolean): void {
  const spec = (KEYS as Record<string, { integer: boolean }>)[key];
  if (!spec) throw new QuotaInputError(`Invalid configuration key ${key.slice(0, 64)}`);
  if (remove) return;
  if (!Number.isFinite(value) || value <= 0) throw new QuotaInputError(`Quota ${key} must be a positive number, not ${value}`);
  if (spec.integer && !Number.isSafeInteger(value)) throw new QuotaInputError(`Quota ${key} must be a whole number of bytes per second, not ${value}`);
}

export const MATCH_EXACT = 0;
export const MATCH_DEFAULT = 1;
export const MATCH_SPECIFIED = 2;

export interface QuotaFilterComponent {
  entityType: string;
  matchType: number;
  match: string | null;
}

/** Why a DescribeClientQuotas filter is unusable (Kafka answers INVALID_REQUEST), or null. */
export function quotaFilterError(components: readonly QuotaFilterComponent[]): string | null {
  const seen = new Set<string>();
  for (const c of components) {
    if (c.entityType !== USER && c.entityType !== CLIENT_ID) return `Custom entity type '${c.entityType.slice(0, 64)}' not supported`;
    if (seen.has(c.entityType)) return `Duplicate ${c.entityType} filter component entity type`;
    seen.add(c.entityType);
    if (c.matchType === MATCH_EXACT) {
      if (c.match === null) return `Unexpected null match for exact match of ${c.entityType}`;
    } else if (c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_SPECIFIED) {
      return `Unknown match type ${c.matchType}`;
    }
  }
  return null;
}

/** Does the filter (already checked) select the entity? `strict`: the entity has no parts beyond the filter's. */
export function quotaFilterMatches(components: readonly QuotaFilterComponent[], strict: boolean, e: QuotaEntity): boolean {
  const part = (type: string) => (type === USER ? e.user : e.clientId);
  for (const c of components) {
    const v = part(c.entityType);
    if (v === undefined) return false;
    if (c.matchType === MATCH_EXACT && v !== c.match) return false;
    if (c.matchType === MATCH_DEFAULT && v !== null) return false;
  }
  if (strict) {
    const wanted = new Set(components.map((c) => c.entityType));
    if ((e.user !== undefined && !wanted.has(USER)) || (e.clientId !== undefined && !wanted.has(CLIENT_ID))) return false;
  }
  return true;
}

export interface ResolvedQuota {
  /** The bound: bytes per second, or percent of one request thread. */
  limit: number;
  /** Whose usage counts against it (Kafka's metric tags): one sensor per distinct pair. */
  sensorKey: string;
}

/**
 * Kafka's order (DefaultQuotaCallback): /users/U/clients/C, /users/U/clients/<default>, /users/U,
 * /users/<default>/clients/C, /users/<default>/clients/<default>, /users/<default>, /clients/C,
 * /clients/<default>. The first entity that sets `key` governs; usage is shared by everyone the entity names
 * (a user-level quota is shared by all that user's client ids; a default applies to each user separately).
 */
export function resolveQuota(
  quotas: ReadonlyMap<string, { values: Record<string, number> }>,
  key: QuotaKey,
  user: string,
  clientId: string,
): ResolvedQuota | null {
  const candidates: Array<[QuotaEntity, string, string]> = [
    [{ user, clientId }, user, clientId],
    [{ user, clientId: null }, user, clientId],
    [{ user }, user, ''],
    [{ user: null, clientId }, user, clientId],
    [{ user: null, clientId: null }, user, clientId],
    [{ user: null }, user, ''],
    [{ clientId }, '', clientId],
    [{ clientId: null }, '', clientId],
  ];
  for (const [entity, userTag, clientTag] of candidates) {
    const limit = quotas.get(entityKey(entity))?.values[key];
    if (limit !== undefined) return { limit, sensorKey: JSON.stringify([key, userTag, clientTag]) };
  }
  return null;
}
