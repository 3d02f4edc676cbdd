import { errMessage, type Logger } from '@herald/service';
import type { Redis, RedisKeys } from '@herald/stores';

/** A tenant's usage as far as this replica knows: everyone's counts at the last sync, plus its own since. */
export interface QuotaUsage {
  requestsThisSecond: number;
  notificationsToday: number;
}

export interface QuotaCounter {
  usage(tenantId: string, now: Date): QuotaUsage;
  /** Counts an admitted request and the notifications it carried. */
  record(tenantId: string, notifications: number, now: Date): void;
  /** Gives back notifications that were counted but not accepted (their publish failed). */
  refund(tenantId: string, notifications: number, now: Date): void;
  start(): void;
  stop(): Promise<void>;
}

interface TenantCounts {
  second: number;
  secondGlobal: number;
  secondUnsynced: number;
  day: string;
  dayGlobal: number;
  dayUnsynced: number;
  /** Until when (epoch seconds) the tenant is synced even without new requests. */
  activeUntil: number;
}

const dayOf = (now: Date): string => now.toISOString().slice(0, 10);
const secondOf = (now: Date): number => Math.floor(now.getTime() / 1000);

/**
 * Per-tenant request and volume counts shared by every intake replica through Redis, without a
 * Redis write per request: each replica counts locally and every `syncMs` adds what it counted
 * to the shared counters (INCRBY, one write for all active tenants) and reads back the
 * totals. A decision sees everyone's counts as of the last sync plus its own since, so with R
 * replicas a tenant can overshoot a per-second limit by at most what R-1 replicas admit in one
 * `syncMs`; the daily volume by the same. That is the price of not putting Redis on the
 * request path, and the usual one (token buckets at the edge, reconciled centrally).
 */
export function createQuotaCounter(opts: { redis: Redis; keys: RedisKeys; syncMs: number; log: Logger }): QuotaCounter {
  const tenants = new Map<string, TenantCounts>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let loggedError: string | undefined;

  function countsOf(tenantId: string, now: Date): TenantCounts {
    const second = secondOf(now);
    const day = dayOf(now);
    let c = tenants.get(tenantId);
    if (!c) {
      c = { second, secondGlobal: 0, secondUnsynced: 0, day, dayGlobal: 0, dayUnsynced: 0, activeUntil: second + 5 };
      tenants.set(tenantId, c);
    }
    if (c.second !== second) {
      // Counts of a past second are spent; what was not synced of it no longer matters.
      c.second = second;
      c.secondGlobal = 0;
      c.secondUnsynced = 0;
    }
    if (c.day !== day) {
      c.day = day;
      c.dayGlobal = 0;
      c.dayUnsynced = 0;
    }
    return c;
  }

  async function sync(): Promise<void> {
    const now = new Date();
    const nowSecond = secondOf(now);
    const batch: Array<{ tenantId: string; c: TenantCounts; second: number; secondDelta: number; day: string; dayDelta: number }> = [];
    for (const [tenantId, c] of tenants) {
      if (c.activeUntil < nowSecond && c.secondUnsynced === 0 && c.dayUnsynced === 0) {
        tenants.delete(tenantId);
        continue;
      }
      countsOf(tenantId, now);
      batch.push({ tenantId, c, second: c.second, secondDelta: c.secondUnsynced, day: c.day, dayDelta: c.dayUnsynced });
    }
    if (batch.length === 0) return;
    // Issued in one tick, so the client sends them in one write. A tenant whose replies came back
    // is synced even when another's failed; the failed one's counts go with the next round.
    const synced = await Promise.allSettled(
      batch.map(async (b) => {
        const sk = opts.keys.quotaSecond(b.tenantId, b.second);
        const dk = opts.keys.quotaDay(b.tenantId, b.day);
        const [second, , day] = await Promise.all([opts.redis.incrBy(sk, b.secondDelta), opts.redis.expire(sk, 10), opts.redis.incrBy(dk, b.dayDelta), opts.redis.expire(dk, 2 * 86_400)]);
        // Counted while the commands were out stays unsynced for the next round.
        if (b.c.second === b.second) {
          b.c.secondUnsynced -= b.secondDelta;
          b.c.secondGlobal = second;
        }
        if (b.c.day === b.day) {
          b.c.dayUnsynced -= b.dayDelta;
          b.c.dayGlobal = day;
        }
      }),
    );
    const failed = synced.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  }

  function tick(): void {
    running = sync()
      .then(() => {
        loggedError = undefined;
      })
      .catch((err: unknown) => {
        // Counts stay unsynced and go with the next round: nothing is forgotten.
        const error = errMessage(err);
        if (error !== loggedError) opts.log.warn({ err: error }, 'could not sync tenant quotas; deciding on local counts');
        loggedError = error;
      })
      .finally(() => {
        running = undefined;
        if (timer) timer = setTimeout(tick, opts.syncMs);
      });
  }

  return {
    usage(tenantId, now) {
      const c = countsOf(tenantId, now);
      return { requestsThisSecond: c.secondGlobal + c.secondUnsynced, notificationsToday: c.dayGlobal + c.dayUnsynced };
    },
    record(tenantId, notifications, now) {
      const c = countsOf(tenantId, now);
      c.secondUnsynced += 1;
      c.dayUnsynced += notifications;
      c.activeUntil = secondOf(now) + 5;
    },
    refund(tenantId, notifications, now) {
      countsOf(tenantId, now).dayUnsynced -= notifications;
    },
    start() {
      timer = setTimeout(tick, opts.syncMs);
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running;
      // What was counted since the last round still counts for the other replicas.
      await sync().catch(() => undefined);
    },
  };
}
