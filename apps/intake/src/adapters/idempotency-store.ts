import { redisScript, type Redis, type RedisKeys } from '@herald/stores';

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
  /**
   * When the key that names `notificationId` was claimed (read from what is left of its TTL);
   * undefined when no request of the tenant's claimed it, or it is forgotten.
   */
  claimedAt(tenantId: string, notificationId: string, nowMs: number): Promise<number | undefined>;
}

const CLAIM = redisScript(`
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 'new'
end
if current == ARGV[1] then return 'same' end
return 'conflict'`);

const RELEASE = redisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`);

export function createIdempotencyStore(redis: Redis, keys: RedisKeys, ttlSeconds: number): IdempotencyStore {
  return {
    async claim(tenantId, notificationId, fingerprint) {
      const answer = await CLAIM(redis, [keys.idempotency(tenantId, notificationId)], [fingerprint, ttlSeconds]);
      if (answer === 'new' || answer === 'same' || answer === 'conflict') return answer;
      throw new Error(`unexpected idempotency answer ${String(answer)}`);
    },
    async release(tenantId, notificationId, fingerprint) {
      await RELEASE(redis, [keys.idempotency(tenantId, notificationId)], [fingerprint]);
    },
    async claimedAt(tenantId, notificationId, nowMs) {
      const leftMs = await redis.pttl(keys.idempotency(tenantId, notificationId));
      return leftMs > 0 ? nowMs - (ttlSeconds * 1000 - leftMs) : undefined;
    },
  };
}
