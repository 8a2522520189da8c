import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startSts, tempDir, type TestSts } from '../helpers';

const KIT = join(__dirname, '..', '..', '..', 'examples');
const RULES = join(KIT, 'prometheus', 'sts-alerts.yml');
const RULE_TESTS = join(KIT, 'prometheus', 'sts-alerts.test.yml');
const DASHBOARD = join(KIT, 'grafana', 'sts-dashboard.json');

interface RuleFile {
  groups: { name: string; rules: { alert?: string; expr: string }[] }[];
}
interface Panel {
  title?: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { query?: string | { query: string } }[] };
}

const rules = parseYaml(readFileSync(RULES, 'utf8')) as RuleFile;
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const allPanels = (panels: Panel[]): Panel[] =>
  panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);

const ruleExpressions = rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr));
const dashboardExpressions = [
  ...allPanels(dashboard.panels).flatMap((panel) => (panel.targets ?? []).map((t) => t.expr)),
  ...dashboard.templating.list.flatMap((variable) =>
    typeof variable.query === 'object' ? [variable.query.query] : [],
  ),
];

/** Metric names a PromQL expression reads: ours and prom-client's process metrics. */
const metricNames = (expr: string): string[] =>
  [...expr.matchAll(/\b(?:sts|process|nodejs)_[a-z0-9_]+/g)].map((match) => match[0]);

/** What `/metrics` exposes: family name → type, from its `# TYPE` lines. */
const familiesOf = (exposition: string): Map<string, string> =>
  new Map(
    [...exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((match) => [match[1]!, match[2]!]),
  );

/** Whether a series name is one Prometheus stores for these families (histograms: _bucket/_sum/_count). */
function exposes(families: Map<string, string>, name: string): boolean {
  const type = families.get(name);
  if (type !== undefined) return type !== 'histogram';
  const family = name.replace(/_(bucket|sum|count)$/, '');
  return family !== name && families.get(family) === 'histogram';
}

/**
 * promtool from Debian's `prometheus` package: CI installs it (.ci/run) and must run it; a
 * developer without it gets the checks skipped with the reason.
 */
function promtool(): string | undefined {
  const found = spawnSync('promtool', ['--version']).status === 0;
  if (!found && process.env.CI)
    assert.fail('promtool is required in CI (Debian package prometheus)');
  return found ? 'promtool' : undefined;
}
const NO_PROMTOOL =
  'promtool not installed (Debian package `prometheus`): rules not validated here';

describe("operators' kit (examples/grafana, examples/prometheus)", () => {
  let sts: TestSts;
  let families: Map<string, string>;

  before(async () => {
    sts = await startSts();
    families = familiesOf((await sts.inject({ url: '/metrics' })).body);
  });
  after(() => sts?.cleanup());

  it('queries only metrics a running instance exposes', () => {
    const queried = new Set([...ruleExpressions, ...dashboardExpressions].flatMap(metricNames));
    assert.ok(queried.size >= 12, [...queried].join(' '));
    const missing = [...queried].filter((name) => !exposes(families, name));
    assert.deepEqual(missing, [], `not in /metrics: ${missing.join(', ')}`);
  });

  it('covers every sts_* family in the dashboard', () => {
    const queried = new Set(dashboardExpressions.flatMap(metricNames));
    const unused = [...families.keys()]
      .filter((family) => family.startsWith('sts_'))
      .filter((family) => ![...queried].some((name) => name.startsWith(family)));
    assert.deepEqual(unused, []);
  });

  it('alerts on unavailable IdP keys, overdue rotation, error rate and signing failures', () => {
    const alerts = rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert));
    for (const alert of [
      'StsIdpKeysUnavailable',
      'StsKeyRotationOverdue',
      'StsHighErrorRate',
      'StsSigningFailures',
    ])
      assert.ok(alerts.includes(alert), `${alert} in ${alerts.join(', ')}`);
  });

  it('has rules promtool accepts, and whose unit tests pass', (t) => {
    const tool = promtool();
    if (!tool) return t.skip(NO_PROMTOOL);
    for (const args of [
      ['check', 'rules', RULES],
      ['test', 'rules', RULE_TESTS],
    ]) {
      const run: SpawnSyncReturns<string> = spawnSync(tool, args, { encoding: 'utf8' });
      assert.equal(run.status, 0, `promtool ${args.join(' ')}:\n${run.stdout}${run.stderr}`);
    }
  });

  it("has dashboard queries that parse as PromQL once Grafana's variables are filled in", (t) => {
    const tool = promtool();
    if (!tool) return t.skip(NO_PROMTOOL);
    // promtool parses rule expressions, so each query becomes a recording rule.
    const file = join(tempDir('sts-kit-'), 'dashboard-queries.yml');
    const filled = (expr: string) =>
      expr
        .replaceAll('$__rate_interval', '5m')
        .replaceAll('$__range', '1h')
        .replaceAll('$job', '.*')
        .replaceAll('$instance', '.*');
    const queries = allPanels(dashboard.panels).flatMap((panel) => panel.targets ?? []);
    writeFileSync(
      file,
      stringifyYaml({
        groups: [
          {
            name: 'dashboard',
            rules: queries.map((target, index) => ({
              record: `dashboard:query_${index}`,
              expr: filled(target.expr),
            })),
          },
        ],
      }),
    );
    const run: SpawnSyncReturns<string> = spawnSync(tool, ['check', 'rules', file], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  });
});
