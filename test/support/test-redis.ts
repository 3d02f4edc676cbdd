import { randomUUID } from 'node:crypto';
import { createRedis, redisKeys, type Redis, type RedisKeys } from '@herald/stores';

export interface TestRedis {
  redis: Redis;
  /** Key names under this file's own prefix. */
  keys: RedisKeys;
  prefix: string;
  /** Another connection (another replica, say), closed with the first. */
  connect(): Promise<Redis>;
}

/**
 * The real Redis of the local stack for the unit tests of the Redis stores, in a key namespace of
 * the test file's own: after its tests, whatever it wrote there is deleted and its connections
 * are closed.
 */
export async function useTestRedis(): Promise<TestRedis> {
  const prefix = `test-${randomUUID()}:`;
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = await createRedis(url);
  const others: Redis[] = [];
  afterAll(async () => {
    const leftovers = await redis.keys(`${prefix}*`);
    if (leftovers.length > 0) await redis.del(leftovers);
    await Promise.all([redis, ...others].map((r) => r.close()));
  });
  const connect = async (): Promise<Redis> => {
    const other = await createRedis(url);
    others.push(other);
    return other;
  };
  return { redis, keys: redisKeys(prefix), prefix, connect };
}
