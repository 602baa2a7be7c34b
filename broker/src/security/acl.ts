// ACLs as Kafka defines them: a binding of a resource pattern (type, name, LITERAL/PREFIXED) to an entry
// (principal, host, operation, ALLOW/DENY). The wire codes are Kafka's (ResourceType, PatternType, AclOperation,
// AclPermissionType). Filters (DescribeAcls/DeleteAcls) may use ANY, and MATCH for pattern types: MATCH selects
// every binding that would apply to the named resource (the literal name, the wildcard "*", and any prefix of it).
import { ErrorCode, KafkaError } from '../protocol/errors';

export enum ResourceType {
  UNKNOWN = 0,
  ANY = 1,
  TOPIC = 2,
  GROUP = 3,
  CLUSTER = 4,
  TRANSACTIONAL_ID = 5,
  DELEGATION_TOKEN = 6,
  USER = 7,
}

export enum PatternType {
  UNKNOWN = 0,
  ANY = 1,
  MATCH = 2,
  LITERAL = 3,
  PREFIXED = 4,
}

export enum AclOperation {
  UNKNOWN = 0,
  ANY = 1,
  ALL = 2,
  READ = 3,
  WRITE = 4,
  CREATE = 5,
  DELETE = 6,
  ALTER = 7,
  DESCRIBE = 8,
  CLUSTER_ACTION = 9,
  DESCRIBE_CONFIGS = 10,
  ALTER_CONFIGS = 11,
  IDEMPOTENT_WRITE = 12,
  CREATE_TOKENS = 13,
  DESCRIBE_TOKENS = 14,
}

export enum AclPermissionType {
  UNKNOWN = 0,
  ANY = 1,
  DENY = 2,
  ALLOW = 3,
}

/** The one CLUSTER resource's name (Kafka's "kafka-cluster"). */
export const CLUSTER_NAME = 'kafka-cluster';
/** A LITERAL name, principal or host that matches everything. */
export const WILDCARD = '*';

/**
 * Longest resource name, principal or host an ACL may hold. Kafka sets no bound; names are topics (249), group
 * and transactional ids are client-chosen but short in practice. The bound keeps one CreateAcls request from
 * parking megabytes of strings in every broker's metadata image.
 */
export const MAX_ACL_STRING_LENGTH = 1024;

export interface AclBinding {
  resourceType: ResourceType;
  resourceName: string;
  patternType: PatternType;
  principal: string;
  host: string;
  operation: AclOperation;
  permissionType: AclPermissionType;
}

export interface AclFilter {
  resourceType: ResourceType;
  /** null: any name. */
  resourceName: string | null;
  patternType: PatternType;
  principal: string | null;
  host: string | null;
  operation: AclOperation;
  permissionType: AclPermissionType;
}

/** The operations each resource type supports (Kafka's list, used for authorized-operations bit fields). */
export const SUPPORTED_OPERATIONS: Readonly<Partial<Record<ResourceType, readonly AclOperation[]>>> = {
  [ResourceType.TOPIC]: [
    AclOperation.READ,
    AclOperation.WRITE,
    AclOperation.CREATE,
    AclOperation.DESCRIBE,
    AclOperation.DELETE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
  ],
  [ResourceType.GROUP]: [AclOperation.READ, AclOperation.DESCRIBE, AclOperation.DELETE],
  [ResourceType.CLUSTER]: [
    AclOperation.CREATE,
    AclOperation.CLUSTER_ACTION,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
    AclOperation.IDEMPOTENT_WRITE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE,
  ],
  [ResourceType.TRANSACTIONAL_ID]: [AclOperation.DESCRIBE, AclOperation.WRITE],
  [ResourceType.DELEGATION_TOKEN]: [AclOperation.DESCRIBE],
  [ResourceType.USER]: [AclOperation.CREATE_TOKENS, AclOperation.DESCRIBE_TOKENS],
};

/**
 * The operations an ALLOW of `granted` also allows (Kafka's implied operations): READ, WRITE, DELETE and ALTER
 * imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; ALL implies everything. A DENY never implies: a DENY of
 * READ does not deny DESCRIBE.
 */
export function allowImplies(granted: AclOperation, wanted: AclOperation): boolean {
  if (granted === wanted || granted === AclOperation.ALL) return true;
  if (wanted === AclOperation.DESCRIBE) {
    return granted === AclOperation.READ || granted === AclOperation.WRITE || granted === AclOperation.DELETE || granted === AclOperation.ALTER;
  }
  if (wanted === AclOperation.DESCRIBE_CONFIGS) return granted === AclOperation.ALTER_CONFIGS;
  return false;
}

/** Does the binding's resource pattern cover the resource (type, name)? */
export function patternMatchesResource(b: Pick<AclBinding, 'resourceType' | 'resourceName' | 'patternType'>, type: ResourceType, name: string): boolean {
  if (b.resourceType !== type) return false;
  if (b.patternType === PatternType.LITERAL) return b.resourceName === WILDCARD || b.resourceName === name;
  if (b.patternType === PatternType.PREFIXED) return name.startsWith(b.resourceName);
  return false;
}

/** Does the filter select the stored binding? (DescribeAcls, DeleteAcls.) */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType === PatternType.MATCH) {
    // Every binding that applies to the named resource; without a name, every binding (as ANY).
    if (f.resourceName !== null) {
      const applies =
        (b.patternType === PatternType.LITERAL && (b.resourceName === f.resourceName || b.resourceName === WILDCARD)) ||
        (b.patternType === PatternType.PREFIXED && f.resourceName.startsWith(b.resourceName));
      if (!applies) return false;
    }
  } else {
    if (f.patternType !== PatternType.ANY && f.patternType !== b.patternType) return false;
    if (f.resourceName !== null && f.resourceName !== b.resourceName) return false;
  }
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== AclOperation.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== AclPermissionType.ANY && f.permissionType !== b.permissionType) return false;
  return true;
}

/** A stable identity of a binding (the image's map key; equal bindings are stored once). */
export function bindingKey(b: AclBinding): string {
  return JSON.stringify([b.resourceType, b.patternType, b.resourceName, b.principal, b.host, b.operation, b.permissionType]);
}

const known = <E extends Record<string, string | number>>(e: E, v: number): boolean => typeof e[v as unknown as keyof E] === 'string';

/** "Type:name", Kafka's principal text (SecurityUtils.parseKafkaPrincipal): a type, a colon, a name. */
function validPrincipal(p: string): boolean {
  const colon = p.indexOf(':');
  return colon > 0 && colon < p.length - 1;
}

function tooLong(...values: Array<string | null>): boolean {
  return values.some((v) => v !== null && v.length > MAX_ACL_STRING_LENGTH);
}

/**
 * Why a binding may not be created (Kafka's checks, answered as INVALID_REQUEST), or null. Wire values that are
 * not Kafka codes (a future or hostile enum) are refused as Kafka refuses its UNKNOWN values.
 */
export function bindingError(b: AclBinding): string | null {
  if (!known(ResourceType, b.resourceType) || b.resourceType === ResourceType.UNKNOWN || b.resourceType === ResourceType.ANY) return 'Invalid resourceType';
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return 'Invalid patternType';
  if (!known(AclOperation, b.operation) || b.operation === AclOperation.UNKNOWN || b.operation === AclOperation.ANY) return 'Invalid operation';
  if (b.permissionType !== AclPermissionType.ALLOW && b.permissionType !== AclPermissionType.DENY) return 'Invalid permissionType';
  if (tooLong(b.resourceName, b.principal, b.host)) return `Resource name, principal and host are limited to ${MAX_ACL_STRING_LENGTH} characters`;
  if (b.resourceName === '') return 'Resource name should not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (!validPrincipal(b.principal)) return `Could not parse principal from \`${b.principal.slice(0, 64)}\` (no colon is present separating the principal type from the principal name)`;
  if (b.host === '') return 'Host should not be empty';
  const ops = SUPPORTED_OPERATIONS[b.resourceType];
  if (ops && b.operation !== AclOperation.ALL && !ops.includes(b.operation)) {
    return `ACL ${AclOperation[b.operation]} is not valid for resource type ${ResourceType[b.resourceType]}`;
  }
  return null;
}

/** Why a filter is unusable (an UNKNOWN or unrecognised code, an over-long string), or null. */
export function filterError(f: AclFilter): string | null {
  if (!known(ResourceType, f.resourceType) || f.resourceType === ResourceType.UNKNOWN) return 'The request contained an invalid filter: unknown resource type';
  if (!known(PatternType, f.patternType) || f.patternType === PatternType.UNKNOWN) return 'The request contained an invalid filter: unknown pattern type';
  if (!known(AclOperation, f.operation) || f.operation === AclOperation.UNKNOWN) return 'The request contained an invalid filter: unknown operation';
  if (!known(AclPermissionType, f.permissionType) || f.permissionType === AclPermissionType.UNKNOWN) {
    return 'The request contained an invalid filter: unknown permission type';
  }
  if (tooLong(f.resourceName, f.principal, f.host)) return `The request contained an invalid filter: strings are limited to ${MAX_ACL_STRING_LENGTH} characters`;
  return null;
}

export function invalidAcl(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_REQUEST, message);
}
