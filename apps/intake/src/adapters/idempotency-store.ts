import type { Redis, RedisKeys } from '@herald/shared';

export type IdempotencyClaim = 'new' | 'same' | 'conflict';

export interface IdempotencyStore {
  /**
   * Records (tenant, key) → fingerprint if the key is new, atomically: of two requests racing
   * on two intake replicas, exactly one finds it new; the other learns whether its body was the
   * same. Kept for `ttlSeconds` (at least 24 hours).
   */
  claim(tenantId: string, notificationId: string, fingerprint: string): Promise<IdempotencyClaim>;
  /** Forgets a key whose request was not accepted after all (the publish failed). */
  release(tenantId: string, notificationId: string, fingerprint: string): Promise<void>;
}

const CLAIM = `
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 'new'
end
if current == ARGV[1] then return 'same' end
return 'conflict'`;

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export function createIdempotencyStore(redis: Redis, keys: RedisKeys, ttlSeconds: number): IdempotencyStore {
  return {
    async claim(tenantId, notificationId, fingerprint) {
      const answer = await redis.eval(CLAIM, 1, keys.idempotency(tenantId, notificationId), fingerprint, ttlSeconds);
      if (answer === 'new' || answer === 'same' || answer === 'conflict') return answer;
      throw new Error(`unexpected idempotency answer ${String(answer)}`);
    },
    async release(tenantId, notificationId, fingerprint) {
      await redis.eval(RELEASE, 1, keys.idempotency(tenantId, notificationId), fingerprint);
    },
  };
}
