// The chart's Grafana dashboards (files/dashboards/*.json): well-formed for Grafana (unique panel ids,
// a Prometheus datasource variable every panel uses, units), every panel query parses as PromQL and
// reads only exported series, and the chart renders one sidecar-labelled ConfigMap per dashboard.
// (That every query returns data from a real broker is the e2e Prometheus suite's job.)
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CHART, checkExpressions, DASHBOARDS_DIR, helm, isKnownMetric, metricNames, renderChart } from './monitoring';
import { dashboardQueries } from '../../../e2e/helpers/dashboards';

const DATASOURCE = '${datasource}';
const EXPECTED = ['strata-consumer-groups.json', 'strata-operator.json', 'strata-overview.json', 'strata-tiered-storage.json', 'strata-topics.json'];

describe('Grafana dashboards (charts/strata-operator/files/dashboards)', function () {
  this.timeout(60_000);
  const files = fs.readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json')).sort();
  const dashboards = new Map(files.map((f) => [f, JSON.parse(fs.readFileSync(path.join(DASHBOARDS_DIR, f), 'utf8'))]));
  // Every panel query, as written (raw) and with each variable replaced by what Grafana's "All" option sends (expr).
  const targets = files.flatMap((f) => dashboardQueries(path.join(DASHBOARDS_DIR, f), {}));

  it('cluster overview, topics, consumer groups, tiered storage, operator', () => {
    assert.deepStrictEqual(files, EXPECTED);
  });

  it('unique uids; unique panel ids; a Prometheus datasource variable every panel and target uses; units', () => {
    assert.strictEqual(new Set([...dashboards.values()].map((d) => d.uid)).size, files.length);
    for (const [file, d] of dashboards) {
      const vars: any[] = d.templating.list;
      const ds = vars.find((v) => v.name === 'datasource');
      assert.deepStrictEqual([ds?.type, ds?.query], ['datasource', 'prometheus'], file);
      for (const v of vars.filter((x) => x.type === 'query')) assert.strictEqual(v.datasource.uid, DATASOURCE, `${file} variable ${v.name}`);
      const ids = d.panels.map((p: any) => p.id);
      assert.strictEqual(new Set(ids).size, ids.length, `${file}: duplicate panel ids`);
      for (const p of d.panels) {
        assert.strictEqual(p.datasource.uid, DATASOURCE, `${file} ${p.title}`);
        assert.ok(p.fieldConfig.defaults.unit, `${file} ${p.title}: no unit`);
        assert.ok(p.targets.length > 0, `${file} ${p.title}: no query`);
        for (const t of p.targets) assert.strictEqual(t.datasource.uid, DATASOURCE, `${file} ${p.title} ${t.refId}`);
        const refIds = p.targets.map((t: any) => t.refId);
        assert.strictEqual(new Set(refIds).size, refIds.length, `${file} ${p.title}: duplicate refIds`);
      }
    }
  });

  it('templated topic/group variables are used by the panels of the dashboards that define them', () => {
    for (const [file, d] of dashboards) {
      for (const v of d.templating.list.filter((x: any) => x.type === 'query')) {
        assert.ok(targets.some((t) => t.file === file && t.raw.includes(`$${v.name}`)), `${file}: $${v.name} unused`);
        assert.strictEqual(v.allValue, '.*', `${file} ${v.name}`);
      }
    }
  });

  it('every panel query (and variable query metric) parses as PromQL', async () => {
    const exprs = targets.map((t) => t.expr);
    for (const d of dashboards.values()) {
      for (const v of d.templating.list.filter((x: any) => x.type === 'query')) exprs.push(/^label_values\((\w+), \w+\)$/.exec(v.query.query)![1]);
    }
    const r = await checkExpressions(exprs);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
  });

  it('queries read only series the broker or the operator export, over short windows', () => {
    for (const t of targets) {
      for (const m of metricNames(t.expr)) assert.ok(isKnownMetric(m), `${t.file} "${t.panel}" reads ${m}, which nothing exports`);
      for (const w of t.raw.matchAll(/\[(\w+)\]/g)) assert.match(w[1], /^[15]m$/, `${t.file} "${t.panel}": window ${w[1]}`);
    }
  });

  describe('chart', () => {
    const configMaps = (objs: any[]) => objs.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.includes('-dashboard-'));

    it('helm lint --strict passes (defaults, dashboards off, PrometheusRule forced)', async () => {
      for (const set of [[], ['--set', 'dashboards.enabled=false'], ['--set', 'metrics.prometheusRule.enabled=true']]) {
        const r = await helm(['lint', '--strict', CHART, ...set]);
        assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      }
    });

    it('one ConfigMap per dashboard, labelled grafana_dashboard: "1", holding the file unchanged', async () => {
      const cms = configMaps(await renderChart());
      assert.deepStrictEqual(cms.map((c) => Object.keys(c.data)).flat().sort(), files);
      for (const c of cms) {
        assert.strictEqual(c.metadata.labels.grafana_dashboard, '1');
        assert.strictEqual(c.metadata.namespace, 'strata-system');
        const [file, text] = Object.entries(c.data)[0] as [string, string];
        assert.strictEqual(c.metadata.name, `strata-strata-operator-dashboard-${file.replace(/\.json$/, '')}`);
        assert.deepStrictEqual(JSON.parse(text), dashboards.get(file));
      }
    });

    it('label, value and annotations can be overridden; dashboards.enabled=false renders none', async () => {
      const cms = configMaps(await renderChart('--set', 'dashboards.label=grafana_dash', '--set', 'dashboards.labelValue=strata',
        '--set', 'dashboards.annotations.grafana_folder=Strata'));
      assert.strictEqual(cms.length, files.length);
      for (const c of cms) {
        assert.strictEqual(c.metadata.labels.grafana_dash, 'strata');
        assert.strictEqual(c.metadata.labels.grafana_dashboard, undefined);
        assert.strictEqual(c.metadata.annotations.grafana_folder, 'Strata');
      }
      assert.deepStrictEqual(configMaps(await renderChart('--set', 'dashboards.enabled=false')), []);
    });
  });
});
