// stratactl broker config <id>: one broker's configs (DescribeConfigs, asked of that broker), non-default ones
// unless --all. Works against Strata and Apache Kafka alike.
import type { Command } from 'commander';
import { describeConfigs } from '../../admin/configs';
import { action, nonNegativeInt } from '../context';
import { configsTable } from './topic';

export function registerBrokerCommands(program: Command): void {
  const broker = program.command('broker').description('single brokers');
  broker
    .command('config')
    .description('a broker’s configs and where each value comes from')
    .argument('<id>', 'broker node id', nonNegativeInt('<id>'))
    .option('--all', 'show every config, defaults included')
    .action(
      action(async (ctx, id: number, opts: { all?: boolean }) => {
        const all = await describeConfigs(ctx.cluster(), { type: 'broker', name: String(id) });
        const configs = opts.all ? all : all.filter((c) => !c.isDefault);
        return { data: { nodeId: id, configs }, tables: [configsTable(configs, `Broker ${id}${opts.all ? '' : ' (non-default configs)'}`)] };
      }),
    );
}
