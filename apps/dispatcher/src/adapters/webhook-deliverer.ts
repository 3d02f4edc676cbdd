import type { StatusEvent, WebhookEndpoint } from '@herald/contracts';
import { errMessage, stopwatch, type Logger } from '@herald/service';
import type { DataKeys, Redis, RedisKeys, WebhookEndpointStore } from '@herald/stores';
import { retryDelayMs, type RetryPolicy } from '../domain/backoff.js';
import { createEventOpener } from './webhook-metadata.js';
import { createWebhookPoster, type PostOutcome } from './webhook-post.js';
import { createWebhookQueue, type Claimed } from './webhook-queue.js';
import { noWebhookMetrics, type WebhookMetrics } from './metrics.js';

// Status events reach tenants' webhook endpoints through the durable queue of webhook-queue.ts.
// Backoff is per endpoint, not per delivery: while an endpoint fails, every delivery to it
// waits for the same next-allowed time, so an outage costs one probe per backoff step rather
// than one request per pending event.

export interface WebhookDeliveryPolicy extends RetryPolicy {
  /** Deadline of one POST, response headers included. */
  timeoutMs: number;
}

export interface WebhookDelivererDeps {
  /** The delivery queue and each endpoint's health (operational, in Redis). */
  redis: Redis;
  keys: RedisKeys;
  /** The tenants' endpoints (records, in the store of record). */
  endpoints: Pick<WebhookEndpointStore, 'list'>;
  /** The customers' data keys: an event's metadata is queued sealed and opened just before its POST. */
  dataKeys: Pick<DataKeys, 'forOpening'>;
  log: Logger;
  /** Deliver to private, loopback and link-local addresses too (local development, tests). */
  allowPrivate: boolean;
  /** Counts deliveries and times POSTs (metrics.ts); nothing when absent. */
  metrics?: WebhookMetrics;
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
  /**
   * How long one sweep waits for its endpoints before claiming more: a slower endpoint goes on
   * in the background (its deliveries stay leased), so it never holds back anyone else's.
   */
  sweepWaitMs?: number;
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

const MAX_CACHED_TENANTS = 10_000;
/** POSTs in flight to one endpoint at once: a slow endpoint takes at most this many of the process's slots. */
const PER_ENDPOINT_CONCURRENCY = 4;
/** How long a delivery waits when its customer's data key could not be read (the store, not the endpoint, failed). */
const KEY_RETRY_MS = 5_000;

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

export function createWebhookDeliverer(deps: WebhookDelivererDeps): WebhookDeliverer {
  const { redis, keys, log, allowPrivate } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const metrics = deps.metrics ?? noWebhookMetrics;
  const policy: WebhookDeliveryPolicy = { ...defaultWebhookDeliveryPolicy, ...deps.policy };
  const pollIntervalMs = deps.pollIntervalMs ?? 250;
  const endpointCacheMs = deps.endpointCacheMs ?? 5_000;
  const concurrency = deps.concurrency ?? 16;
  const leaseMs = deps.leaseMs ?? 60_000;
  const batchSize = concurrency * 8;
  const sweepWaitMs = deps.sweepWaitMs ?? 1_000;
  /** Endpoints with deliveries in flight, each with the work that finishes them. */
  const busy = new Map<string, Promise<void>>();
  // A failing endpoint's health outlives its longest backoff, then resets by itself.
  const queue = createWebhookQueue(redis, keys, Math.max(2 * policy.maxDelayMs, 86_400_000));
  const store = deps.endpoints;
  const slots = createSemaphore(concurrency);
  const poster = createWebhookPoster({ allowPrivate, timeoutMs: policy.timeoutMs, maxRetryAfterMs: policy.maxDelayMs, now });
  const openEvent = createEventOpener(deps.dataKeys);

  /**
   * The event as its receiver gets it, metadata opened; undefined (the delivery put back for a
   * little later) while the data key cannot be read. Not the endpoint's failure: its backoff and
   * the delivery's attempts stay as they are.
   */
  async function opened(item: Claimed): Promise<StatusEvent | undefined> {
    try {
      return await openEvent(item.delivery.event);
    } catch (err) {
      const { tenantId, endpointId, event } = item.delivery;
      log.warn({ tenantId, endpointId, eventId: event.id, notificationId: event.notificationId, err: errMessage(err) }, 'webhook delivery waits: data key unreadable');
      await queue.defer([item], now() + KEY_RETRY_MS);
      return undefined;
    }
  }

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

  /** Counts one more consecutive failure of the endpoint and returns when it may be tried again. */
  async function recordFailure(endpointId: string, previousFailures: number, retryAfter: number | undefined): Promise<number> {
    const failures = previousFailures + 1;
    const nextAt = now() + retryDelayMs(policy, failures, random(), retryAfter);
    await queue.setHealth(endpointId, { failures, nextAt });
    return nextAt;
  }

  async function fail(item: Claimed, reason: string, nextAt: number): Promise<void> {
    const { delivery } = item;
    if (delivery.attempt < policy.maxAttempts) {
      metrics.delivery('failed');
      return queue.retry(item, reason, nextAt);
    }
    await queue.bury(item, reason, now());
    metrics.delivery('given_up');
    log.warn(
      { tenantId: delivery.tenantId, endpointId: delivery.endpointId, eventId: delivery.event.id, notificationId: delivery.event.notificationId, attempts: delivery.attempt, reason },
      'webhook delivery given up after its last attempt',
    );
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
      await queue.drop(items.map((i) => i.id));
      metrics.delivery('dropped', items.length);
      log.info({ tenantId, endpointId, dropped: items.length }, 'webhook deliveries dropped: endpoint removed');
      return;
    }
    const health = await queue.health(endpointId);
    if (health.nextAt > now()) {
      await queue.defer(items, health.nextAt);
      return;
    }
    let failing = health.failures > 0;
    let backoff: Promise<number> | undefined;
    // Past half the lease, what is left goes back to the queue rather than race the lease's end.
    const mayPost = () => backoff === undefined && now() - claimedAt < leaseMs / 2;
    const deliver = async (item: Claimed): Promise<void> => {
      let outcome: PostOutcome | undefined;
      if (mayPost()) {
        const event = await opened(item);
        if (event === undefined) return;
        await slots.acquire();
        try {
          if (mayPost()) {
            const elapsed = stopwatch();
            outcome = await poster.post(endpoint, event);
            metrics.post(elapsed());
          }
        } finally {
          slots.release();
        }
      }
      if (outcome === undefined) {
        await queue.defer([item], backoff ? await backoff : now());
        return;
      }
      if (outcome.ok) {
        await queue.complete(item, failing);
        metrics.delivery('delivered');
        failing = false;
        return;
      }
      backoff ??= recordFailure(endpointId, health.failures, outcome.retryAfterMs);
      await fail(item, outcome.reason, await backoff);
    };
    const [, ...rest] = items;
    await deliver(first);
    for (let i = 0; i < rest.length; i += PER_ENDPOINT_CONCURRENCY) await Promise.all(rest.slice(i, i + PER_ENDPOINT_CONCURRENCY).map(deliver));
  }

  async function drainOnce(): Promise<number> {
    const claimedAt = now();
    const { claimed, unreadable } = await queue.claim(claimedAt, claimedAt + leaseMs, batchSize);
    const byEndpoint = new Map<string, Claimed[]>();
    for (const item of claimed) {
      const group = byEndpoint.get(item.delivery.endpointId) ?? [];
      group.push(item);
      byEndpoint.set(item.delivery.endpointId, group);
    }
    if (unreadable.length > 0) {
      log.error({ deliveryIds: unreadable }, 'unreadable webhook deliveries dropped');
      await queue.drop(unreadable);
    }
    // One endpoint at a time: what a busy endpoint was given meanwhile waits for the next sweep.
    const later: Claimed[] = [];
    const started: Array<Promise<void>> = [];
    for (const [endpointId, items] of byEndpoint) {
      if (busy.has(endpointId)) {
        later.push(...items);
        continue;
      }
      const work = deliverToEndpoint(items, claimedAt)
        // A Redis error leaves the affected deliveries claimed: they come due again when the lease ends.
        .catch((err: unknown) => log.error({ err, endpointId }, 'webhook deliveries failed; due again when their lease ends'))
        .finally(() => busy.delete(endpointId));
      busy.set(endpointId, work);
      started.push(work);
    }
    if (later.length > 0) await queue.defer(later, now() + sweepWaitMs);
    // Wait for this sweep's endpoints, but not for a slow one: it goes on in the background.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(started), new Promise<void>((resolve) => (timer = setTimeout(resolve, sweepWaitMs)))]);
    clearTimeout(timer);
    return claimed.length + unreadable.length;
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
      await queue.enqueue(event, endpoints.map((e) => e.id), now());
    },

    start() {
      if (loop) return;
      stopping = false;
      loop = (async () => {
        // While the queue's Redis is out, sweeps fail: they back off (up to 5 s) and say so once,
        // then every 20th time, instead of an error line every poll.
        let failures = 0;
        while (!stopping) {
          let claimed = 0;
          try {
            claimed = await drainOnce();
            if (failures > 0) log.info({ failures }, 'webhook sweeps work again');
            failures = 0;
          } catch (err) {
            failures++;
            if (failures % 20 === 1) log.error({ err, failures }, 'webhook sweep failed');
          }
          const wait = failures > 0 ? Math.min(pollIntervalMs * 2 ** failures, 5_000) : claimed < batchSize ? pollIntervalMs : 0;
          if (wait > 0 && !stopping) await pause(wait);
        }
      })();
    },

    async stop() {
      stopping = true;
      wake?.();
      await loop;
      await Promise.all(busy.values());
      loop = undefined;
      poster.close();
    },

    drainOnce,
  };
}
