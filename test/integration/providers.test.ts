import { execFileSync } from 'node:child_process';
import type { ChannelDispatch } from '@herald/contracts';
import { dispatchRoute } from '@herald/dapr';
import { createClient, request } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { cleanBrokers, sidecarHeaders, startStack, stopStack, waitFor, type StackInfo } from '../harness/stack.js';

// The real provider adapters against the provider simulator, on a stack of this file's own:
// four replicas of the SMS channel share one Twilio account limited to LIMIT/s.
const LIMIT = 50;
let stack: StackInfo;
let api: ReturnType<typeof createClient>;
let sim: string;

interface SimStats { received: number; accepted: number; rejected429: number; failed5xx: number; maxPerSecond: number }
const twilioStats = async (): Promise<SimStats> => ((await request(`${sim}/_sim/stats`)).body as { twilio: SimStats }).twilio;
const simConfig = (twilio: Record<string, unknown>) => request(`${sim}/_sim/config`, { method: 'PUT', body: JSON.stringify({ twilio }) });

beforeAll(async () => {
  stack = await startStack({
    portBase: 24000,
    simulator: true,
    replicas: { 'channel-sms': 4 },
    channelEnv: { PROVIDER_RATE_PER_SEC: String(LIMIT), BREAKER_OPEN_MS: '2000' },
    appEnv: { RETRY_BASE_DELAY_MS: '200', RETRY_MAX_DELAY_MS: '1000', RETRY_MAX_ATTEMPTS: '10' },
  });
  api = createClient(stack);
  sim = `http://127.0.0.1:${stack.simulatorPort ?? 0}`;
}, 120_000);

afterAll(async () => {
  if (!stack) return;
  await stopStack(stack);
  await cleanBrokers(stack);
}, 60_000);

beforeEach(async () => {
  await simConfig({ latencyMs: 10, ratePerSec: 0, errorRate: 0, outage: false });
  await request(`${sim}/_sim/reset`, { method: 'POST' });
});

/** Offers `perSecond` SMS each second for `seconds` seconds; resolves with their ids. */
async function offer(perSecond: number, seconds: number): Promise<string[]> {
  const ids: string[] = [];
  const start = Date.now();
  for (let s = 0; s < seconds; s++) {
    const batch = await Promise.all(
      Array.from({ length: perSecond }, () =>
        api.send({ customerId: uniqueCustomer(), channel: 'sms', priority: 'critical', to: { phone: '+14155550100' }, content: { text: 'x' } }),
      ),
    );
    for (const res of batch) ids.push((res.body as { id: string }).id);
    // Pace by the clock: the next batch goes at the start of the next second.
    const next = start + (s + 1) * 1000;
    await waitFor('the next second', () => (Date.now() >= next ? true : undefined), 2_000, 10);
  }
  return ids;
}

describe('global rate limit', () => {
  it(`keeps four replicas offered 1.5x the limit within ${LIMIT}/s at the provider, and drops nothing`, async () => {
    const started = Date.now();
    const ids = await offer(LIMIT * 1.5, 4);
    const stats = await waitFor('every SMS at the provider', async () => {
      const s = await twilioStats();
      return s.accepted >= ids.length ? s : undefined;
    }, 60_000, 250);
    const seconds = (Date.now() - started) / 1000;
    console.log(`rate limit ${LIMIT}/s, offered ${LIMIT * 1.5}/s to 4 replicas: provider saw at most ${stats.maxPerSecond} in any second; ${stats.accepted} in ${seconds.toFixed(1)} s`);
    expect(stats.accepted).toBe(ids.length);
    expect(stats.maxPerSecond).toBeLessThanOrEqual(LIMIT * 1.05);
    expect(stats.maxPerSecond).toBeGreaterThanOrEqual(LIMIT * 0.75);
    for (const id of ids) await api.waitForStatus(id, 'sent', 20_000);
  }, 120_000);
});

describe('provider outage', () => {
  it('opens the breaker, defers instead of failing, then drains the backlog at the limit, never above', async () => {
    // HERALD_TEST_OUTAGE_MS holds the outage longer (the closing note's 30-second figure).
    const outageMs = Number(process.env.HERALD_TEST_OUTAGE_MS ?? 0);
    const outageStart = Date.now();
    await simConfig({ outage: true });
    const ids = await offer(25, 3);
    await waitFor('the breaker to defer work', async () => {
      const view = (await api.status(ids.at(-1) ?? '')).body as { timeline?: Array<{ reason?: string }> };
      return view.timeline?.some((e) => e.reason?.startsWith('deferred: provider circuit open')) ? true : undefined;
    }, 30_000, 250);
    await waitFor('the outage to last its time', () => (Date.now() - outageStart >= outageMs ? true : undefined), outageMs + 5_000, 250);
    const duringOutage = await twilioStats();
    await simConfig({ outage: false });
    const curve: number[] = [];
    const done = await waitFor('the backlog to drain', async () => {
      const s = await twilioStats();
      curve.push(s.accepted);
      return s.accepted >= ids.length ? s : undefined;
    }, 90_000, 1_000);
    console.log(`outage: ${duringOutage.received} requests refused (${duringOutage.failed5xx} 5xx); drain, accepted per second: ${curve.map((v, i) => v - (curve[i - 1] ?? 0)).join(' ')}`);
    expect(done.maxPerSecond).toBeLessThanOrEqual(LIMIT * 1.05);
    // Without the breaker every notification would spend its 10 attempts on the outage and fail;
    // with it, fewer than half that reached the provider (parallel queue delivery lets more
    // through before it trips than the one-at-a-time binding did), and none failed (below).
    expect(duringOutage.received).toBeLessThan((ids.length * 10) / 2);
    for (const id of ids) {
      const view = await api.waitForStatus(id, 'sent', 30_000);
      expect(view.timeline.some((e) => e.status === 'failed')).toBe(false);
    }
  }, 180_000);
});

describe('de-duplication', () => {
  it('sends a dispatch that arrives twice only once', async () => {
    const res = await api.send({ customerId: uniqueCustomer(), channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'once' } });
    const id = (res.body as { id: string }).id;
    await api.waitForStatus(id, 'sent', 20_000);
    const before = await twilioStats();
    // The same attempt again, as a retried publish or a re-issued send would put it on the queue.
    const dispatch = { schemaVersion: 1, notificationId: id, attempt: 1, channel: 'sms', priority: 'bulk', to: { phone: '+14155550100' }, content: { text: 'once' } };
    const daprd = `http://127.0.0.1:${stack.apps.dispatcher.daprHttp}`;
    const route = dispatchRoute(dispatch as ChannelDispatch, stack.topicPrefix);
    const published = await fetch(`${daprd}/v1.0/publish/${route.pubsub}/${route.topic}`, { method: 'POST', headers: { 'content-type': 'application/json', ...sidecarHeaders(stack, 'dispatcher') }, body: JSON.stringify(dispatch) });
    expect(published.ok).toBe(true);
    await waitFor('the copy to be consumed', () => {
      const out = execFileSync('rabbitmqctl', ['list_queues', '-q', 'name', 'messages'], { encoding: 'utf8' });
      // `messages` counts ready and unacknowledged ones: 0 once the copy has been settled.
      const line = out.split('\n').find((l) => l.startsWith(`channel-sms-${route.topic}\t`) || l.startsWith(`channel-sms-${route.topic} `));
      return line && Number(line.split(/\s+/)[1]) === 0 ? true : undefined;
    }, 20_000, 200);
    expect((await twilioStats()).received).toBe(before.received);
    const view = await api.waitForStatus(id, 'sent', 5_000);
    expect(view.timeline.filter((e) => e.status === 'sent')).toHaveLength(1);
  }, 60_000);
});
