import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStack, createClient } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { ROOT } from '../harness/root.js';
import type { StackInfo } from '../harness/stack.js';

// The operations kit (ops/): the alert rules and the dashboard are read with Prometheus's own
// rule and PromQL parsers (ops/check), and every metric they name must be one that Herald's apps
// really serve at /metrics on a running stack. The README's list of metrics must match too.

const RULES = join(ROOT, 'ops/prometheus/herald-rules.yaml');
const DASHBOARD = join(ROOT, 'ops/grafana/herald-dashboard.json');
const HERALD_APPS = ['intake', 'dispatcher', 'channel-email', 'channel-sms', 'channel-push'] as const;
/** Made by Prometheus itself for every scrape, not by an app. */
const PROMETHEUS_OWN = new Set(['up']);

interface CheckReport {
  alerts: Array<{ name: string; group: string; expr: string; runbook: string; metrics: string[] }>;
  records: string[] | null;
  panels: Array<{ title: string; exprs: string[]; metrics: string[] }>;
  metrics: string[];
}

function checker(): string {
  if (process.env.HERALD_OPS_CHECK) return process.env.HERALD_OPS_CHECK;
  const line = execFileSync('bash', [join(ROOT, 'scripts/setup-ops.sh')], { encoding: 'utf8' });
  return /HERALD_OPS_CHECK=(\S+)/.exec(line)?.[1] ?? '';
}

function check(rules: string, dashboard: string): { status: number | null; report?: CheckReport; stderr: string } {
  const run = spawnSync(checker(), [rules, dashboard], { encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr, ...(run.status === 0 ? { report: JSON.parse(run.stdout) as CheckReport } : {}) };
}

/** The series names a /metrics page exports, from its TYPE lines (a histogram's `_bucket`, `_sum`, `_count` too). */
function exported(text: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = '', type = ''] = m;
    names.set(name, type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.set(name + s, type);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.set(name + s, type);
  }
  return names;
}

/** The names an expression set uses that no app exports. */
const missing = (named: readonly string[], served: ReadonlySet<string>) => named.filter((n) => !served.has(n) && !PROMETHEUS_OWN.has(n));

async function scrape(stack: StackInfo): Promise<Record<string, string>> {
  const pages: Record<string, string> = {};
  for (const app of HERALD_APPS) {
    const res = await fetch(`http://127.0.0.1:${stack.apps[app].app}/metrics`, { signal: AbortSignal.timeout(10_000) });
    expect({ app, status: res.status }).toEqual({ app, status: 200 });
    pages[app] = await res.text();
  }
  return pages;
}

describe('operations kit', () => {
  const stack = loadStack();
  let report: CheckReport;
  let pages: Record<string, string>;
  let served: Set<string>;

  beforeAll(async () => {
    const checked = check(RULES, DASHBOARD);
    expect(checked.stderr).toBe('');
    report = checked.report as CheckReport;
    // Some traffic first, so the scrape shows label values as they really come.
    const client = createClient(stack);
    const sent = await client.send({ customerId: uniqueCustomer(), channel: 'email', priority: 'critical', to: { email: 'ops@example.com' }, content: { subject: 'Hi', text: 'Hello' } });
    expect(sent.status).toBe(202);
    await client.waitForStatus((sent.body as { id: string }).id, 'sent');
    pages = await scrape(stack);
    // What the apps serve, and the series the rules record themselves.
    served = new Set([...Object.values(pages).flatMap((p) => [...exported(p).keys()]), ...(report.records ?? [])]);
  });

  it('has every alert the service needs, each with a runbook line', () => {
    const names = report.alerts.map((a) => a.name);
    for (const needed of [
      'HeraldAppDown',
      'HeraldCriticalLaneBacklogOld',
      'HeraldBulkLaneBacklogOld',
      'HeraldCriticalAcceptToSentSlow',
      'HeraldProviderErrorRateHigh',
      'HeraldBreakerOpen',
      'HeraldDeadLettersGrowing',
      'HeraldRemindersLate',
      'HeraldWebhookDeliveriesFailing',
    ]) {
      expect(names).toContain(needed);
    }
    for (const alert of report.alerts) expect({ alert: alert.name, runbook: alert.runbook.length > 20 }).toEqual({ alert: alert.name, runbook: true });
    expect(report.panels.length).toBeGreaterThanOrEqual(15);
  });

  it('names only metrics the running apps export, in every alert and every panel', () => {
    for (const alert of report.alerts) expect({ alert: alert.name, missing: missing(alert.metrics, served) }).toEqual({ alert: alert.name, missing: [] });
    for (const panel of report.panels) expect({ panel: panel.title, missing: missing(panel.metrics, served) }).toEqual({ panel: panel.title, missing: [] });
  });

  it('serves /metrics from every app without an API key, with bounded labels only', () => {
    for (const app of HERALD_APPS) {
      const page = pages[app] ?? '';
      expect(page).toMatch(new RegExp(`herald_build_info\\{app="${app}",version="[^"]+"\\} 1`));
      // No label value of Herald's may be an id, an address or free text: they are short
      // lower-case words (a version and a histogram's bounds aside).
      for (const m of page.matchAll(/^(herald_\w+)\{([^}]*)\}/gm)) {
        for (const [, label, value] of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) {
          if (label === 'le' || label === 'version') continue;
          expect({ series: m[1], label, value, bounded: /^[a-z0-9][a-z0-9_-]{0,40}$/.test(value ?? '') }).toEqual({ series: m[1], label, value, bounded: true });
        }
      }
    }
    // The notification sent above shows in the counts, by lane and channel.
    expect(pages.dispatcher).toMatch(/herald_notifications_completed_total\{lane="critical",channel="email",status="sent"\} [1-9]/);
    expect(pages.intake).toMatch(/herald_notifications_accepted_total\{lane="critical",tenant_class="standard"\} [1-9]/);
    expect(pages['channel-email']).toMatch(/herald_provider_request_duration_seconds_count\{provider="[\w-]+",outcome="sent"\} [1-9]/);
  });

  it("lists in the README each metric Herald's apps export, and no other", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 5));
    const listed = new Set([...section.matchAll(/`(herald_[a-z_]+)`/g)].map((m) => m[1] as string));
    // Each metric family by its TYPE line's name (a histogram's series are named after it).
    const families = new Set(Object.values(pages).flatMap((p) => [...p.matchAll(/^# TYPE (herald_\S+) /gm)].map((m) => m[1] as string)));
    expect([...families].filter((n) => !listed.has(n)).sort()).toEqual([]);
    expect([...listed].filter((n) => !families.has(n)).sort()).toEqual([]);
  });

  it('fails a rule that does not parse, and finds a metric no app exports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-ops-'));
    try {
      const broken = join(dir, 'broken.yaml');
      writeFileSync(broken, readFileSync(RULES, 'utf8').replace('expr: up{job=~"herald-.+"} == 0', 'expr: up{job=~"herald-.+" == 0'));
      const bad = check(broken, DASHBOARD);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/broken\.yaml.*HeraldAppDown|HeraldAppDown|parse error/);

      const unknown = join(dir, 'unknown.yaml');
      writeFileSync(unknown, readFileSync(RULES, 'utf8').replace('herald_breaker_state[10m]', 'herald_breaker_opened[10m]'));
      const renamed = check(unknown, DASHBOARD).report as CheckReport;
      const breaker = renamed.alerts.find((a) => a.name === 'HeraldBreakerOpen');
      expect(missing(breaker?.metrics ?? [], served)).toEqual(['herald_breaker_opened']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
