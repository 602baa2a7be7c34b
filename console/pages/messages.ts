// `/topics/:name/messages`: the message browser. Reads at most MAX_LIMIT records from one partition, starting at
// an offset or a timestamp, and shows key, headers and value rendered as text, JSON or hex. Both the record
// count and the bytes shown per field are capped here, whatever the query asks, and the read has a deadline.
import type { Request } from 'express';
import type { ConsoleContext } from '../context';
import { type BytesFormat, type ConsumedRecord, describeTopic, readRecords, renderBytes, type StartAt } from '../data';
import { choiceField, intField, timestampField } from '../forms';
import { html, type Html, query, url } from '../html';
import { formatTime, table } from '../layout';

export const MAX_LIMIT = 100;
export const DEFAULT_LIMIT = 20;
/** Bytes of one key, value or header shown; the rest is cut (the page says so). */
export const MAX_SHOWN_BYTES = 16 * 1024;
const READ_DEADLINE_MS = 10_000;
const FORMATS = ['text', 'json', 'hex'] as const satisfies readonly BytesFormat[];

export interface MessageQuery {
  partition: number;
  start: StartAt;
  limit: number;
  format: (typeof FORMATS)[number];
  offset?: number;
  timestamp?: number;
}

export function parseMessageQuery(q: unknown): MessageQuery {
  const partition = intField(q, 'partition', { min: 0 }) ?? 0;
  const offset = intField(q, 'offset', { min: 0 });
  const timestamp = timestampField(q, 'timestamp');
  // Clamped rather than refused: a bookmarked ?limit=100000 still shows the first MAX_LIMIT.
  const limit = Math.min(intField(q, 'limit', { min: 1 }) ?? DEFAULT_LIMIT, MAX_LIMIT);
  const format = choiceField(q, 'format', FORMATS, 'text');
  const start: StartAt = offset !== undefined ? { offset } : timestamp !== undefined ? { timestamp } : 'beginning';
  return { partition, start, limit, format, offset, timestamp };
}

export async function messagesPage(ctx: ConsoleContext, name: string, req: Request): Promise<Html> {
  const q = parseMessageQuery(req.query);
  const topic = await describeTopic(ctx.cluster, name);
  const records: ConsumedRecord[] = [];
  let deadlineHit = false;
  if (topic.partitions.some((p) => p.partition === q.partition)) {
    const signal = AbortSignal.timeout(READ_DEADLINE_MS);
    for await (const r of readRecords(ctx.cluster, { topic: name, partitions: [q.partition], start: q.start, limit: q.limit, maxWaitMs: 500, signal })) {
      records.push(r);
      if (records.length >= q.limit) break;
    }
    deadlineHit = signal.aborted && records.length < q.limit;
  }
  return html`<p><a href="${url`/topics/${name}`}">← ${name}</a></p>
${browseForm(name, topic.partitions.map((p) => p.partition), q)}
<p class="hint" id="record-count">${records.length} record${records.length === 1 ? '' : 's'} from partition ${q.partition}${records.length >= q.limit ? ` (limit ${q.limit})` : ''}.${deadlineHit ? ` The read stopped after ${READ_DEADLINE_MS / 1000} s; more records may follow.` : ''}</p>
${table(
  ['Offset', 'Timestamp', 'Key', 'Headers', 'Value'],
  records.map((r) => [r.offset, html`<span title="${r.timestampType}">${formatTime(r.timestamp)}</span>`, shown(r.key, q.format), headers(r, q.format), shown(r.value, q.format)]),
  { id: 'messages', empty: 'No records at this position.' },
)}
${records.length > 0 ? html`<p><a id="next-page" href="${url`/topics/${name}/messages` + query({ partition: q.partition, offset: records[records.length - 1]!.offset + 1, limit: q.limit, format: q.format })}">Next ${q.limit} →</a></p>` : ''}`;
}

function browseForm(name: string, partitions: number[], q: MessageQuery): Html {
  return html`<form method="get" action="${url`/topics/${name}/messages`}" id="browse" class="action">
<label>Partition <select name="partition">${partitions.map((p) => html`<option value="${p}"${p === q.partition ? html` selected` : ''}>${p}</option>`)}</select></label>
<label>Offset <input name="offset" type="number" min="0" value="${q.offset ?? ''}"></label>
<label>or timestamp <input name="timestamp" placeholder="ms or ISO time" value="${q.timestamp !== undefined ? new Date(q.timestamp).toISOString() : ''}"></label>
<label>Limit <input name="limit" type="number" min="1" max="${MAX_LIMIT}" value="${q.limit}"></label>
<label>Format <select name="format">${FORMATS.map((f) => html`<option${f === q.format ? html` selected` : ''}>${f}</option>`)}</select></label>
<button type="submit">Show</button>
</form>`;
}

function shown(b: Buffer | null, format: BytesFormat): Html {
  if (b === null) return html`<em class="null">null</em>`;
  const cut = b.length > MAX_SHOWN_BYTES;
  return html`<pre class="bytes ${format}">${renderBytes(cut ? b.subarray(0, MAX_SHOWN_BYTES) : b, format)}</pre>${cut ? html`<span class="hint">(first ${MAX_SHOWN_BYTES} of ${b.length} bytes)</span>` : ''}`;
}

function headers(r: ConsumedRecord, format: BytesFormat): Html {
  if (r.headers.length === 0) return html`<em class="null">none</em>`;
  return html`<dl class="headers">${r.headers.map((h) => html`<dt>${h.key}</dt><dd>${shown(h.value, format)}</dd>`)}</dl>`;
}
