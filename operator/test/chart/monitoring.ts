// Shared by the chart's rules and dashboard tests: promtool and helm runners, the chart's monitoring
// files, and which metric names the broker and the operator export (so no rule or panel reads a series
// that does not exist).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { binPath, requireBinaries, ROOT, run, type RunResult } from '../../e2e/harness';

export const CHART = path.join(ROOT, 'charts', 'strata-operator');
export const RULES_FILE = path.join(CHART, 'files', 'prometheus', 'strata-rules.yaml');
export const RULE_TESTS_DIR = path.join(CHART, 'files', 'prometheus', 'tests');
export const DASHBOARDS_DIR = path.join(CHART, 'files', 'dashboards');

/** promtool from Debian's prometheus package (on PATH); resolves with its exit code. */
export function promtool(args: string[]): Promise<RunResult> {
  return run('promtool', args, { allowFail: true, timeoutMs: 60_000 });
}

/** `helm <args>` with its cache/config/data homes in a throw-away directory. */
export async function helm(args: string[], allowFail = false): Promise<RunResult> {
  requireBinaries(['helm']);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-helm-'));
  try {
    return await run(binPath('helm'), args, {
      allowFail,
      env: { ...process.env, HELM_CACHE_HOME: path.join(home, 'cache'), HELM_CONFIG_HOME: path.join(home, 'config'), HELM_DATA_HOME: path.join(home, 'data') },
    });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** The objects `helm template` renders for the chart with extra args (--set, --api-versions). */
export async function renderChart(...args: string[]): Promise<any[]> {
  const r = await helm(['template', 'strata', CHART, '-n', 'strata-system', ...args]);
  return parseAllDocuments(r.stdout).map((d) => d.toJS()).filter((d) => d && typeof d === 'object');
}

/** prom-client default metrics the panels read (unprefixed on the broker, strata_operator_-prefixed on the operator). */
const DEFAULT_METRICS = ['process_resident_memory_bytes'];

function sourceText(dir: string): string {
  return fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

let known: Set<string> | undefined;
/** Whether a series name (histogram suffixes allowed) is exported by the broker or the operator. */
export function isKnownMetric(name: string): boolean {
  known ??= new Set([
    ...[sourceText(path.join(ROOT, 'broker', 'src')), sourceText(path.join(ROOT, 'operator', 'src'))]
      .flatMap((t) => [...t.matchAll(/['"]((?:strata|process|nodejs)_[a-z0-9_]+)['"]/g)].map((m) => m[1])),
    ...DEFAULT_METRICS,
    ...DEFAULT_METRICS.map((m) => `strata_operator_${m}`),
  ]);
  const base = name.replace(/_(bucket|count|sum)$/, '');
  return known.has(name) || known.has(base);
}

/** The Strata/process series names an expression reads (quoted strings removed first). */
export function metricNames(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...new Set([...bare.matchAll(/\b(?:strata|process|nodejs)_[a-z0-9_]+/g)].map((m) => m[0]))];
}

/**
 * Whether PromQL expressions parse: promtool has no parse command, but `check rules` parses every
 * rule's expr, so each becomes a recording rule in a temporary file. Returns promtool's result.
 */
export async function checkExpressions(exprs: string[]): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-promql-'));
  try {
    const file = path.join(dir, 'exprs.yaml');
    const rules = exprs.map((expr, i) => ({ record: `strata_check:expr_${i}`, expr }));
    fs.writeFileSync(file, JSON.stringify({ groups: [{ name: 'exprs', rules }] }));
    return await promtool(['check', 'rules', file]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
