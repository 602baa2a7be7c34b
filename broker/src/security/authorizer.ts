// Authorization, as Kafka's StandardAuthorizer decides it. `authorizer=none` (the default, as Kafka without
// authorizer.class.name) allows everything; `authorizer=simple` decides from the ACLs in the metadata image:
// 1. a super user (super.users) may do anything;
// 2. if no ACL at all covers the resource (any principal, any operation), allow.everyone.if.no.acl.found decides;
// 3. a matching DENY (same operation or ALL) wins over any ALLOW;
// 4. else a matching ALLOW of the operation, of ALL, or of an operation implying it (acl.ts allowImplies) allows.
// "Matching" means: the resource pattern covers the resource (LITERAL name or "*", or PREFIXED), the principal is
// the request's or User:*, and the host is the client's address or "*".
// ACLs are indexed by resource type and name (rebuilt when the image's ACLs change), so a check costs a few map
// lookups whatever the number of ACLs.
import type { MetadataImage } from '../cluster/metadata-image';
import {
  AclOperation,
  AclPermissionType,
  PatternType,
  ResourceType,
  SUPPORTED_OPERATIONS,
  WILDCARD,
  allowImplies,
  type AclBinding,
} from './acl';
import { principalToString, type KafkaPrincipal } from './principal';

/** Who asks, from where. */
export interface Session {
  principal: KafkaPrincipal;
  /** The client's IP address (no port). */
  host: string;
}

export interface Authorizer {
  /** True when authorization is on (authorizer=simple). */
  readonly enabled: boolean;
  authorize(session: Session, op: AclOperation, type: ResourceType, name: string): boolean;
  /**
   * Kafka's authorizeByResourceType: may the session do `op` on at least one resource of the type? (InitProducerId
   * without a transactional id: IDEMPOTENT_WRITE on the cluster, or WRITE on any topic.)
   */
  authorizeByResourceType(session: Session, op: AclOperation, type: ResourceType): boolean;
}

/** Kafka's authorized-operations bit field: bit n set when operation code n is allowed. */
export function authorizedOperations(authorizer: Authorizer, session: Session, type: ResourceType, name: string): number {
  let bits = 0;
  for (const op of SUPPORTED_OPERATIONS[type] ?? []) if (authorizer.authorize(session, op, type, name)) bits |= 1 << op;
  return bits;
}

export const ALLOW_ALL: Authorizer = {
  enabled: false,
  authorize: () => true,
  authorizeByResourceType: () => true,
};

const WILDCARD_PRINCIPAL = 'User:*';

interface TypeIndex {
  literal: Map<string, AclBinding[]>;
  prefixed: Map<string, AclBinding[]>;
  /** Distinct lengths of the prefixes, so a lookup tries only those. */
  prefixLengths: number[];
  all: AclBinding[];
}

export interface AclAuthorizerOptions {
  superUsers: readonly string[];
  allowEveryoneIfNoAclFound: boolean;
}

export class AclAuthorizer implements Authorizer {
  readonly enabled = true;
  private readonly superUsers: ReadonlySet<string>;
  private index = new Map<ResourceType, TypeIndex>();
  private indexedVersion = -1;

  constructor(
    private readonly image: Pick<MetadataImage, 'acls' | 'aclVersion'>,
    private readonly opts: AclAuthorizerOptions,
  ) {
    this.superUsers = new Set(opts.superUsers);
  }

  private typeIndex(type: ResourceType): TypeIndex | undefined {
    if (this.indexedVersion !== this.image.aclVersion) {
      const index = new Map<ResourceType, TypeIndex>();
      for (const b of this.image.acls.values()) {
        let t = index.get(b.resourceType);
        if (!t) index.set(b.resourceType, (t = { literal: new Map(), prefixed: new Map(), prefixLengths: [], all: [] }));
        const byName = b.patternType === PatternType.PREFIXED ? t.prefixed : t.literal;
        const list = byName.get(b.resourceName);
        if (list) list.push(b);
        else byName.set(b.resourceName, [b]);
        t.all.push(b);
      }
      for (const t of index.values()) t.prefixLengths = [...new Set([...t.prefixed.keys()].map((k) => k.length))];
      this.index = index;
      this.indexedVersion = this.image.aclVersion;
    }
    return this.index.get(type);
  }

  /** Every binding whose pattern covers the resource. */
  private bindingsFor(type: ResourceType, name: string): AclBinding[] {
    const t = this.typeIndex(type);
    if (!t) return [];
    const out: AclBinding[] = [...(t.literal.get(name) ?? [])];
    if (name !== WILDCARD) out.push(...(t.literal.get(WILDCARD) ?? []));
    for (const len of t.prefixLengths) {
      if (len <= name.length) out.push(...(t.prefixed.get(name.slice(0, len)) ?? []));
    }
    return out;
  }

  private isSuper(session: Session): boolean {
    return this.superUsers.has(principalToString(session.principal));
  }

  authorize(session: Session, op: AclOperation, type: ResourceType, name: string): boolean {
    if (this.isSuper(session)) return true;
    const bindings = this.bindingsFor(type, name);
    if (bindings.length === 0) return this.opts.allowEveryoneIfNoAclFound;
    const principal = principalToString(session.principal);
    let allowed = false;
    for (const b of bindings) {
      if (!appliesTo(b, principal, session.host)) continue;
      if (b.permissionType === AclPermissionType.DENY) {
        if (b.operation === op || b.operation === AclOperation.ALL) return false;
      } else if (allowImplies(b.operation, op)) {
        allowed = true;
      }
    }
    return allowed;
  }

  authorizeByResourceType(session: Session, op: AclOperation, type: ResourceType): boolean {
    if (this.isSuper(session)) return true;
    const t = this.typeIndex(type);
    if (!t) return this.opts.allowEveryoneIfNoAclFound;
    const principal = principalToString(session.principal);
    const mine = t.all.filter((b) => appliesTo(b, principal, session.host) && (b.operation === op || b.operation === AclOperation.ALL));
    const denies = mine.filter((b) => b.permissionType === AclPermissionType.DENY);
    if (denies.some((b) => b.patternType === PatternType.LITERAL && b.resourceName === WILDCARD)) return false;
    // An ALLOW counts unless a DENY covers its whole pattern (the same literal, or a prefix of its name).
    const deniedWhole = (a: AclBinding) =>
      denies.some((d) => (d.patternType === PatternType.PREFIXED ? a.resourceName.startsWith(d.resourceName) : a.patternType === PatternType.LITERAL && d.resourceName === a.resourceName));
    return mine.some((b) => b.permissionType === AclPermissionType.ALLOW && !deniedWhole(b));
  }
}

function appliesTo(b: AclBinding, principal: string, host: string): boolean {
  return (b.principal === principal || b.principal === WILDCARD_PRINCIPAL) && (b.host === WILDCARD || b.host === host);
}

/** The client's IP from a socket's "address:port" (IPv4-mapped IPv6 shown as IPv4, as Java shows it). */
export function hostOf(remoteAddress: string): string {
  const colon = remoteAddress.lastIndexOf(':');
  const ip = colon >= 0 && /^\d+$/.test(remoteAddress.slice(colon + 1)) ? remoteAddress.slice(0, colon) : remoteAddress;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice('::ffff:'.length) : ip;
}
