// Every Redis key Herald writes itself, in one place. Tenant and customer ids are part of the
// key, so one tenant's data can be found (and erased) without scanning anyone else's.

export interface RedisKeys {
  webhookHealth(endpointId: string): string;
  /** Sorted set of every pending webhook delivery id, scored by the time it is due (ms). */
  webhookDue(): string;
  /** Hash of pending webhook delivery id → delivery (JSON), beside webhookDue. */
  webhookDeliveries(): string;
  /** Bounded list of the deliveries an endpoint never accepted. */
  webhookDead(endpointId: string): string;
  stats(): string;
  /** Hash of one provider account's token bucket (tokens, last refill), shared by every replica. */
  rateLimit(name: string): string;
  /** Hash of one provider account's circuit breaker (state, ramp step, failure window). */
  breaker(name: string): string;
  /** A send's outcome (JSON): a second copy of the dispatch reports it instead of sending. */
  sendLedger(notificationId: string, attempt: number): string;
  /** Sorted set of notification id → the time (ms) its actor's next deadline passes (the dispatch watchdog). */
  deadlines(): string;
  /** Sorted set of notification id → wake-up time + 65 s, for notifications waiting on a reminder (the watchdog looks at both sets). */
  waits(): string;
  /** A tenant's requests in one second (epoch seconds), counted by every intake replica. */
  quotaSecond(tenantId: string, epochSecond: number): string;
  /** A tenant's notifications on one UTC day (`YYYY-MM-DD`). */
  quotaDay(tenantId: string, day: string): string;
  /** Hash of channel replica → "count:ms:done": dispatches of one lane it holds now, when written, how many it has finished (in-hand.ts). */
  inHand(lane: string): string;
  /** The pub/sub channel that tells every process to drop a destroyed data key (privacy/key-drops.ts); nothing is stored under it. */
  keyDrops(): string;
}

export function redisKeys(prefix = ''): RedisKeys {
  const p = `${prefix}herald:`;
  return {
    webhookHealth: (e) => `${p}whhealth:${e}`,
    webhookDue: () => `${p}whdue`,
    webhookDeliveries: () => `${p}whdlv`,
    webhookDead: (e) => `${p}whdead:${e}`,
    stats: () => `${p}stats`,
    rateLimit: (n) => `${p}rl:${n}`,
    breaker: (n) => `${p}cb:${n}`,
    sendLedger: (id, a) => `${p}sent:${id}:${a}`,
    deadlines: () => `${p}deadlines`,
    waits: () => `${p}waits`,
    quotaSecond: (t, s) => `${p}quota:${t}:s:${s}`,
    quotaDay: (t, d) => `${p}quota:${t}:d:${d}`,
    inHand: (l) => `${p}inhand:${l}`,
    keyDrops: () => `${p}keydrops`,
  };
}
