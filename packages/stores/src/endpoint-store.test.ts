import { WebhookEndpointSchema } from '@herald/contracts';
import { useTestRedis } from '../../../test/support/test-redis.js';
import { createWebhookEndpointStore } from './endpoint-store.js';

// Against the real Redis of the local stack, in a key namespace of its own.
const { redis, keys } = useTestRedis();
const at = new Date('2026-11-25T10:00:00.000Z');
const store = createWebhookEndpointStore(redis, keys, { now: () => at });

describe('webhook endpoint store', () => {
  it('creates an endpoint with a fresh id and secret, and reads it back', async () => {
    const created = await store.create('t-1', { url: 'https://hooks.example.com/a', statuses: ['delivered'], description: 'crm' });
    expect(WebhookEndpointSchema.parse(created)).toEqual(created);
    expect(created).toMatchObject({ tenantId: 't-1', url: 'https://hooks.example.com/a', statuses: ['delivered'], description: 'crm', createdAt: at.toISOString() });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    await expect(store.get('t-1', created.id)).resolves.toEqual(created);
    await expect(store.list('t-1')).resolves.toEqual([created]);
  });

  it('leaves out optional fields that were not given', async () => {
    const created = await store.create('t-2', { url: 'https://hooks.example.com/b' });
    expect(Object.keys(created).sort()).toEqual(['createdAt', 'id', 'secret', 'tenantId', 'url']);
    const other = await store.create('t-2', { url: 'https://hooks.example.com/c' });
    expect(other.id).not.toBe(created.id);
    expect(other.secret).not.toBe(created.secret);
    await expect(store.list('t-2')).resolves.toHaveLength(2);
  });

  it("keeps tenants apart: one tenant can neither read nor remove another's endpoint", async () => {
    const mine = await store.create('t-3', { url: 'https://hooks.example.com/d' });
    await redis.lpush(keys.webhookDead(mine.id), 'x');
    await expect(store.get('t-4', mine.id)).resolves.toBeUndefined();
    await expect(store.list('t-4')).resolves.toEqual([]);
    await expect(store.remove('t-4', mine.id)).resolves.toBe(false);
    await expect(redis.exists(keys.webhookDead(mine.id))).resolves.toBe(1);
    await expect(store.get('t-3', mine.id)).resolves.toEqual(mine);
  });

  it('removes an endpoint with its health and dead letters', async () => {
    const endpoint = await store.create('t-5', { url: 'https://hooks.example.com/e' });
    await redis.hset(keys.webhookHealth(endpoint.id), 'failures', '3');
    await redis.lpush(keys.webhookDead(endpoint.id), 'x');
    await expect(store.remove('t-5', endpoint.id)).resolves.toBe(true);
    await expect(store.remove('t-5', endpoint.id)).resolves.toBe(false);
    await expect(store.get('t-5', endpoint.id)).resolves.toBeUndefined();
    await expect(redis.exists(keys.webhookHealth(endpoint.id), keys.webhookDead(endpoint.id))).resolves.toBe(0);
  });

  it('skips stored values that do not parse', async () => {
    const good = await store.create('t-6', { url: 'https://hooks.example.com/f' });
    await redis.hset(keys.webhookEndpoints('t-6'), 'whk_broken', '{not json', 'whk_wrong', JSON.stringify({ id: 'whk_wrong' }));
    await expect(store.list('t-6')).resolves.toEqual([good]);
    await expect(store.get('t-6', 'whk_wrong')).resolves.toBeUndefined();
  });
});
