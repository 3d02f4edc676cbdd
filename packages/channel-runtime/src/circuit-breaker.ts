import { type Redis, type RedisKeys, redisScript } from '@herald/stores';

// A graduated circuit breaker per provider account, kept in Redis and shared by every replica.
//
// A binary breaker, on closing, lets every replica's backlog through at once: the thundering
// herd the review of the earlier design found (docs/design.md, "Why Herald looks like this"),
// which knocks a recovering provider over again. This one opens for the whole fleet at once
// (one replica's evidence protects all of them), and when the open time is over it lets a
// growing fraction of calls through (`rampSteps`), moving up a step after `successesPerStep`
// successes. Any failure on the way re-opens it for twice as long (up to `maxOpenMs`); a full
// ramp of successes closes it and forgets the doubling.
//
// The rule that opens it: at least `failureThreshold.rate` of the calls recorded in the last
// `failureThreshold.windowMs` failed, and there were at least `minCalls` of them. A rate rather
// than a count of consecutive failures, because outcomes from many replicas interleave, and at
// thousands of sends a second a handful of failures in a row happens by chance at any modest
// error rate. The window is 10 buckets of windowMs / 10 each, so it slides in tenths.
//
// Transitions run in Lua (atomic across replicas) on Redis `TIME`, not the replicas' clocks.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** The provider account, e.g. `sendgrid:acct-1`. */
  name: string;
  /** Opens when ≥ rate of ≥ minCalls calls in the last windowMs failed. Default 0.5, 10, 10 s. */
  failureThreshold?: { rate?: number; minCalls?: number; windowMs?: number };
  /** How long it stays open the first time. Default 5000. */
  openMs?: number;
  /** The longest it stays open after repeated failed recoveries. Default max(60 s, openMs). */
  maxOpenMs?: number;
  /** Fractions of calls let through while half-open, ascending; it closes after the last. Default [0.1, 0.25, 0.5, 1]. */
  rampSteps?: readonly number[];
  /** Successes needed to move up one step (and, on the last step, to close). Default 5. */
  successesPerStep?: number;
}

/** Where a report moved the breaker: `open` (it opened, or opened again from half-open), `closed` (the ramp ended), or nowhere. */
export type BreakerMove = 'open' | 'closed' | undefined;

export type Admission = { admitted: true } | { admitted: false; retryAfterMs: number };

export interface CircuitBreaker {
  /** Whether to call the provider now. Rejects only when Redis cannot be reached. */
  admit(): Promise<Admission>;
  /** Reports the outcome of a call that was admitted; answers where the breaker moved, if this report moved it. */
  record(outcome: 'success' | 'failure'): Promise<BreakerMove>;
  state(): Promise<{ state: BreakerState; fraction: number }>;
}

const BUCKETS = 10;

// Shared by both scripts: the current state, with an open breaker whose time is over read as
// half-open at step 0 (only `record` writes that down; a reader may see it first).
// Fields: state (absent = closed), until (ms), openMs, step, ok (successes in this step),
// and the failure window e<i> (bucket number), s<i>, f<i> (successes, failures).
const LOAD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', KEYS[1], 'state', 'until', 'openMs', 'step', 'ok')
local state = h[1] or 'closed'
local openUntil = tonumber(h[2]) or 0
local openMs = tonumber(h[3])
local step = tonumber(h[4]) or 0
local ok = tonumber(h[5]) or 0
if state == 'open' and now >= openUntil then state = 'half-open'; step = 0; ok = 0 end
`;

// KEYS: breaker. Returns { state, step, ms until an open breaker's time is over }.
const READ = redisScript(`${LOAD}
return { state, step, state == 'open' and (openUntil - now) or 0 }`);

// KEYS: breaker. ARGV: outcome, openMs, maxOpenMs, steps, successesPerStep, failure rate,
// minCalls, bucketMs, ttlMs.
const RECORD = redisScript(`${LOAD}
local moved = 0
local function open(ms)
  moved = 1
  -- Starting over: the window and the ramp are forgotten, the open time is kept for doubling.
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'state', 'open', 'until', now + ms, 'openMs', ms)
end
local failed = ARGV[1] == 'failure'
if state == 'open' then
  -- Results of calls admitted before it opened tell nothing new.
  return 0
elseif state == 'half-open' then
  if failed then
    open(math.min((openMs or tonumber(ARGV[2])) * 2, tonumber(ARGV[3])))
  else
    ok = ok + 1
    if ok >= tonumber(ARGV[5]) then step = step + 1; ok = 0 end
    if step >= tonumber(ARGV[4]) then
      -- Closed: an absent key is a closed breaker with an empty window and no doubling.
      redis.call('DEL', KEYS[1])
      return 2
    end
    redis.call('HSET', KEYS[1], 'state', 'half-open', 'step', step, 'ok', ok)
  end
else
  local bucket = math.floor(now / tonumber(ARGV[8]))
  local names = {}
  for i = 0, ${BUCKETS - 1} do
    names[#names + 1] = 'e' .. i; names[#names + 1] = 's' .. i; names[#names + 1] = 'f' .. i
  end
  local w = redis.call('HMGET', KEYS[1], unpack(names))
  local calls, failures = 0, 0
  local mine = bucket % ${BUCKETS}
  local s, f = 0, 0
  for i = 0, ${BUCKETS - 1} do
    local e = tonumber(w[i * 3 + 1])
    local si, fi = tonumber(w[i * 3 + 2]) or 0, tonumber(w[i * 3 + 3]) or 0
    if i == mine then
      -- This bucket slot is reused every BUCKETS buckets: older counts in it are dropped.
      if e == bucket then s, f = si, fi end
    elseif e and e > bucket - ${BUCKETS} then
      calls = calls + si + fi
      failures = failures + fi
    end
  end
  if failed then f = f + 1 else s = s + 1 end
  calls = calls + s + f
  failures = failures + f
  if calls >= tonumber(ARGV[7]) and failures >= tonumber(ARGV[6]) * calls then
    open(tonumber(ARGV[2]))
  else
    redis.call('HSET', KEYS[1], 'e' .. mine, bucket, 's' .. mine, s, 'f' .. mine, f)
  end
end
-- Idle for a day: whatever it was doing, it starts again closed.
redis.call('PEXPIRE', KEYS[1], ARGV[9])
return moved`);

export function createCircuitBreaker(redis: Redis, keys: RedisKeys, opts: CircuitBreakerOptions, random: () => number = Math.random): CircuitBreaker {
  const rate = opts.failureThreshold?.rate ?? 0.5;
  const minCalls = opts.failureThreshold?.minCalls ?? 10;
  const windowMs = opts.failureThreshold?.windowMs ?? 10_000;
  const openMs = opts.openMs ?? 5000;
  const maxOpenMs = opts.maxOpenMs ?? Math.max(60_000, openMs);
  const rampSteps = opts.rampSteps ?? [0.1, 0.25, 0.5, 1];
  const successesPerStep = opts.successesPerStep ?? 5;
  // Wrong settings are a deployment bug: say so at start, not with a breaker that never opens.
  if (!(rate > 0 && rate <= 1)) throw new RangeError(`failureThreshold.rate must be in (0, 1], got ${rate}`);
  if (!(Number.isInteger(minCalls) && minCalls >= 1)) throw new RangeError(`failureThreshold.minCalls must be a positive integer, got ${minCalls}`);
  if (!(windowMs >= BUCKETS)) throw new RangeError(`failureThreshold.windowMs must be at least ${BUCKETS}, got ${windowMs}`);
  if (!(openMs >= 1 && maxOpenMs >= openMs)) throw new RangeError(`openMs must be ≥ 1 and ≤ maxOpenMs, got ${openMs} and ${maxOpenMs}`);
  if (!(Number.isInteger(successesPerStep) && successesPerStep >= 1)) throw new RangeError(`successesPerStep must be a positive integer, got ${successesPerStep}`);
  if (rampSteps.length === 0 || rampSteps.some((f, i) => !(f > 0 && f <= 1) || f < (rampSteps[i - 1] ?? 0))) {
    throw new RangeError(`rampSteps must be ascending fractions in (0, 1], got [${rampSteps.join(', ')}]`);
  }

  const key = keys.breaker(opts.name);
  const recordArgs = [openMs, maxOpenMs, rampSteps.length, successesPerStep, rate, minCalls, Math.floor(windowMs / BUCKETS), 86_400_000];

  async function read(): Promise<{ state: BreakerState; fraction: number; retryAfterMs: number }> {
    const [state, step, retryAfterMs] = (await READ(redis, [key], [])) as [BreakerState, number, number];
    const fraction = state === 'closed' ? 1 : state === 'open' ? 0 : (rampSteps[step] ?? 1);
    return { state, fraction, retryAfterMs };
  }

  return {
    async admit() {
      const { state, fraction, retryAfterMs } = await read();
      if (state === 'open') return { admitted: false, retryAfterMs: Math.max(1, retryAfterMs) };
      if (state === 'closed' || random() < fraction) return { admitted: true };
      // Turned away while recovering: come back sooner the further the ramp has got.
      return { admitted: false, retryAfterMs: Math.max(1, Math.ceil(openMs * (1 - fraction))) };
    },
    async record(outcome) {
      const moved = Number(await RECORD(redis, [key], [outcome, ...recordArgs]));
      return moved === 1 ? 'open' : moved === 2 ? 'closed' : undefined;
    },
    async state() {
      const { state, fraction } = await read();
      return { state, fraction };
    },
  };
}
