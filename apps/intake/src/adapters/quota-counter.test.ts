import { randomUUID } from 'node:crypto';
import { createLogger } from '@herald/service';
import { createRedis, redisKeys } from '@herald/stores';
import { createQuotaCounter } from './quota-counter.js';

// Two intake replicas' counters against the real Redis of the local stack, in a namespace of their own.
const prefix = `test-${randomUUID()}:`;
const keys = redisKeys(prefix);
const redis = await createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const log = createLogger('quota-test', 'silent');

afterAll(async () => {
  const leftovers = await redis.keys(`${prefix}*`);
  if (leftovers.length > 0) await redis.del(leftovers);
  await redis.close();
});

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('quota counter', () => {
  it('counts locally at once, and sees the other replicas\' counts after a sync', async () => {
    const a = createQuotaCounter({ redis, keys, syncMs: 20, log });
    const b = createQuotaCounter({ redis, keys, syncMs: 20, log });
    a.start();
    b.start();
    try {
      const now = () => new Date();
      a.record('acme', 5, now());
      expect(a.usage('acme', now()).notificationsToday).toBe(5);
      b.record('acme', 7, now());
      await until(() => a.usage('acme', new Date()).notificationsToday === 12 && b.usage('acme', new Date()).notificationsToday === 12);
      // Refunds are shared too.
      a.refund('acme', 2, now());
      await until(() => b.usage('acme', new Date()).notificationsToday === 10);
      expect(a.usage('other', now())).toEqual({ requestsThisSecond: 0, notificationsToday: 0 });
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('keeps requests per second apart from one second to the next', () => {
    const c = createQuotaCounter({ redis, keys, syncMs: 1_000, log });
    c.record('acme', 1, new Date('2026-11-25T10:00:00.100Z'));
    c.record('acme', 1, new Date('2026-11-25T10:00:00.900Z'));
    expect(c.usage('acme', new Date('2026-11-25T10:00:00.950Z')).requestsThisSecond).toBe(2);
    expect(c.usage('acme', new Date('2026-11-25T10:00:01.000Z')).requestsThisSecond).toBe(0);
  });

  it('starts the day again at midnight UTC', () => {
    const c = createQuotaCounter({ redis, keys, syncMs: 1_000, log });
    c.record('acme', 9, new Date('2026-11-25T23:59:59.000Z'));
    expect(c.usage('acme', new Date('2026-11-26T00:00:00.000Z')).notificationsToday).toBe(0);
  });

  it('keeps counts that could not be synced and sends them with the next round', async () => {
    // A connection that is gone: every command fails at once.
    const broken = await createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    broken.destroy();
    const c = createQuotaCounter({ redis: broken, keys, syncMs: 10, log });
    c.start();
    c.record('acme', 3, new Date());
    await new Promise((r) => setTimeout(r, 50));
    expect(c.usage('acme', new Date()).notificationsToday).toBe(3);
    await c.stop();
  });
});
