// `/`: the cluster at a glance: Metadata (cluster id, controller, brokers), the topic summaries (partition,
// under-replicated and offline counts, as `stratactl topic list` computes them) and the group listing.
import type { ConsoleContext } from '../context';
import { listGroups, listTopics } from '../data';
import { html, type Html } from '../html';
import { facts, table } from '../layout';

export async function overviewPage(ctx: ConsoleContext): Promise<Html> {
  const [md, topics, groups] = await Promise.all([ctx.cluster.metadata([]), listTopics(ctx.cluster), listGroups(ctx.cluster)]);
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
