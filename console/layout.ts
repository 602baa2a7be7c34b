// The page frame every page shares: head (our CSS, Chart.js and the console script; nothing inline, see the
// CSP in security.ts), navigation with the current page marked, and a banner saying read-only or writes enabled.
import { html, type Html, type Interpolation } from './html';

export const NAV = [
  { path: '/', label: 'Overview', key: 'overview' },
  { path: '/topics', label: 'Topics', key: 'topics' },
  { path: '/groups', label: 'Consumer groups', key: 'groups' },
  { path: '/tier', label: 'Tiered storage', key: 'tier' },
  { path: '/brokers', label: 'Brokers', key: 'brokers' },
] as const;
export type NavKey = (typeof NAV)[number]['key'];

export interface PageFrame {
  title: string;
  active: NavKey;
  writeEnabled: boolean;
  body: Interpolation;
}

export function layout(p: PageFrame): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${p.title} · Strata console</title>
<link rel="stylesheet" href="/static/console.css">
<script src="/static/chart.umd.js" defer></script>
<script src="/static/console.js" defer></script>
</head>
<body>
<header>
  <a class="brand" href="/">Strata</a>
  <nav>${NAV.map((n) => html`<a href="${n.path}"${n.key === p.active ? html` class="active" aria-current="page"` : ''}>${n.label}</a>`)}</nav>
  <span class="mode ${p.writeEnabled ? 'write' : 'read-only'}">${p.writeEnabled ? 'writes enabled' : 'read-only'}</span>
</header>
<main>
<h1>${p.title}</h1>
${p.body}
</main>
</body>
</html>
`;
}

/** A table from column headings and rows of cells (each cell escaped unless Html). */
export function table(headings: string[], rows: Interpolation[][], opts: { id?: string; empty?: string } = {}): Html {
  if (rows.length === 0) return html`<p class="empty">${opts.empty ?? 'None.'}</p>`;
  return html`<table${opts.id ? html` id="${opts.id}"` : ''}>
<thead><tr>${headings.map((h) => html`<th>${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody>
</table>`;
}

/** A definition list of label → value pairs. */
export function facts(pairs: Array<[string, Interpolation]>, id?: string): Html {
  return html`<dl class="facts"${id ? html` id="${id}"` : ''}>${pairs.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

/** A chart placeholder: console.js draws it from the JSON at dataUrl. */
export function chart(id: string, dataUrl: string, label: string): Html {
  return html`<figure class="chart"><canvas id="${id}" data-chart-url="${dataUrl}" aria-label="${label}"></canvas><figcaption>${label}</figcaption></figure>`;
}

export function formatTime(ms: number): string {
  return ms >= 0 ? new Date(ms).toISOString() : '–';
}
