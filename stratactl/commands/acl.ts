// stratactl acl list|create|delete: Kafka ACLs (needs a cluster with an authorizer; kafka-acls.sh's flags, shorter).
// A resource is named by one of --topic, --group, --cluster, --transactional-id; list and delete treat every flag
// as a filter (an absent one matches anything), create needs a principal, an operation and a resource.
import { type Command, Option } from 'commander';
import {
  AclOperation,
  AclPermissionType,
  type AclBinding,
  CLUSTER_NAME,
  type AclFilter,
  createAcls,
  deleteAclsMatching,
  describeAcls,
  parseOperation,
  parsePatternType,
  parsePrincipal,
  ResourceType,
  sortAcls,
  toAclEntry,
} from '../../admin/acls';
import { AdminError } from '../../admin/errors';
import type { Table } from '../output';
import { action } from '../context';
import { repeatable } from '../key-values';

interface AclFlags {
  principal?: string;
  host?: string;
  operation?: string[];
  permission?: 'allow' | 'deny';
  deny?: boolean;
  topic?: string;
  group?: string;
  cluster?: boolean;
  transactionalId?: string;
  pattern?: string;
}

function addResourceOptions(cmd: Command, filter: boolean): Command {
  return cmd
    .option('--principal <Type:name>', filter ? 'only this principal (e.g. User:alice)' : 'who the ACL is for (e.g. User:alice)')
    .option('--host <host>', filter ? 'only ACLs for this host' : 'the host it applies to', filter ? undefined : '*')
    .option('--operation <op>', 'Read, Write, Describe, Create, Delete, Alter, DescribeConfigs, AlterConfigs, IdempotentWrite, ClusterAction, All (repeatable)', repeatable((v: string) => v))
    .option('--topic <name>', 'a topic (or topic name prefix with --pattern prefixed)')
    .option('--group <name>', 'a consumer group (or prefix)')
    .option('--cluster', 'the cluster')
    .option('--transactional-id <id>', 'a transactional id (or prefix)')
    .addOption(
      filter
        ? new Option('--pattern <type>', 'resource pattern: any, match (every ACL that applies to the named resource), literal, prefixed').default('any')
        : new Option('--pattern <type>', 'resource pattern: literal or prefixed').default('literal'),
    )
    .option('--deny', filter ? 'only DENY ACLs (same as --permission deny)' : 'a DENY ACL (default ALLOW)');
}

/** The resource the flags name: at most one of --topic, --group, --cluster, --transactional-id. */
function resourceOf(f: AclFlags): { type: ResourceType; name: string } | undefined {
  const named = [
    f.topic !== undefined ? { type: ResourceType.TOPIC, name: f.topic } : undefined,
    f.group !== undefined ? { type: ResourceType.GROUP, name: f.group } : undefined,
    f.cluster ? { type: ResourceType.CLUSTER, name: CLUSTER_NAME } : undefined,
    f.transactionalId !== undefined ? { type: ResourceType.TRANSACTIONAL_ID, name: f.transactionalId } : undefined,
  ].filter((r) => r !== undefined);
  if (named.length > 1) throw new AdminError('name at most one resource: --topic, --group, --cluster or --transactional-id', 'usage');
  return named[0];
}

/** The flags as filters, one per --operation (or one for any operation). */
function filtersOf(f: AclFlags): AclFilter[] {
  const resource = resourceOf(f);
  const permission = f.deny || f.permission === 'deny' ? AclPermissionType.DENY : f.permission === 'allow' ? AclPermissionType.ALLOW : AclPermissionType.ANY;
  const operations = f.operation?.map((o) => parseOperation(o, true)) ?? [AclOperation.ANY];
  return operations.map((operation) => ({
    resourceType: resource?.type ?? ResourceType.ANY,
    resourceName: resource?.name ?? null,
    patternType: parsePatternType(f.pattern ?? 'any', true),
    principal: f.principal === undefined ? null : parsePrincipal(f.principal),
    host: f.host ?? null,
    operation,
    permissionType: permission,
  }));
}

function aclTable(bindings: AclBinding[]): Table {
  return {
    columns: ['principal', 'host', 'operation', 'permission', 'resource-type', 'resource-name', 'pattern'],
    rows: sortAcls(bindings).map(toAclEntry).map((e) => [e.principal, e.host, e.operation, e.permissionType, e.resourceType, e.resourceName, e.patternType]),
  };
}

export function registerAclCommands(program: Command): void {
  const acl = program.command('acl').description('access control lists (the cluster needs an authorizer)');

  addResourceOptions(acl.command('list').description('ACLs matching the filters (all when none given)'), true)
    .addOption(new Option('--permission <type>', 'only allow or deny ACLs').choices(['allow', 'deny']))
    .action(
      action(async (ctx, flags: AclFlags) => {
        const c = await ctx.cluster().any();
        const found = new Map<string, AclBinding>();
        for (const f of filtersOf(flags)) for (const b of await describeAcls(c, f)) found.set(JSON.stringify(b), b);
        const bindings = sortAcls([...found.values()]);
        return { data: bindings.map(toAclEntry), tables: [aclTable(bindings)] };
      }),
    );

  addResourceOptions(acl.command('create').description('allow (or --deny) a principal an operation on a resource'), false).action(
    action(async (ctx, flags: AclFlags) => {
      const resource = resourceOf(flags);
      if (!resource || flags.principal === undefined || !flags.operation?.length) {
        throw new AdminError('acl create needs --principal, at least one --operation, and a resource (--topic, --group, --cluster or --transactional-id)', 'usage');
      }
      const principal = parsePrincipal(flags.principal);
      const patternType = parsePatternType(flags.pattern ?? 'literal');
      const bindings: AclBinding[] = flags.operation.map((o) => ({
        resourceType: resource.type,
        resourceName: resource.name,
        patternType,
        principal,
        host: flags.host ?? '*',
        operation: parseOperation(o),
        permissionType: flags.deny ? AclPermissionType.DENY : AclPermissionType.ALLOW,
      }));
      await createAcls(await ctx.cluster().any(), bindings);
      return { data: { created: bindings.map(toAclEntry) }, tables: [`Created ${bindings.length} ACL(s):`, aclTable(bindings)] };
    }),
  );

  addResourceOptions(acl.command('delete').description('delete every ACL matching the filters'), true)
    .addOption(new Option('--permission <type>', 'only allow or deny ACLs').choices(['allow', 'deny']))
    .action(
      action(async (ctx, flags: AclFlags) => {
        if (flags.principal === undefined && resourceOf(flags) === undefined) {
          throw new AdminError('acl delete needs --principal or a resource (--topic, --group, --cluster, --transactional-id); it will not delete every ACL', 'usage');
        }
        const deleted = sortAcls(await deleteAclsMatching(await ctx.cluster().any(), filtersOf(flags)));
        return { data: { deleted: deleted.map(toAclEntry) }, tables: [deleted.length === 0 ? 'No ACL matched.' : `Deleted ${deleted.length} ACL(s):`, ...(deleted.length ? [aclTable(deleted)] : [])] };
      }),
    );
}
