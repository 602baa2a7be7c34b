// stratactl tier status: per partition, the remote and local offset ranges, the upload lag and the bytes on each
// side (admin/tier.ts: ListOffsets, DescribeConfigs and DescribeLogDirs only, so it also runs against Apache
// Kafka, where topics show as not tiered with no remote bytes).
import type { Command } from 'commander';
import { tierStatus, type TierPartitionStatus } from '../../admin/tier';
import { formatBytes } from '../../admin/units';
import { action } from '../context';

/** "first–last" of a non-empty offset range, else "-". */
function range(first: number, last: number): string {
  return first >= 0 && last >= first ? `${first}–${last}` : '-';
}

function row(s: TierPartitionStatus): Array<string | number | null> {
  return [
    s.topic,
    s.partition,
    s.leader,
    s.highestTieredOffset >= 0 ? range(s.logStartOffset, s.highestTieredOffset) : '-',
    range(s.localStartOffset, s.logEndOffset - 1),
    s.uploadLagRecords,
    formatBytes(s.localBytes),
    formatBytes(s.remoteBytes),
  ];
}

export function registerTierCommands(program: Command): void {
  const tier = program.command('tier').description('tiered storage');
  tier
    .command('status')
    .description('per partition: remote and local offset ranges, upload lag (records) and bytes on each side')
    .option('-t, --topic <name...>', 'only these topics (default: every non-internal topic)')
    .action(
      action(async (ctx, opts: { topic?: string[] }) => {
        const partitions = await tierStatus(ctx.cluster(), { topics: opts.topic });
        return {
          data: partitions,
          tables: [{ columns: ['topic', 'partition', 'leader', 'remote range', 'local range', 'upload lag', 'local bytes', 'remote bytes'], rows: partitions.map(row) }],
        };
      }),
    );
}
