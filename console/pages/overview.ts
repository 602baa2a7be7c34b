// `/`: the cluster at a glance: Metadata (cluster id, controller, brokers), the topic summaries (partition,
// under-replicated and offline counts, as `stratactl topic list` computes them) and the group listing. One
// Metadata request serves all three: the summaries and the brokers to list groups on are taken from it.
import type { ConsoleContext } from '../context';
import { listGroups, topicSummaries } from '../data';
import { html, type Html } from '../html';
import { facts, table } from '../layout';

export async function overviewPage(ctx: ConsoleContext): Promise<Html> {
  const md = await ctx.cluster.metadata();
  const topics = topicSummaries(md);
  const groups = await listGroups(ctx.cluster, md.brokers);
  const sum = (f: (t: (typeof topics)[number]) => number) => topics.reduce((s, t) => s + f(t), 0);
  const underReplicated = sum((t) => t.underReplicatedPartitions);
  const offline = sum((t) => t.offlinePartitions);
  return html`${facts(
    [
      ['Cluster id', md.clusterId ?? '–'],
      ['Controller', md.controllerId],
      ['Brokers', md.brokers.length],
      ['Topics', topics.length],
      ['Partitions', sum((t) => t.partitions)],
      ['Consumer groups', groups.length],
      ['Under-replicated partitions', html`<span class="${underReplicated > 0 ? 'bad' : 'good'}">${underReplicated}</span>`],
      ['Offline partitions', html`<span class="${offline > 0 ? 'bad' : 'good'}">${offline}</span>`],
    ],
    'overview',
  )}
<h2>Brokers</h2>
${table(['Node', 'Host', 'Port', 'Rack', 'Role'], md.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack ?? '–', b.nodeId === md.controllerId ? 'controller' : '']))}`;
}
