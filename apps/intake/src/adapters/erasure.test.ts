import { randomBytes } from 'node:crypto';
import type { Erasure, NotificationStatus, StoredNotification } from '@herald/contracts';
import type { ActorPort } from '@herald/dapr';
import { createLogger } from '@herald/service';
import {
  createCustomerStore,
  createDataKeys,
  createErasureRuns,
  createNotificationHistory,
  createPreferencesStore,
  dataKeyKey,
  KEY_STORE,
  parseKeyRing,
  sealProfile,
} from '@herald/stores';
import { useTestStateStore } from '../../../../test/support/test-state.js';
import { waitFor } from '../../../../test/harness/stack.js';
import { createErasureService, type ErasureService, type ErasureServiceDeps } from './erasure.js';

// The erasure service against a real daprd serving the local components (records, datakeys, the
// actors' store and its SQL binding) on a database of this file's own. Only the notification
// actors are a fake: their `erase`, done on the same rows the history reads.

const { sidecar, sql } = await useTestStateStore();
const silentLog = createLogger('erasure-test', process.env.TEST_LOG ?? 'silent');
const ring = parseKeyRing('TEST_KEYS', JSON.stringify({ primary: 'k1', keys: { k1: randomBytes(32).toString('base64') } }));
const customers = createCustomerStore(sidecar);
const preferences = createPreferencesStore(sidecar);
const sqlStore = { binding: 'statestore-sql', recordsTable: 'records' };
const history = createNotificationHistory(sidecar, { binding: sqlStore.binding, table: 'state', retentionDays: 90 });
const runs = createErasureRuns(sidecar, { binding: sqlStore.binding, table: sqlStore.recordsTable });

/** The services' clock: it moves only when a test moves it. */
const clock = { ms: Date.parse('2026-12-01T12:00:00.000Z') };
/** The key cache's TTL: with no announcements (no KeyDrops here), an erasure completes that long after destroying the key. */
const CACHE_TTL_MS = 1_000;
const dataKeys = createDataKeys({ state: sidecar, ring, cacheTtlMs: CACHE_TTL_MS });
const iso = (ms: number): string => new Date(ms).toISOString();
let unique = 0;
/** A tenant and customer no other test uses. */
const fresh = (): { tenantId: string; customerId: string } => ({ tenantId: `t-${++unique}`, customerId: `cust-${unique}` });

const PENDING: NotificationStatus[] = ['accepted', 'scheduled', 'dispatched', 'retrying'];
/** Where a seeded notification's state is kept (the history reads values, not keys). */
const rowKey = (notificationId: string): string => `test|${notificationId}`;

async function seed(tenantId: string, customerId: string, n: number, status: NotificationStatus, createdAtMs: number): Promise<string> {
  const id = `ntf_${String(n).padStart(26, '0')}`;
  const at = iso(createdAtMs);
  const state: StoredNotification = {
    id, tenantId, customerId, channels: ['email'], channelIndex: 0, priority: 'bulk', status, attempt: 1,
    createdAt: at, updatedAt: at, timeline: [{ at, status: 'accepted' }],
  };
  await sidecar.saveState('statestore', rowKey(id), { ...state, to: { email: 's1.sealed' } });
  return id;
}

/** The notification actors' `erase`: the customer id and recipient stripped, a pending one canceled. */
class FakeActors implements ActorPort {
  readonly calls: Array<{ id: string; body: unknown }> = [];
  /** Notifications whose actor cannot be reached. */
  readonly unreachable = new Set<string>();

  async invokeActor(actorType: string, actorId: string, method: string, body?: unknown): Promise<unknown> {
    if (actorType !== 'NotificationActor' || method !== 'erase') throw new Error(`unexpected call ${actorType}.${method}`);
    this.calls.push({ id: actorId, body });
    if (this.unreachable.has(actorId)) throw new Error('actor unreachable');
    const entry = await sidecar.getState<StoredNotification & { to?: unknown }>('statestore', rowKey(actorId));
    if (!entry || entry.value.tenantId !== (body as { tenantId: string }).tenantId) return { outcome: 'not_found' };
    const { to: _to, ...rest } = entry.value;
    const canceled = PENDING.includes(rest.status);
    await sidecar.saveState('statestore', rowKey(actorId), { ...rest, customerId: '', status: canceled ? 'canceled' : rest.status });
    return { outcome: 'erased', canceled };
  }

  callsTo(id: string): number {
    return this.calls.filter((c) => c.id === id).length;
  }
}

const services: ErasureService[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.stop()));
});

function service(actors: ActorPort, overrides: Partial<ErasureServiceDeps> = {}): ErasureService {
  const s = createErasureService({
    sidecar: { ...sidecar, invokeActor: (type, id, method, body) => actors.invokeActor(type, id, method, body) },
    dataKeys, customers, preferences, history,
    log: silentLog,
    retentionSeconds: 3_600,
    sql: sqlStore,
    now: () => clock.ms,
    pageSize: 2,
    leaseMs: 300,
    retry: { firstMs: 10, maxMs: 50 },
    ...overrides,
  });
  services.push(s);
  return s;
}

const untilErasure = (s: ErasureService, e: Erasure, what: string, ok: (e: Erasure) => boolean): Promise<Erasure> =>
  waitFor(what, async () => {
    const now = await s.get(e.tenantId, e.id);
    return now && ok(now) ? now : undefined;
  }, 20_000, 20);

const leaseOf = async (tenantId: string, customerId: string) => (await runs.lease(tenantId, customerId))?.lease;
const customerOf = async (id: string) => (await sidecar.getState<StoredNotification>('statestore', rowKey(id)))?.value.customerId;

describe('erasing a customer', () => {
  it('destroys the data key first, then removes the profile and preferences: nothing of theirs opens again', async () => {
    const { tenantId, customerId } = fresh();
    const key = await dataKeys.forSealing(tenantId, customerId);
    await customers.putProfile(tenantId, customerId, sealProfile(key, { tenantId, customerId }, { email: 'jane@example.com' }));
    await preferences.put(tenantId, customerId, { optedOut: ['sms'] });
    const steps: string[] = [];
    const keyAtRemoval: unknown[] = [];
    const s = service(new FakeActors(), {
      dataKeys: {
        destroy: async (t, c) => {
          steps.push('key');
          return dataKeys.destroy(t, c);
        },
        forgetEverywhere: (t, c) => dataKeys.forgetEverywhere(t, c),
      },
      customers: {
        ...customers,
        removeProfile: async (t, c) => {
          steps.push('profile');
          keyAtRemoval.push(await sidecar.getState(KEY_STORE, dataKeyKey(t, c)));
          return customers.removeProfile(t, c);
        },
      },
      preferences: {
        remove: async (t, c) => {
          steps.push('preferences');
          return preferences.remove(t, c);
        },
      },
    });

    const erasure = await s.erase(tenantId, customerId, 'key-fp-1');

    expect(erasure).toMatchObject({
      tenantId, customerId, status: 'running', requestedAt: iso(clock.ms), requestedBy: 'key-fp-1',
      erased: { dataKey: true, profile: true, preferences: true, notificationsFound: 0, notificationsErased: 0, notificationsCanceled: 0 },
    });
    expect(erasure.id).toMatch(/^ers_[0-9a-z]{26}$/);
    expect(steps[0]).toBe('key');
    expect(steps.slice(1).sort()).toEqual(['preferences', 'profile']);
    expect(keyAtRemoval).toEqual([undefined]);
    // Neither this process (it forgot the key) nor one that never had it can open anything of theirs.
    expect(await dataKeys.forOpening(tenantId, customerId, key.id)).toBeUndefined();
    expect(await createDataKeys({ state: sidecar, ring }).forOpening(tenantId, customerId, key.id)).toBeUndefined();
    expect(await customers.read(tenantId, customerId)).toEqual({});
    expect(await s.get(tenantId, erasure.id)).toEqual(erasure);
  });

  it('erases each notification through its actor, counting them, and completes once the key caches have expired', async () => {
    const { tenantId, customerId } = fresh();
    const actors = new FakeActors();
    const minutesAgo = (m: number) => clock.ms - m * 60_000;
    const theirs = [
      await seed(tenantId, customerId, 101, 'sent', minutesAgo(1)),
      await seed(tenantId, customerId, 102, 'scheduled', minutesAgo(2)),
      await seed(tenantId, customerId, 103, 'delivered', minutesAgo(3)),
      await seed(tenantId, customerId, 104, 'retrying', minutesAgo(4)),
      await seed(tenantId, customerId, 105, 'failed', minutesAgo(5)),
    ];
    const anotherCustomers = await seed(tenantId, 'cust-other', 106, 'sent', minutesAgo(1));
    const anotherTenants = await seed('t-other', customerId, 107, 'sent', minutesAgo(1));
    // Made after the key was gone (under a key of its own): not this erasure's.
    const later = await seed(tenantId, customerId, 108, 'sent', clock.ms + CACHE_TTL_MS + 60_000);
    const s = service(actors);

    const erasure = await s.erase(tenantId, customerId, 'key-fp-1');
    const allDone = await untilErasure(s, erasure, 'every notification erased', (e) => e.erased.notificationsErased === 5);

    expect(allDone.status).toBe('running');
    expect(allDone.erased).toMatchObject({ notificationsFound: 5, notificationsErased: 5, notificationsCanceled: 2 });
    expect(actors.calls.map((c) => c.id).sort()).toEqual(theirs);
    expect(actors.calls.every((c) => (c.body as { tenantId: string }).tenantId === tenantId)).toBe(true);
    expect(await leaseOf(tenantId, customerId)).toBeDefined();

    // The key caches of other apps have not expired yet: not completed before they have.
    clock.ms += CACHE_TTL_MS - 1;
    // Its lease renewed at the new time: the run has been looking at the moved clock meanwhile.
    await waitFor('the lease renewed', async () => ((await leaseOf(tenantId, customerId))?.until === clock.ms + 300 ? true : undefined), 20_000, 20);
    expect((await s.get(tenantId, erasure.id))?.status).toBe('running');
    clock.ms += 1;
    const completed = await untilErasure(s, erasure, 'the erasure completed', (e) => e.status === 'completed');

    expect(completed.completedAt).toBe(iso(clock.ms));
    expect(completed.erased).toMatchObject({ dataKey: false, notificationsFound: 5, notificationsErased: 5, notificationsCanceled: 2 });
    await waitFor('the lease released', async () => ((await leaseOf(tenantId, customerId)) === undefined ? true : undefined), 20_000, 20);
    expect(await Promise.all(theirs.map(customerOf))).toEqual(['', '', '', '', '']);
    expect(await Promise.all([anotherCustomers, anotherTenants, later].map(customerOf))).toEqual(['cust-other', customerId, customerId]);
    // The audit record is kept for the retention period.
    const [[seconds]] = sql(`SELECT round(extract(epoch FROM expiredate - now())) FROM records WHERE key = 'erasure|${tenantId}|${erasure.id}'`) as [[string]];
    expect(Number(seconds)).toBeGreaterThan(3_590);
  });

  it('keeps trying a notification whose actor fails, and stays running until it is erased', async () => {
    const { tenantId, customerId } = fresh();
    const actors = new FakeActors();
    const ok = await seed(tenantId, customerId, 201, 'sent', clock.ms - 60_000);
    const stuck = await seed(tenantId, customerId, 202, 'sent', clock.ms - 120_000);
    actors.unreachable.add(stuck);
    const s = service(actors);

    const erasure = await s.erase(tenantId, customerId, 'key-fp-1');
    clock.ms += CACHE_TTL_MS;
    await waitFor('the failing actor called again and again', () => (actors.callsTo(stuck) >= 4 ? true : undefined), 20_000, 10);
    expect(await s.get(tenantId, erasure.id)).toMatchObject({ status: 'running', erased: { notificationsFound: 2, notificationsErased: 1 } });
    expect(actors.callsTo(ok)).toBe(1);

    actors.unreachable.delete(stuck);
    const completed = await untilErasure(s, erasure, 'the erasure completed', (e) => e.status === 'completed');
    expect(completed.erased).toMatchObject({ notificationsFound: 2, notificationsErased: 2 });
  });

  it('answers a second erase of the customer with the one running, even when both come at once', async () => {
    const { tenantId, customerId } = fresh();
    const actors = new FakeActors();
    const s = service(actors);
    const other = service(actors);

    const [a, b] = await Promise.all([s.erase(tenantId, customerId, 'key-fp-1'), other.erase(tenantId, customerId, 'key-fp-2')]);
    expect(a.id).toBe(b.id);
    expect((await s.erase(tenantId, customerId, 'key-fp-3')).id).toBe(a.id);
    expect(sql(`SELECT count(*) FROM records WHERE key LIKE 'erasure|${tenantId}|%'`)).toEqual([['1']]);

    clock.ms += CACHE_TTL_MS;
    await untilErasure(s, a, 'the erasure completed', (e) => e.status === 'completed');
    // Once it is done, erasing again is a new erasure (the customer may have come back since).
    const again = await s.erase(tenantId, customerId, 'key-fp-1');
    expect(again.id).not.toBe(a.id);
  });

  it('is not found by another tenant', async () => {
    const { tenantId, customerId } = fresh();
    const s = service(new FakeActors());
    const erasure = await s.erase(tenantId, customerId, 'key-fp-1');
    expect(await s.get(tenantId, erasure.id)).toBeDefined();
    expect(await s.get('t-someone-else', erasure.id)).toBeUndefined();
  });
});

describe('taking up erasures left running', () => {
  it('finishes one a stopped intake left, destroying the key if the record does not say it was', async () => {
    const { tenantId, customerId } = fresh();
    const key = await dataKeys.forSealing(tenantId, customerId);
    await preferences.put(tenantId, customerId, { optedOut: ['email'] });
    const pending = await seed(tenantId, customerId, 301, 'scheduled', clock.ms - 60_000);
    // What an intake that stopped just after recording the erasure leaves behind.
    const left: Erasure = {
      id: 'ers_0000000000000000000000left', tenantId, customerId, status: 'running', requestedAt: iso(clock.ms), requestedBy: 'key-fp-1',
      erased: { dataKey: false, profile: false, preferences: false, notificationsFound: 0, notificationsErased: 0, notificationsCanceled: 0 },
    };
    await customers.putErasure(left, 3_600);
    const actors = new FakeActors();

    const s = service(actors);
    await s.resume();
    await untilErasure(s, left, 'the notification erased', (e) => e.erased.notificationsErased === 1);
    expect(await createDataKeys({ state: sidecar, ring }).forOpening(tenantId, customerId, key.id)).toBeUndefined();
    expect(await preferences.get(tenantId, customerId)).toBeUndefined();

    clock.ms += CACHE_TTL_MS;
    const completed = await untilErasure(s, left, 'the erasure completed', (e) => e.status === 'completed');
    expect(completed.erased).toEqual({ dataKey: true, profile: false, preferences: true, notificationsFound: 1, notificationsErased: 1, notificationsCanceled: 1 });
    expect(actors.calls.map((c) => c.id)).toEqual([pending]);
  });

  it('leaves one alone while its runner holds it, and takes it up once that runner stops', async () => {
    const { tenantId, customerId } = fresh();
    const stuck = await seed(tenantId, customerId, 401, 'sent', clock.ms - 60_000);
    const brokenActors = new FakeActors();
    brokenActors.unreachable.add(stuck);
    const first = service(brokenActors);
    const erasure = await first.erase(tenantId, customerId, 'key-fp-1');
    await waitFor('the first runner trying', () => (brokenActors.callsTo(stuck) >= 1 ? true : undefined));
    const firstRunner = (await leaseOf(tenantId, customerId))?.runner;

    const actors = new FakeActors();
    const second = service(actors);
    await second.resume();
    expect((await leaseOf(tenantId, customerId))?.runner).toBe(firstRunner);
    expect(actors.calls).toEqual([]);

    await first.stop();
    await waitFor('the second runner erasing it', () => (actors.callsTo(stuck) === 1 ? true : undefined), 20_000, 20);
    // Taken up, the wait for the key caches counts from then: when the first runner destroyed the key is not recorded.
    clock.ms += CACHE_TTL_MS;
    const completed = await untilErasure(second, erasure, 'the erasure completed by the second runner', (e) => e.status === 'completed');
    expect(completed.erased).toMatchObject({ notificationsFound: 1, notificationsErased: 1 });
    expect(actors.callsTo(stuck)).toBe(1);
  });

  it('finds the running erasures through a small index of their own', async () => {
    await runs.ensureIndex();
    const plan = sql(`SET enable_seqscan = off; EXPLAIN SELECT value FROM records WHERE key LIKE 'erasure|%' AND value->>'status' = 'running' AND (expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP) ORDER BY value->>'requestedAt' LIMIT 100`);
    expect(plan.flat().join('\n')).toContain('records_herald_running_erasures');
  });
});
