// stratactl cluster info: the cluster id, the controller and every broker (Metadata; DescribeCluster is not
// needed, so this works against any Kafka version).
import type { Command } from 'commander';
import { action } from '../context';

export function registerClusterCommands(program: Command): void {
  const cluster = program.command('cluster').description('the cluster as a whole');
  cluster
    .command('info')
    .description('cluster id, controller and brokers')
    .action(
      action(async (ctx) => {
        const md = await ctx.cluster().metadata([]);
        return {
          data: { clusterId: md.clusterId, controllerId: md.controllerId, brokers: md.brokers },
          tables: [
            `Cluster ${md.clusterId ?? '-'}, controller ${md.controllerId}, ${md.brokers.length} broker(s)`,
            { columns: ['id', 'host', 'port', 'rack', 'controller'], rows: md.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack, b.nodeId === md.controllerId ? 'yes' : '']) },
          ],
        };
      }),
    );
}
