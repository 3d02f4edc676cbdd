import type { NotificationView } from '@herald/contracts';
import { createClient, type ApiResponse } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { cleanBrokers, startStack, stopStack, waitFor, type StackInfo } from '../harness/stack.js';

// Lanes, admission control and batch intake on a stack of this file's own: the channels send
// at RATE/s (one sandbox account each), and the bulk lane sheds from SHED_AT waiting.
const RATE = 10;
const SHED_AT = 40;
let stack: StackInfo;
let api: ReturnType<typeof createClient>;

beforeAll(async () => {
  stack = await startStack({
    portBase: 25000,
    // A burst of 2 keeps one token of it for critical (PROVIDER_CRITICAL_RESERVE defaults to half).
    channelEnv: { PROVIDER_RATE_PER_SEC: String(RATE), PROVIDER_BURST: '2' },
    appEnv: {
      ADMISSION_BULK_SHED_AT: String(SHED_AT),
      ADMISSION_POLL_MS: '100',
      TENANT_QUOTAS: JSON.stringify({ 'tenant-b': { requestsPerSecond: 3 } }),
    },
  });
  api = createClient(stack);
}, 120_000);

afterAll(async () => {
  if (!stack) return;
  await stopStack(stack);
  await cleanBrokers(stack);
}, 60_000);

const sms = (priority: 'critical' | 'bulk', text = 'x') => ({ customerId: uniqueCustomer(), channel: 'sms', priority, to: { phone: '+14155550100' }, content: { text } });

interface Admission {
  lanes: Record<'critical' | 'bulk', { state: string; backlog: number; backlogParts: Record<string, number>; retryAfterSeconds?: number }>;
}

async function waitAllSent(ids: string[], timeoutMs: number): Promise<void> {
  const pending = new Set(ids);
  await waitFor(`${ids.length} notifications sent`, async () => {
    for (const id of [...pending]) {
      const view = (await api.status(id)).body as NotificationView;
      if (view.status === 'sent') pending.delete(id);
      else if (['failed', 'expired', 'canceled', 'suppressed'].includes(view.status)) throw new Error(`${id} ended ${view.status}`);
    }
    return pending.size === 0 ? true : undefined;
  }, timeoutMs, 250);
}

describe('batch intake', () => {
  it('accepts a batch item by item, each with its own id, and every accepted one is sent', async () => {
    const items = [
      ...Array.from({ length: 8 }, (_, i) => ({ ...sms('critical', `b${i}`) })),
      { customerId: uniqueCustomer(), channel: 'email', priority: 'critical', to: { email: 'batch@example.com' }, content: { subject: 'S', text: 'T' } },
      { ...sms('critical'), to: { phone: 'not-a-number' } },
    ];
    const res = await api.call('POST', '/v1/notifications/batch', { notifications: items });
    expect(res.status).toBe(202);
    const body = res.body as { accepted: number; rejected: number; results: Array<{ status: string; id?: string; error?: { field?: string } }> };
    expect(body).toMatchObject({ accepted: 9, rejected: 1 });
    expect(body.results[9]?.error?.field).toBe('notifications.9.to.phone');
    const ids = body.results.flatMap((r) => (r.id ? [r.id] : []));
    expect(new Set(ids).size).toBe(9);
    await waitAllSent(ids, 30_000);
  }, 60_000);
});

describe('lanes and admission control', () => {
  it('sheds bulk past its backlog limit while a critical notification goes straight through, and loses no accepted bulk', async () => {
    // A campaign far faster than the channel's RATE/s: its backlog builds in the bulk queue.
    const accepted: string[] = [];
    for (let i = 0; i < 200; i += 25) {
      const answers = await Promise.all(Array.from({ length: 25 }, () => api.send(sms('bulk'))));
      for (const a of answers) if (a.status === 202) accepted.push((a.body as { id: string }).id);
    }
    let last: Admission | undefined;
    const shedding = await waitFor('the bulk lane to shed', async () => {
      const view = (last = (await api.call('GET', '/v1/admission')).body as Admission);
      return view.lanes.bulk.state === 'shedding' ? view : undefined;
    }, 30_000, 100).catch((err: unknown) => {
      throw new Error(`${String(err)}; last seen: ${JSON.stringify(last)}; accepted ${accepted.length}`);
    });
    expect(shedding.lanes.bulk.backlog).toBeGreaterThanOrEqual(SHED_AT * 0.8);
    expect(shedding.lanes.critical.state).toBe('admitting');

    // The lane admits again once its backlog falls below 80% of the limit, and the channel drains
    // it meanwhile: the next bulk request may still come in, so ask until one is refused (each
    // accepted one joins the notifications that must all be sent).
    const refused: ApiResponse = await waitFor('a bulk notification refused', async () => {
      const res = await api.send(sms('bulk'));
      if (res.status === 202) accepted.push((res.body as { id: string }).id);
      return res.status === 202 ? undefined : res;
    }, 10_000, 20);
    expect(refused.status).toBe(429);
    expect((refused.body as { error: { code: string } }).error.code).toBe('lane_overloaded');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Much of the campaign sits in the channel app's hands (its prefetch, waiting for tokens),
    // where the queue's depth does not show it: counted all the same.
    await waitFor('the channel app\'s hands in the bulk backlog', async () => {
      const view = (await api.call('GET', '/v1/admission')).body as Admission;
      return (view.lanes.bulk.backlogParts.channelApps ?? 0) > 0 ? true : undefined;
    }, 10_000, 100);

    // A password reset now: its own queue, and the tokens kept for critical.
    const started = Date.now();
    const reset = await api.send(sms('critical', 'your code is 123456'));
    expect(reset.status).toBe(202);
    await api.waitForStatus((reset.body as { id: string }).id, 'sent', 10_000);
    const criticalMs = Date.now() - started;
    // The campaign's notifications not sent yet, wherever they wait (a queue, or a channel app's
    // hands waiting for a token).
    let stillWaiting = 0;
    for (const id of accepted) if (((await api.status(id)).body as NotificationView).status !== 'sent') stillWaiting++;
    // Sent while the campaign still waits: behind it, it would have waited backlog / RATE seconds.
    expect(stillWaiting).toBeGreaterThan(0);
    expect(criticalMs).toBeLessThan((stillWaiting / RATE) * 1000);

    // Shed, never lost: every bulk notification accepted is sent in the end.
    await waitAllSent(accepted, 60_000);
  }, 120_000);

  it('limits a tenant to its requests per second with tenant_rate_limited', async () => {
    const tenantB = createClient(stack, 'tenant-b');
    const answers = await Promise.all(Array.from({ length: 12 }, () => tenantB.send(sms('critical'))));
    const ok = answers.filter((a) => a.status === 202).length;
    const limited = answers.filter((a) => a.status === 429);
    // 3 per second; the 12 may straddle a second boundary.
    expect(ok).toBeGreaterThanOrEqual(3);
    expect(ok).toBeLessThanOrEqual(6);
    expect(limited.length).toBe(12 - ok);
    expect((limited[0]?.body as { error: { code: string } }).error.code).toBe('tenant_rate_limited');
    expect(limited[0]?.headers.get('retry-after')).toBe('1');
  }, 30_000);
});
