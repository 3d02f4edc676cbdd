import { Redis } from 'ioredis';
import { z } from 'zod';

// Herald's own Redis data (idempotency keys, the customer history index, preferences, webhook
// endpoints and their delivery queues) lives beside Dapr's state, reached directly: none of it
// fits the state API's one-key-one-value model without extra round trips or lost updates
// (sorted sets, SET NX with expiry, atomic claims). Every key starts with `KEY_PREFIX`, so a
// test run or a region keeps its own namespace.

export const redisEnvSchema = z.object({
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  KEY_PREFIX: z.string().default(''),
});

export function createRedis(url: string): Redis {
  // Commands wait for a reconnect instead of failing at once; callers bound them by their own
  // deadlines and treat an error as "unavailable, retry".
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2, enableAutoPipelining: true });
}

export type { Redis };
