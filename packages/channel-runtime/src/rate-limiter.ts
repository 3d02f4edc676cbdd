import { setTimeout as sleep } from 'node:timers/promises';
import { type Redis, type RedisKeys, redisScript } from '@herald/stores';

// One token bucket per provider account, kept in Redis and shared by every replica of a
// channel app. A limiter per pod lets N pods send N times the provider's limit once the app
// scales out (the review's finding, docs/design.md "Why Herald looks like this"); here the pods
// draw from the same bucket, so together they stay within `ratePerSec` however many there are.
//
// The bucket is refilled lazily: each take adds `elapsed × rate` tokens (capped at `burst`)
// before taking one, all inside one Lua script so concurrent takers cannot both spend the
// same token. The clock is Redis's own `TIME`, not the callers': replicas' clocks differ,
// and a replica whose clock ran ahead would otherwise mint tokens for everyone.

export interface TokenBucketOptions {
  /** The provider account the limit belongs to, e.g. `sendgrid:acct-1`. */
  name: string;
  ratePerSec: number;
  /** Tokens an idle bucket saves up; defaults to one second's worth (at least 1). */
  burst?: number;
  /**
   * Tokens kept for the critical lane: bulk takes a token only while more than this many are
   * left, critical takes any. While bulk waiters drain the bucket, it hovers at the reserve,
   * so a password reset finds a token at once instead of queueing behind a campaign. The
   * reserve is carved out of the burst (the bucket holds max(burst, reserve + 1)), so lanes do
   * not raise what any one second can send: at most rate + burst. Default 0 (no lanes).
   */
  criticalReserve?: number;
}

export type Lane = 'critical' | 'bulk';

export type TakeResult = { granted: true } | { granted: false; waitMs: number };

export interface TokenBucket {
  /** Takes one token if there is one for the lane; otherwise says how long until there will be. */
  take(lane?: Lane): Promise<TakeResult>;
  /**
   * Waits until a token is granted. Resolves false only when `maxWaitMs` would be exceeded or
   * `signal` aborts; a Redis error rejects (the caller retries the message later).
   */
  acquire(opts?: { maxWaitMs?: number; signal?: AbortSignal; lane?: Lane }): Promise<boolean>;
}

// KEYS: bucket. ARGV: rate (tokens per ms), capacity, ttl (ms), floor (tokens the taker must
// leave: the critical reserve for bulk, 0 for critical).
// Fields: `tokens` (may be fractional) and `ts` (Redis time of the last refill, ms).
// Returns { 1, 0 } when granted, { 0, ms until one token } when not.
const TAKE = redisScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(saved[1]) or burst
local ts = tonumber(saved[2]) or now
-- After a failover the new primary's clock may be behind: never refill by a negative time.
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
local need = 1 + tonumber(ARGV[4])
if tokens < need then
  -- Nothing is written: the refill is recomputed from the same ts next time.
  return { 0, math.ceil((need - tokens) / rate) }
end
-- Numbers passed to redis.call keep 17 significant digits (tostring would keep 14).
redis.call('HSET', KEYS[1], 'tokens', tokens - 1, 'ts', ts)
-- An idle bucket is full again after burst / rate; expiring it then loses nothing.
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return { 1, 0 }`);

/** Upper bound of the random delay added to each wait, so waiters do not all wake together. */
const MAX_JITTER_MS = 10;

export function createTokenBucket(redis: Redis, keys: RedisKeys, opts: TokenBucketOptions): TokenBucket {
  if (!(opts.ratePerSec > 0) || !Number.isFinite(opts.ratePerSec)) throw new RangeError(`ratePerSec must be a positive number, got ${opts.ratePerSec}`);
  const ratePerMs = opts.ratePerSec / 1000;
  const reserve = Math.max(0, Math.floor(opts.criticalReserve ?? 0));
  const capacity = Math.max(1, opts.burst ?? opts.ratePerSec, reserve + 1);
  const ttlMs = Math.ceil(capacity / ratePerMs) + 1000;
  const key = keys.rateLimit(opts.name);

  async function take(lane: Lane = 'critical'): Promise<TakeResult> {
    const floor = lane === 'bulk' ? reserve : 0;
    const [granted, waitMs] = (await TAKE(redis, [key], [ratePerMs, capacity, ttlMs, floor])) as [number, number];
    return granted === 1 ? { granted: true } : { granted: false, waitMs: Math.max(1, waitMs) };
  }

  return {
    take,
    async acquire({ maxWaitMs = Infinity, signal, lane } = {}) {
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        if (signal?.aborted) return false;
        const result = await take(lane);
        if (result.granted) return true;
        // Other replicas may take the token first; then we are told a new wait and go again.
        const delay = result.waitMs + Math.random() * Math.min(MAX_JITTER_MS, result.waitMs);
        if (Date.now() + result.waitMs > deadline) return false;
        try {
          await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), undefined, signal ? { signal } : {});
        } catch {
          return false; // aborted
        }
      }
    },
  };
}
