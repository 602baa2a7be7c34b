// stratactl topic list|describe|create|alter-config|add-partitions|delete: thin wrappers over admin/topics.ts and
// admin/configs.ts. Works against Strata and Apache Kafka alike.
//
// The `topic` noun is shared by two files: this one (administration) and topic-records.ts (produce, consume).
// Both get the one `topic` Command from topicCommand(program), which creates it on first use and returns the
// existing one after, so each file attaches its own subcommands whatever the registration order in main.ts.
import type { Command } from 'commander';
import { alterConfigs, type ConfigEntry } from '../../admin/configs';
import { AdminError } from '../../admin/errors';
import { addPartitions, createTopic, deleteTopic, describeTopic, listTopics } from '../../admin/topics';
import { action, positiveInt } from '../context';
import { keyValues, names } from '../key-values';
import type { Table } from '../output';

/** The `topic` command, created once and shared by every file that adds topic subcommands. */
export function topicCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'topic') ?? program.command('topic').description('topics: administration, produce and consume');
}

/** The configs table of topic describe and broker config. */
export function configsTable(configs: ConfigEntry[], title?: string): Table {
  return { title, columns: ['name', 'value', 'source', 'read-only', 'sensitive'], rows: configs.map((c) => [c.name, c.sensitive ? '(sensitive)' : c.value, c.source, c.readOnly ? 'yes' : '', c.sensitive ? 'yes' : '']) };
}

const nodeList = (ids: number[]): string => ids.join(',');
const offset = (n: number): number | null => (n < 0 ? null : n);

export function registerTopicCommands(program: Command): void {
  const topic = topicCommand(program);

  topic
    .command('list')
    .description('topics with their partitions, replication factor and under-replicated partitions')
    .option('--internal', 'include internal topics (__consumer_offsets, __transaction_state…)')
    .action(
      action(async (ctx, opts: { internal?: boolean }) => {
        const topics = await listTopics(ctx.cluster(), { includeInternal: opts.internal ?? false });
        return {
          data: topics,
          tables: [{
            columns: ['name', 'partitions', 'rf', 'under-replicated', 'offline'],
            rows: topics.map((t) => [t.name, t.partitions, t.replicationFactor, t.underReplicatedPartitions, t.offlinePartitions]),
          }],
        };
      }),
    );

  topic
    .command('describe')
    .description('partitions (leader, replicas, ISR, offsets) and the configs set away from their defaults')
    .argument('<name>', 'topic name')
    .option('--all-configs', 'show every config, defaults included')
    .action(
      action(async (ctx, name: string, opts: { allConfigs?: boolean }) => {
        const t = await describeTopic(ctx.cluster(), name);
        const configs = opts.allConfigs ? t.configs : t.configs.filter((c) => !c.isDefault);
        return {
          data: { ...t, configs },
          tables: [
            `Topic ${t.name}  id ${t.topicId}  partitions ${t.partitions.length}${t.isInternal ? '  (internal)' : ''}`,
            {
              columns: ['partition', 'leader', 'replicas', 'isr', 'offline', 'earliest', 'latest'],
              rows: t.partitions.map((p) => [p.partition, p.leader < 0 ? 'none' : p.leader, nodeList(p.replicas), nodeList(p.isr), nodeList(p.offlineReplicas), offset(p.earliestOffset), offset(p.latestOffset)]),
            },
            configs.length > 0 ? configsTable(configs, opts.allConfigs ? 'Configs' : 'Configs (non-default)') : 'No configs set away from their defaults',
          ],
        };
      }),
    );

  topic
    .command('create')
    .description('create a topic')
    .argument('<name>', 'topic name')
    .option('-p, --partitions <n>', 'partition count (default: the cluster’s num.partitions)', positiveInt('--partitions'))
    .option('-r, --replication-factor <n>', 'replicas per partition (default: the cluster’s default.replication.factor)', positiveInt('--replication-factor'))
    .option('-c, --config <key=value>', 'a topic config; repeat for more', keyValues('--config'))
    .option('--if-not-exists', 'succeed (exit 0) when the topic already exists')
    .option('--validate-only', 'only check that the cluster would create it')
    .action(
      action(async (ctx, name: string, opts: { partitions?: number; replicationFactor?: number; config?: Record<string, string>; ifNotExists?: boolean; validateOnly?: boolean }) => {
        const validateOnly = opts.validateOnly ?? false;
        let created = true;
        try {
          await createTopic(ctx.cluster(), { name, partitions: opts.partitions, replicationFactor: opts.replicationFactor, configs: opts.config, validateOnly });
        } catch (err) {
          if (!(opts.ifNotExists && err instanceof AdminError && err.kind === 'exists')) throw err;
          created = false;
        }
        const message = !created ? `Topic ${name} already exists` : validateOnly ? `Topic ${name} would be created (validate only)` : `Created topic ${name}`;
        return { data: { name, created: created && !validateOnly, validateOnly }, tables: [message] };
      }),
    );

  topic
    .command('alter-config')
    .description('set configs and delete them back to their defaults (IncrementalAlterConfigs)')
    .argument('<name>', 'topic name')
    .option('--set <key=value>', 'set a config; repeat for more', keyValues('--set'))
    .option('--delete <key>', 'delete a config (back to its default); repeat for more', names('--delete'))
    .action(
      action(async (ctx, name: string, opts: { set?: Record<string, string>; delete?: string[] }) => {
        const set = opts.set ?? {};
        const del = opts.delete ?? [];
        if (Object.keys(set).length === 0 && del.length === 0) throw new AdminError('nothing to change: give --set key=value and/or --delete key', 'usage');
        await alterConfigs(ctx.cluster(), { type: 'topic', name }, { set, delete: del });
        return { data: { name, set, deleted: del }, tables: [`Altered configs of topic ${name}: ${[...Object.keys(set).map((k) => `set ${k}`), ...del.map((k) => `deleted ${k}`)].join(', ')}`] };
      }),
    );

  topic
    .command('add-partitions')
    .description('grow a topic to a total partition count')
    .argument('<name>', 'topic name')
    .requiredOption('--total <n>', 'the partition count after growing', positiveInt('--total'))
    .action(
      action(async (ctx, name: string, opts: { total: number }) => {
        await addPartitions(ctx.cluster(), name, opts.total);
        return { data: { name, partitions: opts.total }, tables: [`Topic ${name} now has ${opts.total} partitions`] };
      }),
    );

  topic
    .command('delete')
    .description('delete a topic and its records')
    .argument('<name>', 'topic name')
    .option('--if-exists', 'succeed (exit 0) when the topic does not exist')
    .action(
      action(async (ctx, name: string, opts: { ifExists?: boolean }) => {
        let deleted = true;
        try {
          await deleteTopic(ctx.cluster(), name);
        } catch (err) {
          if (!(opts.ifExists && err instanceof AdminError && err.kind === 'not-found')) throw err;
          deleted = false;
        }
        return { data: { name, deleted }, tables: [deleted ? `Deleted topic ${name}` : `Topic ${name} does not exist`] };
      }),
    );
}
