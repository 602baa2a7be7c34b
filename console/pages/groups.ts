// `/groups` (list with the last sampled lag), `/groups/:id` (members, per-partition committed/latest/lag, the
// lag-over-time chart, and the reset form when writes are enabled) and POST /groups/:id/reset-offsets.
import type { Request } from 'express';
import type { ConsoleContext } from '../context';
import { AdminError, describeGroup, listGroups, resetOffsets, type ResetTarget } from '../data';
import { choiceField, csrfInput, field, intField, timestampField } from '../forms';
import { html, type Html, query, url } from '../html';
import { chart, facts, table } from '../layout';

export async function groupsPage(ctx: ConsoleContext): Promise<Html> {
  const groups = await listGroups(ctx.cluster);
  return html`${table(
    ['Group', 'State', 'Protocol type', 'Lag (last sample)'],
    groups.map((g) => [html`<a href="${url`/groups/${g.groupId}`}">${g.groupId}</a>`, g.state, g.protocolType || '–', ctx.lag.latest(g.groupId)?.lag ?? '–']),
    { id: 'groups', empty: 'No consumer groups.' },
  )}`;
}

export async function groupPage(ctx: ConsoleContext, groupId: string, req: Request): Promise<Html> {
  const g = await describeGroup(ctx.cluster, groupId);
  const done = field(req.query, 'reset');
  return html`${done ? html`<p class="notice" id="reset-done">Offsets of ${done} reset.</p>` : ''}
${facts(
  [
    ['State', g.state],
    ['Protocol type', g.protocolType || '–'],
    ['Assignor', g.protocol || '–'],
    ['Coordinator', g.coordinator >= 0 ? g.coordinator : '–'],
    ['Members', g.members.length],
    ['Total lag', g.totalLag],
  ],
  'group',
)}
<h2>Lag over time</h2>
${chart('lag-chart', url`/api/groups/${groupId}/lag`, `total lag of ${groupId}, sampled every ${ctx.settings.sampleIntervalMs / 1000} s`)}
<h2>Members</h2>
${table(
  ['Member', 'Instance', 'Client', 'Host', 'Assignment'],
  g.members.map((m) => [m.memberId, m.groupInstanceId ?? '–', m.clientId, m.host, m.assignment.map((a) => `${a.topic}: ${a.partitions.join(', ')}`).join('; ') || '–']),
  { id: 'members', empty: 'No active members.' },
)}
<h2>Offsets</h2>
${table(
  ['Topic', 'Partition', 'Committed', 'Latest', 'Lag', 'Member'],
  g.offsets.map((o) => [html`<a href="${url`/topics/${o.topic}`}">${o.topic}</a>`, o.partition, o.committedOffset, o.latestOffset, o.lag ?? '–', o.memberId ?? '–']),
  { id: 'offsets', empty: 'No committed offsets.' },
)}
${ctx.settings.writeEnabled ? resetForm(ctx, groupId, [...new Set(g.offsets.map((o) => o.topic))]) : ''}`;
}

const TARGETS = ['earliest', 'latest', 'offset', 'timestamp', 'shift-by'] as const;

function resetForm(ctx: ConsoleContext, groupId: string, topics: string[]): Html {
  return html`<h2>Reset offsets</h2>
<p class="hint">Only while the group has no active members (state Empty).</p>
<form method="post" action="${url`/groups/${groupId}/reset-offsets`}" id="reset-offsets" class="action">
${csrfInput(ctx.csrf.token)}
<label>Topic <input name="topic" required list="group-topics" value="${topics[0] ?? ''}"></label>
<datalist id="group-topics">${topics.map((t) => html`<option value="${t}">`)}</datalist>
<label>Partition <input name="partition" type="number" min="0" placeholder="all"></label>
<label>To <select name="to">${TARGETS.map((t) => html`<option>${t}</option>`)}</select></label>
<label>Value <input name="value" placeholder="offset, ms/ISO time or ±N"></label>
<button type="submit">Reset offsets</button>
</form>`;
}

export function parseResetTarget(body: unknown): ResetTarget {
  const to = choiceField(body, 'to', TARGETS, 'latest');
  switch (to) {
    case 'earliest':
    case 'latest':
      return to;
    case 'offset': {
      const offset = intField(body, 'value', { min: 0 });
      if (offset === undefined) throw new AdminError('value: an offset is required', 'usage');
      return { offset };
    }
    case 'timestamp': {
      const timestamp = timestampField(body, 'value');
      if (timestamp === undefined) throw new AdminError('value: a timestamp is required', 'usage');
      return { timestamp };
    }
    case 'shift-by': {
      const shiftBy = intField(body, 'value', { min: -Number.MAX_SAFE_INTEGER });
      if (shiftBy === undefined) throw new AdminError('value: a shift (±N) is required', 'usage');
      return { shiftBy };
    }
  }
}

/** POST /groups/:id/reset-offsets → back to the group page with a notice. */
export async function resetOffsetsAction(ctx: ConsoleContext, groupId: string, req: Request): Promise<string> {
  const topic = field(req.body, 'topic');
  if (!topic) throw new AdminError('topic is required', 'usage');
  const partition = intField(req.body, 'partition', { min: 0 });
  await resetOffsets(ctx.cluster, groupId, { topic, partitions: partition === undefined ? undefined : [partition], to: parseResetTarget(req.body) });
  await ctx.lag.sampleOnce();
  return url`/groups/${groupId}` + query({ reset: topic });
}
