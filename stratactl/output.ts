// How command results are printed: every command returns a View; `--output table` prints its tables for
// people, `json` and `yaml` print its data for scripts (stable field names, one document per command).
import { stringify as toYaml } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

export interface Table {
  /** Printed above the table when several are shown. */
  title?: string;
  columns: string[];
  rows: Array<Array<string | number | boolean | null | undefined>>;
}

export interface View {
  /** What json/yaml print. */
  data: unknown;
  /** What table prints; a plain string is printed as is. Defaults to key: value lines of `data`. */
  tables?: Array<Table | string>;
}

export function render(view: View, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(view.data, null, 2)}\n`;
    case 'yaml':
      return toYaml(view.data);
    case 'table':
      return (view.tables ?? [keyValues(view.data)]).map((t) => (typeof t === 'string' ? ensureNewline(t) : renderTable(t))).join('\n');
  }
}

/** Fixed-width columns, headers in capitals as kubectl prints them; empty cells show as "-". */
export function renderTable(t: Table): string {
  const cells = t.rows.map((r) => r.map(cell));
  const header = t.columns.map((c) => c.toUpperCase());
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [line(header), ...cells.map(line)].join('\n');
  return `${t.title ? `${t.title}\n` : ''}${out}\n`;
}

function cell(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined || v === '') return '-';
  return String(v);
}

function keyValues(data: unknown): string {
  if (data === null || typeof data !== 'object') return ensureNewline(String(data));
  return Object.entries(data as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join('\n')
    .concat('\n');
}

function ensureNewline(s: string): string {
  return s.endsWith('\n') || s === '' ? s : `${s}\n`;
}
