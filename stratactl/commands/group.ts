// stratactl group list|describe|reset-offsets|delete: consumer groups as kafka-consumer-groups.sh shows them,
// with per-partition lag. reset-offsets is a dry run unless --execute is given, and is refused (exit 7) while the
// group has members.
import type { Command } from 'commander';
import { AdminError } from '../../admin/errors';
import { deleteGroup, describeGroup, listGroups, type ResetTarget, resetOffsets } from '../../admin/groups';
import { repeatable } from '../key-values';
import { action, nonNegativeInt } from '../context';

/** An integer that may be negative (--shift-by -5). */
function integer(flag: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isSafeInteger(n)) throw new AdminError(`${flag} must be an integer, got "${v}"`, 'usage');
    return n;
  };
}


interface ResetFlags {
  topic: string;
  partition?: number[];
  toEarliest?: boolean;
  toLatest?: boolean;
  toOffset?: number;
  toDatetime?: string;
  shiftBy?: number;
  execute?: boolean;
}

/** The one reset target the flags name; a usage error for none or several. */
function resetTarget(f: ResetFlags): ResetTarget {
  const targets: ResetTarget[] = [];
  if (f.toEarliest) targets.push('earliest');
  if (f.toLatest) targets.push('latest');
  if (f.toOffset !== undefined) targets.push({ offset: f.toOffset });
  if (f.toDatetime !== undefined) {
    const ms = Date.parse(f.toDatetime);
    if (Number.isNaN(ms)) throw new AdminError(`--to-datetime must be an ISO 8601 date-time (e.g. 2026-01-31T12:00:00Z), got "${f.toDatetime}"`, 'usage');
    targets.push({ timestamp: ms });
  }
  if (f.shiftBy !== undefined) targets.push({ shiftBy: f.shiftBy });
  if (targets.length !== 1) throw new AdminError('give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by', 'usage');
  return targets[0]!;
}

export function registerGroupCommands(program: Command): void {
  const group = program.command('group').description('consumer groups: members, committed offsets and lag');

  group
    .command('list')
    .description('every consumer group with its state')
    .action(
      action(async (ctx) => {
        const groups = await listGroups(ctx.cluster());
        return { data: groups, tables: [{ columns: ['group', 'state', 'protocol-type'], rows: groups.map((g) => [g.groupId, g.state, g.protocolType]) }] };
      }),
    );

  group
    .command('describe <group>')
    .description('members, assignments and per-partition committed offset, latest offset and lag')
    .action(
      action(async (ctx, groupId: string) => {
        const d = await describeGroup(ctx.cluster(), groupId);
        const clientOf = new Map(d.members.map((m) => [m.memberId, m]));
        return {
          data: d,
          tables: [
            `Group ${d.groupId}: ${d.state}, ${d.members.length} member(s), coordinator ${d.coordinator}${d.protocol ? `, assignor ${d.protocol}` : ''}, total lag ${d.totalLag}`,
            {
              title: 'Offsets',
              columns: ['topic', 'partition', 'committed', 'latest', 'lag', 'member', 'client-id', 'host'],
              rows: d.offsets.map((o) => {
                const m = o.memberId === null ? undefined : clientOf.get(o.memberId);
                return [o.topic, o.partition, o.committedOffset < 0 ? null : o.committedOffset, o.latestOffset < 0 ? null : o.latestOffset, o.lag, o.memberId, m?.clientId, m?.host];
              }),
            },
            ...(d.members.length === 0
              ? []
              : [
                  {
                    title: 'Members',
                    columns: ['member', 'instance', 'client-id', 'host', 'assignment'],
                    rows: d.members.map((m) => [m.memberId, m.groupInstanceId, m.clientId, m.host, m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ')]),
                  },
                ]),
          ],
        };
      }),
    );

  group
    .command('reset-offsets <group>')
    .description("move an inactive group's committed offsets on a topic (a dry run unless --execute)")
    .requiredOption('--topic <topic>', 'topic whose offsets to reset')
    .option('--partition <n>', 'only this partition (repeatable; default all)', repeatable(nonNegativeInt('--partition')))
    .option('--to-earliest', 'to the first offset of each partition')
    .option('--to-latest', 'to the end of each partition')
    .option('--to-offset <n>', 'to this offset (clamped to the partition)', nonNegativeInt('--to-offset'))
    .option('--to-datetime <iso>', 'to the first record at or after this time (ISO 8601)')
    .option('--shift-by <n>', 'move the committed offset by n (negative: back)', integer('--shift-by'))
    .option('--execute', 'commit the new offsets (otherwise only print the plan)')
    .action(
      action(async (ctx, groupId: string, flags: ResetFlags) => {
        const to = resetTarget(flags);
        const executed = flags.execute === true;
        const plan = await resetOffsets(ctx.cluster(), groupId, { topic: flags.topic, partitions: flags.partition, to, dryRun: !executed });
        return {
          data: { groupId, executed, offsets: plan },
          tables: [
            executed ? `Committed new offsets for group ${groupId}:` : `Dry run for group ${groupId} (nothing committed; add --execute to commit):`,
            { columns: ['topic', 'partition', 'previous', 'new'], rows: plan.map((p) => [p.topic, p.partition, p.previousOffset, p.newOffset]) },
          ],
        };
      }),
    );

  group
    .command('delete <group>')
    .description('delete an inactive group and its committed offsets')
    .action(
      action(async (ctx, groupId: string) => {
        await deleteGroup(ctx.cluster(), groupId);
        return { data: { groupId, deleted: true }, tables: [`Deleted group ${groupId}`] };
      }),
    );
}
