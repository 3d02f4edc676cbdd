import { createClient, loadStack, stackRedis } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';
import { restartApp, sidecarHeaders, waitFor } from '../harness/stack.js';

const stack = loadStack();
const api = createClient(stack);
const redis = await stackRedis(stack);
afterAll(() => redis.destroy());

describe('poison input', () => {
  it('parks an unreadable event on the dead-letter topic with its reason, counts it, and keeps the lane flowing', async () => {
    const daprd = `http://127.0.0.1:${stack.apps.intake.daprHttp}`;
    const topic = `${stack.topicPrefix}notifications-bulk`;
    const statsKey = `${stack.keyPrefix}herald:stats`;
    const before = Number((await redis.hGet(statsKey, `dead_letters:${topic}`)) ?? 0);
    const marker = `poison-${uniqueCustomer()}`;
    const res = await fetch(`${daprd}/v1.0/publish/pubsub/${topic}`, { method: 'POST', headers: { 'content-type': 'application/json', ...sidecarHeaders(stack, 'intake') }, body: JSON.stringify({ marker, not: 'a notification' }) });
    expect(res.status).toBe(204);

    const parked = await waitFor('the dead letter', async () => {
      const entries = await redis.xRange(`${stack.topicPrefix}dead-letter`, '-', '+');
      return entries.map((e) => Object.values(e.message).join(' ')).find((f) => f.includes(marker));
    }, 20_000);
    expect(parked).toContain('schemaVersion');
    expect(parked).toContain('reason');
    expect(Number(await redis.hGet(statsKey, `dead_letters:${topic}`))).toBe(before + 1);

    const ok = await api.send({ customerId: uniqueCustomer(), channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' } });
    await api.waitForStatus((ok.body as { id: string }).id, 'sent', 20_000);
  });
});

describe('dispatcher restart', () => {
  it('loses nothing: a reminder pending while the dispatcher is killed fires after it restarts', async () => {
    const sendAt = new Date(Date.now() + 6_000).toISOString();
    const res = await api.send({ customerId: uniqueCustomer(), channel: 'sms', to: { phone: '+14155550100' }, content: { text: 'x' }, sendAt });
    const id = (res.body as { id: string }).id;
    await api.waitForStatus(id, 'scheduled', 10_000);
    await restartApp(stack, 'dispatcher');
    const view = await api.waitForStatus(id, 'sent', 40_000);
    expect(view.timeline.map((e) => e.status)).toEqual(['accepted', 'scheduled', 'dispatched', 'sent']);
  });
});
