import { StatusEventSchema, type StatusEvent } from '@herald/contracts';
import { redisScript, type Redis, type RedisKeys } from '@herald/stores';
import { z } from 'zod';

// The durable queue of webhook deliveries, in Redis:
//   webhookDue        sorted set, delivery id → due time (ms)
//   webhookDeliveries hash, delivery id → delivery JSON
//   webhookHealth(e)  hash {failures, nextAt} while endpoint e is failing
//   webhookDead(e)    list of the last 1000 deliveries e never accepted
// A delivery id is "<endpoint id>:<event id>", so an event enqueued twice is delivered once.
// Claims are leases: a claimed delivery is re-scored to now + lease, and comes due again if
// its claimer dies, on any replica (at-least-once; receivers de-duplicate by herald-event-id).
// An event is kept as the actor made it, its metadata values sealed: they are opened only in
// memory, just before the POST (webhook-metadata.ts).

const DEAD_LIST_LENGTH = 1000;

const DeliverySchema = z.object({
  tenantId: z.string().min(1),
  endpointId: z.string().min(1),
  attempt: z.number().int().positive(),
  lastError: z.string().optional(),
  event: StatusEventSchema,
});
export type Delivery = z.infer<typeof DeliverySchema>;
export interface Claimed {
  id: string;
  delivery: Delivery;
}
export interface EndpointHealth {
  /** Consecutive failures; 0 while the endpoint is healthy. */
  failures: number;
  /** No delivery to the endpoint before this time (ms). */
  nextAt: number;
}

export interface WebhookQueue {
  /** One delivery of `event` per endpoint, due at `now` or when that endpoint's backoff ends. */
  enqueue(event: StatusEvent, endpointIds: string[], now: number): Promise<void>;
  /** Leases up to `limit` due deliveries until `leaseEnd`; ids whose delivery does not parse come back apart. */
  claim(now: number, leaseEnd: number, limit: number): Promise<{ claimed: Claimed[]; unreadable: string[] }>;
  complete(item: Claimed, resetHealth: boolean): Promise<void>;
  drop(ids: string[]): Promise<void>;
  /** Moves pending deliveries to `until`; one finished meanwhile stays finished. */
  defer(items: Claimed[], until: number): Promise<void>;
  /** Schedules the next attempt at `due`, remembering why this one failed. */
  retry(item: Claimed, reason: string, due: number): Promise<void>;
  /** Moves a delivery to its endpoint's dead list. */
  bury(item: Claimed, reason: string, now: number): Promise<void>;
  health(endpointId: string): Promise<EndpointHealth>;
  setHealth(endpointId: string, health: EndpointHealth): Promise<void>;
}

// KEYS: due, deliveries, health of each endpoint. ARGV: now, then (delivery id, delivery) per endpoint.
// A delivery is due now, or when its endpoint's backoff ends if that is later.
const ENQUEUE = `
local now = tonumber(ARGV[1])
for i = 3, #KEYS do
  local id = ARGV[2 * i - 4]
  if redis.call('HSETNX', KEYS[2], id, ARGV[2 * i - 3]) == 1 then
    local nextAt = tonumber(redis.call('HGET', KEYS[i], 'nextAt') or '0') or 0
    redis.call('ZADD', KEYS[1], math.max(now, nextAt), id)
  end
end
return 0`;

// KEYS: due, deliveries. ARGV: now, lease end, limit. Returns id, delivery, id, delivery...
const CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local delivery = redis.call('HGET', KEYS[2], id)
  if delivery then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    out[#out + 1] = id
    out[#out + 1] = delivery
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out`;

// KEYS: due, deliveries. ARGV: id, due, delivery. Only while still pending: a delivery that
// another claimer finished meanwhile is not brought back.
const RESCHEDULE = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1`;

const enqueueScript = redisScript(ENQUEUE);
const claimScript = redisScript(CLAIM);
const rescheduleScript = redisScript(RESCHEDULE);

function parseDelivery(json: string): Delivery | undefined {
  try {
    const parsed = DeliverySchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `healthTtlMs`: how long a failing endpoint's health is kept after its last failure. */
export function createWebhookQueue(redis: Redis, keys: RedisKeys, healthTtlMs: number): WebhookQueue {
  const dueKey = keys.webhookDue();
  const deliveriesKey = keys.webhookDeliveries();

  return {
    async enqueue(event, endpointIds, now) {
      const args: Array<string | number> = [now];
      for (const endpointId of endpointIds) {
        const delivery: Delivery = { tenantId: event.tenantId, endpointId, attempt: 1, event };
        args.push(`${endpointId}:${event.id}`, JSON.stringify(delivery));
      }
      await enqueueScript(redis, [dueKey, deliveriesKey, ...endpointIds.map((e) => keys.webhookHealth(e))], args);
    },

    async claim(now, leaseEnd, limit) {
      // The sweeper asks several times a second on every replica: when nothing is due, a read
      // answers it, and the write script (which moves leases) runs only when there is work.
      if ((await redis.zCount(dueKey, '-inf', now)) === 0) return { claimed: [], unreadable: [] };
      const raw = (await claimScript(redis, [dueKey, deliveriesKey], [now, leaseEnd, limit])) as string[];
      const claimed: Claimed[] = [];
      const unreadable: string[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const id = raw[i] ?? '';
        const delivery = parseDelivery(raw[i + 1] ?? '');
        if (delivery) claimed.push({ id, delivery });
        else unreadable.push(id);
      }
      return { claimed, unreadable };
    },

    async complete(item, resetHealth) {
      // A transaction rejects when any of its commands fails.
      const multi = redis.multi().zRem(dueKey, item.id).hDel(deliveriesKey, item.id);
      if (resetHealth) multi.del(keys.webhookHealth(item.delivery.endpointId));
      await multi.exec();
    },

    async drop(ids) {
      await redis.multi().zRem(dueKey, ids).hDel(deliveriesKey, ids).exec();
    },

    async defer(items, until) {
      // ZADD XX re-scores only what is still pending.
      await redis.zAdd(dueKey, items.map((i) => ({ score: until, value: i.id })), { condition: 'XX' });
    },

    async retry(item, reason, due) {
      const next: Delivery = { ...item.delivery, attempt: item.delivery.attempt + 1, lastError: reason };
      await rescheduleScript(redis, [dueKey, deliveriesKey], [item.id, due, JSON.stringify(next)]);
    },

    async bury(item, reason, now) {
      const dead = JSON.stringify({ ...item.delivery, lastError: reason, deadAt: new Date(now).toISOString() });
      const deadKey = keys.webhookDead(item.delivery.endpointId);
      await redis.multi().zRem(dueKey, item.id).hDel(deliveriesKey, item.id).lPush(deadKey, dead).lTrim(deadKey, 0, DEAD_LIST_LENGTH - 1).exec();
    },

    async health(endpointId) {
      const [failures, nextAt] = await redis.hmGet(keys.webhookHealth(endpointId), ['failures', 'nextAt']);
      return { failures: Number(failures ?? 0), nextAt: Number(nextAt ?? 0) };
    },

    async setHealth(endpointId, { failures, nextAt }) {
      const key = keys.webhookHealth(endpointId);
      await redis.multi().hSet(key, { failures, nextAt }).pExpire(key, healthTtlMs).exec();
    },
  };
}
