// The chart's Prometheus rules: files/prometheus/strata-rules.yaml passes `promtool check rules`, its
// unit tests (files/prometheus/tests/) pass `promtool test rules` and cover every alert firing and
// quiet, the rules read only series the broker/operator export, and the chart renders the very same
// groups as a PrometheusRule when the Prometheus Operator's API is there (or when forced).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { useTempDir } from '../../e2e/harness';
import { checkExpressions, isKnownMetric, metricNames, promtool, renderChart, RULES_FILE, RULE_TESTS_DIR } from './monitoring';

interface Rule { alert?: string; record?: string; expr: string }
const PROMETHEUS_RULE_API = 'monitoring.coreos.com/v1/PrometheusRule';

// The alerts shipped today.
const ALERTS = [
  'StrataBrokerDown', 'StrataOfflinePartitions', 'StrataDiskAlmostFull', 'StrataProcessErrors', 'StrataConsumerLagGrowing',
  'StrataTierUploadLagHigh', 'StrataObjectStoreErrors', 'StrataOperatorReconcileFailing', 'StrataTlsCertificateExpiringSoon',
  'StrataUnderReplicatedPartitions', 'StrataUnderMinIsrPartitions', 'StrataClusterOfflinePartitions', 'StrataNoActiveController',
];

describe('Prometheus rules (charts/strata-operator/files/prometheus)', function () {
  this.timeout(60_000);
  const rulesText = fs.readFileSync(RULES_FILE, 'utf8');
  const rulesDoc = parse(rulesText);
  const rules: Rule[] = rulesDoc.groups.flatMap((g: { rules: Rule[] }) => g.rules);
  const testFiles = fs.readdirSync(RULE_TESTS_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(RULE_TESTS_DIR, f));
  const tmp = useTempDir('strata-rules-');

  it('promtool check rules accepts strata-rules.yaml', async () => {
    const r = await promtool(['check', 'rules', RULES_FILE]);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
  });

  it('promtool test rules passes for every unit test file', async () => {
    assert.ok(testFiles.length > 0);
    const r = await promtool(['test', 'rules', ...testFiles]);
    assert.strictEqual(r.code, 0, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /FAILED/);
  });

  it('the unit tests can fail: a rule that no longer fires breaks them', async () => {
    fs.mkdirSync(path.join(tmp.dir, 'tests'), { recursive: true });
    fs.writeFileSync(path.join(tmp.dir, 'strata-rules.yaml'), rulesText.replace('sum by (job, instance) (strata_offline_partitions) > 0', 'sum by (job, instance) (strata_offline_partitions) > 100'));
    fs.copyFileSync(path.join(RULE_TESTS_DIR, 'broker.yaml'), path.join(tmp.dir, 'tests', 'broker.yaml'));
    const r = await promtool(['test', 'rules', path.join(tmp.dir, 'tests', 'broker.yaml')]);
    assert.notStrictEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /StrataOfflinePartitions/);
  });

  it('ships exactly the alerts whose series exist, each with severity, summary and description', () => {
    assert.deepStrictEqual(rules.filter((r) => r.alert).map((r) => r.alert).sort(), [...ALERTS].sort());
    for (const r of rules.filter((x) => x.alert) as Array<Rule & { labels?: any; annotations?: any }>) {
      assert.match(r.labels?.severity ?? '', /^(critical|warning)$/, r.alert);
      assert.ok(r.annotations?.summary && r.annotations?.description, r.alert);
    }
  });

  it('every alert has a unit test that fires it and one that shows it quiet', () => {
    const fired = new Set<string>();
    const quiet = new Set<string>();
    for (const f of testFiles) {
      const doc = parse(fs.readFileSync(f, 'utf8'));
      assert.deepStrictEqual(doc.rule_files, ['../strata-rules.yaml'], f);
      for (const t of doc.tests) {
        for (const a of t.alert_rule_test ?? []) ((a.exp_alerts ?? []).length > 0 ? fired : quiet).add(a.alertname);
      }
    }
    for (const a of ALERTS) {
      assert.ok(fired.has(a), `no test fires ${a}`);
      assert.ok(quiet.has(a), `no test shows ${a} quiet`);
    }
  });

  it('every recording rule has a unit test of its value', () => {
    const tested = new Set(testFiles.flatMap((f) => parse(fs.readFileSync(f, 'utf8')).tests
      .flatMap((t: any) => (t.promql_expr_test ?? []).map((e: any) => e.expr))));
    for (const r of rules.filter((x) => x.record)) assert.ok(tested.has(r.record), `no test of ${r.record}`);
  });

  it('rules read only series the broker or the operator export', () => {
    for (const r of rules) {
      for (const m of metricNames(r.expr)) assert.ok(isKnownMetric(m), `${r.alert ?? r.record} reads ${m}, which nothing exports`);
    }
  });

  it('the expression checker rejects bad PromQL (so the dashboard check means something)', async () => {
    assert.strictEqual((await checkExpressions(['sum(rate(strata_bytes_in_total[1m]))'])).code, 0);
    assert.notStrictEqual((await checkExpressions(['sum(rate(strata_bytes_in_total[1m])'])).code, 0);
  });

  describe('helm template: PrometheusRule', () => {
    const prometheusRules = (objs: any[]) => objs.filter((o) => o.kind === 'PrometheusRule');

    it('with the Prometheus Operator API present: the same groups as strata-rules.yaml', async () => {
      const [pr, ...more] = prometheusRules(await renderChart('--api-versions', PROMETHEUS_RULE_API, '--set', 'metrics.prometheusRule.labels.release=kps'));
      assert.strictEqual(more.length, 0);
      assert.strictEqual(pr.apiVersion, 'monitoring.coreos.com/v1');
      assert.strictEqual(pr.metadata.namespace, 'strata-system');
      assert.strictEqual(pr.metadata.labels.release, 'kps');
      assert.deepStrictEqual(pr.spec, { groups: rulesDoc.groups });
      // Alert templates such as {{ $labels.instance }} reach Prometheus untouched by Helm.
      assert.match(stringify(pr.spec), /\{\{ \$labels\.instance \}\}/);
    });

    it('auto: none without the API; enabled=false: none with it; enabled=true: rendered without it', async () => {
      assert.deepStrictEqual(prometheusRules(await renderChart()), []);
      assert.deepStrictEqual(prometheusRules(await renderChart('--api-versions', PROMETHEUS_RULE_API, '--set', 'metrics.prometheusRule.enabled=false')), []);
      assert.strictEqual(prometheusRules(await renderChart('--set', 'metrics.prometheusRule.enabled=true')).length, 1);
    });
  });
});
