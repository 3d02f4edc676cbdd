import type { NotificationView } from '@herald/contracts';
import { psql } from '../harness/postgres.js';
import { createClient, loadStack } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { sidecarHeaders } from '../harness/stack.js';

// Fallback, scheduled sends, cancel and expiry on the real stack: reminders through the
// scheduler, the sandbox failing on demand (packages/channel-runtime/src/sandbox-directives.ts).
const stack = loadStack();
const api = createClient(stack);
const inMs = (ms: number): string => new Date(Date.now() + ms).toISOString();
const email = { subject: 'Hi', text: 'Hello' };

async function send(body: Record<string, unknown>): Promise<string> {
  const res = await api.send({ customerId: uniqueCustomer(), ...body });
  expect(res).toMatchObject({ status: 202 });
  return (res.body as { id: string }).id;
}
const trail = (view: NotificationView): string[] => view.timeline.map((e) => `${e.status}:${e.channel ?? ''}`);

describe('fallback', () => {
  it('tries the next channel when one fails permanently, and shows each channel tried and why', async () => {
    const id = await send({
      channels: ['push', 'sms', 'email'],
      to: { deviceToken: 'fail-permanent-device', phone: '+15005550001', email: 'fallback@example.com' },
      content: email,
    });
    const view = await api.waitForStatus(id, 'sent', 30_000);
    expect(view.channel).toBe('email');
    expect(view.channels).toEqual(['push', 'sms', 'email']);
    expect(trail(view)).toEqual([
      'accepted:push',
      'dispatched:push',
      'retrying:push',
      'dispatched:sms',
      'retrying:sms',
      'dispatched:email',
      'sent:email',
    ]);
    const reasons = view.timeline.filter((e) => e.status === 'retrying').map((e) => e.reason);
    expect(reasons[0]).toMatch(/^push failed: .*; falling back to sms$/);
    expect(reasons[1]).toMatch(/^sms failed: .*; falling back to email$/);
  });

  it('fails with the last reason when every channel fails', async () => {
    const id = await send({ channels: ['sms', 'push'], to: { phone: '+15005550001', deviceToken: 'fail-permanent-device' }, content: { text: 'x' } });
    const view = await api.waitForStatus(id, 'failed', 30_000);
    expect(view.timeline.filter((e) => e.status === 'dispatched').map((e) => e.channel)).toEqual(['sms', 'push']);
  });
});

describe('scheduled sends', () => {
  it('holds a future sendAt in scheduled, then sends when its reminder fires', async () => {
    const sendAt = inMs(3_000);
    const id = await send({ channel: 'email', to: { email: 'later@example.com' }, content: email, sendAt });
    const scheduled = await api.waitForStatus(id, 'scheduled', 10_000);
    expect(scheduled.sendAt).toBe(sendAt);
    const view = await api.waitForStatus(id, 'sent', 30_000);
    const dispatchedAt = Date.parse(view.timeline.find((e) => e.status === 'dispatched')?.at ?? '');
    expect(dispatchedAt).toBeGreaterThanOrEqual(Date.parse(sendAt) - 1_000);
  });

  it('sends a scheduled notification whose reminder is lost, a minute after its time: the watchdog wakes it', async () => {
    // A reminder lost as one that fell due while its dispatcher host had just died (the scheduler gives it up).
    const sendAt = inMs(2_000);
    const id = await send({ channel: 'email', to: { email: 'lost-reminder@example.com' }, content: email, sendAt });
    await api.waitForStatus(id, 'scheduled', 10_000);
    const sidecar = `http://127.0.0.1:${stack.apps.dispatcher.daprHttp}/v1.0/actors/NotificationActor/${id}/reminders/wake`;
    const deleted = await fetch(sidecar, { method: 'DELETE', headers: sidecarHeaders(stack, 'dispatcher') });
    expect(deleted.status).toBeLessThan(300);
    // 65 s after its time the watchdog calls it overdue (and it looks every 5 s).
    const view = await api.waitForStatus(id, 'sent', 90_000);
    const dispatchedAt = Date.parse(view.timeline.find((e) => e.status === 'dispatched')?.at ?? '');
    expect(dispatchedAt - Date.parse(sendAt)).toBeGreaterThanOrEqual(60_000);
  }, 120_000);

  it('cancels a scheduled notification, which then never sends; cancel again is harmless', async () => {
    const id = await send({ channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' }, sendAt: inMs(60_000) });
    await api.waitForStatus(id, 'scheduled', 10_000);
    const res = await api.call('POST', `/v1/notifications/${id}/cancel`);
    expect(res).toMatchObject({ status: 200, body: { id, status: 'canceled' } });
    expect((await api.call('POST', `/v1/notifications/${id}/cancel`)).status).toBe(200);
    const view = await api.waitForStatus(id, 'canceled', 5_000);
    expect(trail(view)).toEqual(['accepted:sms', 'scheduled:sms', 'canceled:sms']);
  });

  it('answers 409 to a cancel once the notification has been dispatched, and 404 for another tenant', async () => {
    const id = await send({ channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' } });
    await api.waitForStatus(id, 'sent', 20_000);
    const res = await api.call('POST', `/v1/notifications/${id}/cancel`);
    expect(res).toMatchObject({ status: 409, body: { error: { code: 'not_cancelable' }, status: 'sent' } });
    expect((await createClient(stack, 'tenant-b').call('POST', `/v1/notifications/${id}/cancel`)).status).toBe(404);
  });
});

describe('quiet hours', () => {
  const hhmm = (offsetHours: number): string => {
    const d = new Date(Date.now() + offsetHours * 3_600_000);
    return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  };

  it('defers bulk to the end of the customer window, sends critical at once, and expiry still applies while deferred', async () => {
    const customerId = uniqueCustomer();
    const quiet = { timezone: 'UTC', quietHours: { start: hhmm(-1), end: hhmm(2) } };
    expect((await api.call('PUT', `/v1/customers/${customerId}/preferences`, quiet)).status).toBe(200);
    const base = { customerId, channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' } };

    const bulk = (await api.send({ ...base, expiresAt: inMs(2_000) })).body as { id: string };
    const deferred = await api.waitForStatus(bulk.id, 'scheduled', 10_000);
    expect(deferred.timeline.at(-1)?.reason).toMatch(/^quiet hours \(.*UTC\) until /);
    await api.waitForStatus(bulk.id, 'expired', 20_000);

    const critical = (await api.send({ ...base, priority: 'critical' })).body as { id: string };
    await api.waitForStatus(critical.id, 'sent', 20_000);
  });

  it('suppresses bulk on a channel the customer opted out of', async () => {
    const customerId = uniqueCustomer();
    expect((await api.call('PUT', `/v1/customers/${customerId}/preferences`, { optedOut: ['sms'] })).status).toBe(200);
    const res = await api.send({ customerId, channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' } });
    const view = await api.waitForStatus((res.body as { id: string }).id, 'suppressed', 20_000);
    expect(view.timeline.at(-1)?.reason).toBe('customer opted out of sms');
  });
});

describe('expiry', () => {
  it('refuses an expiresAt that has already passed', async () => {
    const res = await api.send({ customerId: uniqueCustomer(), channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' }, expiresAt: inMs(-1_000) });
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', field: 'expiresAt' } } });
  });
});

describe('retention', () => {
  // Dapr's layout of an actor's state key in the store: <app>||<actor type>||<actor id>||<key>;
  // the seconds left before the store forgets it ('never' for no expiry, undefined for no row).
  const ttlOf = (id: string) => psql(`SELECT coalesce(round(extract(epoch FROM expiredate - now()))::text, 'never') FROM state WHERE key = 'dispatcher||NotificationActor||${id}||notification'`, stack.database)[0]?.[0];

  it('keeps a waiting notification for as long as it waits, and a sent one for the retention period only', async () => {
    const waiting = await send({ channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' }, sendAt: inMs(86_400_000) });
    await api.waitForStatus(waiting, 'scheduled', 10_000);
    expect(ttlOf(waiting)).toBe('never'); // stored, with no expiry

    const sent = await send({ channel: 'email', to: { email: 'kept@example.com' }, content: email });
    await api.waitForStatus(sent, 'sent', 30_000);
    const ttl = Number(ttlOf(sent));
    // HISTORY_RETENTION_DAYS, 90 by default: the audit trail the service must keep.
    expect(ttl).toBeGreaterThan(89 * 86_400);
    expect(ttl).toBeLessThanOrEqual(90 * 86_400);
    await api.call('POST', `/v1/notifications/${waiting}/cancel`);
  });
});
