import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import {
  createWebhookEndpointStore,
  isPublicAddress,
  publicOnlyLookup,
  signWebhook,
  StatusEventSchema,
  WEBHOOK_SIGNATURE_HEADER,
  type Logger,
  type Redis,
  type RedisKeys,
  type StatusEvent,
  type WebhookEndpoint,
} from '@herald/shared';
import { z } from 'zod';
import { retryDelayMs, type RetryPolicy } from '../domain/backoff.js';

// Status events reach tenants' webhook endpoints through a durable queue in Redis:
//   webhookDue        sorted set, delivery id → due time (ms)
//   webhookDeliveries hash, delivery id → delivery JSON
//   webhookHealth(e)  hash {failures, nextAt} while endpoint e is failing
//   webhookDead(e)    list of the last 1000 deliveries e never accepted
// A delivery id is "<endpoint id>:<event id>", so an event enqueued twice is delivered once.
// Claims are leases: a claimed delivery is re-scored to now + lease, and comes due again if
// its claimer dies, on any replica (at-least-once; receivers de-duplicate by herald-event-id).
// Backoff is per endpoint, not per delivery: while an endpoint fails, every delivery to it
// waits for the same next-allowed time, so an outage costs one probe per backoff step rather
// than one request per pending event.

export interface WebhookDeliveryPolicy extends RetryPolicy {
  /** Deadline of one POST, response headers included. */
  timeoutMs: number;
}

export interface WebhookDelivererDeps {
  redis: Redis;
  keys: RedisKeys;
  log: Logger;
  /** Deliver to private, loopback and link-local addresses too (local development, tests). */
  allowPrivate: boolean;
  now?: () => number;
  random?: () => number;
  policy?: Partial<WebhookDeliveryPolicy>;
  pollIntervalMs?: number;
  /** How long a tenant's endpoint list is reused from memory; a new or removed endpoint is seen this late. */
  endpointCacheMs?: number;
  /** POSTs in flight at once in this process. */
  concurrency?: number;
  /** How long a claim holds its deliveries before they come due again for anyone. */
  leaseMs?: number;
}

export interface WebhookDeliverer {
  /** Durable once resolved: one delivery per endpoint of the tenant that wants `event.status`. */
  enqueue(event: StatusEvent): Promise<void>;
  start(): void;
  stop(): Promise<void>;
  /** Claims what is due and delivers it; resolves with the number of deliveries claimed. */
  drainOnce(): Promise<number>;
}

export const defaultWebhookDeliveryPolicy: WebhookDeliveryPolicy = { maxAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 3_600_000, timeoutMs: 5_000 };

const DEAD_LIST_LENGTH = 1000;
const MAX_CACHED_TENANTS = 10_000;
const USER_AGENT = 'Herald-Webhooks/1';

const DeliverySchema = z.object({
  tenantId: z.string().min(1),
  endpointId: z.string().min(1),
  attempt: z.number().int().positive(),
  lastError: z.string().optional(),
  event: StatusEventSchema,
});
type Delivery = z.infer<typeof DeliverySchema>;
interface Claimed {
  id: string;
  delivery: Delivery;
}
type PostOutcome = { ok: true } | { ok: false; reason: string; retryAfterMs?: number };

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

/** Runs a Lua script by digest, sending its source only when Redis does not have it yet. */
function luaScript(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (redis: Redis, keys: string[], args: Array<string | number>): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
const enqueueScript = luaScript(ENQUEUE);
const claimScript = luaScript(CLAIM);
const rescheduleScript = luaScript(RESCHEDULE);

async function execOrThrow(multi: ReturnType<Redis['multi']>): Promise<void> {
  const results = await multi.exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction aborted');
}

function createSemaphore(limit: number) {
  let free = limit;
  const waiting: Array<() => void> = [];
  return {
    async acquire(): Promise<void> {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
    },
    release(): void {
      const next = waiting.shift();
      if (next) next();
      else free++;
    },
  };
}

/** A reason safe to log and store: an error code or an HTTP status, never a URL or a message quoting one. */
function failureReason(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.name : 'error';
}

function retryAfterMs(header: string | undefined, maxMs: number): number | undefined {
  if (!header || !/^\d{1,7}$/.test(header.trim())) return undefined;
  return Math.min(Number(header) * 1000, maxMs);
}

export function createWebhookDeliverer(deps: WebhookDelivererDeps): WebhookDeliverer {
  const { redis, keys, log, allowPrivate } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const policy: WebhookDeliveryPolicy = { ...defaultWebhookDeliveryPolicy, ...deps.policy };
  const pollIntervalMs = deps.pollIntervalMs ?? 250;
  const endpointCacheMs = deps.endpointCacheMs ?? 5_000;
  const concurrency = deps.concurrency ?? 16;
  const leaseMs = deps.leaseMs ?? 60_000;
  const batchSize = concurrency * 8;
  // A failing endpoint's health outlives its longest backoff, then resets by itself.
  const healthTtlMs = Math.max(2 * policy.maxDelayMs, 86_400_000);
  const dueKey = keys.webhookDue();
  const deliveriesKey = keys.webhookDeliveries();
  const store = createWebhookEndpointStore(redis, keys);
  const slots = createSemaphore(concurrency);
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  const cache = new Map<string, { until: number; endpoints: Promise<WebhookEndpoint[]> }>();
  function endpointsOf(tenantId: string): Promise<WebhookEndpoint[]> {
    const t = now();
    const hit = cache.get(tenantId);
    if (hit && hit.until > t) return hit.endpoints;
    if (cache.size >= MAX_CACHED_TENANTS) cache.clear();
    const entry = { until: t + endpointCacheMs, endpoints: store.list(tenantId) };
    cache.set(tenantId, entry);
    // A failed read is not cached: the next event asks Redis again.
    void entry.endpoints.catch(() => {
      if (cache.get(tenantId) === entry) cache.delete(tenantId);
    });
    return entry.endpoints;
  }

  async function readHealth(endpointId: string): Promise<{ failures: number; nextAt: number }> {
    const [failures, nextAt] = await redis.hmget(keys.webhookHealth(endpointId), 'failures', 'nextAt');
    return { failures: Number(failures ?? 0), nextAt: Number(nextAt ?? 0) };
  }

  async function post(endpoint: WebhookEndpoint, event: StatusEvent): Promise<PostOutcome> {
    let url: URL;
    try {
      url = new URL(endpoint.url);
    } catch {
      return { ok: false, reason: 'invalid URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'unsupported scheme' };
    // Node connects to an IP literal without calling `lookup`, so literals are checked here.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!allowPrivate && isIP(host) && !isPublicAddress(host)) return { ok: false, reason: 'ERR_NON_PUBLIC_ADDRESS' };
    const body = JSON.stringify(event);
    const options: RequestOptions = {
      method: 'POST',
      agent: url.protocol === 'https:' ? agents.https : agents.http,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'user-agent': USER_AGENT,
        'herald-event-id': event.id,
        [WEBHOOK_SIGNATURE_HEADER]: signWebhook(endpoint.secret, body, Math.floor(now() / 1000)),
      },
      ...(allowPrivate ? {} : { lookup: publicOnlyLookup }),
    };
    return new Promise<PostOutcome>((resolve) => {
      let settled = false;
      const settle = (outcome: PostOutcome) => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
        // The answer is the status; the body is read and discarded so the socket can be reused.
        res.on('error', () => undefined);
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return settle({ ok: true });
        const retryAfter = retryAfterMs(res.headers['retry-after'], policy.maxDelayMs);
        settle({ ok: false, reason: `HTTP ${status}`, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}) });
      });
      // One deadline for connecting, sending and the whole response; a slow body is cut off too.
      const timer = setTimeout(() => {
        settle({ ok: false, reason: 'timeout' });
        req.destroy();
      }, policy.timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (err) => settle({ ok: false, reason: failureReason(err) }));
      req.end(body);
    });
  }

  const succeed = (item: Claimed, resetHealth: boolean) => {
    const multi = redis.multi().zrem(dueKey, item.id).hdel(deliveriesKey, item.id);
    return execOrThrow(resetHealth ? multi.del(keys.webhookHealth(item.delivery.endpointId)) : multi);
  };
  const drop = (ids: string[]) => execOrThrow(redis.multi().zrem(dueKey, ...ids).hdel(deliveriesKey, ...ids));
  // ZADD XX re-scores only what is still pending.
  const defer = (items: Claimed[], until: number) => redis.zadd(dueKey, 'XX', ...items.flatMap((i) => [until, i.id]));

  /** Counts one more consecutive failure of the endpoint and returns when it may be tried again. */
  async function recordFailure(endpointId: string, previousFailures: number, retryAfter: number | undefined): Promise<number> {
    const failures = previousFailures + 1;
    const nextAt = now() + retryDelayMs(policy, failures, random(), retryAfter);
    const key = keys.webhookHealth(endpointId);
    await execOrThrow(redis.multi().hset(key, 'failures', failures, 'nextAt', nextAt).pexpire(key, healthTtlMs));
    return nextAt;
  }

  async function fail(item: Claimed, reason: string, nextAt: number): Promise<void> {
    const { delivery } = item;
    if (delivery.attempt >= policy.maxAttempts) {
      const dead = JSON.stringify({ ...delivery, lastError: reason, deadAt: new Date(now()).toISOString() });
      const deadKey = keys.webhookDead(delivery.endpointId);
      await execOrThrow(redis.multi().zrem(dueKey, item.id).hdel(deliveriesKey, item.id).lpush(deadKey, dead).ltrim(deadKey, 0, DEAD_LIST_LENGTH - 1));
      log.warn(
        { tenantId: delivery.tenantId, endpointId: delivery.endpointId, eventId: delivery.event.id, notificationId: delivery.event.notificationId, attempts: delivery.attempt, reason },
        'webhook delivery given up after its last attempt',
      );
      return;
    }
    const next: Delivery = { ...delivery, attempt: delivery.attempt + 1, lastError: reason };
    await rescheduleScript(redis, [dueKey, deliveriesKey], [item.id, nextAt, JSON.stringify(next)]);
  }

  /**
   * Delivers one endpoint's share of a claim. The first delivery goes alone, as a probe; when it
   * succeeds the rest go concurrently. After a failure, deliveries not yet sent wait for the
   * endpoint's backoff, and the endpoint's failure count grows once for the whole batch.
   */
  async function deliverToEndpoint(items: Claimed[], claimedAt: number): Promise<void> {
    const first = items[0];
    if (!first) return;
    const { tenantId, endpointId } = first.delivery;
    const endpoint = (await endpointsOf(tenantId)).find((e) => e.id === endpointId);
    if (!endpoint) {
      await drop(items.map((i) => i.id));
      log.info({ tenantId, endpointId, dropped: items.length }, 'webhook deliveries dropped: endpoint removed');
      return;
    }
    const health = await readHealth(endpointId);
    if (health.nextAt > now()) {
      await defer(items, health.nextAt);
      return;
    }
    let failing = health.failures > 0;
    let backoff: Promise<number> | undefined;
    // Past half the lease, what is left goes back to the queue rather than race the lease's end.
    const mayPost = () => backoff === undefined && now() - claimedAt < leaseMs / 2;
    const deliver = async (item: Claimed): Promise<void> => {
      let outcome: PostOutcome | undefined;
      if (mayPost()) {
        await slots.acquire();
        try {
          if (mayPost()) outcome = await post(endpoint, item.delivery.event);
        } finally {
          slots.release();
        }
      }
      if (outcome === undefined) {
        await defer([item], backoff ? await backoff : now());
        return;
      }
      if (outcome.ok) {
        await succeed(item, failing);
        failing = false;
        return;
      }
      backoff ??= recordFailure(endpointId, health.failures, outcome.retryAfterMs);
      await fail(item, outcome.reason, await backoff);
    };
    const [, ...rest] = items;
    await deliver(first);
    await Promise.all(rest.map(deliver));
  }

  async function drainOnce(): Promise<number> {
    const claimedAt = now();
    const raw = (await claimScript(redis, [dueKey, deliveriesKey], [claimedAt, claimedAt + leaseMs, batchSize])) as string[];
    const byEndpoint = new Map<string, Claimed[]>();
    const unreadable: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const id = raw[i] ?? '';
      let parsed: ReturnType<typeof DeliverySchema.safeParse> | undefined;
      try {
        parsed = DeliverySchema.safeParse(JSON.parse(raw[i + 1] ?? ''));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) {
        unreadable.push(id);
        continue;
      }
      const group = byEndpoint.get(parsed.data.endpointId) ?? [];
      group.push({ id, delivery: parsed.data });
      byEndpoint.set(parsed.data.endpointId, group);
    }
    if (unreadable.length > 0) {
      log.error({ deliveryIds: unreadable }, 'unreadable webhook deliveries dropped');
      await drop(unreadable);
    }
    const results = await Promise.allSettled([...byEndpoint.values()].map((items) => deliverToEndpoint(items, claimedAt)));
    // A Redis error leaves the affected deliveries claimed: they come due again when the lease ends.
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return raw.length / 2;
  }

  let loop: Promise<void> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  return {
    async enqueue(event) {
      const endpoints = (await endpointsOf(event.tenantId)).filter((e) => !e.statuses || e.statuses.includes(event.status));
      if (endpoints.length === 0) return;
      const args: Array<string | number> = [now()];
      for (const endpoint of endpoints) {
        const delivery: Delivery = { tenantId: event.tenantId, endpointId: endpoint.id, attempt: 1, event };
        args.push(`${endpoint.id}:${event.id}`, JSON.stringify(delivery));
      }
      await enqueueScript(redis, [dueKey, deliveriesKey, ...endpoints.map((e) => keys.webhookHealth(e.id))], args);
    },

    start() {
      if (loop) return;
      stopping = false;
      loop = (async () => {
        while (!stopping) {
          let claimed = 0;
          try {
            claimed = await drainOnce();
          } catch (err) {
            log.error({ err }, 'webhook sweep failed');
          }
          if (claimed < batchSize && !stopping) await pause(pollIntervalMs);
        }
      })();
    },

    async stop() {
      stopping = true;
      wake?.();
      await loop;
      loop = undefined;
      agents.http.destroy();
      agents.https.destroy();
    },

    drainOnce,
  };
}
