import { Script } from 'node:vm';
import type { NotificationView } from '@herald/contracts';
import { NOTIFICATION_ID_ATTRIBUTE } from '@herald/service';
import { createClient, request } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { APPS, cleanBrokers, startStack, stopStack, waitFor, type StackInfo } from '../harness/stack.js';

// One notification, one trace, across all five apps: a stack of this file's own with Jaeger and
// the provider simulator. The notification's channels are push, email, SMS. Push answers the
// hub's quota (transient) at both of its attempts, so it is retried once through the actor's
// reminder and then given up; email's address is refused for good; SMS sends it. Each fallback
// is a reminder too. The whole path must be one trace in Jaeger, found by the notification's id.
let stack: StackInfo;
let api: ReturnType<typeof createClient>;
let jaeger: string;
// The caller's own trace, which the notification's trace must be.
const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
/** The caller's own span: the parent of intake's, and not in the trace Jaeger holds. */
const CALLER_SPAN = '00f067aa0ba902b7';

beforeAll(async () => {
  stack = await startStack({
    portBase: 29000,
    simulator: true,
    jaeger: true,
    // Two attempts a channel, a short backoff (the hub asks for a second itself).
    appEnv: { RETRY_BASE_DELAY_MS: '200', RETRY_MAX_DELAY_MS: '1000', RETRY_MAX_ATTEMPTS: '2' },
  });
  api = createClient(stack);
  jaeger = `http://127.0.0.1:${stack.jaegerPort ?? 0}`;
}, 180_000);

afterAll(async () => {
  if (!stack) return;
  // Jaeger is one of the stack's processes: it goes with the rest, whatever the test did.
  await stopStack(stack);
  await cleanBrokers(stack);
}, 60_000);

interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: Array<{ refType: string; spanID: string }>;
  tags: Array<{ key: string; value: unknown }>;
}
interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

const tagOf = (span: JaegerSpan, key: string): unknown => span.tags.find((t) => t.key === key)?.value;

/** The traces Jaeger finds for a service with this notification's id. */
async function tracesOf(service: string, id: string): Promise<JaegerTrace[]> {
  const tags = encodeURIComponent(JSON.stringify({ [NOTIFICATION_ID_ATTRIBUTE]: id }));
  const res = await request(`${jaeger}/api/traces?service=${service}&tags=${tags}&lookback=1h&limit=20`);
  if (res.status !== 200) throw new Error(`jaeger answered ${res.status}`);
  return (res.body as { data: JaegerTrace[] | null }).data ?? [];
}

describe('tracing', () => {
  it("follows one notification through all five apps, its retry, fallbacks and provider calls, in one trace", async () => {
    const res = await api.send(
      {
        customerId: uniqueCustomer(),
        channels: ['push', 'email', 'sms'],
        to: { deviceToken: 'device-quota-0123456789abcdef', email: 'invalid-recipient@example.com', phone: '+14155550100' },
        content: { subject: 'Hi', title: 'Hi', text: 'Hello' },
        priority: 'critical',
      },
      // The caller's own trace, sampled: the notification's trace is the caller's.
      { traceparent: `00-${callerTrace}-${CALLER_SPAN}-01` },
    );
    expect(res.status).toBe(202);
    const id = (res.body as { id: string }).id;
    const view: NotificationView = await api.waitForStatus(id, 'sent', 60_000);
    expect(view.timeline.map((e) => `${e.status}:${e.channel}`)).toEqual([
      'accepted:push', 'dispatched:push', 'retrying:push', 'dispatched:push', 'retrying:push',
      'dispatched:email', 'retrying:email', 'dispatched:sms', 'sent:sms',
    ]);

    // Spans arrive in batches (the apps' every second, the sidecars' on their own schedule): wait
    // until the trace holds everything asked for below, or say what it still lacks.
    const wanted = {
      services: [...APPS] as string[],
      // Each app's own spans, by operation: the reminders' turns (one retry, two fallbacks), the
      // four provider calls, the four reports back.
      operations: { 'accept': 1, 'take from lane': 1, 'actor accept': 1, 'actor wake': 3, 'send push': 2, 'send email': 1, 'send sms': 1,
        'provider notificationhubs': 2, 'provider sendgrid': 1, 'provider twilio': 1, 'actor recordResult': 4 } as Record<string, number>,
    };
    let lacking: string[] = [];
    const trace = await waitFor(`the trace of ${id} in Jaeger`, async () => {
      const found = await tracesOf('intake', id);
      if (found.length !== 1) {
        lacking = [`one trace (found ${found.length})`];
        return undefined;
      }
      const [only] = found;
      if (!only) return undefined;
      // The search answers the matching spans' traces whole: ask for it by id all the same.
      const whole = ((await request(`${jaeger}/api/traces/${only.traceID}`)).body as { data: JaegerTrace[] }).data[0];
      if (!whole) return undefined;
      const services = new Set(whole.spans.map((s) => whole.processes[s.processID]?.serviceName));
      // The sidecars' spans carry no notification id: those of each app's sidecar must be there too.
      const sidecarServices = new Set(whole.spans.filter((s) => tagOf(s, NOTIFICATION_ID_ATTRIBUTE) === undefined).map((s) => whole.processes[s.processID]?.serviceName));
      const counts = new Map<string, number>();
      for (const s of whole.spans) if (tagOf(s, NOTIFICATION_ID_ATTRIBUTE) === id) counts.set(s.operationName, (counts.get(s.operationName) ?? 0) + 1);
      // A parent exported in a later batch than its child (each sidecar and app sends on its own
      // schedule) is still to come: the trace is whole once every span's parent is in it.
      const spanIds = new Set(whole.spans.map((s) => s.spanID));
      const orphaned = whole.spans.filter((s) => s.references.every((r) => !spanIds.has(r.spanID)) && !s.references.some((r) => r.spanID === CALLER_SPAN));
      lacking = [
        ...orphaned.map((s) => `the parent of ${whole.processes[s.processID]?.serviceName ?? '?'}: ${s.operationName}`),
        ...wanted.services.filter((s) => !services.has(s)).map((s) => `service ${s}`),
        ...wanted.services.filter((s) => !sidecarServices.has(s)).map((s) => `the sidecar spans of ${s}`),
        ...Object.entries(wanted.operations).filter(([op, n]) => (counts.get(op) ?? 0) < n).map(([op, n]) => `${n}x ${op} (${counts.get(op) ?? 0})`),
      ];
      return lacking.length === 0 ? whole : undefined;
    }, 45_000, 500).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; still lacking: ${lacking.join(', ')}`);
    });

    // One trace, the caller's, for the whole path; every app's spans in it, Dapr's among them.
    expect(trace.traceID).toBe(callerTrace);
    const serviceOf = (s: JaegerSpan) => trace.processes[s.processID]?.serviceName;
    expect(new Set(trace.spans.map(serviceOf))).toEqual(new Set(APPS));
    const ours = trace.spans.filter((s) => tagOf(s, NOTIFICATION_ID_ATTRIBUTE) === id);
    const sidecars = trace.spans.filter((s) => tagOf(s, NOTIFICATION_ID_ATTRIBUTE) === undefined);
    console.log(`trace ${trace.traceID}: ${trace.spans.length} spans (${ours.length} the apps', ${sidecars.length} the sidecars'), apps: ${[...new Set(trace.spans.map(serviceOf))].join(', ')}`);
    expect(new Set(sidecars.map(serviceOf))).toEqual(new Set(APPS));
    const ids = new Set(trace.spans.map((s) => s.spanID));
    if (process.env.HERALD_TEST_TRACE_DUMP) {
      // The trace as a tree, in time order, for a look at what each hop added.
      const start = (s: JaegerSpan) => (s as JaegerSpan & { startTime: number }).startTime;
      const children = (parent: string) => trace.spans.filter((s) => (s.references[0]?.spanID ?? '') === parent || (!ids.has(s.references[0]?.spanID ?? '') && parent === ''));
      const lines: string[] = [];
      const walk = (parent: string, depth: number): void => {
        for (const s of children(parent).sort((a, b) => start(a) - start(b))) {
          lines.push(`${'  '.repeat(depth)}${serviceOf(s) ?? '?'}: ${s.operationName}${tagOf(s, NOTIFICATION_ID_ATTRIBUTE) ? '' : ' (sidecar)'}`);
          walk(s.spanID, depth + 1);
        }
      };
      walk('', 0);
      console.log(lines.join('\n'));
    }
    // Every span hangs off another of the same trace (but the caller's parent, which is not in it).
    const orphans = trace.spans.filter((s) => s.references.every((r) => !ids.has(r.spanID)) && !s.references.some((r) => r.spanID === CALLER_SPAN));
    expect(orphans.map((s) => `${serviceOf(s)}: ${s.operationName}`)).toEqual([]);

    // Each provider call is the channel app's, under its send, with its outcome.
    const providerCalls = ours.filter((s) => s.operationName.startsWith('provider '));
    expect(providerCalls.map((s) => `${serviceOf(s)} ${s.operationName} ${String(tagOf(s, 'herald.outcome'))}`).sort()).toEqual([
      'channel-email provider sendgrid permanent',
      'channel-push provider notificationhubs transient',
      'channel-push provider notificationhubs transient',
      'channel-sms provider twilio sent',
    ]);
    for (const call of providerCalls) {
      const parent = trace.spans.find((s) => s.spanID === call.references[0]?.spanID);
      expect(parent?.operationName).toMatch(/^send /);
    }
    // The reminders' turns are the dispatcher's, in this trace although a reminder brings none.
    expect(ours.filter((s) => s.operationName === 'actor wake').every((s) => serviceOf(s) === 'dispatcher')).toBe(true);
  }, 120_000);

  it("serves Herald's trace viewer at / and at a trace's page (the herald command's links)", async () => {
    // Jaeger answers every path its API does not take with the UI folder's index.html, which
    // routes /trace/<id> itself; a build without UI assets would answer its stand-in page.
    // HERALD_JAEGER_UI_ASSETS has the stack serve another folder (a built Jaeger UI): only the
    // stand-in is ruled out then.
    const ours = !process.env.HERALD_JAEGER_UI_ASSETS;
    for (const path of ['/', `/trace/${callerTrace}`]) {
      const res = await fetch(`${jaeger}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page).not.toContain('This is not the Jaeger UI');
      if (!ours) continue;
      expect(page).toContain('<title>Herald traces</title>');
      // Jaeger read the file as its UI's page: it filled in its version where its own UI's page
      // takes it. The script, so filled in, still compiles (no browser here to run it).
      expect(page).toMatch(/JAEGER_VERSION = \{"gitCommit":"[^"]*","gitVersion":"v\d/);
      const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
      expect(scripts).toHaveLength(1);
      for (const code of scripts) expect(() => new Script(code)).not.toThrow();
    }
  });
});
