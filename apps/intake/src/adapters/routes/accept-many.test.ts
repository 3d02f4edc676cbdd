import { randomBytes } from 'node:crypto';
import { NotificationAcceptedSchema, type NotificationAccepted } from '@herald/contracts';
import { KEY_STORE } from '@herald/stores';
import { useIntake } from '../intake-harness.test-helper.js';

// What intake passes on for a request it accepts: sealed under the customer's data key, on the
// single path (lean and express) and in a batch. The real data keys over an in-memory store.

const intake = useIntake();
const call = intake.call;

/** A request with a unique marker in every field that holds PII. */
function marked(customerId = 'cust-1') {
  const marker = `mk${randomBytes(6).toString('hex')}`;
  return {
    marker,
    request: {
      customerId,
      channels: ['email', 'sms', 'push'],
      to: { email: `${marker}@example.com`, phone: '+14155550100', deviceToken: `${marker}-device-token` },
      content: { subject: `Subject ${marker}`, title: `Title ${marker}`, text: `Text ${marker}`, html: `<p>${marker}</p>`, data: { link: `https://example.com/${marker}` } },
      metadata: { orderId: `order-${marker}` },
      priority: 'critical',
    },
  };
}

type BatchAnswer = { accepted: number; results: Array<{ status: string; error?: { code: string } }> };

describe('sealing at accept', () => {
  it.each(['/v1/notifications', '/v1/notifications/'])('publishes on %s nothing of the request in the clear, and all of it sealed', async (path) => {
    const { marker, request } = marked();
    const res = await call('POST', path, { body: request, headers: { 'idempotency-key': `k-${marker}` } });
    expect(res.status).toBe(202);
    expect(intake.h.sidecar.published).toHaveLength(1);
    const published = JSON.stringify(intake.h.sidecar.published);
    expect(published).not.toContain(marker);
    expect(published).not.toContain('+14155550100');
    const event = NotificationAcceptedSchema.parse(intake.h.sidecar.published[0]?.data);
    expect(event.schemaVersion).toBe(2);
    // Metadata keys stay readable (they name things); the values do not.
    expect(Object.keys(event.request.metadata ?? {})).toEqual(['orderId']);
    expect(await intake.h.openRequest(event)).toEqual(request);
    // The Idempotency-Key's record keeps a hash of the request, nothing of it.
    expect(JSON.stringify([...intake.h.idempotency.claims])).not.toContain(marker);
  });

  it('seals each customer\'s requests under their own key', async () => {
    await call('POST', '/v1/notifications', { body: marked('cust-1').request });
    await call('POST', '/v1/notifications', { body: marked('cust-2').request });
    const [one, two] = intake.h.sidecar.published.map((p) => (p.data as NotificationAccepted).request.content.split('.')[1]);
    expect(one).toMatch(/^[A-Za-z0-9_-]{11}$/);
    expect(two).not.toBe(one);
  });

  it('seals a batch item by item, reading each customer\'s key once however many items they have', async () => {
    const items = Array.from({ length: 40 }, (_, i) => marked(`cust-${i % 2}`));
    const res = await call<BatchAnswer>('POST', '/v1/notifications/batch', { body: { notifications: items.map((i) => i.request) } });
    expect(res.status).toBe(202);
    expect(res.body.accepted).toBe(40);
    const published = JSON.stringify(intake.h.sidecar.published);
    for (const { marker } of items) expect(published).not.toContain(marker);
    const opened = await Promise.all(intake.h.sidecar.published.map((p) => intake.h.openRequest(p.data)));
    expect(opened.map((r) => r.content.text).sort()).toEqual(items.map((i) => i.request.content.text).sort());
    // Two new customers: one key made and stored for each, no more.
    expect(intake.h.state.writes.get(KEY_STORE)).toBe(2);
    expect(intake.h.state.reads.get(KEY_STORE)).toBe(2);
  });

  it('answers 503 with Retry-After when the key store is out of reach, and publishes and claims nothing', async () => {
    intake.h.state.down.add(KEY_STORE);
    const { request } = marked();
    const res = await call('POST', '/v1/notifications', { body: request, headers: { 'idempotency-key': 'k-down' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(res.body.error.code).toBe('unavailable');
    expect(intake.h.sidecar.published).toEqual([]);
    expect(intake.h.idempotency.claims.size).toBe(0);

    const batch = await call<BatchAnswer>('POST', '/v1/notifications/batch', { body: { notifications: [request, marked('cust-2').request] } });
    expect(batch.status).toBe(503);
    expect(batch.headers.get('retry-after')).toBe('5');
    expect(batch.body.results.map((r) => r.error?.code)).toEqual(['unavailable', 'unavailable']);
    expect(intake.h.sidecar.published).toEqual([]);

    // Back: the same request goes in, sealed.
    intake.h.state.down.clear();
    expect((await call('POST', '/v1/notifications', { body: request, headers: { 'idempotency-key': 'k-down' } })).status).toBe(202);
  });

  it('refuses only the items whose customer\'s key cannot be had', async () => {
    // cust-1's key is in memory; cust-2 has none yet, and the store is out of reach.
    expect((await call('POST', '/v1/notifications', { body: marked('cust-1').request })).status).toBe(202);
    intake.h.state.down.add(KEY_STORE);
    const batch = await call<BatchAnswer>('POST', '/v1/notifications/batch', { body: { notifications: [marked('cust-1').request, marked('cust-2').request] } });
    expect(batch.status).toBe(202);
    expect(batch.body.results.map((r) => r.status)).toEqual(['accepted', 'rejected']);
    expect(batch.body.results[1]?.error?.code).toBe('unavailable');
  });
});
