import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';
import { redisScript } from './script.js';

// A customer's recent notifications, newest first, without scanning the store: one sorted set
// per customer per hour (score = accepted time in ms, member = notification id). A busy
// customer's writes move to a new key every hour instead of piling onto one hot key, and
// every bucket expires on its own once it is older than the retention.

export interface HistoryItem {
  id: string;
  acceptedAt: string;
}

export interface HistoryPage {
  items: HistoryItem[];
  /** Pass as `before` to get the next (older) page; absent on the last page. */
  next?: string;
}

export interface HistoryIndex {
  /**
   * Adds the notification to its customer's history. Resolves true when the entry is new (this
   * id was not in its bucket), false when it was there already or is too old to keep.
   */
  add(tenantId: string, customerId: string, notificationId: string, acceptedAtMs: number): Promise<boolean>;
  list(tenantId: string, customerId: string, opts: { limit: number; before?: HistoryCursor; nowMs: number }): Promise<HistoryPage>;
}

/** Where a page starts: strictly older than (atMs, id). */
export interface HistoryCursor {
  atMs: number;
  id?: string;
}

const HOUR_MS = 3_600_000;

/** `YYYYMMDDHH` in UTC. */
export function historyBucket(ms: number): string {
  return new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '');
}

export function encodeHistoryCursor(c: Required<HistoryCursor>): string {
  return `${c.atMs}.${c.id}`;
}

/** Reads `before`: a cursor from a previous page, or an ISO date-time. */
export function parseHistoryCursor(text: string): HistoryCursor | undefined {
  const m = /^(\d{1,15})\.(ntf_[0-9a-z]{26})$/.exec(text);
  if (m?.[1] && m[2]) return { atMs: Number(m[1]), id: m[2] };
  const ms = Date.parse(text);
  return /^\d{4}-\d{2}-\d{2}T/.test(text) && Number.isFinite(ms) ? { atMs: ms } : undefined;
}

// One round trip, one write: add, give a new bucket its expiry, and say whether the id is new.
const ADD = redisScript(`
local added = redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return added`);

export function createHistoryIndex(redis: Redis, keys: RedisKeys, retentionDays: number): HistoryIndex {
  const retentionMs = retentionDays * 24 * HOUR_MS;

  return {
    async add(tenantId, customerId, notificationId, acceptedAtMs) {
      // The bucket lives until its last entry is `retentionMs` old.
      const ttl = Math.floor(acceptedAtMs / HOUR_MS) * HOUR_MS + HOUR_MS + retentionMs - Date.now();
      if (ttl <= 0) return false;
      return (await ADD(redis, [keys.history(tenantId, customerId, historyBucket(acceptedAtMs))], [acceptedAtMs, notificationId, ttl])) === 1;
    },

    async list(tenantId, customerId, { limit, before, nowMs }) {
      const startMs = Math.min(before?.atMs ?? nowMs, nowMs + HOUR_MS);
      // Strictly older than the cursor: an exclusive bound, plus the cursor's own millisecond
      // read apart, where ties are ordered by id.
      const max = before ? `(${startMs}` : startMs;
      const horizon = nowMs - retentionMs - HOUR_MS;
      const items: HistoryItem[] = [];
      const collect = (flat: string[], keep: (id: string) => boolean = () => true): void => {
        for (let i = 0; i + 1 < flat.length; i += 2) {
          const id = flat[i] as string;
          if (keep(id)) items.push({ id, acceptedAt: new Date(Number(flat[i + 1])).toISOString() });
        }
      };
      if (before?.id !== undefined) {
        const beforeId = before.id;
        const ties = await redis.zrangebyscore(keys.history(tenantId, customerId, historyBucket(startMs)), startMs, startMs, 'WITHSCORES');
        collect(ties, (id) => id < beforeId);
      }
      // Walk back a day of hourly buckets per round trip until the page is full.
      for (let hour = Math.floor(startMs / HOUR_MS) * HOUR_MS; hour >= horizon && items.length <= limit; hour -= 24 * HOUR_MS) {
        const pipeline = redis.pipeline();
        for (let h = 0; h < 24; h++) {
          const bucketMs = hour - h * HOUR_MS;
          pipeline.zrevrangebyscore(keys.history(tenantId, customerId, historyBucket(bucketMs)), max, '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 1);
        }
        for (const [err, reply] of (await pipeline.exec()) ?? []) {
          if (err) throw err;
          collect(reply as string[]);
        }
      }
      items.sort((a, b) => (a.acceptedAt === b.acceptedAt ? (a.id < b.id ? 1 : -1) : a.acceptedAt < b.acceptedAt ? 1 : -1));
      const page = items.slice(0, limit);
      const last = page.at(-1);
      return items.length > limit && last ? { items: page, next: encodeHistoryCursor({ atMs: Date.parse(last.acceptedAt), id: last.id }) } : { items: page };
    },
  };
}
