import type { StoredNotification } from '@herald/contracts';
import { createLogger } from '@herald/service';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { createNotificationHistory, encodeHistoryCursor, ensureStoreIndexes, parseHistoryCursor } from './history.js';
import { createPreferencesStore } from './preferences.js';
import { createWebhookEndpointStore } from './webhook-endpoints.js';

// Against a real daprd serving the local state store component, on a PostgreSQL database of
// this file's own.
const { sidecar, sql } = await useTestStateStore();
const silentLog = createLogger('records-test', 'silent');
const id = (n: number): string => `ntf_${String(n).padStart(26, '0')}`;

describe('preferences in the store of record', () => {
  const prefs = createPreferencesStore(sidecar);

  it('keeps a customer preferences under the tenant, and forgets them on remove', async () => {
    expect(await prefs.get('t1', 'c1')).toBeUndefined();
    await prefs.put('t1', 'c1', { optedOut: ['email'] });
    expect(await prefs.get('t1', 'c1')).toEqual({ optedOut: ['email'] });
    expect(await prefs.get('t2', 'c1')).toBeUndefined();
    expect(await prefs.remove('t1', 'c1')).toBe(true);
    expect(await prefs.remove('t1', 'c1')).toBe(false);
    expect(await prefs.get('t1', 'c1')).toBeUndefined();
  });

  it('is one row a customer, under a key without an app prefix, so every app reads it alike', async () => {
    await prefs.put('t1', 'c2', { optedOut: ['sms'] });
    expect(sql(`SELECT key, value->'optedOut'->>0 FROM records WHERE key LIKE 'prefs|%'`)).toEqual([['prefs|t1|c2', 'sms']]);
  });
});

describe('webhook endpoints in the store of record', () => {
  it('loses no endpoint when two are registered at once (each write is at the version it read)', async () => {
    const a = createWebhookEndpointStore(sidecar);
    const b = createWebhookEndpointStore(sidecar);
    const made = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).create('t-race', { url: `https://example.com/hook/${i}` })));
    const listed = await a.list('t-race');
    expect(listed.map((e) => e.id).sort()).toEqual(made.map((e) => e.id).sort());
  });

  it('removes only the named endpoint of the named tenant, and says when there was none', async () => {
    const removed: string[] = [];
    const store = createWebhookEndpointStore(sidecar, { onRemoved: async (endpointId) => void removed.push(endpointId) });
    const first = await store.create('t-rm', { url: 'https://example.com/a' });
    const second = await store.create('t-rm', { url: 'https://example.com/b' });
    expect(await store.remove('t-other', first.id)).toBe(false);
    expect(await store.remove('t-rm', first.id)).toBe(true);
    expect(await store.remove('t-rm', first.id)).toBe(false);
    expect((await store.list('t-rm')).map((e) => e.id)).toEqual([second.id]);
    const kept = await store.get('t-rm', second.id);
    expect(kept?.url).toBe('https://example.com/b');
    expect(kept?.secret).toMatch(/^whsec_/);
    expect(removed).toEqual([first.id]);
  });
});

describe('customer history: a query over the notifications as stored', () => {
  const now = new Date('2026-12-01T12:00:00.000Z');
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  const stored = (n: number, customerId: string, createdAt: string, tenantId = 'tenant-h'): StoredNotification => ({
    id: id(n), tenantId, customerId, channels: ['email'], channelIndex: 0, priority: 'bulk', status: 'sent', attempt: 1,
    createdAt, updatedAt: createdAt, timeline: [{ at: createdAt, status: 'accepted' }],
  });
  // The state as the actor writes it, in the actors' table (under a key of the test's: the query reads values, not keys).
  const put = (s: StoredNotification) => sidecar.saveState('statestore', `test|${s.id}`, { ...s, to: { email: 'x@example.com' } });
  const sqlStore = { binding: 'statestore-sql', table: 'state' };
  const history = createNotificationHistory(sidecar, { ...sqlStore, retentionDays: 90 });

  beforeAll(async () => {
    await ensureStoreIndexes(sidecar, { ...sqlStore, recordsTable: 'records', log: silentLog });
    // Two in the same millisecond (ordered by id), one 85 days old, one past the retention,
    // one of another customer and one of another tenant.
    await Promise.all([
      put(stored(1, 'c-h', at(1))), put(stored(2, 'c-h', at(2))), put(stored(3, 'c-h', at(2))), put(stored(4, 'c-h', at(60))),
      put(stored(5, 'c-h', at(85 * 1440))), put(stored(6, 'c-h', at(91 * 1440))),
      put(stored(7, 'c-other', at(1))), put(stored(8, 'c-h', at(1), 'tenant-other')),
    ]);
  });

  async function pages(limit: number): Promise<string[][]> {
    const out: string[][] = [];
    let next: string | undefined;
    do {
      const before = next === undefined ? undefined : parseHistoryCursor(next, 'tenant-h', 'c-h');
      if (before && !before.ok) throw new Error(before.reason);
      const page = await history.list('tenant-h', 'c-h', { limit, now, ...(before ? { before: before.cursor } : {}) });
      out.push(page.items.map((i) => i.id));
      next = page.next;
    } while (next);
    return out;
  }

  it('lists the customer newest first within the retention, in pages that neither skip nor repeat', async () => {
    expect(await pages(2)).toEqual([[id(1), id(3)], [id(2), id(4)], [id(5)]]);
    expect(await pages(10)).toEqual([[id(1), id(3), id(2), id(4), id(5)]]);
  });

  it('is served by its index, and the expiry by one of its own (no scan of every notification kept)', () => {
    const plan = (query: string) => sql(`SET enable_seqscan = off; EXPLAIN ${query}`).flat().join('\n');
    expect(plan(`SELECT value FROM state WHERE value->>'tenantId' = 'tenant-h' AND value->>'customerId' = 'c-h' ORDER BY value->>'createdAt' DESC, value->>'id' DESC LIMIT 3`)).toContain('state_herald_history');
    expect(plan(`DELETE FROM state WHERE expiredate IS NOT NULL AND expiredate < CURRENT_TIMESTAMP`)).toContain('state_herald_expiry');
    expect(plan(`DELETE FROM records WHERE expiredate IS NOT NULL AND expiredate < CURRENT_TIMESTAMP`)).toContain('records_herald_expiry');
  });

  it('makes its indexes once a table Dapr creates later is there', async () => {
    const making = ensureStoreIndexes(sidecar, { binding: 'statestore-sql', table: 'late_state', recordsTable: 'records', log: silentLog, retryMs: 50 });
    await new Promise((r) => setTimeout(r, 200));
    sql('CREATE TABLE late_state (key text PRIMARY KEY, value jsonb NOT NULL, expiredate timestamptz)');
    await making;
    const indexes = sql(`SELECT indexname FROM pg_indexes WHERE tablename = 'late_state' ORDER BY indexname`).map(([name]) => name);
    expect(indexes).toEqual(['late_state_herald_expiry', 'late_state_herald_history', 'late_state_pkey']);
  });

  it('starts before an ISO time', async () => {
    const page = await history.list('tenant-h', 'c-h', { limit: 10, now, before: { at: at(30) } });
    expect(page.items.map((i) => i.id)).toEqual([id(4), id(5)]);
  });

  it("refuses another customer's or tenant's cursor, and reads an ISO time as a start", () => {
    const cursor = encodeHistoryCursor('tenant-h', 'c-h', { at: at(2), id: id(3) });
    expect(parseHistoryCursor(cursor, 'tenant-h', 'c-h')).toEqual({ ok: true, cursor: { at: at(2), id: id(3) } });
    expect(parseHistoryCursor(cursor, 'tenant-h', 'c-other')).toEqual({ ok: false, reason: 'not_this_customer' });
    expect(parseHistoryCursor(cursor, 'tenant-other', 'c-h')).toEqual({ ok: false, reason: 'not_this_customer' });
    expect(parseHistoryCursor('2026-11-30T00:00:00Z', 'tenant-h', 'c-h')).toEqual({ ok: true, cursor: { at: '2026-11-30T00:00:00.000Z' } });
    expect(parseHistoryCursor('yesterday', 'tenant-h', 'c-h')).toEqual({ ok: false, reason: 'malformed' });
  });
});
