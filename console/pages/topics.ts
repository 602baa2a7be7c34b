// `/topics` (list, and the create form when writes are enabled), `/topics/:name` (partitions with offsets and
// tiering ranges, configs) and POST /topics (create).
import type { Request } from 'express';
import type { ConsoleContext } from '../context';
import { AdminError, createTopic, describeTopicWithTier, formatBytes, listTopics, localRange, partitionKey, remoteRange } from '../data';
import { csrfInput, field, intField } from '../forms';
import { html, type Html, query, url } from '../html';
import { facts, table } from '../layout';

export async function topicsPage(ctx: ConsoleContext, req: Request): Promise<Html> {
  const includeInternal = field(req.query, 'internal') === 'true';
  const topics = await listTopics(ctx.cluster, { includeInternal });
  return html`<p class="hint">${topics.length} topics. ${includeInternal ? html`<a href="/topics">Hide internal topics</a>` : html`<a href="/topics?internal=true">Show internal topics</a>`}</p>
${table(
  ['Topic', 'Partitions', 'Replication', 'Under-replicated', 'Offline'],
  topics.map((t) => [html`<a href="${url`/topics/${t.name}`}">${t.name}</a>${t.isInternal ? html` <span class="tag">internal</span>` : ''}`, t.partitions, t.replicationFactor, t.underReplicatedPartitions, t.offlinePartitions]),
  { id: 'topics', empty: 'No topics.' },
)}
${ctx.settings.writeEnabled ? createTopicForm(ctx) : ''}`;
}

function createTopicForm(ctx: ConsoleContext): Html {
  return html`<h2>Create a topic</h2>
<form method="post" action="/topics" id="create-topic" class="action">
${csrfInput(ctx.csrf.token)}
<label>Name <input name="name" required maxlength="249" pattern="[A-Za-z0-9._\\-]+"></label>
<label>Partitions <input name="partitions" type="number" min="1" placeholder="broker default"></label>
<label>Replication factor <input name="replicationFactor" type="number" min="1" placeholder="broker default"></label>
<button type="submit">Create topic</button>
</form>`;
}

/** POST /topics → the new topic's page. */
export async function createTopicAction(ctx: ConsoleContext, req: Request): Promise<string> {
  const name = field(req.body, 'name');
  if (!name) throw new AdminError('name is required', 'usage');
  await createTopic(ctx.cluster, {
    name,
    partitions: intField(req.body, 'partitions', { min: 1, max: 100_000 }),
    replicationFactor: intField(req.body, 'replicationFactor', { min: 1, max: 32_767 }),
  });
  return url`/topics/${name}`;
}

export async function topicPage(ctx: ConsoleContext, name: string): Promise<Html> {
  // One lookup for both views: describing the topic and its tier status would otherwise each ask Metadata and the offsets.
  const { topic: t, tier } = await describeTopicWithTier(ctx.cluster, name);
  const tierOf = new Map((tier ?? []).map((s) => [partitionKey(s.topic, s.partition), s]));
  return html`${facts([
    ['Topic id', t.topicId],
    ['Internal', t.isInternal ? 'yes' : 'no'],
    ['Partitions', t.partitions.length],
    ['Records (latest − earliest)', t.partitions.reduce((s, p) => s + Math.max(0, p.latestOffset - p.earliestOffset), 0)],
  ])}
<h2>Partitions</h2>
${table(
  ['Partition', 'Leader', 'Replicas', 'ISR', 'Earliest', 'Latest', 'Local range', 'Remote range', 'Local bytes', 'Remote bytes', ''],
  t.partitions.map((p) => {
    const s = tierOf.get(partitionKey(name, p.partition));
    return [
      p.partition,
      p.leader,
      p.replicas.join(', '),
      html`<span class="${p.isr.length < p.replicas.length ? 'bad' : ''}">${p.isr.join(', ')}</span>`,
      p.earliestOffset,
      p.latestOffset,
      s ? (localRange(s) ?? 'empty') : '–',
      s ? (remoteRange(s) ?? 'none') : '–',
      formatBytes(s?.localBytes ?? null),
      formatBytes(s?.remoteBytes ?? null),
      html`<a href="${url`/topics/${name}/messages` + query({ partition: p.partition, offset: p.earliestOffset })}">messages</a>`,
    ];
  }),
  { id: 'partitions' },
)}
<h2>Configs</h2>
${table(
  ['Name', 'Value', 'Source', 'Read-only'],
  t.configs.map((c) => [c.name, c.sensitive ? html`<em>hidden</em>` : (c.value ?? html`<em>null</em>`), c.source, c.readOnly ? 'yes' : '']),
  { id: 'configs' },
)}`;
}

