// `/`: the cluster at a glance, from one Metadata request plus the group listing.
import type { ConsoleContext } from '../context';
import { listGroups } from '../data';
import { html, type Html } from '../html';
import { facts, table } from '../layout';

export async function overviewPage(ctx: ConsoleContext): Promise<Html> {
  const [md, groups] = await Promise.all([ctx.cluster.metadata(), listGroups(ctx.cluster)]);
  const topics = md.topics.filter((t) => !t.isInternal);
  const partitions = topics.flatMap((t) => t.partitions);
  const underReplicated = partitions.filter((p) => p.isr.length < p.replicas.length).length;
  const offline = partitions.filter((p) => p.leader < 0).length;
  return html`${facts(
    [
      ['Cluster id', md.clusterId ?? '–'],
      ['Controller', md.controllerId],
      ['Brokers', md.brokers.length],
      ['Topics', topics.length],
      ['Partitions', partitions.length],
      ['Consumer groups', groups.length],
      ['Under-replicated partitions', html`<span class="${underReplicated > 0 ? 'bad' : 'good'}">${underReplicated}</span>`],
      ['Offline partitions', html`<span class="${offline > 0 ? 'bad' : 'good'}">${offline}</span>`],
    ],
    'overview',
  )}
<h2>Brokers</h2>
${table(['Node', 'Host', 'Port', 'Rack', 'Role'], md.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack ?? '–', b.nodeId === md.controllerId ? 'controller' : '']))}`;
}
