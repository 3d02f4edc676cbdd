import { newNotificationId, type NotificationView } from '@herald/contracts';
import { KEY_STORE, seal } from '@herald/stores';
import { NOW, useIntake } from './intake-harness.test-helper.js';

// Every status view intake answers with (a notification, a cancel, a customer's history) opens
// the notification's metadata, kept sealed, or leaves it out when it no longer opens; none ever
// carries a sealed value, a recipient or content.

const intake = useIntake();
const call = intake.call;

const metadata = { orderId: 'order-77', campaign: 'spring' };

/** The metadata as the notification keeps it: each value sealed under the customer's key. */
async function sealed(customerId = 'cust-1'): Promise<Record<string, string>> {
  const key = await intake.h.dataKeys.forSealing('tenant-a', customerId);
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, seal(key, { tenantId: 'tenant-a', customerId }, v)]));
}

function viewOf(id: string, overrides: Partial<NotificationView> = {}): NotificationView {
  const at = NOW.toISOString();
  return {
    id, tenantId: 'tenant-a', customerId: 'cust-1', channel: 'email', channels: ['email'], priority: 'bulk', status: 'sent',
    attempts: 1, createdAt: at, updatedAt: at, timeline: [{ at, status: 'accepted' }, { at, status: 'sent', channel: 'email', attempt: 1 }], ...overrides,
  };
}

/** No value in the answer is a sealed one. */
const noSealedValue = (text: string): void => expect(text).not.toMatch(/s1\.[A-Za-z0-9_-]{11}\./);

describe('GET /v1/notifications/:id', () => {
  const id = newNotificationId(NOW.getTime());

  it('opens the metadata', async () => {
    intake.h.sidecar.views.set(id, viewOf(id, { metadata: await sealed() }));
    const res = await call<NotificationView>('GET', `/v1/notifications/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(viewOf(id, { metadata }));
    noSealedValue(JSON.stringify(res.body));
  });

  it('leaves the metadata out once the customer\'s key is gone', async () => {
    intake.h.sidecar.views.set(id, viewOf(id, { metadata: await sealed() }));
    await intake.h.dataKeys.destroy('tenant-a', 'cust-1');
    const res = await call<NotificationView>('GET', `/v1/notifications/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(viewOf(id));
  });

  it('leaves the metadata out when a value does not open: altered, another customer\'s, or never sealed', async () => {
    const own = await sealed();
    const altered = { ...own, campaign: `${own.campaign?.slice(0, -4)}AAAA` };
    const anothers = { ...own, campaign: (await sealed('cust-2')).campaign as string };
    for (const bad of [altered, anothers, { orderId: 'order-77' }]) {
      intake.h.sidecar.views.set(id, viewOf(id, { metadata: bad }));
      const res = await call<NotificationView>('GET', `/v1/notifications/${id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual(viewOf(id));
    }
  });

  it('shows only the view\'s own fields, whatever else the actor answers with', async () => {
    const leaky = { ...viewOf(id, { metadata: await sealed() }), to: { email: 'jane@example.com' }, content: { text: 'Hello' } };
    intake.h.sidecar.actor = (c) => (c.method === 'view' ? leaky : { outcome: 'not_found' });
    const res = await call<Record<string, unknown>>('GET', `/v1/notifications/${id}`);
    expect(res.body).toEqual(viewOf(id, { metadata }));
    expect(res.body).not.toHaveProperty('to');
    expect(res.body).not.toHaveProperty('content');
  });

  it('answers 503 with Retry-After, not a view without its metadata, while the key store is out of reach', async () => {
    intake.h.sidecar.views.set(id, viewOf(id, { metadata: await sealed() }));
    intake.h.dataKeys.forget();
    intake.h.state.down.add(KEY_STORE);
    const res = await call('GET', `/v1/notifications/${id}`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).not.toBeNull();
  });
});

describe('POST /v1/notifications/:id/cancel', () => {
  const id = newNotificationId(NOW.getTime());

  it('answers the canceled notification with its metadata opened', async () => {
    const view = viewOf(id, { status: 'canceled', metadata: await sealed() });
    intake.h.sidecar.actor = () => ({ outcome: 'canceled', view });
    const res = await call<NotificationView>('POST', `/v1/notifications/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(viewOf(id, { status: 'canceled', metadata }));
  });

  it('answers 200 without the metadata when the key store is out of reach: the cancel is done', async () => {
    const view = viewOf(id, { status: 'canceled', metadata: await sealed() });
    intake.h.sidecar.actor = () => ({ outcome: 'canceled', view });
    intake.h.dataKeys.forget();
    intake.h.state.down.add(KEY_STORE);
    const res = await call<NotificationView>('POST', `/v1/notifications/${id}/cancel`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(viewOf(id, { status: 'canceled' }));
  });
});

describe('GET /v1/customers/:id/notifications', () => {
  it('opens each notification\'s metadata, and leaves out what no longer opens', async () => {
    const [older, newer] = [2, 1].map((n) => newNotificationId(NOW.getTime() - n * 60_000)) as [string, string];
    const sealedBefore = await sealed();
    intake.h.history.add('tenant-a', 'cust-1', older, NOW.getTime() - 120_000, sealedBefore);
    // The customer was erased and came back: their new key does not open what the old one sealed.
    await intake.h.dataKeys.destroy('tenant-a', 'cust-1');
    intake.h.history.add('tenant-a', 'cust-1', newer, NOW.getTime() - 60_000, await sealed());
    const res = await call<{ items: NotificationView[] }>('GET', '/v1/customers/cust-1/notifications');
    expect(res.status).toBe(200);
    expect(res.body.items.map((v) => [v.id, v.metadata])).toEqual([
      [newer, metadata],
      [older, undefined],
    ]);
    noSealedValue(JSON.stringify(res.body));
  });

  it('answers 503 while the key store is out of reach', async () => {
    intake.h.history.add('tenant-a', 'cust-1', newNotificationId(NOW.getTime()), NOW.getTime() - 60_000, await sealed());
    intake.h.dataKeys.forget();
    intake.h.state.down.add(KEY_STORE);
    expect((await call('GET', '/v1/customers/cust-1/notifications')).status).toBe(503);
  });
});
