import { useTestRedis } from '../../../test/support/test-redis.js';
import { createHistoryIndex, historyBucket, parseHistoryCursor } from './history-index.js';

// Against the real Redis of the local stack, in a key namespace of its own.
const { redis, keys } = useTestRedis();
const index = createHistoryIndex(redis, keys, 30);
const HOUR = 3_600_000;
const nowMs = Math.floor(Date.now() / HOUR) * HOUR + 30 * 60_000; // half past the current hour
const id = (n: number): string => `ntf_${String(n).padStart(26, '0')}`;

async function allPages(customer: string, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let before: string | undefined;
  for (;;) {
    const cursor = before === undefined ? undefined : parseHistoryCursor(before);
    const page = await index.list('t', customer, { limit, nowMs, ...(cursor ? { before: cursor } : {}) });
    pages.push(page.items.map((i) => i.id));
    if (!page.next) return pages;
    before = page.next;
  }
}

describe('customer history index', () => {
  it('lists newest first across hourly buckets and days, in pages that neither skip nor repeat', async () => {
    // 3 in this hour, 2 an hour ago, 1 two days ago: three buckets, two round trips.
    const times = [nowMs - 1_000, nowMs - 2_000, nowMs - 3_000, nowMs - HOUR, nowMs - HOUR - 1, nowMs - 49 * HOUR];
    for (const [i, t] of times.entries()) await index.add('t', 'c-pages', id(i), t);
    expect(await allPages('c-pages', 2)).toEqual([[id(0), id(1)], [id(2), id(3)], [id(4), id(5)]]);
    expect(await allPages('c-pages', 10)).toEqual([[id(0), id(1), id(2), id(3), id(4), id(5)]]);
  });

  it('keeps entries of the same millisecond apart by id, across a page boundary', async () => {
    for (const n of [7, 3, 5, 1]) await index.add('t', 'c-ties', id(n), nowMs - 5_000);
    expect(await allPages('c-ties', 3)).toEqual([[id(7), id(5), id(3)], [id(1)]]);
  });

  it('adds idempotently (a redelivery), says which add was the first, and gives each bucket an expiry', async () => {
    expect(await index.add('t', 'c-idem', id(1), nowMs)).toBe(true);
    expect(await index.add('t', 'c-idem', id(1), nowMs)).toBe(false);
    const key = keys.history('t', 'c-idem', historyBucket(nowMs));
    expect(await redis.zcard(key)).toBe(1);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(29 * 24 * HOUR);
    expect(ttl).toBeLessThanOrEqual(30 * 24 * HOUR + HOUR);
  });

  it('keeps nothing already past the retention, and does not call it new', async () => {
    const old = nowMs - 31 * 24 * HOUR;
    expect(await index.add('t', 'c-old', id(2), old)).toBe(false);
    expect(await redis.exists(keys.history('t', 'c-old', historyBucket(old)))).toBe(0);
  });

  it('starts before a given time, and reads an ISO time or a cursor as `before`', async () => {
    expect(parseHistoryCursor('2026-11-25T10:00:00Z')).toEqual({ atMs: Date.parse('2026-11-25T10:00:00Z') });
    expect(parseHistoryCursor(`123.${id(9)}`)).toEqual({ atMs: 123, id: id(9) });
    expect(parseHistoryCursor('yesterday')).toBeUndefined();
    const page = await index.list('t', 'c-pages', { limit: 10, nowMs, before: { atMs: nowMs - HOUR + 1 } });
    expect(page.items.map((i) => i.id)).toEqual([id(3), id(4), id(5)]);
  });

  it('returns an empty page for a customer with no history', async () => {
    expect(await index.list('t', 'nobody', { limit: 5, nowMs })).toEqual({ items: [] });
  });
});
