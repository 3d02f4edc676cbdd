import { createClient, loadStack } from '../harness/client.js';
import { uniqueCustomer } from '../harness/ids.js';

const stack = loadStack();
const api = createClient(stack);
const body = (customerId: string, text = 'Hello') => ({ customerId, channel: 'sms', to: { phone: '+14155550100' }, content: { text } });
type Page = { items: Array<{ id: string; customerId: string; status: string }>; next?: string };

describe('idempotency', () => {
  it('gives the same id for the same key and body, also for requests racing each other, and creates one notification', async () => {
    const customerId = uniqueCustomer();
    const key = `order-${customerId}`;
    const answers = await Promise.all(Array.from({ length: 8 }, () => api.send(body(customerId), { 'idempotency-key': key })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    const ids = new Set(answers.map((a) => (a.body as { id: string }).id));
    expect(ids.size).toBe(1);
    const [id] = [...ids] as [string];
    const view = await api.waitForStatus(id, 'sent', 20_000);
    expect(view.timeline.filter((e) => e.status === 'dispatched')).toHaveLength(1);
    const history = (await api.call('GET', `/v1/customers/${customerId}/notifications`)).body as Page;
    expect(history.items.map((i) => i.id)).toEqual([id]);
  });

  it('answers 409 for the same key with a different body, and accepts nothing', async () => {
    const customerId = uniqueCustomer();
    const key = `order-${customerId}`;
    const first = await api.send(body(customerId), { 'idempotency-key': key });
    expect(first.status).toBe(202);
    const second = await api.send(body(customerId, 'Something else'), { 'idempotency-key': key });
    expect(second).toMatchObject({ status: 409, body: { error: { code: 'idempotency_key_conflict', field: 'Idempotency-Key' } } });
    // The same key in another tenant is another key.
    expect((await createClient(stack, 'tenant-b').send(body(customerId, 'Something else'), { 'idempotency-key': key })).status).toBe(202);
  });
});

describe('customer history', () => {
  it('lists a customer’s notifications newest first, in pages, and only the caller’s own', async () => {
    const customerId = uniqueCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api.send(body(customerId, `n${i}`));
      ids.push((res.body as { id: string }).id);
    }
    await api.waitForStatus(ids[4] as string, 'sent', 20_000);
    for (const id of ids) await api.waitForStatus(id, 'sent', 20_000);

    const first = (await api.call('GET', `/v1/customers/${customerId}/notifications?limit=2`)).body as Page;
    expect(first.items.map((i) => i.id)).toEqual([ids[4], ids[3]]);
    expect(first.items[0]).toMatchObject({ customerId, status: 'sent' });
    expect(first.next).toBeDefined();
    const second = (await api.call('GET', `/v1/customers/${customerId}/notifications?limit=2&before=${first.next}`)).body as Page;
    expect(second.items.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    const third = (await api.call('GET', `/v1/customers/${customerId}/notifications?limit=2&before=${second.next}`)).body as Page;
    expect(third.items.map((i) => i.id)).toEqual([ids[0]]);
    expect(third.next).toBeUndefined();

    const other = (await createClient(stack, 'tenant-b').call('GET', `/v1/customers/${customerId}/notifications`)).body as Page;
    expect(other.items).toEqual([]);
    // A page's cursor belongs to its customer and tenant: anyone else's is refused, not read.
    const foreign = { status: 400, body: { error: { code: 'invalid_cursor', field: 'before' } } };
    expect(await api.call('GET', `/v1/customers/${uniqueCustomer()}/notifications?before=${first.next}`)).toMatchObject(foreign);
    expect(await createClient(stack, 'tenant-b').call('GET', `/v1/customers/${customerId}/notifications?before=${first.next}`)).toMatchObject(foreign);
  });

  it('refuses a bad limit or cursor with the field at fault', async () => {
    expect(await api.call('GET', `/v1/customers/${uniqueCustomer()}/notifications?limit=1000`)).toMatchObject({ status: 400, body: { error: { field: 'limit' } } });
    expect(await api.call('GET', `/v1/customers/${uniqueCustomer()}/notifications?before=yesterday`)).toMatchObject({ status: 400, body: { error: { field: 'before' } } });
  });
});
