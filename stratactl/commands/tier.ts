// stratactl tier status: per partition, the remote and local offset ranges, the upload lag and the bytes on each
// side (admin/tier.ts: ListOffsets, DescribeConfigs and DescribeLogDirs only, so it also runs against Apache
// Kafka, where topics show as not tiered with no remote bytes).
import type { Command } from 'commander';
import { localRange, remoteRange, tierStatus, type TierPartitionStatus } from '../../admin/tier';
import { formatBytes } from '../../admin/units';
import { action } from '../context';

function row(s: TierPartitionStatus): Array<string | number | null> {
  return [
    s.topic,
    s.partition,
    s.leader,
    remoteRange(s),
    localRange(s),
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
        const columns = ['topic', 'partition', 'leader', 'remote range', 'local range', 'upload lag', 'local bytes', 'remote bytes'];
        // A partition whose offsets could not be read (no leader) says why in an extra column.
        const withErrors = partitions.some((p) => p.error !== null);
        return {
          data: partitions,
          tables: [{ columns: withErrors ? [...columns, 'error'] : columns, rows: partitions.map((p) => (withErrors ? [...row(p), p.error] : row(p))) }],
        };
      }),
    );
}
