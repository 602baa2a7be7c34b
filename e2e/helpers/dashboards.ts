// Grafana dashboards shipped in the chart (charts/strata-operator/files/dashboards/*.json), read the way Grafana
// reads them: every panel's targets, including panels nested in rows (collapsed rows keep theirs in `panels`,
// the old schema in `rows[].panels`), with template variables replaced by values a test workload matches, so each
// query can be run against a real Prometheus.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface DashboardQuery {
  /** Dashboard file name. */
  file: string;
  /** Panel title (with its row's title when nested), for messages. */
  panel: string;
  /** The expression as written in the dashboard. */
  raw: string;
  /** The expression with every template variable substituted. */
  expr: string;
}

interface PanelLike {
  title?: string;
  panels?: PanelLike[];
  targets?: Array<{ expr?: string }>;
}

/** Grafana's built-in interval variables, with the values Grafana would use for a short time range. */
const BUILTINS: Record<string, string> = {
  __rate_interval: '1m',
  __interval_ms: '15000',
  __interval: '15s',
  __range_s: '300',
  __range_ms: '300000',
  __range: '5m',
};

/** The dashboard files in `dir`, sorted (an empty list when the directory is missing). */
export function dashboardFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Replaces template variables: Grafana's interval built-ins by fixed durations, a dashboard variable named in
 * `values` by that (regex) value, any other by `.*`. Exact matchers on a variable (`label="$v"`) become regex
 * matchers, as Grafana does for multi-value and "All" selections, so `.*` and alternations match.
 */
export function substituteVariables(expr: string, values: Record<string, string>): string {
  const valueOf = (name: string): string => BUILTINS[name] ?? values[name] ?? '.*';
  // $var, ${var} and ${var:format}; `$__rate_interval` must not be read as `$__rate` + "_interval", hence [\w]+.
  const variable = /\$\{(\w+)(?::[^}]*)?\}|\$(\w+)/g;
  return expr
    .replace(/(\w+)\s*(=|!=)\s*"([^"]*\$[^"]*)"/g, (_m, label: string, op: string, v: string) => `${label}${op === '=' ? '=~' : '!~'}"${v}"`)
    .replace(variable, (_m, braced: string | undefined, bare: string | undefined) => valueOf((braced ?? bare)!));
}

/** Every non-empty target expression of every panel of one dashboard file, variables substituted. */
export function dashboardQueries(file: string, values: Record<string, string>): DashboardQuery[] {
  const dashboard = JSON.parse(fs.readFileSync(file, 'utf8')) as PanelLike & { rows?: PanelLike[]; dashboard?: PanelLike };
  // A file may hold the dashboard itself or the API's {dashboard: …} wrapper.
  const root = dashboard.dashboard ?? dashboard;
  const out: DashboardQuery[] = [];
  const walk = (panels: PanelLike[] | undefined, prefix: string) => {
    for (const p of panels ?? []) {
      const title = `${prefix}${p.title ?? '(untitled)'}`;
      for (const t of p.targets ?? []) {
        if (typeof t.expr === 'string' && t.expr.trim() !== '') {
          out.push({ file: path.basename(file), panel: title, raw: t.expr, expr: substituteVariables(t.expr, values) });
        }
      }
      walk(p.panels, `${title} / `);
    }
  };
  walk(root.panels, '');
  walk((root as { rows?: PanelLike[] }).rows, '');
  return out;
}

export interface DashboardVariable {
  file: string;
  name: string;
  metric: string;
  label: string;
}

/** The query variables of a dashboard written as Grafana's `label_values(metric, label)`. */
export function dashboardVariables(file: string): DashboardVariable[] {
  const d = JSON.parse(fs.readFileSync(file, 'utf8')) as { templating?: { list?: Array<{ name: string; type?: string; query?: unknown }> } };
  const out: DashboardVariable[] = [];
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const text = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | undefined)?.query ?? '';
    const m = /^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$/.exec(text);
    if (!m) throw new Error(`${path.basename(file)}: variable ${v.name} has a query this test cannot run: ${text}`);
    out.push({ file: path.basename(file), name: v.name, metric: m[1], label: m[2] });
  }
  return out;
}
